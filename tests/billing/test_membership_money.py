"""O7/O10 money checks and B14 offer inheritance, with exact Decimals."""

import pytest

from billing import services
from billing.models import InheritanceBlock, Offer, OfferInheritance
from billing.models.choices import OfferKind, OrderStatus
from organizations import services as org_services
from organizations.models import Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.factories import UserFactory, join, update_and_accept

pytestmark = pytest.mark.django_db


def set_mode(org, admin, user, *, payer, perms=(1, 2), allow_quit=False):
    m = Membership.objects.get(account=user.account)
    perms = sorted({*perms, 7} if payer else set(perms) - {7})
    return update_and_accept(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark=m.remark,
        permissions=perms,
        payer=payer,
        allow_quit=allow_quit,
    )


# ------------------------------------------------------------------ O10


def test_o10_pay_on_behalf_refused_while_the_payer_is_in_arrears(catalog, org, admin, member):
    services.wallet_set_credit_limit(account=admin.account, limit=D("200"), acting_user=admin)
    assert buy(admin, "S5.MEDIUM4").status == OrderStatus.PAID  # on credit: cash −150
    services.wallet_set_credit_limit(
        account=admin.account, limit=D("100"), acting_user=admin
    )  # −150 + 100 < 0
    with pytest.raises(DomainError, match="payer has an overdue payment") as exc:
        set_mode(org, admin, member, payer=org.admin_account)
    assert exc.value.code == "UnsupportedOperation.PayerArrearsAndNoCreditAccount"


def test_o10_pay_on_behalf_refused_while_the_member_is_in_arrears(catalog, org, admin, member):
    services.wallet_set_credit_limit(account=member.account, limit=D("10"), acting_user=admin)
    buy(member, "S5.SMALL2")  # to be paid: no funds
    services.wallet_set_credit_limit(account=member.account, limit=D("100"), acting_user=admin)
    order = buy(member, "S5.SMALL2", idempotency_key="k2")  # paid on credit: cash −65
    assert order.status == OrderStatus.PAID
    services.wallet_set_credit_limit(
        account=member.account, limit=D("0"), acting_user=admin
    )  # now in arrears
    with pytest.raises(DomainError, match="member account has an overdue payment"):
        set_mode(org, admin, member, payer=org.admin_account)


def test_o10_pay_on_behalf_refused_while_the_member_has_orders_awaiting_payment(
    catalog, org, admin, member
):
    order = buy(member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID
    with pytest.raises(DomainError, match="orders awaiting payment") as exc:
        set_mode(org, admin, member, payer=org.admin_account)
    assert exc.value.code == "UnsupportedOperation.OrderInProgressExisted"
    services.order_cancel(order=order, acting_user=member)
    set_mode(org, admin, member, payer=org.admin_account)
    assert Membership.objects.get(account=member.account).payer == org.admin_account


def test_o10_checks_apply_at_invitation_and_acceptance(catalog, org, admin):
    user = UserFactory(account__entity=org.admin_account.entity)
    buy(user, "S5.SMALL2")  # awaiting payment
    with pytest.raises(DomainError, match="orders awaiting payment"):
        org_services.invitation_send(
            organization=org,
            acting_user=admin,
            uin=user.account.uin,
            name="x",
            permissions=[1, 2, 7],
            payer=org.admin_account,
        )


def test_o10_switching_to_self_pay_refused_while_pay_on_behalf_orders_wait(
    catalog, org, admin, pob_member
):
    buy(pob_member, "S5.MEDIUM4")  # the admin has no funds: to be paid on behalf
    with pytest.raises(DomainError, match="pay-on-behalf orders awaiting payment"):
        set_mode(org, admin, pob_member, payer=None, allow_quit=True)


# ------------------------------------------------------------------ O7


def test_o7_quit_refused_while_pay_on_behalf_orders_are_to_be_paid(catalog, org, admin, pob_member):
    order = buy(pob_member, "S5.MEDIUM4")
    m = Membership.objects.get(account=pob_member.account)
    with pytest.raises(DomainError, match="pay-on-behalf orders still to be paid"):
        org_services.member_remove(membership=m, acting_user=admin)
    services.order_cancel(order=order, acting_user=admin)
    set_mode(org, admin, pob_member, payer=None, allow_quit=True)
    org_services.member_quit(membership=Membership.objects.get(pk=m.pk), acting_user=pob_member)


# ------------------------------------------------------------------ B14


def test_b14_member_inherits_the_payers_contract_offers_not_rebates(catalog, org, admin):
    Offer.objects.create(
        account=admin.account, product=catalog["p_cvm"], kind=OfferKind.CONTRACT, rate=D("0.80")
    )
    Offer.objects.create(
        account=admin.account, product=catalog["p_cdb"], kind=OfferKind.REBATE, rate=D("0.50")
    )
    user = join(org, admin, name="inheritor", payer=org.admin_account, permissions=[1, 2, 6, 7])
    Offer.objects.create(
        account=user.account, product=catalog["p_cvm"], kind=OfferKind.CONTRACT, rate=D("0.95")
    )
    assert OfferInheritance.objects.get(account=user.account).source == admin.account
    fund(admin, "5000", admin)
    cvm = buy(user, "S5.MEDIUM4")
    assert (cvm.discount_rate, cvm.discount, cvm.offer_source) == (
        D("0.8000"),
        D("30.00"),
        admin.account,
    )
    cdb = buy(user, "BASIC-2C4G", idempotency_key="cdb")
    assert cdb.discount == D("0.00")  # the payer's rebate is never inherited


def test_b14_blocklisted_products_use_the_members_own_offers(catalog, org, admin):
    Offer.objects.create(
        account=admin.account, product=None, kind=OfferKind.CONTRACT, rate=D("0.70")
    )
    InheritanceBlock.objects.create(product=catalog["p_cvm"])
    user = join(org, admin, name="blocked", payer=org.admin_account, permissions=[1, 2, 6, 7])
    Offer.objects.create(
        account=user.account, product=catalog["p_cvm"], kind=OfferKind.REBATE, rate=D("0.90")
    )
    fund(admin, "5000", admin)
    cvm = buy(user, "S5.MEDIUM4")
    assert (cvm.discount, cvm.offer_source) == (D("15.00"), user.account)
    cbs = buy(user, "PREMIUM-100", idempotency_key="cbs")
    assert cbs.discount == D("10.50")  # 35.00 × 30 %, inherited


def test_b14_the_catalogs_batch_rates_equal_the_order_rates(catalog, org, admin):
    """The Products page prices the catalog with `rates_for`; orders use `rate_for`: the two
    agree for every product, with inheritance, a blocklist, specific and general offers."""
    from billing.models import Product
    from billing.services import pricing

    Offer.objects.create(account=admin.account, kind=OfferKind.CONTRACT, rate=D("0.70"))
    Offer.objects.create(
        account=admin.account, product=catalog["p_cdb"], kind=OfferKind.CONTRACT, rate=D("0.85")
    )
    Offer.objects.create(
        account=admin.account, product=catalog["p_cos"], kind=OfferKind.REBATE, rate=D("0.50")
    )
    InheritanceBlock.objects.create(product=catalog["p_cvm"])
    heir = join(org, admin, name="heir", payer=org.admin_account, permissions=[1, 2, 6, 7])
    plain = join(org, admin, name="plain")
    for user in (heir, plain, admin):
        Offer.objects.create(
            account=user.account, product=catalog["p_cvm"], kind=OfferKind.REBATE, rate=D("0.9")
        )
        products = list(Product.objects.all())
        batch = pricing.rates_for(user.account, products)
        assert batch == {p.pk: pricing.rate_for(user.account, p) for p in products}
    rates = pricing.rates_for(heir.account, products)
    assert rates[catalog["p_cvm"].pk] == (D("0.9"), heir.account)  # blocklisted: its own
    assert rates[catalog["p_cdb"].pk] == (D("0.85"), admin.account)  # specific beats general
    assert rates[catalog["p_cbs"].pk] == (D("0.70"), admin.account)


def test_b14_an_account_inherits_from_at_most_one_account_and_never_along_a_chain(
    catalog, org, admin
):
    payer_member = join(
        org, admin, name="payer-m", permissions=[1, 2, 6]
    )  # self-pay, inherits from admin
    with pytest.raises(DomainError, match="payer itself inherits offers"):
        join(org, admin, name="chained", payer=payer_member.account, permissions=[1, 2, 6, 7])
    outsider = UserFactory(account__entity=org.admin_account.entity)
    OfferInheritance.objects.create(account=outsider.account, source=UserFactory().account)
    with pytest.raises(DomainError, match="already inherits offers from another account"):
        join(org, admin, user=outsider, name="already", permissions=[1, 2, 6])


def test_b14_leaving_or_dropping_permission_6_ends_inheritance(catalog, org, admin):
    user = join(org, admin, name="leaver", permissions=[1, 2, 6], allow_quit=True)
    assert OfferInheritance.objects.filter(account=user.account).exists()
    set_mode(org, admin, user, payer=None, perms=(1, 2), allow_quit=True)
    assert not OfferInheritance.objects.filter(account=user.account).exists()
    set_mode(org, admin, user, payer=None, perms=(1, 2, 6), allow_quit=True)
    org_services.member_quit(
        membership=Membership.objects.get(account=user.account), acting_user=user
    )
    assert not OfferInheritance.objects.filter(account=user.account).exists()
