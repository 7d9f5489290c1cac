"""P1: evaluating service control policies along a member's path (pure functions, no queries).

A member's path is Root → departments → the member itself; each level carries the policies
attached to it. A product is usable when

- every level that has allow policies attached allows it (the union of those policies' products;
  a full-access policy allows every product), and a level with no allow policy attached places
  no restriction of its own (it inherits); and
- no policy attached at any level denies it.

`explain` says, for each product, which level decided and why, so a refusal can name the level
(P2) and the effective-policy page can show it level by level (P3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ALLOW = "allow"
DENY = "deny"


@dataclass(frozen=True)
class PolicyView:
    pk: int
    name: str
    effect: str  # ALLOW or DENY
    products: frozenset[str] | None  # product codes; None: every product (full access)

    def covers(self, product: str) -> bool:
        return self.products is None or product in self.products


@dataclass
class Level:
    kind: str  # "root", "department" or "member"
    label: str
    policies: list[PolicyView] = field(default_factory=list)

    @property
    def allows(self) -> list[PolicyView]:
        return [p for p in self.policies if p.effect == ALLOW]

    @property
    def denies(self) -> list[PolicyView]:
        return [p for p in self.policies if p.effect == DENY]


@dataclass(frozen=True)
class Verdict:
    product: str
    allowed: bool
    level: Level | None = None  # the level that refused (None when allowed)
    policy: PolicyView | None = None  # the denying policy, if a deny refused it
    reason: str = ""  # "denied" or "not_allowed"


def verdict(levels: Sequence[Level], product: str) -> Verdict:
    """The first level, from Root down, that refuses `product`, or allowed."""
    for level in levels:
        for policy in level.denies:
            if policy.covers(product):
                return Verdict(product, False, level, policy, "denied")
        allows = level.allows
        if allows and not any(p.covers(product) for p in allows):
            return Verdict(product, False, level, None, "not_allowed")
    return Verdict(product, True)


def effective(levels: Sequence[Level], products: Iterable[str]) -> set[str]:
    """The products usable at the end of the path."""
    return {p for p in products if verdict(levels, p).allowed}


def explain(levels: Sequence[Level], products: Iterable[str]) -> dict[str, Verdict]:
    return {p: verdict(levels, p) for p in products}
