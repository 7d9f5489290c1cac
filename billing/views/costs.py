"""F6 cost analysis: spend by member, department, product, region, billing mode, transaction
type or tag key, by day or by month, as a stacked bar chart and a table, and a CSV that is
exactly the table. Every control is a GET parameter (bookmarkable); htmx swaps the region.
Read only from the daily rollup (`billing.finance.costs`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.shortcuts import render
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import Department
from organizations.models.tags import KEY_MAX, TAG_CHARS, VALUE_MAX
from organizations.scoping import require_perm
from tco_console.exports import csv_language, csv_response
from tco_console.forms import ModelMultipleChoiceField
from tco_console.htmx import is_partial

from .. import charts
from ..finance import costs
from ..models import Product, Region
from ..models.catalog import localized
from ..models.choices import BillingMode, TransactionType
from ..templatetags.billing_tags import stacked_chart

UINS = re.compile(r"^\d{12}$")
MAX_UINS = 100
HEAD = {"preset", "granularity", "start", "end", "group_by"}


def _date(value: str) -> dt.date:
    """YYYY-MM-DD, or YYYY-MM (the first of the month)."""
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}", value):
        value += "-01"
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise forms.ValidationError(_("Enter a date as YYYY-MM-DD.")) from None


class CostAnalysisForm(forms.Form):
    preset = forms.ChoiceField(
        label=gettext_lazy("Range"),
        required=False,
        choices=[
            ("", gettext_lazy("Custom range")),
            *[(k, v[1]) for k, v in costs.PRESETS.items()],
        ],
    )
    granularity = forms.ChoiceField(
        label=gettext_lazy("Granularity"),
        required=False,
        choices=[(costs.DAY, gettext_lazy("Daily")), (costs.MONTH, gettext_lazy("Monthly"))],
    )
    start = forms.CharField(label=gettext_lazy("From"), required=False, max_length=10)
    end = forms.CharField(label=gettext_lazy("To"), required=False, max_length=10)
    group_by = forms.CharField(label=gettext_lazy("Group by"), required=False, max_length=140)
    member = forms.CharField(label=gettext_lazy("Member UINs"), required=False, max_length=1400)
    department = ModelMultipleChoiceField(
        label=gettext_lazy("Departments"), required=False, queryset=Department.objects.none()
    )
    product = ModelMultipleChoiceField(
        label=gettext_lazy("Products"),
        required=False,
        queryset=Product.objects.all(),
        to_field_name="code",
    )
    region = ModelMultipleChoiceField(
        label=gettext_lazy("Regions"),
        required=False,
        queryset=Region.objects.all(),
        to_field_name="code",
    )
    billing_mode = forms.MultipleChoiceField(
        label=gettext_lazy("Billing modes"), required=False, choices=BillingMode.choices
    )
    transaction_type = forms.MultipleChoiceField(
        label=gettext_lazy("Transaction types"), required=False, choices=TransactionType.choices
    )
    tag = forms.CharField(
        label=gettext_lazy("Tag (key=value)"), required=False, max_length=KEY_MAX + VALUE_MAX + 1
    )

    def __init__(self, *args, user, tag_keys, admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag_keys = tag_keys
        self._departments = None
        if admin:
            self.fields["department"].queryset = Department.objects.restrict(user, "view")
        else:
            del self.fields["department"]
            del self.fields["member"]
        for name, f in self.fields.items():
            multiple = isinstance(f.widget, forms.SelectMultiple)
            f.widget.attrs["class"] = (
                "form-select form-select-sm" if multiple else "form-control form-control-sm"
            )
            f.widget.attrs["data-testid"] = f"filter-{name}"

    def filters(self):
        """The filter fields (the range and grouping controls are drawn one by one), each with
        its options as HTML (each value escaped by `html.escape`, what Django's `escape` calls
        under its lazy-text wrapper): a select of an organization's 1,000 departments drawn by
        templates, option by option, costs more than the query."""
        out = []
        for name in self.fields:
            if name in HEAD:
                continue
            bound = self[name]
            options = None
            if isinstance(bound.field.widget, forms.SelectMultiple):
                chosen = {str(v) for v in (bound.value() or ())}
                options = mark_safe(  # plain string building, every value escaped
                    "".join(
                        f'<option value="{html.escape(str(v))}"'
                        f"{' selected' if str(v) in chosen else ''}>"
                        f"{html.escape(str(label))}</option>"
                        for v, label in self._choices(name)
                    )
                )
            out.append({"field": bound, "options": options})
        return out

    def _choices(self, name):
        field = self.fields[name]
        if name == "department":  # by path: each under its parent, indented by depth
            return [(pk, f"{'· ' * depth}{label}") for pk, label, depth in self.departments()]
        if isinstance(field, forms.ModelMultipleChoiceField):
            # products and regions: their name in the reader's language (issue 17)
            return list(field.queryset.values_list(field.to_field_name or "pk", localized("name")))
        return field.choices

    def departments(self) -> list[tuple[int, str, int]]:
        """The departments the user may filter by (id, name, depth), in tree order, read once:
        the filter's options and the labels of a grouping by department share them."""
        if self._departments is None:
            queryset = self.fields["department"].queryset.order_by("path")
            self._departments = list(queryset.values_list("pk", "name", "depth"))
        return self._departments

    def group_choices(self):
        return [*costs.GROUPS.items()] + [
            (f"{costs.TAG_PREFIX}{k}", _("Tag: %(key)s") % {"key": k}) for k in self.tag_keys
        ]

    def clean_group_by(self):
        value = self.cleaned_data["group_by"].strip() or "member"
        if value in costs.GROUPS:
            return value
        key = value.removeprefix(costs.TAG_PREFIX)
        if value.startswith(costs.TAG_PREFIX) and key and TAG_CHARS.match(key):
            return f"{costs.TAG_PREFIX}{key}"
        raise forms.ValidationError(_("Choose a grouping from the list."))

    def clean_start(self):
        value = self.cleaned_data["start"]
        return _date(value) if value else None

    def clean_end(self):
        value = self.cleaned_data["end"]
        return _date(value) if value else None

    def clean_member(self):
        uins = tuple(u for u in re.split(r"[\s,]+", self.cleaned_data["member"]) if u)
        if len(uins) > MAX_UINS or not all(UINS.match(u) for u in uins):
            raise forms.ValidationError(
                _("Enter up to %(n)s account UINs of 12 digits, separated by commas.")
                % {"n": MAX_UINS}
            )
        return uins

    def clean_tag(self):
        value = self.cleaned_data["tag"].strip()
        if not value:
            return None
        key, sep, tag_value = value.partition("=")
        key, tag_value = key.strip(), tag_value.strip()
        if not (sep and key and TAG_CHARS.match(key) and len(key) <= KEY_MAX):
            raise forms.ValidationError(_("Enter a tag as key=value."))
        if tag_value and not TAG_CHARS.match(tag_value):
            raise forms.ValidationError(_("Enter a tag as key=value."))
        return (key, tag_value)


def parse(request, *, admin: bool, tag_keys) -> tuple[CostAnalysisForm, costs.Query, list[str]]:
    """The query the URL asks for, and what was wrong with it: invalid fields are left out
    and a refused range falls back to the default (F6), so bad input never fails the page."""
    form = CostAnalysisForm(request.GET, user=request.user, tag_keys=tag_keys, admin=admin)
    form.is_valid()
    data = form.cleaned_data
    problems = [f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()]
    on = costs.today()
    preset = data.get("preset") or ""
    if preset:
        granularity, start, end = costs.preset_range(preset, on)
    else:
        granularity = data.get("granularity") or costs.DAY
        start, end = data.get("start"), data.get("end")
        if (
            start is None
            and end is None
            and "start" not in form.errors
            and "end" not in form.errors
        ):
            preset = costs.DEFAULT_PRESET
            granularity, start, end = costs.preset_range(preset, on)
        else:
            end = end or on
            start = start or end
            problem = costs.range_problem(granularity, start, end, on)
            if problem or "start" in form.errors or "end" in form.errors:
                if problem:
                    problems.append(str(problem))
                preset = costs.DEFAULT_PRESET
                granularity, start, end = costs.preset_range(preset, on)
                problems.append(_("Showing the default range instead."))
    if granularity == costs.MONTH:
        start, end = start.replace(day=1), end.replace(day=1)
    query = costs.Query(
        group_by=data.get("group_by") or "member",
        granularity=granularity,
        start=start,
        end=end,
        members=data.get("member") or (),
        departments=tuple(data.get("department") or ()),
        products=tuple(p.pk for p in data.get("product") or ()),
        regions=tuple(r.pk for r in data.get("region") or ()),
        billing_modes=tuple(data.get("billing_mode") or ()),
        transaction_types=tuple(data.get("transaction_type") or ()),
        tag=data.get("tag"),
    )
    form.shown = {"preset": preset, "granularity": granularity, "start": start, "end": end}
    return form, query, problems


def _analysis(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    admin = ctx.is_admin
    form, query, problems = parse(request, admin=admin, tag_keys=costs.tag_keys(ctx))
    names = None
    if query.group_by == "department" and "department" in form.fields:
        names = {pk: name for pk, name, _depth in form.departments()}
    return form, costs.analyse(ctx, query, department_names=names), problems


def period_label(period: dt.date, granularity: str) -> str:
    return f"{period:%Y-%m}" if granularity == costs.MONTH else f"{period:%Y-%m-%d}"


def group_label(query: costs.Query) -> str:
    if query.tag_key is not None:
        return _("Tag: %(key)s") % {"key": query.tag_key}
    return str(costs.GROUPS[query.group_by])


CHART_TITLE = gettext_lazy("Spend after discounts by period, top 10 groups and others")
CHARTS, CHART_SECONDS = "charts", 3600  # settings.CACHES; the key makes it exact


def cost_chart(periods: list[str], series: list[dict]) -> str:
    """F6's chart as HTML, drawn once for the figures it shows (issue 16: at ten million
    lines each of 11 groups × 31 days has a segment with its title and a line of the text
    alternative, 2–3 ms of the page, and its fill made the page 15–20 % slower than at a
    thousand lines). Kept in the "charts" cache under a digest of everything it is drawn
    from: the periods, each group's label, kind and figures, and the language (the title's
    and the numbers' format). So a cached chart is the one those figures draw, never stale,
    only unused; the figures themselves are read for every request."""
    title = str(CHART_TITLE)
    drawn_from = (
        translation.get_language(),
        title,
        periods,
        [(str(s["label"]), bool(s["others"]), s["values"]) for s in series],
    )
    key = "f6-chart|" + hashlib.sha256(repr(drawn_from).encode()).hexdigest()
    return caches[CHARTS].get_or_set(
        key,
        lambda: stacked_chart(charts.stacked(periods, series), "cost-chart", title),
        CHART_SECONDS,
    )


@login_required
def cost_analysis(request):
    form, analysis, problems = _analysis(request)
    query = analysis.query
    rows = list(table_rows(analysis))
    series = [{"label": r.label, "values": r.cells, "others": r.others} for r in analysis.rows]
    labels = [period_label(p, query.granularity) for p in analysis.periods]
    context = {
        "form": form,
        "analysis": analysis,
        "problems": problems,
        "is_admin": request.console.is_admin,
        "period_labels": labels,
        "group_label": group_label(query),
        "chart": cost_chart(labels, series) if analysis.rows else "",
        "header": table_header(analysis),
        "body": rows[:-1],
        "foot": rows[-1],
        "export_query": request.GET.urlencode(),
    }
    template = "billing/cost_analysis.html"
    if is_partial(request):
        template += "#analysis"
    return render(request, template, context)


def table_rows(analysis: costs.Analysis):
    """The table's rows as the CSV writes them (and the page shows them)."""
    for row in [*analysis.rows, analysis.totals]:
        yield [
            row.label,
            *row.cells,
            row.total,
            *(row.amounts[a] for a in costs.AMOUNTS),
        ]


def table_header(analysis: costs.Analysis) -> list[str]:
    query = analysis.query
    return [
        group_label(query),
        *(period_label(p, query.granularity) for p in analysis.periods),
        _("Total"),
        _("List cost"),
        _("Discount"),
        _("Voucher deduction"),
        _("Cash paid"),
    ]


@login_required
def cost_analysis_export(request):
    """F6: the CSV is exactly the table of the same URL: same groups, periods and totals."""
    language = csv_language(request)  # issue 17: the header and the groups' words
    with translation.override(language):
        _form, analysis, _problems = _analysis(request)
        header = table_header(analysis)
    query = analysis.query
    return csv_response(
        header,
        table_rows(analysis),
        f"cost-analysis-{'tag' if query.tag_key is not None else query.group_by}-"
        f"{query.granularity}-"
        f"{query.first_day:%Y%m%d}-{query.last_day:%Y%m%d}.csv",
        language=language,
    )
