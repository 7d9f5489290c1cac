"""Issue 17: the simulated cloud's catalog in the reader's language. Product, spec and region
names, descriptions and usage units have a Chinese column beside the English one (Tencent
Cloud's own Chinese names, docs/glossary-zh.md): a user who reads the console in Chinese sees
云服务器 / 广州 / 标准型 S5 · 2 核 · 4 GiB on every page, CSV (`?lang=`) and API answer
(`X-TC-Language`) that names them, an English reader the English names. A blank Chinese name
shows the English one; `load_catalog` fills blank Chinese names and keeps an operator's."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone, translation

from billing.catalog import ensure_catalog
from billing.models import Product, Region, Spec
from organizations.models import User
from tests.api.test_api_matrix import call
from tests.api.test_api_sdk import make_key
from tests.billing.helpers import buy, fund, product, spec
from tests.billing.page_helpers import HTMX
from tests.billing.test_finance_costs import EXPORT, MARCH, at, get, joined, spend, table
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CVM_ZH, CVM_EN = "云服务器", "Cloud Virtual Machine"
MEDIUM_ZH, MEDIUM_EN = "标准型 S5 · 2 核 · 4 GiB", "S5 · 2 vCPU · 4 GiB"
GUANGZHOU_ZH, GUANGZHOU_EN = "广州", "Guangzhou"


@pytest.fixture(autouse=True)
def english_after():
    """A request in Chinese leaves Chinese active in this thread; the next test starts in
    the default language (as tests/test_i18n.py)."""
    yield
    translation.deactivate()


def reads_chinese(user):
    User.objects.filter(pk=user.pk).update(language="zh-hans")


def csv_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def running(catalog, member):
    """A self-paying member with a CVM subscription in Guangzhou (the helpers' region)."""
    fund(member, "2000", member)
    return buy(member, "S5.MEDIUM4").resource


# ------------------------------------------------------------------ products and order forms


def test_products_page_names_the_catalog_in_chinese(client, running, member):
    reads_chinese(member)
    client.force_login(member)
    page = client.get("/products/").content.decode()
    for chinese in (
        CVM_ZH,
        MEDIUM_ZH,
        "弹性计算实例（CVM）。",  # the description
        "云数据库 MySQL",
        "双节点高可用版 · 4 核 · 8 GB · 200 GB",
        "负载均衡",
        "实例·小时",  # CVM's and CLB's usage unit
        "GB·天",  # COS's
        f"{CVM_ZH} (p_cvm)",  # the resources' product filter
    ):
        assert chinese in page, chinese
    row = re.search(rf'<tr[^>]*data-instance="{running.instance_id}".*?</tr>', page, re.S)
    assert CVM_ZH in row.group(0) and MEDIUM_ZH in row.group(0) and GUANGZHOU_ZH in row.group(0)
    for english in (CVM_EN, MEDIUM_EN, GUANGZHOU_EN, "Elastic compute", "instance-hour"):
        assert english not in page, english


def test_products_page_names_the_catalog_in_english(client, running, member):
    client.force_login(member)
    page = client.get("/products/").content.decode()
    for english in (CVM_EN, MEDIUM_EN, GUANGZHOU_EN, "Elastic compute instances", "instance-hour"):
        assert english in page, english
    assert not re.search(r"[\u4e00-\u9fff]", page.split('data-testid="catalog"')[1][:20000])


def test_order_forms_offer_chinese_specs_and_regions(client, running, member):
    reads_chinese(member)
    client.force_login(member)
    buy_form = client.get(f"/products/buy/?spec={spec('S5.MEDIUM4').pk}", **HTMX).content.decode()
    assert f"{CVM_ZH} · {MEDIUM_ZH}" in buy_form and f"{GUANGZHOU_ZH} (ap-guangzhou)" in buy_form
    assert "双节点高可用版" in buy_form and CVM_EN not in buy_form and GUANGZHOU_EN not in buy_form
    activate = client.get("/products/activate/", **HTMX).content.decode()
    assert "负载均衡 · 标准型实例" in activate and "实例·小时" in activate
    assert "instance-hour" not in activate
    renew = client.get(f"/resources/{running.instance_id}/renew/", **HTMX).content.decode()
    summary = renew[renew.index('data-testid="resource-summary"') :]
    assert CVM_ZH in summary and MEDIUM_ZH in summary and GUANGZHOU_ZH in summary
    upgrade = client.get(f"/resources/{running.instance_id}/upgrade/", **HTMX).content.decode()
    assert "标准型 S5 · 4 核 · 8 GiB" in upgrade


def test_a_blank_chinese_name_shows_the_english_one(client, running, member):
    Product.objects.filter(code="p_cvm").update(name_zh="", description_zh="")
    Spec.objects.filter(code="S5.MEDIUM4").update(name_zh="")
    Region.objects.filter(code="ap-guangzhou").update(name_zh="")
    reads_chinese(member)
    client.force_login(member)
    page = client.get("/products/").content.decode()
    row = re.search(rf'<tr[^>]*data-instance="{running.instance_id}".*?</tr>', page, re.S)
    assert CVM_EN in row.group(0) and MEDIUM_EN in row.group(0) and GUANGZHOU_EN in row.group(0)
    assert "Elastic compute instances (CVM)." in page
    assert "云硬盘" in page  # the other products keep their Chinese names
    with translation.override("zh-hans"):
        assert product("p_cvm").display_name == CVM_EN
        assert product("p_cbs").display_name == "云硬盘"


def test_a_search_in_chinese_finds_the_spec(client, running, member):
    reads_chinese(member)
    client.force_login(member)
    found = client.get("/products/", {"q": "2 核"}).content.decode()
    assert f'data-instance="{running.instance_id}"' in found


# ------------------------------------------------------------------ bills


def test_bills_by_product_in_the_readers_language(client, catalog, org, admin, pob_member):
    fund(admin, "1000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    buy(admin, "S5.SMALL2")  # the admin's own, self-paid: Billing Center's bills
    client.force_login(admin)
    english = client.get("/pay-on-behalf/bills/", {"tab": "products"}).content.decode()
    assert CVM_EN in english and CVM_ZH not in english
    reads_chinese(admin)
    chinese = client.get("/pay-on-behalf/bills/", {"tab": "products"}).content.decode()
    summary = chinese[chinese.index('data-testid="bill-summary"') :]
    assert CVM_ZH in summary and CVM_EN not in chinese
    center = client.get("/billing/", {"tab": "bills", "view": "product"}).content.decode()
    assert CVM_ZH in center and CVM_EN not in center
    by_resource = client.get("/billing/", {"tab": "bills", "view": "resource"}).content.decode()
    assert "标准型 S5 · 1 核 · 2 GiB" in by_resource and CVM_ZH in by_resource
    overview = client.get("/").content.decode()
    assert CVM_ZH in overview and CVM_EN not in overview  # this month's split by product


# ------------------------------------------------------------------ cost analysis and its CSV


def test_cost_analysis_groups_and_csv_name_products_and_regions_in_the_language_asked(
    client, catalog, org, admin
):
    fund(admin, "10000", admin)
    member = joined(org, admin, at(2026, 2, 1, 10), name="pob-zh", payer=org.admin_account)
    spend(at(2026, 3, 2, 10), member, "S5.SMALL2", "ap-guangzhou")
    spend(at(2026, 3, 3, 10), member, "PREMIUM-100", "ap-shanghai")
    client.force_login(admin)
    reads_chinese(admin)
    assert {"云服务器", "云硬盘", "合计"} <= set(table(get(client, group_by="product", **MARCH)))
    assert {"广州", "上海"} <= set(table(get(client, group_by="region", **MARCH)))
    labels = [r[0] for r in csv_of(get(client, EXPORT, group_by="product", **MARCH))[1:]]
    assert CVM_ZH in labels and "云硬盘" in labels  # the page's language
    english = csv_of(get(client, EXPORT, group_by="product", lang="en", **MARCH))
    assert english[0][0] == "Product"
    assert {CVM_EN, "Cloud Block Storage", "Total"} == {r[0] for r in english[1:]}
    chinese = csv_of(get(client, EXPORT, group_by="region", lang="zh-hans", **MARCH))
    assert {"广州", "上海"} <= {r[0] for r in chinese[1:]}


# ------------------------------------------------------------------ policies and sub-users


def test_service_control_policies_name_products_in_chinese(client, catalog, org, admin, member):
    reads_chinese(member)
    client.force_login(member)
    page = client.get("/policies/").content.decode()
    products = page[page.index('data-testid="policy-products"') :]
    assert CVM_ZH in products and "内容分发网络" in products and CVM_EN not in page
    reads_chinese(admin)
    client.force_login(admin)
    users = client.get("/users/create/", **HTMX).content.decode()
    assert CVM_ZH in users and CVM_EN not in users


# ------------------------------------------------------------------ the API


@pytest.mark.django_db(transaction=True)
def test_api_by_product_names_products_in_the_x_tc_language(catalog, org, admin, pob_member):
    fund(admin, "1000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    sid, secret = make_key(admin)
    month = timezone.localdate()
    params = {"Month": f"{month:%Y-%m}", "Limit": 10, "Offset": 0}
    action = "DescribeOrganizationFinancialByProduct"
    chinese = call(Client(HTTP_X_TC_LANGUAGE="zh-CN"), sid, secret, "2021-03-31", action, params)
    english = call(Client(), sid, secret, "2021-03-31", action, params)
    assert [(i["ProductCode"], i["ProductName"]) for i in chinese["Items"]] == [("p_cvm", CVM_ZH)]
    assert [(i["ProductCode"], i["ProductName"]) for i in english["Items"]] == [("p_cvm", CVM_EN)]


# ------------------------------------------------------------------ loading the catalog


def test_load_catalog_fills_blank_chinese_names_and_keeps_an_operators():
    ensure_catalog(update=False)
    Product.objects.filter(code="p_cvm").update(name_zh="云主机")  # the operator's edit
    Product.objects.filter(code="p_cbs").update(name_zh="", payg_unit_zh="")  # left blank
    Region.objects.filter(code="ap-guangzhou").update(name_zh="")
    Spec.objects.filter(code="S5.MEDIUM4").update(name_zh="S5 中型")
    call_command("load_catalog", stdout=io.StringIO())
    assert product("p_cvm").name_zh == "云主机"
    assert product("p_cbs").name_zh == "云硬盘"
    assert Region.objects.get(code="ap-guangzhou").name_zh == GUANGZHOU_ZH
    assert spec("S5.MEDIUM4").name_zh == "S5 中型"
    assert spec("S5.SMALL2").name_zh == "标准型 S5 · 1 核 · 2 GiB"
    assert product("p_cdn").payg_unit_zh == ""  # TB reads the same: no Chinese unit
    with translation.override("zh-hans"):
        assert product("p_cvm").display_unit == "实例·小时"
        assert product("p_cdn").display_unit == "TB"
        assert str(product("p_cvm")) == "云主机 (p_cvm)"


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_chinese_names_of_rows_that_exist_by_code():
    """Migration 0025 on a database whose catalog was loaded before it: the Chinese columns
    are filled by code; a row outside the standard catalog keeps them blank."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    mine = next(k for k in graph.nodes if k[0] == "billing" and k[1].endswith("_chinese_names"))
    before = [p.key for p in graph.node_map[mine].parents if p.key[0] == "billing"]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old_product = old.get_model("billing", "Product")
    old_product.objects.create(code="p_cvm", name=CVM_EN, payg_unit="instance-hour")
    old_product.objects.create(code="p_custom", name="Custom product")
    old.get_model("billing", "Region").objects.create(code="ap-guangzhou", name=GUANGZHOU_EN)
    cvm = old_product.objects.get(code="p_cvm")
    old.get_model("billing", "Spec").objects.create(product=cvm, code="S5.MEDIUM4", name=MEDIUM_EN)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # it and whatever follows it
    cvm = product("p_cvm")
    assert (cvm.name_zh, cvm.description_zh, cvm.payg_unit_zh) == (
        CVM_ZH,
        "弹性计算实例（CVM）。",
        "实例·小时",
    )
    assert Region.objects.get(code="ap-guangzhou").name_zh == GUANGZHOU_ZH
    assert spec("S5.MEDIUM4").name_zh == MEDIUM_ZH
    assert product("p_custom").name_zh == ""


# ------------------------------------------------------------------ issue 17's acceptance walk


def english_catalog_texts() -> set[str]:
    """Every English text of the loaded catalog that has a Chinese one."""
    texts = set()
    for p in Product.objects.all():
        texts |= {p.name, p.description} | ({p.payg_unit} if p.payg_unit_zh else set())
    texts |= set(Spec.objects.values_list("name", flat=True))
    texts |= set(Region.objects.values_list("name", flat=True))
    return texts


def sidebar_links(html: str) -> list[str]:
    nav = html[html.index('<nav class="sidebar"') : html.index("</nav>")]
    return re.findall(r'class="nav-link[^"]*" href="([^"]+)"', nav)


def test_every_sidebar_page_names_no_catalog_row_in_english_for_a_chinese_reader(
    client, catalog, org, admin, pob_member, readonly_sub
):
    """Switch to 中文 and walk every page of the sidebar as admin, member and sub-user: no
    English product, spec, region, description or unit is left (codes may show)."""
    fund(admin, "3000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    buy(admin, "PREMIUM-100")
    english = english_catalog_texts()
    walked = 0
    for user in (admin, pob_member, readonly_sub):
        reads_chinese(user)
        client.force_login(user)
        for href in sidebar_links(client.get("/").content.decode()):
            for url in (href, f"{href}?tab=products", f"{href}?tab=bills&view=product"):
                response = client.get(url)
                if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                    continue
                page = response.content.decode()
                left = sorted(t for t in english if t in page)
                assert left == [], f"{user.username} {url}: {left}"
                walked += 1
    assert walked >= 30


def test_an_operator_edits_the_chinese_name_in_the_admin(client, catalog):
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    client.force_login(operator)
    region = Region.objects.get(code="ap-guangzhou")
    form = client.get(f"/admin/billing/region/{region.pk}/change/").content.decode()
    assert 'name="name_zh"' in form and GUANGZHOU_ZH in form
    response = client.post(
        f"/admin/billing/region/{region.pk}/change/",
        {"code": region.code, "name": region.name, "name_zh": "广州一区"},
    )
    assert response.status_code == 302
    region.refresh_from_db()
    assert region.name_zh == "广州一区" and region.name == GUANGZHOU_EN
