"""B8/B9 settlement in batches (issue 16): the same books as settling one cycle at a time.

Two identical worlds are built side by side, step by step at the same moments: several payers,
pay-on-behalf and self-pay members, a member whose payer changes mid-day (O11), resource
packs, vouchers, discounts, a payer falling into arrears (B9) and a terminated resource. One
world is settled one cycle at a time with `settle_cycle`, in the order the batches promise
(window by window between payer changes, resources by primary key, cycles oldest first); the
other with `settle_due`, in batches. Everything a user, the ledger or check_books sees must be
the same, read through each world's names for its accounts, resources, packs and vouchers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import (
    BillLine,
    BillSummary,
    DailyCost,
    Entry,
    Journal,
    Message,
    Offer,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    Resource,
    ResourceMonth,
    ResourcePack,
    ResourceStatusChange,
    UsageSettlement,
    Voucher,
    Wallet,
)
from billing.models.choices import OfferKind, ResourceStatus, SuspendReason
from billing.services import payg, settlement, settlement_batch
from organizations.models import Membership
from tests.billing.helpers import D, buy, fund, region, spec
from tests.concurrency import run_concurrently
from tests.factories import UserFactory, join, make_org, update_and_accept

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2031, 3, 1, 10, 0, tzinfo=CST)
SWITCH = T0 + timedelta(hours=5, minutes=30)  # m2 goes from pay-on-behalf to self-pay (O11)
END = T0 + timedelta(hours=14)  # midnight: 14 hourly cycles and the first daily one
ROLLUPS = (
    BillSummary,
    PayerProductMonth,
    PobMemberMonth,
    PobDepartmentMonth,
    ResourceMonth,
    DailyCost,
)


@dataclass
class World:
    names: dict = field(default_factory=dict)  # (kind, id) → role
    users: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)  # pay-as-you-go, by role
    instances: dict = field(default_factory=dict)  # every resource's instance ID, by role

    def name(self, kind, pk):
        return None if pk is None else self.names[kind, pk]

    def add(self, kind, role, obj):
        self.names[kind, obj.pk] = role
        if kind == "resource":
            self.instances[role] = obj.instance_id
        return obj


def _activate(world, role, user_role, code):
    user = world.users[user_role]
    res = payg.resource_activate(
        owner=user.account, acting_user=user, spec=spec(code), region=region()
    )
    world.resources[role] = world.add("resource", role, res)


def _pack(world, role, owner_role, code, quantity, until):
    owner = world.users[owner_role]
    order = buy(owner, "S5.SMALL2", idempotency_key=f"pack-{role}")  # any order carries a pack
    world.add("resource", f"sub-{role}", order.resource)
    res = world.resources[code]
    world.add(
        "pack",
        role,
        ResourcePack.objects.create(
            owner=owner.account,
            product=res.product,
            spec=res.spec,
            order=order,
            quantity=D(quantity),
            remaining=D(quantity),
            valid_from=T0 - timedelta(days=1),
            valid_until=until,
        ),
    )


def _voucher(world, role, holder_role, value, *, until, product=None, minimum="0"):
    world.add(
        "voucher",
        role,
        Voucher.objects.create(
            account=world.users[holder_role].account,
            code=f"{role}-{world.users[holder_role].account.uin}",
            face_value=D(value),
            remaining=D(value),
            product=product,
            min_order_amount=D(minimum),
            valid_from=T0 - timedelta(days=1),
            valid_until=until,
        ),
    )


def _build(seeds, b_cash):
    """Step 1 at T0: two organizations. A pays for m1 and m2 (m2 until SWITCH); m3 pays for
    itself; B pays for m4 with little cash. Returns the world and its later steps."""
    world = World()
    org_a, a = make_org()
    org_b, b = make_org()
    world.users["A"], world.users["B"] = a, b
    for role, (org, admin, payer) in {
        "m1": (org_a, a, org_a.admin_account),
        "m2": (org_a, a, org_a.admin_account),
        "m3": (org_a, a, None),
        "m4": (org_b, b, org_b.admin_account),
    }.items():
        user = UserFactory(account__entity=admin.account.entity)
        join(org, admin, user=user, name=role, payer=payer, allow_quit=payer is None)
        world.users[role] = user
    for role, user in world.users.items():
        world.add("account", role, user.account)
    fund(a, "2000", a)
    fund(b, b_cash, b)
    fund(world.users["m2"], "1.00", world.users["m2"])
    fund(world.users["m3"], "40", world.users["m3"])
    for role, owner, code in (
        ("m1-cvm", "m1", "S5.MEDIUM4"),
        ("m1-clb", "m1", "CLB-PERFORMANCE"),
        ("m2-cvm", "m2", "S5.SMALL2"),
        ("m2-cos", "m2", "COS-STANDARD"),
        ("m3-cvm", "m3", "S5.LARGE8"),
        ("m4-cvm", "m4", "S5.MEDIUM4"),
        ("B-clb", "B", "CLB-STANDARD"),
        ("A-cvm", "A", "S5.SMALL2"),
    ):
        _activate(world, role, owner, code)
    for (role, res), seed in zip(world.resources.items(), seeds, strict=False):
        Resource.objects.filter(pk=res.pk).update(meter_seed=seed)
        world.resources[role] = Resource.objects.get(pk=res.pk)
    # B8: m1's own packs, the one expiring first drawn first and gone mid-run
    _pack(world, "m1-early", "m1", "m1-cvm", "2.5", T0 + timedelta(hours=6))
    _pack(world, "m1-late", "m1", "m1-cvm", "3", T0 + timedelta(days=30))
    _pack(world, "m2-cvm", "m2", "m2-cvm", "7.5", T0 + timedelta(days=30))  # spans the switch
    cvm = world.resources["m1-cvm"].product
    # B15: A's vouchers (CVM only with a minimum, then any product), m3's own
    _voucher(world, "A-cvm", "A", "0.90", until=T0 + timedelta(days=3), product=cvm, minimum="0.2")
    _voucher(world, "A-any", "A", "1.10", until=T0 + timedelta(days=9))
    _voucher(world, "m3-any", "m3", "0.75", until=T0 + timedelta(hours=9))
    # B3: discounts of the owners' own offers
    Offer.objects.create(
        account=world.users["m1"].account, product=cvm, kind=OfferKind.CONTRACT, rate="0.8"
    )
    Offer.objects.create(account=world.users["m3"].account, kind=OfferKind.REBATE, rate="0.9")
    return world


def _terminate(world):
    """At T0+3h15: m3 terminates its CVM (its last cycle is still settled, in part)."""
    m3 = world.users["m3"]
    payg.resource_terminate(resource=world.resources["m3-cvm"], acting_user=m3)


def _switch(world):
    """At SWITCH: m2 stops being paid on behalf; its cycles ending from now on are its own."""
    m = Membership.objects.get(account=world.users["m2"].account)
    update_and_accept(
        membership=m,
        acting_user=world.users["A"],
        name=m.name,
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )


def _worlds(seeds, b_cash):
    with time_machine.travel(T0, tick=False):
        one, batched = _build(seeds, b_cash), _build(seeds, b_cash)
    with time_machine.travel(T0 + timedelta(hours=3, minutes=15), tick=False):
        _terminate(one), _terminate(batched)
    with time_machine.travel(SWITCH, tick=False):
        _switch(one), _switch(batched)
    return one, batched


def _one_at_a_time(world):
    """The order batches promise: window by window (cut where m2's payer changed), resources
    by primary key, each resource's cycles oldest first, one durable transaction each."""
    for until in (SWITCH, END):
        for pk in sorted(r.pk for r in world.resources.values()):
            res = Resource.objects.select_related("product").get(pk=pk)
            for start, end in settlement.due_cycles(res, until):
                settlement.settle_cycle(resource_id=pk, cycle_start=start, cycle_end=end)


# ------------------------------------------------------------------ what the books show


def _text(world, text):
    for role, instance_id in world.instances.items():
        text = text.replace(instance_id, f"<{role}>")
    for role, user in world.users.items():
        text = re.sub(rf"\b{re.escape(user.account.name)}\b", f"<{role}>", text)
    return re.sub(r"\d{12}", "<uin>", text)


def _by_first(rows):
    grouped = {}
    for first, *rest in rows:
        grouped.setdefault(first, []).append(tuple(rest))
    return grouped


def _books(world):
    """Everything settlement wrote or changed, by role, in the order it was written."""
    n = world.name
    resources = [r.pk for r in world.resources.values()]
    accounts = [u.account.pk for u in world.users.values()]
    journals = Journal.objects.filter(kind="settlement", entries__owner_id__in=accounts).distinct()
    return {
        # the promised order holds per paying account (two payers' batches commute)
        "journals by payer": _by_first(
            (
                next(n("account", e.account_id) for e in entries if e.account_id),
                _text(world, j.memo),
                j.memo_i18n,  # issue 17: no words, no msgid, on both paths
                [
                    (
                        e.book,
                        n("account", e.account_id),
                        e.amount,
                        e.balance_after,
                        n("account", e.owner_id),
                        n("resource", e.resource_id),
                        n("voucher", e.voucher_id),
                    )
                    for e in entries
                ],
            )
            for j in journals.order_by("pk")
            for entries in [list(j.entries.order_by("pk"))]
        ),
        "balances after": _by_first(
            (n("account", e.account_id), e.book, e.amount, e.balance_after)
            for e in Entry.objects.filter(account_id__in=accounts).order_by("pk")
        ),
        "settlements": sorted(
            (
                n("resource", s.resource_id),
                s.cycle_start,
                s.cycle_end,
                n("account", s.owner_id),
                n("account", s.payer_id),
                s.quantity,
                s.pack_quantity,
                s.list_cost,
                s.discount,
                s.voucher_amount,
                s.cash_amount,
                s.journal_id is not None,
            )
            for s in UsageSettlement.objects.filter(resource_id__in=resources)
        ),
        "bill lines": sorted(
            (
                n("resource", b.resource_id),
                b.bill_month,
                n("account", b.owner_id),
                n("account", b.payer_id),
                b.transaction_type,
                b.list_cost,
                b.discount,
                b.voucher_amount,
                b.cash_amount,
                b.created_at,
            )
            for b in BillLine.objects.filter(payer_id__in=accounts)
        ),
        "wallets": sorted(
            (n("account", w.account_id), w.cash, w.frozen, w.transferred_in, w.in_arrears)
            for w in Wallet.objects.filter(account_id__in=accounts)
        ),
        "packs": sorted(
            (n("pack", p.pk), p.remaining)
            for p in ResourcePack.objects.filter(owner_id__in=accounts)
            if ("pack", p.pk) in world.names
        ),
        "vouchers": sorted(
            (n("voucher", v.pk), v.remaining)
            for v in Voucher.objects.filter(account_id__in=accounts)
        ),
        "rollups": {
            model.__name__: sorted(
                tuple(
                    n("account", v)
                    if f in ("payer_id", "owner_id")
                    else n("resource", v)
                    if f == "resource_id"
                    else "dept"
                    if f == "department_id" and v is not None
                    else v
                    for f, v in row.items()
                    if f != "id"
                )
                for row in model.objects.filter(payer_id__in=accounts).values()
            )
            for model in ROLLUPS
        },
        "resources": sorted(
            (n("resource", r.pk), r.status, r.suspended_reason, r.settled_until)
            for r in Resource.objects.filter(pk__in=resources)
        ),
        "status history": sorted(
            (n("resource", c.resource_id), c.status, c.suspended_reason, c.at)
            for c in ResourceStatusChange.objects.filter(resource_id__in=resources)
        ),
        "messages": sorted(
            (n("account", m.account_id), _text(world, m.title), _text(world, m.body))
            for m in Message.objects.filter(account_id__in=accounts)
        ),
    }


def _settle_and_compare(seeds, b_cash, batch_cycles, monkeypatch):
    one, batched = _worlds(seeds, b_cash)
    monkeypatch.setattr(settlement_batch, "BATCH_CYCLES", batch_cycles)
    with time_machine.travel(END + timedelta(minutes=1), tick=False):
        _one_at_a_time(one)
        settled = settlement.settle_due(until=END)
    expected, got = _books(one), _books(batched)
    for key in expected:
        assert got[key] == expected[key], key
    assert settled == len(expected["settlements"])
    call_command("check_books")
    return batched, got


@pytest.mark.parametrize("batch_cycles", [settlement_batch.BATCH_CYCLES, 7, 1])
def test_b8_b9_batches_write_the_same_books_as_one_cycle_at_a_time(
    catalog, monkeypatch, batch_cycles
):
    batched, books = _settle_and_compare(range(11, 19), "3.00", batch_cycles, monkeypatch)
    # the scenario exercises what it claims to
    payers = {s[0]: s[4] for s in books["settlements"] if s[0] == "m2-cvm"}
    assert {s[4] for s in books["settlements"] if s[0] == "m2-cvm"} == {"A", "m2"}, payers
    assert dict(books["packs"]) == {
        "m1-early": D(0),
        "m1-late": dict(books["packs"])["m1-late"],
        "m2-cvm": dict(books["packs"])["m2-cvm"],
    }
    assert dict(books["packs"])["m1-late"] < D(3)
    assert all(
        remaining < face
        for (_r, remaining), face in zip(
            books["vouchers"], (D("0.90"), D("1.10"), D("0.75")), strict=True
        )
    )
    assert ("B", True) in {(w[0], w[4]) for w in books["wallets"]}  # B9: B fell into arrears
    for role in ("m4-cvm", "B-clb"):
        res = Resource.objects.get(pk=batched.resources[role].pk)
        assert (res.status, res.suspended_reason) == (
            ResourceStatus.SUSPENDED,
            SuspendReason.ARREARS,
        )
    m3 = [s for s in books["settlements"] if s[0] == "m3-cvm"]
    assert len(m3) == 4 and m3[-1][5] == D("0.2500")  # terminated at 13:15
    assert any(s[7] != s[7] - s[8] for s in books["settlements"])  # discounts applied


@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seeds=st.lists(st.integers(0, 2**31 - 1), min_size=8, max_size=8),
    b_cash=st.sampled_from(["0.50", "3.00", "9.00", "500"]),
    batch_cycles=st.integers(1, 40),
)
def test_b8_batches_equal_one_at_a_time_for_any_usage_cash_and_batch_size(
    catalog, monkeypatch, seeds, b_cash, batch_cycles
):
    _settle_and_compare(seeds, b_cash, batch_cycles, monkeypatch)


def test_b8_settling_the_same_cycles_again_is_a_no_op(catalog, monkeypatch):
    with time_machine.travel(T0, tick=False):
        world = _build(range(8), "3.00")
    with time_machine.travel(END + timedelta(minutes=1), tick=False):
        first = settlement.settle_due(until=END)
        books = _books(world)
        assert settlement.settle_due(until=END) == 0
        for res in world.resources.values():  # and through the one-resource door
            assert settlement.settle_resource(res, until=END) == 0
        cycles = [
            (s.resource_id, s.cycle_start, s.cycle_end) for s in UsageSettlement.objects.all()
        ]
        again = settlement_batch.settle_cycles(
            payer_id=world.users["A"].account.pk,
            cycles=[c for c in cycles if world.name("resource", c[0]).startswith("m1")],
        )
    assert first == len(cycles) and again == 0
    assert _books(world) == books
    call_command("check_books")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_b8_two_workers_settling_the_same_backlog_at_once_charge_each_cycle_once(
    catalog, monkeypatch
):
    """Real threads on PostgreSQL: two `settle_due` runs over the same backlog, in small
    batches so that they meet on every payer's lock. Each cycle is charged once and the books
    are those of one cycle at a time; a third run finds nothing to do."""
    one, batched = _worlds(range(21, 29), "3.00")
    monkeypatch.setattr(settlement_batch, "BATCH_CYCLES", 5)
    with time_machine.travel(END + timedelta(minutes=1), tick=False):
        _one_at_a_time(one)
        results = run_concurrently(
            lambda: settlement.settle_due(until=END), lambda: settlement.settle_due(until=END)
        )
        assert all(e is None for _r, e in results), results
        assert settlement.settle_due(until=END) == 0
    expected, got = _books(one), _books(batched)
    for key in expected:
        assert got[key] == expected[key], key
    settled = UsageSettlement.objects.filter(
        resource_id__in=[r.pk for r in batched.resources.values()]
    )
    assert sum(r for r, _e in results) == settled.count() == len(expected["settlements"])
    assert settled.count() == len({(s.resource_id, s.cycle_start) for s in settled})
    call_command("check_books")


def test_f6_settlement_raises_each_charged_payers_cost_version(catalog):
    """A batch of settlements changes its payers' daily rows (F5), so it raises their cost
    versions (F6: a cached cost analysis keyed by them is not served again)."""
    from billing.models import CostVersion, DailyCost

    with time_machine.travel(T0, tick=False):
        world = _build(range(8), "3.00")
    payers = [world.users[r].account.pk for r in ("A", "B")]
    before = dict(
        CostVersion.objects.filter(payer_id__in=payers).values_list("payer_id", "version")
    )
    with time_machine.travel(END + timedelta(minutes=1), tick=False):
        assert settlement.settle_due(until=END) > 0
    after = dict(CostVersion.objects.filter(payer_id__in=payers).values_list("payer_id", "version"))
    a = payers[0]  # A pays for m1 and m2 throughout
    assert DailyCost.objects.filter(payer_id=a).exists() and after[a] > before.get(a, 0)
    for payer in payers:
        if DailyCost.objects.filter(payer_id=payer).exists():
            assert after[payer] > before.get(payer, 0)
