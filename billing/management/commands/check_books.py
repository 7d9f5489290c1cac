"""Verify the books (B1, B11): exit 1 and list every problem found, else say they balance.

1. every journal's entries sum to zero;
2. every wallet's cached cash and frozen amounts equal the sums of their ledger books;
3. every voucher's remaining value equals its face value less what the ledger drew from it;
4. per journal, the bill lines' cash equals the ledger's cash movement;
5. every monthly summary equals the sum of its bill lines (B11), and no lines lack a summary.
Each check is one aggregate query, so it runs on large books too. Sums are rounded to the cent
before comparing: SQLite adds decimals as floating point (PostgreSQL's numeric is exact), and
every stored amount is a whole number of cents, so the rounded sum is the exact one.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Sum

from billing.models import BillLine, BillSummary, Entry, Voucher, Wallet
from billing.models.choices import Book
from billing.money import q


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


SUMMED = ("list_cost", "discount", "voucher_amount", "cash_amount")


def summary_problems():
    key = ("bill_month", "payer_id", "owner_id", "product_id")
    lines = {
        tuple(row[k] for k in key): row
        for row in BillLine.objects.values(*key).annotate(
            **{f"sum_{f}": Sum(f) for f in SUMMED}, n=Count("pk")
        )
    }
    for summary in BillSummary.objects.values(*key, *SUMMED, "line_count"):
        k = tuple(summary[f] for f in key)
        row = lines.pop(k, None)
        label = f"summary {k[0]:%Y-%m} payer {k[1]} owner {k[2]} product {k[3]}"
        if row is None:
            if summary["line_count"]:
                yield f"{label} has no bill lines"
            continue
        for f in SUMMED:
            if q(row[f"sum_{f}"]) != summary[f]:
                yield f"{label}: {f} {summary[f]}, lines sum to {q(row[f'sum_{f}'])}"
        if row["n"] != summary["line_count"]:
            yield f"{label}: {summary['line_count']} lines counted, {row['n']} found"
    for k in lines:
        yield f"bill lines of {k[0]:%Y-%m} payer {k[1]} owner {k[2]} product {k[3]} have no summary"


class Command(BaseCommand):
    help = "Check that the ledger balances and agrees with wallets, vouchers and bill lines."

    def handle(self, *args, **options):
        found = [*problems(), *summary_problems()]
        for problem in found:
            self.stderr.write(problem)
        if found:
            raise CommandError(f"{len(found)} problem(s) in the books")
        self.stdout.write(self.style.SUCCESS("The books balance."))
