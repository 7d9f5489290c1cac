"""The scale dataset's bill lines as rows of binary COPY, their daily and resource rollups
summed while streaming, and the ledger behind them (`billing.scale`)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, cycle

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

from .loading import BATCH, copy_rows, field, row
from .shape import PHI, SELF_PAY_EVERY, owner_shares


def money(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


FIELD = 48  # bits per sum in a packed int: room for 2**48 cents or lines
MASK = (1 << FIELD) - 1


def pack(cents: int, discount: int, count: int) -> int:
    """A rollup's sums (list cost and discount in cents, lines) as one int, so a line adds
    to its rollups with one addition each; cash is list cost - discount."""
    return (cents << 2 * FIELD) | (discount << FIELD) | count


def unpack(sums: int) -> tuple[int, int, int]:
    return sums >> 2 * FIELD, (sums >> FIELD) & MASK, sums & MASK


class Lines:
    """The bill lines as rows of binary COPY (`loading.field`), month by month, and their F5
    daily rollup. Line j's member is where the golden ratio's j-th step falls among the
    members' shares, so every stretch of lines (a month) splits between members in their
    shares; each member's lines go round its resources. Amounts are whole cents; `totals`
    sums each (member, month)'s cash.

    Everything a line's fields and rollup keys take from its member and resource, or from
    j % 840 (the period of its time, kind and discount), is made before the loop, which only
    looks up, adds and joins; the rollup keys are ints that sort in their tables' unique key
    order (issue 16: 10 million lines). A row is three pieces made before the loop: its
    member's and resource's fields, its time's and kind's, and its amounts' (`COLUMNS`)."""

    # B11's fields and the journal, in the order of a row's pieces
    COLUMNS = [
        *("bill_month", "owner_id", "payer_id", "product_id", "resource_id", "region_id"),
        "journal_id",
        *("billing_mode", "transaction_type", "created_at"),
        *("list_cost", "discount", "voucher_amount", "cash_amount"),
    ]

    def __init__(self, rng, *, accounts, payer, resources, region, months, first_journal):
        self.rng, self.months, self.first_journal = rng, months, first_journal
        self.n_accounts, self.n_months = len(accounts), len(months)
        self.cdf = list(accumulate(owner_shares(len(accounts))))
        self.cdf[-1] = 2.0  # every step falls below the last bound
        self.accounts = [a.pk for a in accounts]
        self.payers = [
            a.pk if (i + 1) % SELF_PAY_EVERY == 0 else payer.pk for i, a in enumerate(accounts)
        ]
        # the members in the rollups' key order (payer, then member); each one's place, and
        # its payer's place among the payers
        n = len(accounts)
        self.by_rank = sorted(range(n), key=lambda i: (self.payers[i], self.accounts[i]))
        self.rank = [0] * n
        for place, owner in enumerate(self.by_rank):
            self.rank[owner] = place
        payer_place = {p: i for i, p in enumerate(sorted(set(self.payers)))}
        self.payer_place = [payer_place[p] for p in self.payers]
        self.products = sorted({r.product_id for r in resources})
        self.region_id = region.pk
        owned = {}
        for res in resources:
            owned.setdefault(res.owner_id, []).append(res)
        # per member: its resources (id, product id), in the order its lines go round them
        self.kit_resources = [[(r.pk, r.product_id) for r in owned[a]] for a in self.accounts]
        self.kinds = [
            (BillingMode.SUBSCRIPTION.value, TransactionType.NEW.value),
            (BillingMode.SUBSCRIPTION.value, TransactionType.RENEW.value),
            (BillingMode.PAYG.value, TransactionType.SETTLEMENT.value),
        ]
        self.kind_of = [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # by j % 10
        # the daily key's strides: payer, console day (+ 1, from -1), member, product, kind
        self.stride_member = len(self.products) * 3
        self.stride_day = n * self.stride_member
        self.stride_payer = 32 * self.stride_day
        cents = [field("numeric", Decimal(money(c))) for c in range(50_001)]
        # a line's amounts (list cost, discount, voucher, cash) and their packed sums by its
        # cents, without and with a discount (every third line's is 5 %)
        self.amounts = (
            [c + cents[0] + cents[0] + c for c in cents],
            [cents[c] + cents[c // 20] + cents[0] + cents[c - c // 20] for c in range(50_001)],
        )
        self.packed = (
            [pack(c, 0, 1) for c in range(50_001)],
            [pack(c, c // 20, 1) for c in range(50_001)],
        )
        # per member: where its lines are in the round of its resources
        self.rounds = [cycle(range(len(r))) for r in self.kit_resources]
        self.totals = [0] * (n * len(months))  # cash in cents per (member, month)

    def _kits(self, m: int):
        """Per member, per resource in the round: the line's first piece (the row's start,
        month, member, payer, product, resource, region and journal), its daily key's member
        part and its resource key (the member's place, then the resource's place by id)."""
        start, n_months, journal = self.months[m], self.n_months, self.first_journal + m
        month, region = row(len(self.COLUMNS)) + field("date", start), field("int8", self.region_id)
        kits = []
        for owner, resources in enumerate(self.kit_resources):
            member_fields = field("int8", self.accounts[owner]) + field("int8", self.payers[owner])
            journal_field = field("int8", journal + owner * n_months)
            member = self.payer_place[owner] * self.stride_payer
            member += self.rank[owner] * self.stride_member
            by_id = sorted(resources)
            kits.append(
                [
                    (
                        month
                        + member_fields
                        + field("int8", product)
                        + field("int8", resource)
                        + region
                        + journal_field,
                        member + self.products.index(product) * 3,
                        self.rank[owner] * 64 + by_id.index((resource, product)),
                    )
                    for resource, product in resources
                ]
            )
        return kits

    def _turns(self, m: int):
        """What line j takes from j % 840: its second piece (kind and time: day 1 + j % 28,
        hour j % 24, minute j % 60), its amounts and packed sums tables (discounted or not)
        and its daily key's day and kind part (F5: the console day)."""
        start, turns = self.months[m], []
        for t in range(840):
            at = datetime(start.year, start.month, 1 + t % 28, t % 24, t % 60, tzinfo=UTC)
            day = (timezone.localtime(at).date() - start).days
            kind = self.kind_of[t % 10]
            mode, transaction_type = self.kinds[kind]
            turns.append(
                (
                    field("varchar", mode)
                    + field("varchar", transaction_type)
                    + field("timestamptz", at),
                    self.amounts[t % 3 == 0],
                    (day + 1) * self.stride_day + kind,
                    self.packed[t % 3 == 0],
                )
            )
        return turns

    def month(self, m: int, first: int, size: int, daily, by_resource, bar):
        """Lines first … first + size - 1, all in month m, as chunks of binary COPY of up to
        `BATCH` rows; `daily` sums them by F5's key (the rest follows from the member and
        month), `by_resource` by `ResourceMonth`'s (likewise), as packed ints (`pack`): both
        are `defaultdict(int)`."""
        kits, turns = self._kits(m), self._turns(m)
        cdf, rounds, where, step, random = self.cdf, self.rounds, bisect_right, PHI, self.rng.random
        end = first + size
        for chunk in range(first, end, BATCH):
            out = []
            add = out.extend
            for j in range(chunk, min(chunk + BATCH, end)):
                owner = where(cdf, (j * step) % 1.0)
                head, member_key, resource_key = kits[owner][next(rounds[owner])]
                turn, amounts, day_key, packed = turns[j % 840]
                cents = int(random() * 50_000) + 1
                sums = packed[cents]
                daily[day_key + member_key] += sums
                by_resource[resource_key] += sums
                add((head, turn, amounts[cents]))
            yield b"".join(out)
            if bar:
                bar.update(len(out) // 3)
        totals, n_months = self.totals, self.n_months
        for key, sums in by_resource.items():  # each member's cash, from its resources'
            list_cost, discount, _count = unpack(sums)
            totals[self.by_rank[key >> 6] * n_months + m] += list_cost - discount

    def daily_rows(self, m: int, daily: dict):
        """Month m's F5 daily rollup rows (untagged), in its unique key's order."""
        start, by_rank, region = self.months[m], self.by_rank, self.region_id
        days = [f"{start + timedelta(days=day - 1)}\t{start}\t" for day in range(32)]
        members = [f"{self.payers[o]}\t{self.accounts[o]}\t" for o in by_rank]
        products = [f"{p}\t{region}\t" for p in self.products]
        kinds = [f"{mode}\t{transaction_type}\t" for mode, transaction_type in self.kinds]
        for key in sorted(daily):  # the key's order: no two rows tie
            list_cost, discount, count = unpack(daily[key])
            rest = key % self.stride_payer
            day, rest = divmod(rest, self.stride_day)
            rank, rest = divmod(rest, self.stride_member)
            product, kind = divmod(rest, 3)
            yield (
                f"{days[day]}{members[rank]}{products[product]}{kinds[kind]}"
                f"{money(list_cost)}\t{money(discount)}\t0.00\t{money(list_cost - discount)}\t"
                f"{count}\n"
            )

    def resource_rows(self, m: int, by_resource: dict):
        """Month m's `ResourceMonth` rows, in its unique key's order (what `ROLLUP_SQL` would
        sum from the month's lines)."""
        start = self.months[m]
        for key in sorted(by_resource):
            list_cost, discount, count = unpack(by_resource[key])
            owner = self.by_rank[key >> 6]
            resource, product = sorted(self.kit_resources[owner])[key & 63]
            yield (
                f"{start}\t{self.payers[owner]}\t{self.accounts[owner]}\t{resource}\t{product}\t"
                f"{money(list_cost)}\t{money(discount)}\t0.00\t{money(list_cost - discount)}\t"
                f"{count}\n"
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
