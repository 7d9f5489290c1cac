"""F7–F10 writes: create, edit and delete budgets; evaluate them (alerts, order blocks).

Lock order (organizations/locks.py): the organization (create, edit, delete: names are unique
among its live budgets), then the budget row. The evaluation locks only the budget row, with
`skip_locked`, in a short transaction of its own per budget: two workers never evaluate one
budget at once, and the unique constraint on `BudgetAlert` is the last word (F8).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.models import Budget, BudgetAlert, BudgetBlock, BudgetThreshold
from billing.models.budgets import (
    MAX_THRESHOLDS,
    BudgetScope,
    ThresholdBasis,
    ThresholdKind,
)
from billing.models.choices import MessageCategory
from billing.services.messages import notify
from organizations.audit import audit_record
from organizations.locks import lock_org
from organizations.models import Account, Organization, User
from tco_console.msg import Msg, english

from . import budgets as sel
from .budget_rules import clean_budget

FIELDS = ("name", "period", "start", "end", "plan_type", "amount", "planned_amounts", "scope")
FLAGS = ("notify_member_owners", "block_orders")


def budget_path(budget: Budget) -> str:
    return reverse("billing:budget_detail", kwargs={"pk": budget.pk})


def _snapshot(budget: Budget) -> dict:
    """What the audit diff compares (A4; Tencent's DescribeBudgetOperationLog DiffValue)."""
    snap = {f: str(getattr(budget, f)) if getattr(budget, f) is not None else "" for f in FIELDS}
    snap.update({f: str(getattr(budget, f)) for f in FLAGS})
    snap["departments"] = ", ".join(sorted(d.name for d in budget.departments.all()))
    snap["members"] = ", ".join(sorted(a.uin for a in budget.members.all()))
    snap["products"] = ", ".join(sorted(p.code for p in budget.products.all()))
    snap["thresholds"] = "; ".join(
        f"{t.position}: {t.basis} {t.kind} {t.value}" for t in budget.thresholds.all()
    )
    return snap


def _diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed ("" when absent)."""
    keys = [*before, *(k for k in after if k not in before)]
    return {
        k: [before.get(k, ""), after.get(k, "")]
        for k in keys
        if before.get(k, "") != after.get(k, "")
    }


def _save_thresholds(budget: Budget, rows: list) -> None:
    """F8: a row whose basis, kind or value changed gets its version bumped (re-armed); an
    emptied row is deleted (its alerts stay in the history)."""
    existing = {t.position: t for t in budget.thresholds.all()}
    for position in range(1, MAX_THRESHOLDS + 1):
        row = rows[position - 1] if position <= len(rows) else None
        current = existing.get(position)
        if row is None:
            if current is not None:
                current.delete()
            continue
        if current is None:
            BudgetThreshold.objects.create(budget=budget, position=position, **row)
        elif (current.basis, current.kind, current.value) != (
            row["basis"],
            row["kind"],
            row["value"],
        ):
            current.basis, current.kind, current.value = row["basis"], row["kind"], row["value"]
            current.version += 1
            current.save(update_fields=["basis", "kind", "value", "version"])


def _write(budget: Budget, clean: dict) -> None:
    for f in (*FIELDS, *FLAGS):
        setattr(budget, f, clean[f])
    budget.save()
    budget.departments.set(clean["departments"])
    budget.members.set(clean["members"])
    budget.products.set(clean["products"])
    _save_thresholds(budget, clean["thresholds"])


@transaction.atomic(durable=True)
def budget_create(*, organization: Organization, acting_user: User, **fields) -> Budget:
    """F7: a budget of the admin's organization (manage_finance, checked by the view)."""
    org = lock_org(organization)
    clean = clean_budget(org, None, fields)
    budget = Budget(organization=org, created_by=acting_user)
    _write(budget, clean)
    refresh(budget, timezone.now(), organization=org)
    audit_record(
        actor=acting_user,
        action="budget.create",
        message=Msg(gettext_noop("Created budget %(name)s"), name=budget.name),
        organization=org,
        target_account=org.admin_account,
        obj=budget,
        changes=_diff({}, _snapshot(budget)),
    )
    return budget


@transaction.atomic(durable=True)
def budget_update(*, budget: Budget, acting_user: User, **fields) -> Budget:
    """F7, F8 (an edited threshold re-arms), F10 (turning the block on or off is audited)."""
    org = lock_org(budget.organization_id)
    b = Budget.objects.live().select_for_update(no_key=True).get(pk=budget.pk, organization=org)
    before = _snapshot(b)
    was_blocking = b.block_orders
    clean = clean_budget(org, b, fields)
    _write(b, clean)
    refresh(b, timezone.now(), organization=org)
    audit_record(
        actor=acting_user,
        action="budget.update",
        message=Msg(gettext_noop("Edited budget %(name)s"), name=b.name),
        organization=org,
        target_account=org.admin_account,
        obj=b,
        changes=_diff(before, _snapshot(b)),
    )
    if was_blocking != b.block_orders:
        audit_record(
            actor=acting_user,
            action="budget.block_orders",
            message=Msg(
                gettext_noop("Budget %(name)s now refuses new subscription orders when over")
                if b.block_orders
                else gettext_noop(
                    "Budget %(name)s no longer refuses orders; its blocks are lifted"
                ),
                name=b.name,
            ),
            organization=org,
            target_account=org.admin_account,
            obj=b,
        )
    return b


@transaction.atomic(durable=True)
def budget_delete(*, budget: Budget, acting_user: User) -> None:
    """F7; F10: deleting a budget lifts its blocks. Its alerts stay (the name is free again)."""
    org = lock_org(budget.organization_id)
    b = Budget.objects.live().select_for_update(no_key=True).get(pk=budget.pk, organization=org)
    lifted = BudgetBlock.objects.filter(budget=b).delete()[0]
    b.deleted_at = timezone.now()
    b.save(update_fields=["deleted_at", "updated_at"])
    audit_record(
        actor=acting_user,
        action="budget.delete",
        message=Msg(
            gettext_noop("Deleted budget %(name)s (%(n)s order block(s) lifted)"),
            name=b.name,
            n=lifted,
        ),
        organization=org,
        target_account=org.admin_account,
        obj=b,
        changes=_diff(_snapshot(b), {}),
    )


# --- evaluation (F8, F9, F10) --------------------------------------------------------------


def refresh(budget: Budget, now, *, organization: Organization) -> sel.Figures | None:
    """Store the current period's figures on the budget (the list reads them) and bring its
    order blocks in line (F10). Inside the caller's transaction, on the locked budget."""
    figs = sel.figures(budget, now)
    budget.figures_period = figs.period.start if figs else None
    budget.actual_spend = figs.actual if figs else None
    budget.forecast_spend = figs.forecast if figs else None
    budget.figures_at = now
    Budget.objects.filter(pk=budget.pk).update(
        figures_period=budget.figures_period,
        actual_spend=budget.actual_spend,
        forecast_spend=budget.forecast_spend,
        figures_at=now,
    )
    _sync_blocks(budget, figs, organization)
    return figs


def _sync_blocks(budget: Budget, figs, organization: Organization) -> int:
    """F10: while the period's actual spend is above its amount and the budget blocks
    orders, every member account in scope (not the admin's) has a block until the period
    ends; otherwise none. Returns how many blocks were added."""
    if not (budget.block_orders and figs is not None and figs.actual > figs.amount):
        BudgetBlock.objects.filter(budget=budget).delete()
        return 0
    accounts = {a.pk for a in sel.members_in_scope(budget, organization)}
    current = BudgetBlock.objects.filter(budget=budget, period_start=figs.period.start)
    BudgetBlock.objects.filter(budget=budget).exclude(
        period_start=figs.period.start, account_id__in=accounts
    ).delete()
    have = set(current.values_list("account_id", flat=True))
    missing = sorted(accounts - have)
    BudgetBlock.objects.bulk_create(
        [
            BudgetBlock(
                budget=budget,
                account_id=pk,
                period_start=figs.period.start,
                period_end=figs.period.end_time(),
            )
            for pk in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


def _recipients(budget: Budget, figs, organization: Organization) -> list[Account]:
    """F8: the admin account, and the owners of the members in scope when asked. For a
    department or organization scope only the members with spend in the period (bounded
    by the spenders, not by the size of the organization)."""
    found = [organization.admin_account]
    if not budget.notify_member_owners:
        return found
    members = sel.members_in_scope(budget, organization)
    if budget.scope != BudgetScope.MEMBERS:
        spenders = set(
            sel.spend_rows(budget, figs.period, organization)
            .values_list("owner_id", flat=True)
            .distinct()
        )
        members = [a for a in members if a.pk in spenders]
    return found + members


def _crossed(threshold, figs) -> bool:
    spend = figs.actual if threshold.basis == ThresholdBasis.ACTUAL else figs.forecast
    return spend is not None and spend >= sel.threshold_target(threshold, figs.amount)


def _threshold(threshold) -> Msg:
    """`str(threshold)` (`Actual ≥ 80%`) with its basis read in each reader's language."""
    unit = "%" if threshold.kind == ThresholdKind.PERCENTAGE else " CNY"
    return Msg(
        # Translators: a budget threshold: its basis (Actual, Forecast) and its value
        gettext_noop("%(basis)s ≥ %(value)s"),
        basis=ThresholdBasis(threshold.basis).label,
        value=f"{threshold.value.normalize():f}{unit}",
    )


def _describe(threshold, figs) -> Msg:
    """F8: the alert's line, kept as a `Msg`: each recipient and reader reads it in their own
    language (issue 17)."""
    target = sel.threshold_target(threshold, figs.amount)
    spend = figs.actual if threshold.basis == ThresholdBasis.ACTUAL else figs.forecast
    return Msg(
        gettext_noop("%(basis)s %(spend)s CNY reached the threshold %(t)s (%(target)s CNY)"),
        basis=ThresholdBasis(threshold.basis).label,
        spend=spend,
        t=_threshold(threshold),
        target=target,
    )


@transaction.atomic(durable=True)
def budget_evaluate(*, budget_id: int, now: dt.datetime) -> int:
    """F8: evaluate one budget; returns the number of alerts raised. Skips a budget another
    worker holds (it is evaluating it right now)."""
    budget = (
        Budget.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .select_related("organization__admin_account")
        .filter(pk=budget_id, deleted_at__isnull=True, organization__deleted_at__isnull=True)
        .first()
    )
    if budget is None:
        return 0
    org = budget.organization
    blocked_before = BudgetBlock.objects.filter(budget=budget).exists()
    figs = refresh(budget, now, organization=org)
    if figs is None:
        return 0
    fired = set(
        BudgetAlert.objects.filter(budget=budget, period_start=figs.period.start).values_list(
            "threshold_id", "threshold_version"
        )
    )
    new = []
    for t in budget.thresholds.all():
        if (t.pk, t.version) in fired or not _crossed(t, figs):
            continue
        alert = BudgetAlert(
            budget=budget,
            threshold=t,
            period_start=figs.period.start,
            threshold_version=t.version,
            spend=figs.actual,
            forecast=figs.forecast,
            amount=figs.amount,
            message=english(message := _describe(t, figs))[:300],
            message_i18n=message,
            created_at=now,
        )
        try:
            with transaction.atomic():  # the unique constraint is the last word (F8)
                alert.save(force_insert=True)
        except IntegrityError:
            continue
        new.append(alert)
    if new:
        _send(budget, figs, new, org)
    if budget.block_orders and not blocked_before and BudgetBlock.objects.filter(budget=budget):
        audit_record(
            actor=None,
            action="budget.block",
            message=Msg(
                gettext_noop(
                    "Budget %(name)s is over its amount: new subscription orders of its "
                    "members are refused until the period ends"
                ),
                name=budget.name,
            ),
            organization=org,
            target_account=org.admin_account,
            obj=budget,
        )
    return len(new)


def _send(budget: Budget, figs, alerts: list, org: Organization) -> None:
    """F8: the thresholds crossed in one evaluation arrive as one message per recipient."""

    # kept for each reader's language (issue 17): one line per alert, then the period's spend
    title = Msg(
        gettext_noop("Budget %(name)s: %(n)s threshold(s) reached"),
        name=budget.name,
        n=len(alerts),
    )
    body = [a.message_i18n or a.message for a in alerts]
    body.append(
        Msg(
            gettext_noop("Period from %(start)s: %(actual)s of %(amount)s CNY spent."),
            start=str(figs.period.start),
            actual=figs.actual,
            amount=figs.amount,
        )
    )
    link = budget_path(budget)
    for account in _recipients(budget, figs, org):
        notify(account, title, body, category=MessageCategory.BUDGET, link=link)
    audit_record(
        actor=None,
        action="budget.alert",
        message=title,
        organization=org,
        target_account=org.admin_account,
        obj=budget,
    )


def budgets_evaluate(now: dt.datetime | None = None) -> int:
    """F8: evaluate every live budget, each in its own short transaction (the periodic task
    `evaluate_budgets`, enqueued by `manage.py tick` every minute). The first tick after
    midnight also evaluates the day that just ended, so spend of a period's last minute still
    raises that period's alerts."""
    now = now or timezone.now()
    earlier = now - dt.timedelta(minutes=2)
    moments = [earlier, now] if timezone.localdate(earlier) != timezone.localdate(now) else [now]
    ids = list(
        Budget.objects.live()
        .filter(organization__deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(budget_evaluate(budget_id=pk, now=moment) for pk in ids for moment in moments)
