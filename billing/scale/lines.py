"""The scale dataset's bill lines as COPY text, their daily and resource rollups summed while
streaming, and the ledger behind them (`billing.scale`)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.utils import timezone

from billing.models import (
    DailyCost,
    Entry,
    Journal,
    Wallet,
)
from billing.models.choices import (
    BillingMode,
    Book,
    JournalKind,
    TransactionType,
)

from .loading import BATCH, copy_rows
from .shape import PHI, SELF_PAY_EVERY, owner_shares


def money(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


class Lines:
    """The bill lines as COPY text rows (tab-separated; every value is a number, a date or a
    choice, so nothing needs escaping), month by month, and their F5 daily rollup. Line j's
    member is where the golden ratio's j-th step falls among the members' shares, so every
    stretch of lines (a month) splits between members in their shares; each member's lines go
    round its resources. Amounts are whole cents; `totals` sums each (member, month)'s cash."""

    def __init__(self, rng, *, accounts, payer, resources, region, months, first_journal):
        self.rng, self.months, self.first_journal = rng, months, first_journal
        self.n_accounts, self.n_months = len(accounts), len(months)
        self.cdf = list(accumulate(owner_shares(len(accounts))))
        self.cdf[-1] = 2.0  # every step falls below the last bound
        self.accounts = [a.pk for a in accounts]
        self.payers = [
            a.pk if (i + 1) % SELF_PAY_EVERY == 0 else payer.pk for i, a in enumerate(accounts)
        ]
        self.heads = [f"{a}\t{p}\t" for a, p in zip(self.accounts, self.payers, strict=True)]
        self.products = sorted({r.product_id for r in resources})
        self.region_id = region.pk
        owned = {}
        for res in resources:
            owned.setdefault(res.owner_id, []).append(res)
        self.kits = [  # per member: its resources' columns, and their products' indexes
            [f"{r.product_id}\t{r.pk}\t{region.pk}\t" for r in owned[a]] for a in self.accounts
        ]
        self.kit_products = [
            [self.products.index(r.product_id) for r in owned[a]] for a in self.accounts
        ]
        self.kit_resources = [  # per member: its resources' (resource, product) ids
            [(r.pk, r.product_id) for r in owned[a]] for a in self.accounts
        ]
        subscription, payg = BillingMode.SUBSCRIPTION.value, BillingMode.PAYG.value
        self.kinds = [
            (subscription, TransactionType.NEW.value),
            (subscription, TransactionType.RENEW.value),
            (payg, TransactionType.SETTLEMENT.value),
        ]
        self.kind_of = [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # by j % 10
        self.money = [money(c) for c in range(50_001)]
        self.seen = [0] * len(accounts)
        self.totals = [0] * (len(accounts) * len(months))  # cash in cents per (member, month)

    def month(self, m: int, first: int, size: int, daily: dict, by_resource: dict, bar):
        """Lines first … first + size - 1, all in month m; `daily` sums them by console day,
        member, product and kind (F5's key, the rest follows from the member and month),
        `by_resource` by member and resource (`ResourceMonth`'s key, likewise)."""
        start, n_accounts, n_months, n_products = (
            self.months[m],
            self.n_accounts,
            self.n_months,
            len(self.products),
        )
        prefix = f"{start.isoformat()}\t"
        # the line's time: day 1 + j % 28, hour j % 24, minute j % 60 (840 = their period)
        times = [
            datetime(start.year, start.month, 1 + t % 28, t % 24, t % 60, tzinfo=UTC)
            for t in range(840)
        ]
        stamps = [f"{t.isoformat()}\t" for t in times]
        days = [(timezone.localtime(t).date() - start).days for t in times]  # F5: console day
        kinds = [f"{mode}\t{kind}\t" for mode, kind in self.kinds]
        cdf, seen, kits, kit_products, heads = (
            self.cdf,
            self.seen,
            self.kits,
            self.kit_products,
            self.heads,
        )
        kind_of, money, totals = self.kind_of, self.money, self.totals
        random, step, where = self.rng.random, PHI, bisect_right
        journal = self.first_journal + m
        for j in range(first, first + size):
            owner = where(cdf, (j * step) % 1.0)
            k = seen[owner]
            seen[owner] = k + 1
            kit = kits[owner]
            r = k % len(kit)
            kind = kind_of[j % 10]
            t = j % 840
            cents = int(random() * 50_000) + 1
            discount = cents // 20 if j % 3 == 0 else 0
            cash = cents - discount
            totals[owner * n_months + m] += cash
            key = ((days[t] * n_accounts + owner) * n_products + kit_products[owner][r]) * 3 + kind
            sums = daily.get(key)
            if sums is None:
                daily[key] = [cents, discount, cash, 1]
            else:
                sums[0] += cents
                sums[1] += discount
                sums[2] += cash
                sums[3] += 1
            # the same four sums by member and resource, written out as above: a helper call
            # per line and rollup would cost seconds over 10 million lines
            key = owner * 64 + r  # r < HEAVY_RESOURCES < 64
            sums = by_resource.get(key)
            if sums is None:
                by_resource[key] = [cents, discount, cash, 1]
            else:
                sums[0] += cents
                sums[1] += discount
                sums[2] += cash
                sums[3] += 1
            yield (
                f"{prefix}{heads[owner]}{kit[r]}{kinds[kind]}{money[cents]}\t"
                f"{money[discount]}\t0.00\t{money[cash]}\t{stamps[t]}"
                f"{journal + owner * n_months}\n"
            )
            if bar and j % BATCH == BATCH - 1:
                bar.update(BATCH)

    def daily_rows(self, m: int, daily: dict):
        """Month m's F5 daily rollup rows (untagged), in its unique key's order."""
        start, n_accounts, n_products = self.months[m], self.n_accounts, len(self.products)
        rows = []
        for key, sums in daily.items():
            key, kind = divmod(key, 3)
            key, product = divmod(key, n_products)
            day, owner = divmod(key, n_accounts)
            rows.append((self.payers[owner], day, self.accounts[owner], product, kind, sums))
        rows.sort()  # the first five are the key: no two rows tie
        for payer, day, owner, product, kind, (list_cost, discount, cash, count) in rows:
            mode, transaction_type = self.kinds[kind]
            yield (
                f"{start + timedelta(days=day)}\t{start}\t{payer}\t{owner}\t"
                f"{self.products[product]}\t{self.region_id}\t{mode}\t{transaction_type}\t"
                f"{money(list_cost)}\t{money(discount)}\t0.00\t{money(cash)}\t{count}\n"
            )

    def resource_rows(self, m: int, by_resource: dict):
        """Month m's `ResourceMonth` rows, in its unique key's order (what `ROLLUP_SQL` would
        sum from the month's lines)."""
        start, rows = self.months[m], []
        for key, sums in by_resource.items():
            owner, r = divmod(key, 64)
            resource, product = self.kit_resources[owner][r]
            rows.append((self.payers[owner], self.accounts[owner], resource, product, sums))
        rows.sort()
        for payer, owner, resource, product, (list_cost, discount, cash, count) in rows:
            yield (
                f"{start}\t{payer}\t{owner}\t{resource}\t{product}\t{money(list_cost)}\t"
                f"{money(discount)}\t0.00\t{money(cash)}\t{count}\n"
            )


RESOURCE_COLUMNS = [
    "bill_month",
    "payer_id",
    "owner_id",
    "resource_id",
    "product_id",
    "list_cost",
    "discount",
    "voucher_amount",
    "cash_amount",
    "line_count",
]

DAILY_COLUMNS = [
    *(f for f in DailyCost.KEY if f != "tag_set_id"),  # untagged: the scale members have no tags
    "list_cost",
    "discount",
    "voucher_amount",
    "cash_amount",
    "line_count",
]


def month_end(month: date) -> datetime:
    return datetime(month.year, month.month, 28, 12, tzinfo=UTC)


def write_ledger(accounts, payer, totals, months, first_journal, now) -> None:
    """The settlement journals and their entries, each cash entry equal to its lines, after a
    top-up per paying account that leaves it 1,000,000.00 CNY when everything is paid; cash
    entries carry the running balance, as the services write it. Amounts in cents."""
    n_months = len(months)
    journals, entries = [], []
    cash: dict[int, list] = {}  # paying account → its cash movements, in time order
    ends = [month_end(m) for m in months]
    for owner, account in enumerate(accounts):
        paid_by = account.pk if (owner + 1) % SELF_PAY_EVERY == 0 else payer.pk
        for month, start in enumerate(months):
            amount = totals[owner * n_months + month]
            if not amount:
                continue
            jid, at = first_journal + owner * n_months + month, ends[month]
            journals.append(_row(jid, JournalKind.SETTLEMENT, at, f"{account.uin} {start:%Y-%m}"))
            cash.setdefault(paid_by, []).append((at, jid, -amount, account.pk))
            entries.append(_row(jid, Book.REVENUE, None, money(amount), None, account.pk, at))
    at = now - timedelta(days=400)
    first_top_up = first_journal + len(accounts) * n_months
    for i, account_id in enumerate(sorted(cash)):
        rows = sorted(cash[account_id])
        amount = -sum(r[2] for r in rows) + 100_000_000  # leaves 1,000,000.00
        jid = first_top_up + i
        journals.append(_row(jid, JournalKind.TOPUP, at, "scale opening balance"))
        entries.append(_row(jid, Book.CLEARING, None, money(-amount), None, None, at))
        balance = amount
        entries.append(
            _row(jid, Book.CASH, account_id, money(amount), money(balance), account_id, at)
        )
        for when, settlement, moved, owner_id in rows:
            balance += moved
            entries.append(
                _row(
                    settlement,
                    Book.CASH,
                    account_id,
                    money(moved),
                    money(balance),
                    owner_id,
                    when,
                )
            )
    copy_rows(Journal, ["id", "kind", "created_at", "memo"], journals)
    copy_rows(
        Entry,
        ["journal_id", "book", "account_id", "amount", "balance_after", "owner_id", "created_at"],
        entries,
    )
    Wallet.objects.bulk_create(
        [Wallet(account_id=a, cash=Decimal("1000000.00")) for a in sorted(cash)],
        batch_size=2000,
    )


def _row(*values) -> str:
    """One line of COPY text; None is NULL. The values are numbers, dates, choices and memos
    made here (account numbers and months), none with a tab, newline or backslash."""
    return (
        "\t".join(
            r"\N" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
            for v in values
        )
        + "\n"
    )
