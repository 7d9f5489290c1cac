"""Issue 15: DescribeOrganizationFinancialByMember / ByMonth / ByProduct through the official
SDK: the admin's pay-on-behalf spend (B11), cost after discount, from the rollups; filters,
paging, bad months, and members refused."""

import pytest
from django.db.models import F, Sum
from django.utils import timezone
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.organization.v20210331 import models

from billing.models import BillLine
from tests.api.test_api_sdk import client_for, make_key
from tests.billing.helpers import buy, fund
from tests.factories import join

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spend(live_server, catalog, org, admin):
    a = join(org, admin, name="alpha", payer=org.admin_account)
    b = join(org, admin, name="beta", payer=org.admin_account)
    fund(admin, "5000", admin)
    buy(a, "S5.MEDIUM4")
    buy(a, "S5.SMALL2")
    buy(b, "S5.LARGE8")
    return {"a": a, "b": b, "api": client_for(live_server, *make_key(admin))}


def _cost(**filters):
    lines = BillLine.objects.filter(**filters)
    return float(lines.aggregate(s=Sum(F("voucher_amount") + F("cash_amount")))["s"] or 0)


def test_by_member_sums_what_the_admin_paid_for_each_member(spend, org):
    month = f"{timezone.localdate():%Y-%m}"
    req = models.DescribeOrganizationFinancialByMemberRequest()
    req.Month, req.Limit, req.Offset = month, 10, 0
    resp = spend["api"].DescribeOrganizationFinancialByMember(req)
    admin = org.admin_account
    assert resp.Total == 2
    assert resp.TotalCost == pytest.approx(
        _cost(payer=admin, owner__in=[spend["a"].account, spend["b"].account])
    )
    by_uin = {i.MemberUin: i for i in resp.Items}
    alpha = by_uin[int(spend["a"].account.uin)]
    assert alpha.MemberName == "alpha"
    assert alpha.TotalCost == pytest.approx(_cost(payer=admin, owner=spend["a"].account))
    assert sum(float(i.Ratio) for i in resp.Items) == pytest.approx(100, abs=0.02)
    req.ProductCodes = ["p_cvm"]
    req.MemberUins = [int(spend["b"].account.uin)]
    filtered = spend["api"].DescribeOrganizationFinancialByMember(req)
    assert filtered.Total == 1
    assert filtered.TotalCost == pytest.approx(
        _cost(payer=admin, owner=spend["b"].account, product__code="p_cvm")
    )


def test_by_product_and_by_month(spend, org):
    month = f"{timezone.localdate():%Y-%m}"
    req = models.DescribeOrganizationFinancialByProductRequest()
    req.Month, req.Limit, req.Offset = month, 10, 0
    resp = spend["api"].DescribeOrganizationFinancialByProduct(req)
    assert {i.ProductCode for i in resp.Items} == {"p_cvm"}
    assert resp.TotalCost == pytest.approx(
        _cost(payer=org.admin_account, owner__in=[spend["a"].account, spend["b"].account])
    )
    req = models.DescribeOrganizationFinancialByMonthRequest()
    req.Limit = 3
    months = spend["api"].DescribeOrganizationFinancialByMonth(req).Items
    assert [m.Month for m in months][-1] == month and len(months) == 3
    assert months[-1].TotalCost == pytest.approx(resp.TotalCost)
    assert months[-1].GrowthRate == ""  # nothing the month before


@pytest.mark.parametrize("month", ["2026-13", "26-01", "", "2026-1"])
def test_bad_months_are_invalid_parameter_values(spend, month):
    req = models.DescribeOrganizationFinancialByMemberRequest()
    req.Month = month
    with pytest.raises(TencentCloudSDKException) as error:
        spend["api"].DescribeOrganizationFinancialByMember(req)
    assert error.value.code in ("InvalidParameterValue", "MissingParameter")


def test_a_member_cannot_read_the_organizations_finances(live_server, spend):
    api = client_for(live_server, *make_key(spend["a"]))
    req = models.DescribeOrganizationFinancialByMemberRequest()
    req.Month = f"{timezone.localdate():%Y-%m}"
    with pytest.raises(TencentCloudSDKException) as error:
        api.DescribeOrganizationFinancialByMember(req)
    assert error.value.code == "UnauthorizedOperation"
