"""A4: operators' changes in the Django admin are in the audit log, written in the same
transaction as the change, with the operator as the actor; changes about an account are in
that account's (and its organization's) audit log in the console too."""

from decimal import Decimal

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.urls import reverse

from billing.models import InheritanceBlock, Offer, Region, Spec, Voucher
from organizations.admin import AuditedAdmin
from organizations.models import AuditRecord
from tco_console.admin import ServiceAdmin
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory(account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[])


def _records(operator, action):
    return AuditRecord.objects.filter(actor=operator, action=action)


def test_a4_every_admin_that_changes_state_is_audited(rf, operator):
    """Plain admins audit their own saves; service admins' saves call audited services; the
    rest let operators change nothing."""
    request = rf.get("/admin/")
    request.user = operator
    for model, model_admin in django_admin.site._registry.items():
        if isinstance(model_admin, (AuditedAdmin, ServiceAdmin)):
            continue
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_a4_operator_adds_an_offer_and_the_account_sees_it_in_its_audit_log(
    client, operator, catalog, admin
):
    client.force_login(operator)
    response = client.post(
        "/admin/billing/offer/add/",
        {
            "account": admin.account.pk,
            "product": catalog["p_cvm"].pk,
            "kind": "contract",
            "rate": "0.8",
        },
    )
    assert response.status_code == 302
    offer = Offer.objects.get(account=admin.account)
    record = _records(operator, "admin.add").get()
    assert record.target_account == admin.account
    assert record.object_type == "offer" and record.object_id == str(offer.pk)
    assert record.changes["fields"]["rate"] == "0.8"

    client.force_login(admin)  # the organization's admin reads its audit log in the console
    page = client.get(reverse("organizations:audit"))
    assert str(record.message) in page.content.decode()


def test_a4_operator_changes_a_price_in_a_product_inline(client, operator, catalog):
    product = catalog["p_cvm"]
    client.force_login(operator)
    page = client.get(f"/admin/billing/product/{product.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    data |= {
        f"{prefix}-TOTAL_FORMS": str(len(formset.forms)),
        f"{prefix}-INITIAL_FORMS": str(len(formset.forms)),
    }
    for i, f in enumerate(formset.forms):
        for name in f.fields:
            value = f[name].value()
            if value is not None and value is not False:
                data[f"{prefix}-{i}-{name}"] = value
    spec = formset.forms[0].instance
    data[f"{prefix}-0-monthly_price"] = str(spec.monthly_price + Decimal("1.00"))
    response = client.post(f"/admin/billing/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Spec.objects.get(pk=spec.pk).monthly_price == spec.monthly_price + Decimal("1.00")
    record = _records(operator, "admin.change").get()
    assert record.object_type == "product"
    assert record.changes["inlines"] == [
        {
            "model": "billing.spec",
            "id": spec.pk,
            "deleted": False,
            "fields": {"monthly_price": [str(spec.monthly_price), str(spec.monthly_price + 1)]},
        }
    ]


def test_a4_operator_blocks_and_unblocks_inheritance_for_a_product(client, operator, catalog):
    client.force_login(operator)
    client.post("/admin/billing/inheritanceblock/add/", {"product": catalog["p_cos"].pk})
    block = InheritanceBlock.objects.get(product=catalog["p_cos"])
    assert _records(operator, "admin.add").filter(object_type="inheritanceblock").exists()
    client.post(f"/admin/billing/inheritanceblock/{block.pk}/delete/", {"post": "yes"})
    assert not InheritanceBlock.objects.exists()
    deleted = _records(operator, "admin.delete").get()
    assert deleted.object_id == str(block.pk)


def test_a4_operator_deletes_offers_with_the_list_action(client, operator, catalog, admin):
    offers = [
        Offer.objects.create(account=admin.account, product=catalog[c], kind="rebate", rate="0.9")
        for c in ("p_cvm", "p_cos")
    ]
    client.force_login(operator)
    response = client.post(
        "/admin/billing/offer/",
        {"action": "delete_selected", "_selected_action": [o.pk for o in offers], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Offer.objects.exists()
    records = _records(operator, "admin.delete")
    assert sorted(records.values_list("object_id", flat=True)) == sorted(str(o.pk) for o in offers)
    assert {r.target_account_id for r in records} == {admin.account.pk}


def test_a4_operator_issues_a_voucher(client, operator, catalog, admin):
    client.force_login(operator)
    response = client.post(
        "/admin/billing/voucher/add/",
        {
            "account": admin.account.pk,
            "code": "WELCOME-1",
            "face_value": "50.00",
            "min_order_amount": "0",
            "valid_from_0": "2026-01-01",
            "valid_from_1": "00:00:00",
            "valid_until_0": "2027-01-01",
            "valid_until_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    voucher = Voucher.objects.get(code="WELCOME-1")
    assert voucher.remaining == Decimal("50.00")
    record = _records(operator, "admin.add").get()
    assert (
        record.target_account == admin.account and record.changes["fields"]["face_value"] == "50.00"
    )


def test_a4_operator_adds_a_region_and_changes_a_role_group(client, operator):
    client.force_login(operator)
    client.post("/admin/billing/region/add/", {"code": "eu-frankfurt", "name": "Frankfurt"})
    assert Region.objects.filter(code="eu-frankfurt").exists()
    assert _records(operator, "admin.add").filter(object_type="region").exists()
    group = Group.objects.first()
    client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": group.name + " (renamed)", "permissions": []},
    )
    record = _records(operator, "admin.change").get(object_type="group")
    assert record.changes["fields"]["name"][1] == group.name + " (renamed)"


def test_a4_operator_changes_a_password_and_it_is_audited_not_revealed(client, operator, admin):
    client.force_login(operator)
    response = client.post(
        f"/admin/organizations/user/{admin.pk}/password/",
        {
            "password1": "N3w-secret-pw!",
            "password2": "N3w-secret-pw!",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 302
    record = _records(operator, "admin.change").get()
    assert record.target_account == admin.account
    assert "N3w-secret-pw!" not in str(record.changes)


def test_a4_nothing_changed_is_not_a_change(client, operator, catalog):
    client.force_login(operator)
    region = Region.objects.first()
    client.post(
        f"/admin/billing/region/{region.pk}/change/",
        {"code": region.code, "name": region.name, "name_zh": region.name_zh},
    )
    assert not _records(operator, "admin.change").exists()


def test_a4_the_record_is_in_the_same_transaction_as_the_change(
    client, operator, catalog, admin, monkeypatch
):
    from organizations import audit

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "audit_record", broken)
    client.force_login(operator)
    with pytest.raises(RuntimeError):
        client.post(
            "/admin/billing/offer/add/",
            {"account": admin.account.pk, "kind": "rebate", "rate": "0.9"},
        )
    assert not Offer.objects.exists()  # no audit record, no change
