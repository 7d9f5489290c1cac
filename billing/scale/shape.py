"""The scale dataset's shape (`billing.scale`): who owns how many of the lines, and how many
lines each month has."""

from __future__ import annotations

from itertools import accumulate, pairwise

SELF_PAY_EVERY = 10  # every 10th member pays for itself
MEASURED_SHARE = 0.3  # of all lines, for each of the two measured members
GROWTH = 1.1  # lines this month / lines last month
HEAVY_RESOURCES = 30  # resources of each measured member (others have 2)
PHI = (5**0.5 - 1) / 2  # the golden ratio's step spreads members evenly over the lines


def department_of(member: int, departments: int) -> int:
    """The index of the `member`-th member's department among `departments` (Root first):
    Root holds the first measured member alone, the others go round the departments below it.
    So the page of Root's own members lists the same members at every size (issue 16's
    growth): when every 1,001st member sat in Root too, those members, ranked low in the
    Zipf-like spend, had no line in the month at 1,000 lines and all had one at 10 million."""
    if member == 0 or departments == 1:
        return 0
    return 1 + (member - 1) % (departments - 1)


def measured_members(members: int) -> list[int]:
    """The indexes of the measured members: `member` and `self_pay`."""
    return sorted({0, min(SELF_PAY_EVERY, members) - 1})


def owner_shares(members: int) -> list[float]:
    """Each member's share of the lines: `MEASURED_SHARE` for each measured member, the rest
    Zipf-like over the others in order (the k-th of them ∝ 1/k)."""
    measured = measured_members(members)
    others = [i for i in range(members) if i not in measured]
    if not others:
        return [1 / len(measured) if i in measured else 0.0 for i in range(members)]
    shares = [0.0] * members
    for i in measured:
        shares[i] = MEASURED_SHARE
    harmonic = sum(1 / k for k in range(1, len(others) + 1))
    rest = 1 - MEASURED_SHARE * len(measured)
    for k, i in enumerate(others, start=1):
        shares[i] = rest / (k * harmonic)
    return shares


def month_sizes(line_items: int, months: int) -> list[int]:
    """Lines per month, oldest first: each month `GROWTH` times the one before."""
    bounds = [0, *(round(line_items * c) for c in _fractions(months))]
    return [b - a for a, b in pairwise(bounds)]


def _fractions(months: int) -> list[float]:
    weights = list(accumulate(GROWTH**m for m in range(months)))
    return [w / weights[-1] for w in weights]
