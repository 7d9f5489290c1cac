"""P1 evaluation against a plain reference: set algebra over the levels of a path of depth up
to 5 departments, with allow and deny policies (full access included) at mixed levels."""

from hypothesis import given, settings
from hypothesis import strategies as st

from organizations.policy_eval import ALLOW, DENY, Level, PolicyView, effective, verdict

PRODUCTS = ("CVM", "CBS", "COS", "CLB", "CDB", "VPC")


def reference(levels, products):
    allowed = set(products)
    denied = set()
    for level in levels:
        allows = [p for p in level.policies if p.effect == ALLOW]
        if allows:
            union = set()
            for p in allows:
                union |= set(products) if p.products is None else set(p.products)
            allowed &= union
        for p in level.policies:
            if p.effect == DENY:
                denied |= set(products) if p.products is None else set(p.products)
    return allowed - denied


policy = st.builds(
    lambda i, effect, full, chosen: PolicyView(
        i, f"p{i}", effect, None if full and effect == ALLOW else frozenset(chosen)
    ),
    st.integers(1, 10_000),
    st.sampled_from([ALLOW, DENY]),
    st.booleans(),
    st.sets(st.sampled_from(PRODUCTS), max_size=len(PRODUCTS)),
)
path = st.lists(st.lists(policy, max_size=3), min_size=2, max_size=7).map(
    lambda levels: [
        Level("root" if i == 0 else "member" if i == len(levels) - 1 else "department", f"L{i}", ps)
        for i, ps in enumerate(levels)
    ]
)


@settings(max_examples=300, derandomize=True)
@given(path)
def test_p1_effective_products_equal_the_reference(levels):
    assert effective(levels, PRODUCTS) == reference(levels, PRODUCTS)


@settings(max_examples=200, derandomize=True)
@given(path)
def test_p1_a_refusal_names_the_first_level_that_refuses(levels):
    for product in PRODUCTS:
        v = verdict(levels, product)
        if v.allowed:
            continue
        index = levels.index(v.level)
        # every level above it lets the product through on its own
        assert all(verdict([lv], product).allowed for lv in levels[:index])
        assert not verdict([v.level], product).allowed
        if v.reason == "denied":
            assert v.policy.effect == DENY and v.policy.covers(product)


def test_p1_the_seed_cvm_only_example():
    full = PolicyView(1, "FullAccess", ALLOW, None)
    cvm_only = PolicyView(2, "CVM only", ALLOW, frozenset({"CVM"}))
    levels = [Level("root", "Root", [full]), Level("department", "Eng", [cvm_only])]
    levels.append(Level("member", "m", []))
    assert effective(levels, PRODUCTS) == {"CVM"}
    refused = verdict(levels, "CBS")
    assert (refused.level.label, refused.reason) == ("Eng", "not_allowed")
