"""Issue 16: the shared table rendering's shortcuts show what django-tables2 and Django show.

`table_rows` works out per column what the library works out per cell, `ChoiceLabels` reads a
field's choices once instead of at every `get_FOO_display()`, and `tco_console.html` formats
without Django's lazy-text wrapper: each must give the same text, in either language."""

import django_tables2 as tables
import pytest
from django.template import Context
from django.template.base import render_value_in_context
from django.utils import timezone, translation
from django.utils.html import format_html as django_format_html
from django.utils.html import format_html_join as django_format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from billing.models import Journal
from billing.models.choices import JournalKind
from tco_console import html
from tco_console.tables import ChoiceLabels, ConsoleTable
from tco_console.templatetags.console_tables import table_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_issue16_choice_labels_read_as_get_foo_display_does(language):
    labels = ChoiceLabels.of(Journal, "kind")
    with translation.override(language):
        for kind in [*JournalKind.values, "not-a-kind", ""]:
            assert labels(kind) == Journal(kind=kind).get_kind_display()


def test_issue16_format_html_escapes_as_django_does():
    values = ["<b>", "a & b", mark_safe("<i>kept</i>"), 3, None, gettext_lazy("Amount"), '"q"']
    for value in values:
        assert html.format_html("<td>{}</td>", value) == django_format_html("<td>{}</td>", value)
    rows = [("<x>", 1), (mark_safe("<y>"), "'")]
    assert html.format_html_join("\n", "{}:{}", rows) == django_format_html_join(
        "\n", "{}:{}", rows
    )
    with pytest.raises(TypeError):
        html.format_html("<br>")


def test_issue16_table_rows_match_the_librarys_own_cells():
    """Every cell as the library's BoundRow renders it (accessor, a choices field's display,
    default, render method, link, `td` attributes, odd/even rows), in either language."""

    class Kinds(ConsoleTable):
        kind = tables.Column()
        memo = tables.Column(default="—")
        id = tables.Column(linkify=lambda record: f"/j/{record.pk}/", attrs={"td": {"x": "1"}})
        shown = tables.Column(accessor="memo", empty_values=())
        who = tables.Column(accessor="created_by__username", default="nobody")

        class Meta(ConsoleTable.Meta):
            model = Journal
            fields = ("kind", "memo", "id", "shown", "who")

        def render_shown(self, value, record):
            return f"{record.get_kind_display()}: {value}"

    now = timezone.now()
    for kind, memo in ((JournalKind.TOPUP, "<top-up>"), (JournalKind.SETTLEMENT, "")):
        Journal.objects.create(kind=kind, memo=memo, created_at=now)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            library = Kinds(Journal.objects.order_by("pk"))
            expected = "\n".join(
                f"<tr {row.attrs.as_html()}>"
                + "".join(
                    f"<td {column.attrs['td'].as_html()}>"
                    f"{render_value_in_context(cell, Context())}</td>"
                    for column, cell in row.items()
                )
                + "</tr>"
                for row in library.rows
            )
            assert table_rows(Context(), Kinds(Journal.objects.order_by("pk"))) == expected


@pytest.mark.parametrize(
    "attrs",
    [
        {"td__input": {"name": "uins", "form": "f", "class": "form-check-input"}},
        {"input": {"data-x": 'a"b'}},
        {"td__input": {"value": "fixed"}},
        {"td__input": {"data-pk": lambda record: record.pk}},
        {},
    ],
)
def test_issue16_checkbox_cells_are_the_librarys_own(attrs):
    """A checkbox column's `<input>` worked out once is the one the library builds for every
    row: its attributes in the library's order, its value escaped, and a computed attribute
    or an attribute setting the value left to the library."""
    from tco_console.tables import CheckBoxColumn

    class Picks(ConsoleTable):
        ours = CheckBoxColumn(accessor="memo", attrs=attrs)
        theirs = tables.CheckBoxColumn(accessor="memo", attrs=attrs)

        class Meta(ConsoleTable.Meta):
            model = Journal
            fields = ("ours", "theirs")

    for memo in ('<a&"b>', "plain"):
        Journal.objects.create(kind=JournalKind.TOPUP, memo=memo, created_at=timezone.now())
    table = Picks(Journal.objects.order_by("pk"))
    for row in table.rows:
        cells = dict(row.items())
        ours, theirs = (cells[table.columns[name]] for name in ("ours", "theirs"))
        assert ours == theirs.replace('name="theirs"', 'name="ours"')
        assert type(ours) is type(theirs)
