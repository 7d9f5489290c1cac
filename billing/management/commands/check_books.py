"""Verify the books (B1, B11): exit 1 and list every problem found, else say they balance.

1. every journal's entries sum to zero;
2. every wallet's cached cash and frozen amounts equal the sums of their ledger books;
3. every voucher's remaining value equals its face value less what the ledger drew from it,
   and every draw names the voucher's holder as its account (B13);
4. per journal, the bill lines' cash equals the ledger's cash movement;
5. every rollup (monthly summary; totals by product, member, department and resource; the
   daily costs of F5) equals the sum of its bill lines (B11), no lines lack one, and member
   totals are filed under the member's current department;
6. every fund transfer (F12) is a journal moving its amount from the admin's cash to the
   member's, its `taken_back` equals its take-backs' journals, and no transfer book holds more
   than its wallet's cash (F13);
7. every credit allocation (F14) is within its member's credit limit and held by a self-pay
   member of the allocating admin's organization that grants 10.
Each check is one aggregate query, so it runs on large books too. Sums are rounded to the cent
before comparing: SQLite adds decimals as floating point (PostgreSQL's numeric is exact), and
every stored amount is a whole number of cents, so the rounded sum is the exact one.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate

from billing.models import (
    BillLine,
    BillSummary,
    CreditAllocation,
    DailyCost,
    Entry,
    FundTakeBack,
    FundTransfer,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    ResourceMonth,
    Voucher,
    Wallet,
)
from billing.models.choices import Book
from billing.money import q
from organizations.models import Membership


def problems():
    for journal_id, total in Entry.objects.values_list("journal_id").annotate(total=Sum("amount")):
        if q(total) != 0:
            yield f"journal {journal_id} does not balance: entries sum to {q(total)}"

    for book, field in ((Book.CASH, "cash"), (Book.FROZEN, "frozen")):
        ledger = dict(
            Entry.objects.filter(book=book).values_list("account_id").annotate(total=Sum("amount"))
        )
        for account_id, cached in Wallet.objects.values_list("account_id", field):
            derived = q(ledger.pop(account_id, Decimal("0.00")))
            if derived != cached:
                yield f"wallet of account {account_id}: cached {field} {cached}, ledger {derived}"
        for account_id, derived in ledger.items():
            yield f"account {account_id} has {field} entries ({derived}) but no wallet"

    drawn = dict(
        Entry.objects.filter(book=Book.VOUCHER_FUNDING, voucher__isnull=False)
        .values_list("voucher_id")
        .annotate(total=Sum("amount"))
    )
    for pk, code, face, remaining in Voucher.objects.values_list(
        "pk", "code", "face_value", "remaining"
    ):
        expected = face + q(drawn.get(pk, Decimal("0.00")))
        if expected != remaining:
            yield f"voucher {code}: remaining {remaining}, face value less draws {expected}"
    misattributed = Entry.objects.filter(book=Book.VOUCHER_FUNDING).exclude(
        account_id=F("voucher__account_id")
    )
    for entry_id, account_id in misattributed.values_list("pk", "account_id"):
        yield f"voucher draw {entry_id} is filed under account {account_id}, not its holder"

    bill_cash = dict(BillLine.objects.values_list("journal_id").annotate(total=Sum("cash_amount")))
    ledger_cash = dict(
        Entry.objects.filter(book=Book.CASH, journal_id__in=list(bill_cash))
        .values_list("journal_id")
        .annotate(total=Sum("amount"))
    )
    for journal_id, billed in bill_cash.items():
        billed, moved = q(billed), q(ledger_cash.get(journal_id, Decimal("0.00")))
        if billed + moved != 0:
            yield f"journal {journal_id}: bill lines say {billed} cash but the ledger moved {moved}"

    yield from transfer_problems()
    yield from credit_problems()


def transfer_problems():
    """F12, F13: transfers and take-backs agree with their journals and records."""
    moved = {
        (journal_id, account_id): q(total)
        for journal_id, account_id, total in Entry.objects.filter(
            book=Book.CASH, journal__fund_transfer__isnull=False
        )
        .values_list("journal_id", "account_id")
        .annotate(total=Sum("amount"))
    }
    for pk, journal_id, source_id, target_id, amount in FundTransfer.objects.values_list(
        "pk", "journal_id", "source_id", "target_id", "amount"
    ):
        if (
            moved.get((journal_id, source_id)) != -amount
            or moved.get((journal_id, target_id)) != amount
        ):
            yield f"fund transfer {pk}: its journal does not move {amount} from admin to member"
    taken = dict(FundTakeBack.objects.values_list("transfer_id").annotate(total=Sum("amount")))
    for pk, taken_back in FundTransfer.objects.values_list("pk", "taken_back"):
        if q(taken.get(pk, Decimal("0.00"))) != taken_back:
            yield f"fund transfer {pk}: taken back {taken_back}, take-backs sum to {taken.get(pk)}"
    over = Wallet.objects.filter(Q(transferred_in__gt=0) & Q(transferred_in__gt=F("cash")))
    for account_id in over.values_list("account_id", flat=True):
        yield f"wallet of account {account_id}: transferred funds exceed its cash"


def credit_problems():
    """F14: an allocation is part of its member's credit limit, and only a self-pay member of
    the allocating admin's organization that grants 10 holds one (two queries)."""
    allocations = list(CreditAllocation.objects.select_related("member__wallet"))
    memberships = {
        m.account_id: m
        for m in Membership.objects.filter(
            account_id__in=[a.member_id for a in allocations]
        ).select_related("organization")
    }
    for a in allocations:
        wallet = getattr(a.member, "wallet", None)
        limit = wallet.credit_limit if wallet else Decimal("0.00")
        if limit < a.total:
            yield f"account {a.member_id}: credit limit {limit} is below its allocation {a.total}"
        m = memberships.get(a.member_id)
        if (
            m is None
            or m.organization.admin_account_id != a.admin_id
            or m.payer_id is not None
            or 10 not in {int(p) for p in m.permissions or ()}
        ):
            yield (
                f"account {a.member_id} holds credit from {a.admin_id} but is not a self-pay "
                "member of its organization granting 10"
            )


SUMMED = ("list_cost", "discount", "voucher_amount", "cash_amount")


def _compare(label: str, source, rollup, key: tuple[str, ...], count: str):
    """Every `rollup` row equals the group of `source` rows with its key, and every group of
    `source` has its row. `count` sums the line counts of `source` (or counts its rows)."""
    counted = Count("pk") if count == "rows" else Sum(count)
    expected = {
        tuple(row[k] for k in key): row
        for row in source.values(*key).annotate(**{f"sum_{f}": Sum(f) for f in SUMMED}, n=counted)
    }
    for row in rollup.objects.values(*key, *SUMMED, "line_count"):
        k = tuple(row[f] for f in key)
        want = expected.pop(k, None)
        where = f"{label} {dict(zip(key, k, strict=True))}"
        if want is None:
            if row["line_count"] or any(row[f] for f in SUMMED):
                yield f"{where} has no bill lines"
            continue
        for f in SUMMED:
            if q(want[f"sum_{f}"]) != row[f]:
                yield f"{where}: {f} {row[f]}, the lines sum to {q(want[f'sum_{f}'])}"
        if want["n"] != row["line_count"]:
            yield f"{where}: {row['line_count']} lines counted, {want['n']} found"
    for k in expected:
        yield f"bill lines of {dict(zip(key, k, strict=True))} have no {label} row"


def summary_problems():
    """B11: every rollup equals the bill lines it sums, and follows the current departments."""
    lines = BillLine.objects.all()
    on_behalf = lines.exclude(owner_id=F("payer_id"))
    yield from _compare(
        "summary", lines, BillSummary, ("bill_month", "payer_id", "owner_id", "product_id"), "rows"
    )
    yield from _compare(
        "product total",
        lines.annotate(on_behalf=ExpressionWrapper(~Q(owner_id=F("payer_id")), BooleanField())),
        PayerProductMonth,
        ("bill_month", "payer_id", "product_id", "on_behalf"),
        "rows",
    )
    yield from _compare(
        "member total", on_behalf, PobMemberMonth, ("bill_month", "payer_id", "owner_id"), "rows"
    )
    yield from _compare(
        "department total",
        PobMemberMonth.objects.all(),
        PobDepartmentMonth,
        ("bill_month", "payer_id", "department_id"),
        "line_count",
    )
    yield from _compare(
        "resource total",
        lines,
        ResourceMonth,
        ("bill_month", "payer_id", "owner_id", "resource_id", "product_id"),
        "rows",
    )
    yield from _compare(
        "daily cost",
        lines.annotate(day=TruncDate("created_at")),
        DailyCost,
        DailyCost.KEY,
        "rows",
    )
    filed = PobMemberMonth.objects.values_list("owner_id", "department_id").distinct()
    now = dict(Membership.objects.values_list("account_id", "department_id"))
    for owner_id, department_id in filed.order_by("owner_id"):
        if now.get(owner_id) != department_id:
            yield (
                f"member totals of account {owner_id} are filed under department "
                f"{department_id}, not under its department now ({now.get(owner_id)})"
            )


class Command(BaseCommand):
    help = "Check that the ledger balances and agrees with wallets, vouchers and bill lines."

    def handle(self, *args, **options):
        found = [*problems(), *summary_problems()]
        for problem in found:
            self.stderr.write(problem)
        if found:
            raise CommandError(f"{len(found)} problem(s) in the books")
        self.stdout.write(self.style.SUCCESS("The books balance."))
