"""B1: money is Decimal CNY with 2 places, rounded half-up at documented points, never float."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def q(value) -> Decimal:
    """Round to the cent, half-up. The only rounding helper money code uses."""
    if isinstance(value, float):
        raise TypeError("money never touches float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, in cents, leaving no cent unassigned.

    Largest-remainder method: each share is first rounded down to the cent, then the cents
    left over go to the shares with the largest remainders (ties to the earliest). The
    shares always add up to `total` exactly (B6).
    """
    total = q(total)
    weights = [Decimal(w) for w in weights]
    weight_sum = sum(weights, Decimal(0))
    if not weights:
        return []
    if weight_sum <= 0:
        raise ValueError("weights must add up to more than zero")
    exact = [total * w / weight_sum for w in weights]
    floors = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((total - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += CENT
    return floors
