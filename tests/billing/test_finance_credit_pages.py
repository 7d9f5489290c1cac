"""F14, issue 16: the credit limits page lists the members that grant 10 a page at a time."""

import re

import pytest

from tests.factories import join

pytestmark = pytest.mark.django_db


def test_f14_the_members_are_paged(org, admin, client, monkeypatch):
    """Issue 16: the page lists members a page at a time (`?page=`, a bounded number each);
    a page past the end shows the last one, a page that is not a number the first."""
    from billing.views import credit as credit_views

    monkeypatch.setattr(credit_views, "LISTED", 2)
    for i in range(5):
        join(org, admin, name=f"paged-{i}", permissions=[1, 2, 10])
    join(org, admin, name="not-granting", permissions=[1, 2])
    client.force_login(admin)

    def shown(page):
        body = client.get("/billing/credit/", {"page": page}).content.decode()
        return re.findall(r'data-testid="credit-row" data-uin="(\d+)"', body), body

    seen = []
    for page in ("1", "2", "3"):
        rows, body = shown(page)
        seen += rows
        assert 'data-testid="credit-pages"' in body
    assert len(seen) == len(set(seen)) == 5  # paged-0 … paged-4, once each; not the other
    assert "5–5 of 5" in body and 'aria-label="Next"' not in body
    assert shown("99")[0] == rows  # past the end: the last page
    first, body = shown("x")
    assert first == seen[:2] and "1–2 of 5" in body and 'aria-label="Previous"' not in body
