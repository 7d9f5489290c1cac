"""Issue 17: the console in Simplified Chinese.

- the zh-Hans catalog is complete (no untranslated or fuzzy message, formats consistent) and
  every visible text of every template is marked for translation;
- the language switcher remembers the user's choice (applied at the next sign-in, whatever the
  browser says), anonymous visitors get their browser's Accept-Language;
- the API answers errors in Chinese for `X-TC-Language: zh-CN`, in English by default;
- dates and money read the same digits in both languages; CSV headers in the language asked.
"""

import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.base import Lexer, TokenType
from django.test import Client
from django.utils import formats, translation

from billing.templatetags.billing_tags import format_cny, unit_price
from organizations.models import User
from tests.api.test_api_matrix import call
from tests.api.test_api_sdk import make_key
from tests.billing.helpers import buy

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def english_after():
    """A request in Chinese leaves Chinese active in this thread (Django activates, never
    deactivates); the next test starts in the default language."""
    yield
    translation.deactivate()


# ------------------------------------------------------------------ the catalog is complete


def test_zh_hans_catalog_has_no_untranslated_or_fuzzy_message():
    """`msgfmt --check --statistics`: every message translated, none fuzzy, and each
    translation keeps its msgid's %(name)s placeholders (--check)."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (apt-get install gettext)"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(CATALOG)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip()
    assert re.fullmatch(r"\d+ translated messages?\.", stats), stats


def test_zh_hans_catalog_translates_every_message_the_code_marks(tmp_path):
    """makemessages over a copy of the sources (templates and the three packages), merged
    with the catalog: no marked message of the code may be missing from it."""
    msgmerge = shutil.which("msgmerge")
    assert msgmerge, "GNU gettext's msgmerge is needed (apt-get install gettext)"
    for name in ("templates", "organizations", "billing", "tco_console"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tco_console.settings_test"},
    )
    extracted = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    merged = tmp_path / "merged.po"
    subprocess.run(
        [
            msgmerge,
            "--quiet",
            "--no-fuzzy-matching",
            "-o",
            str(merged),
            str(CATALOG),
            str(extracted),
        ],
        check=True,
    )
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(merged)], capture_output=True, text=True
    )
    assert re.fullmatch(r"\d+ translated messages?\.", result.stderr.strip()), result.stderr


def test_zh_hans_catalog_is_compiled_and_active():
    """The build steps compiled it (scripts/compile_messages.sh): Django finds Chinese."""
    with translation.override("zh-hans"):
        assert translation.gettext("Language") == "语言"
        assert translation.pgettext("CSV column", "bill_month") == "账单月份"


# ------------------------------------------------------------------ every template is marked

HOLE = "\x00"  # where a template tag or variable stood: not text of the template's own
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "aria-description"}
# Proper names and codes that read the same in both languages (docs/glossary-zh.md).
ALLOWED_WORDS = {"TCO", "UIN", "CNY", "CSV", "ZIP", "ID", "API", "SecretId", "SecretKey"}
WORD = re.compile(r"[A-Za-z]{2,}")


def template_text(source: str) -> str:
    """The template with every tag, variable, comment and {% blocktranslate %} body replaced
    by HOLE, so what is left is the literal HTML the template writes itself."""
    parts, skip_until = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if skip_until and name == skip_until:
                skip_until = None
            elif not skip_until and name in {"blocktranslate", "blocktrans", "comment"}:
                skip_until = "endcomment" if name == "comment" else "end" + name
            parts.append(HOLE)
        elif token.token_type == TokenType.TEXT and not skip_until:
            parts.append(token.contents)
        else:
            parts.append(HOLE)
    return "".join(parts)


class _UnmarkedText(HTMLParser):
    """Visible text (text nodes, button values, title/placeholder/aria-label/alt) with words
    in it that no translate tag wrote. Scripts' and styles' bodies are not shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.raw = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.raw += 1
        kind = dict(attrs).get("type")
        for name, value in attrs:
            shown = name in VISIBLE_ATTRIBUTES or (
                name == "value"
                and (tag == "button" or (tag == "input" and kind in {"submit", "button"}))
            )
            if shown and value:
                self._check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.raw -= 1

    def handle_data(self, data):
        if not self.raw:
            self._check(data, "text")

    def _check(self, text, where):
        for piece in text.split(HOLE):
            if [w for w in WORD.findall(piece) if w not in ALLOWED_WORDS]:
                self.found.append(f"{where}: {piece.strip()!r}")


def unmarked(source: str) -> list[str]:
    finder = _UnmarkedText()
    finder.feed(template_text(source))
    finder.close()
    return finder.found


def project_templates() -> list[Path]:
    dirs = [Path(d) for d in engines["django"].dirs]
    dirs += [ROOT / app / "templates" for app in ("organizations", "billing", "tco_console")]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


def test_the_template_walker_finds_unmarked_text():
    """The check itself: it flags plain text and a visible attribute, not marked text."""
    source = (
        '{% load i18n %}<p title="Plain title">Plain text</p><b>{% translate "Ok" %}</b>'
        "{% blocktranslate %}Also ok{% endblocktranslate %}<i>{{ name }} UIN</i>"
        '<input type="submit" value="Go now"><script>var s = "not shown";</script>'
    )
    assert unmarked(source) == [
        "<p title>: 'Plain title'",
        "text: 'Plain text'",
        "<input value>: 'Go now'",
    ]


def test_every_template_marks_its_visible_text():
    templates = project_templates()
    assert len(templates) > 50  # templates/ and the apps' templates were walked
    problems = [f"{p.relative_to(ROOT)}: {f}" for p in templates for f in unmarked(p.read_text())]
    assert problems == []


# ------------------------------------------------------------------ choosing the language


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db
def test_anonymous_sign_in_page_follows_accept_language(client):
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert _lang(chinese) == "zh-hans" and "语言" in chinese.content.decode()
    english = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _lang(english) == "en"


@pytest.mark.django_db
def test_anonymous_visitor_switches_with_the_cookie_only(client):
    response = client.post(
        "/language/", {"language": "zh-hans"}, HTTP_REFERER="http://testserver/accounts/login/"
    )
    assert (
        response.status_code == 302 and response["Location"] == "http://testserver/accounts/login/"
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US")  # the cookie wins
    assert _lang(page) == "zh-hans"


@pytest.mark.django_db
def test_the_switcher_is_in_the_header_and_saves_the_users_choice(client, admin, password):
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert 'data-testid="language-zh-hans"' in page and 'action="/language/"' in page
    response = client.post("/language/", {"language": "zh-hans", "next": "/members/"})
    assert response.status_code == 302 and response["Location"] == "/members/"
    admin.refresh_from_db()
    assert admin.language == "zh-hans"
    assert _lang(client.get("/")) == "zh-hans"


@pytest.mark.django_db
def test_the_users_language_applies_at_the_next_sign_in_from_another_browser(admin, password):
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")  # no cookie, English browser
    signed_in = browser.post(
        "/accounts/login/", {"username": admin.username, "password": password}, follow=True
    )
    assert _lang(signed_in) == "zh-hans"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    browser.post("/accounts/logout/")
    assert _lang(browser.get("/accounts/login/")) == "zh-hans"  # the sign-in page keeps it


@pytest.mark.django_db
def test_a_user_who_chose_english_gets_english_from_a_chinese_browser(admin):
    User.objects.filter(pk=admin.pk).update(language="en")
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    browser.force_login(admin)
    assert _lang(browser.get("/")) == "en"


@pytest.mark.django_db
def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(client, admin):
    client.force_login(admin)
    assert client.post("/language/", {"language": "fr"}).status_code == 400
    admin.refresh_from_db()
    assert admin.language == ""
    away = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert away["Location"] == "/"


# ------------------------------------------------------------------ the API in Chinese


@pytest.mark.django_db
def test_api_errors_in_chinese_with_x_tc_language_zh_cn(admin):
    outsider = User.objects.create_user("lone-outsider", password="x")  # in no organization
    sid, secret = make_key(outsider)
    chinese = call(Client(HTTP_X_TC_LANGUAGE="zh-CN"), sid, secret, "2021-03-31",
                   "DescribeOrganizationNodes", {"Limit": 10, "Offset": 0})  # fmt: skip
    assert chinese["Error"]["Code"] == "ResourceNotFound.OrganizationNotExist"
    assert chinese["Error"]["Message"] == "该账号不在任何集团组织中。"
    english = call(Client(HTTP_ACCEPT_LANGUAGE="zh-CN"), sid, secret, "2021-03-31",
                   "DescribeOrganizationNodes", {"Limit": 10, "Offset": 0})  # fmt: skip
    assert english["Error"]["Message"] == "The account is not in an organization."


@pytest.mark.django_db
def test_api_unsigned_request_refused_in_chinese(client):
    response = client.post(
        "/", b"{}", content_type="application/json",
        HTTP_X_TC_ACTION="DescribeOrganization", HTTP_X_TC_LANGUAGE="zh-CN",
    )  # fmt: skip
    assert response.json()["Response"]["Error"] == {
        "Code": "AuthFailure.SignatureFailure",
        "Message": "请求未签名。",
    }


# ------------------------------------------------------------------ formats


def test_money_reads_the_same_digits_with_two_decimals_in_both_languages():
    """B1 + issue 17: `1,234,567.50` and a currency word after it, in both languages."""
    shown = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            shown[language] = [
                format_cny(Decimal("1234567.5")),
                format_cny(Decimal("-0.4")),
                format_cny(Decimal("12"), signed=True),
                unit_price(Decimal("0.0125")),
            ]
    digits = [[re.sub(r"[^\d.,+−-]", "", s) for s in texts] for texts in shown.values()]
    assert digits[0] == digits[1] == ["1,234,567.50", "−0.40", "+12.00", "0.0125"]
    for texts in shown.values():
        assert all(re.fullmatch(r"[−+]?[\d,]+\.\d{2,4} \S+", s) for s in texts), texts


def test_dates_and_numbers_are_localized_the_same_way_in_both_languages():
    moment = dt.datetime(2026, 12, 4, 15, 4, 5)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert formats.date_format(moment.date()) == "2026-12-04"
            assert formats.date_format(moment, "DATETIME_FORMAT") == "2026-12-04 15:04"
            assert formats.date_format(moment.date(), "YEAR_MONTH_FORMAT") == "2026-12"
            assert formats.number_format(Decimal("1234567.5"), 2, force_grouping=True) == (
                "1,234,567.50"
            )


# ------------------------------------------------------------------ CSV headers


def _csv_header(response) -> list[str]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return next(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_csv_header_in_the_language_asked_for(client, admin):
    client.force_login(admin)
    url = "/billing/transactions/export.csv"
    assert _csv_header(client.get(url))[:3] == ["time", "type", "amount"]
    assert _csv_header(client.get(url, {"lang": "zh-hans"}))[:3] == ["时间", "类型", "金额"]
    User.objects.filter(pk=admin.pk).update(language="zh-hans")  # the page's language
    assert _csv_header(client.get(url))[:3] == ["时间", "类型", "金额"]
    assert _csv_header(client.get(url, {"lang": "en"}))[:3] == ["time", "type", "amount"]


@pytest.mark.django_db
def test_bill_csv_header_keys_in_english_names_in_chinese(client, admin):
    client.force_login(admin)
    english = _csv_header(client.get("/billing/bills/export.csv", {"lang": "en"}))
    chinese = _csv_header(client.get("/billing/bills/export.csv", {"lang": "zh-hans"}))
    assert english[0] == "bill_month" and chinese[0] == "账单月份"
    assert len(english) == len(chinese)


# ------------------------------------------------------------------ messages to their reader


@pytest.mark.django_db
def test_a_message_is_kept_in_english_with_its_msgid_whoever_sent_it(
    catalog, org, admin, pob_member
):
    """The member orders in Chinese; the notice to its payer, who chose Chinese, and its own
    keep their text in English (admin, search) and the msgid that each reader reads in their
    own language (billing.services.messages; tests/test_i18n_stored_texts.py reads them)."""
    from billing.models import Message, Order

    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    with translation.override("zh-hans"):  # the member's request
        buy(pob_member, "S5.MEDIUM4")  # the payer has nothing: the order is to be paid
    order = Order.objects.get()
    payer = Message.objects.get(account=admin.account, order=order)
    assert payer.title == f"Order {order.order_no} of member {pob_member.account.uin} is to be paid"
    assert payer.title_i18n.msgid == "Order %(no)s of member %(uin)s is to be paid"
    member = Message.objects.get(account=pob_member.account, order=order)
    assert member.title == f"Order {order.order_no} is to be paid"
    assert not re.search(r"[\u4e00-\u9fff]", payer.body + member.body)


@pytest.mark.django_db
def test_the_export_buttons_offer_the_header_in_the_other_language(client, admin):
    """Billing Center's transactions tab: next to Export CSV, the same export with its header
    in the other language, and that link's CSV has it."""
    client.force_login(admin)
    page = client.get("/billing/", {"tab": "transactions"}).content.decode()
    link = re.search(r'href="([^"]+)"[^>]*data-testid="export-csv-zh-hans"', page)
    assert link and "Header in 简体中文" in page
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/billing/transactions/export.csv?") and url.endswith("lang=zh-hans")
    assert _csv_header(client.get(url))[:3] == ["时间", "类型", "金额"]
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    page = client.get("/billing/", {"tab": "transactions"}).content.decode()
    assert 'data-testid="export-csv-en"' in page and "English 表头" in page


# ------------------------------------------------------------------ the acceptance walk's finds


@pytest.mark.django_db
def test_labels_built_at_import_are_read_in_the_pages_language(client, admin):
    """Issue 17's walk: the member form's financial permissions (an f-string at import kept
    them English) and the credit form's 'required' message (formatted at import) follow the
    reader's language."""
    from billing.finance.forms_credit import CreditAmountField
    from organizations.forms import OPTIONAL_PERMISSIONS

    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    client.force_login(admin)
    form = client.get("/members/create/").content.decode()
    assert "3 · 资金划拨" in form and "Fund transfer" not in form
    field = CreditAmountField(label=translation.gettext_lazy("permanent credit"), field_name="x")
    with translation.override("zh-hans"):
        assert str(OPTIONAL_PERMISSIONS[0][1]) == "3 · 资金划拨"
        assert str(field.error_messages["required"]) == "请输入永久额度（无则填0）。"
    with translation.override("en"):
        assert str(field.error_messages["required"]) == "Enter the permanent credit (0 for none)."


@pytest.mark.django_db
def test_role_groups_are_named_in_the_readers_language(client, admin):
    """A1's role groups keep their English names in the database; the users page and its
    group filter name them in the reader's language (organizations.roles.ROLE_LABELS)."""
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    client.force_login(admin)
    page = client.get("/users/").content.decode()
    assert "主账号" in page and ">Account owner<" not in page  # the admin's own groups
    # the group filter's options
    assert '<option value="Organization manager">集团组织管理员</option>' in page
    assert ">Finance manager<" not in page and ">Read-only<" not in page


@pytest.mark.django_db
def test_the_operators_admin_offers_the_language_switch_and_reads_chinese(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'data-testid="language-zh-hans"' in page and 'action="/language/"' in page
    client.post("/language/", {"language": "zh-hans", "next": "/admin/login/"})
    page = client.get("/admin/login/").content.decode()
    assert _lang(client.get("/admin/login/")) == "zh-hans" and "用户名" in page


@pytest.mark.django_db
def test_time_columns_are_named_as_times_apart_from_the_same_english_word(client, admin):
    """'Created' and 'Requested' name both a state (创建 member type, 已申请 status) and,
    as column headers, a time: the headers carry the context "time" (创建时间, 申请时间)."""
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    client.force_login(admin)
    orders = client.get("/billing/").content.decode()
    assert "创建时间" in orders
    with translation.override("zh-hans"):
        assert translation.gettext("Created") == "创建"
        assert translation.pgettext("time", "Requested") == "申请时间"
