"""O3, issue 16: a large department tree opens branch by branch. A small tree is drawn whole;
a larger one shows Root's level and the way down to the selected department, and each other
department with sub-departments has a button that loads them (the members page and the
overview); the branch answers only the admin's own organization's departments."""

import pytest

from organizations import selectors, services
from organizations.models import Department
from tests.factories import join

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(org, admin):
    """Root → Sales → EMEA → Paris, and Root → Ops."""
    root = Department.objects.get(organization=org, parent=None)
    made = {"root": root}
    for name, parent in (("Sales", "root"), ("EMEA", "Sales"), ("Paris", "EMEA"), ("Ops", "root")):
        made[name] = services.department_create(
            organization=org, parent=made[parent], name=name, acting_user=admin
        )
    join(org, admin, name="in-paris", department=made["Paris"])
    return made


def names(html: str) -> set[str]:
    return {n for n in ("Root", "Sales", "EMEA", "Paris", "Ops") if f'data-dept="{n}"' in html}


def test_o3_a_small_tree_is_drawn_whole(client, admin, tree):
    client.force_login(admin)
    html = client.get("/members/").content.decode()
    assert names(html) == {"Root", "Sales", "EMEA", "Paris", "Ops"}
    assert 'data-testid="dept-more"' not in html


def test_o3_a_large_tree_opens_branch_by_branch(client, admin, tree, monkeypatch):
    monkeypatch.setattr(selectors, "WHOLE_TREE", 3)
    client.force_login(admin)
    html = client.get("/members/").content.decode()
    assert names(html) == {"Root", "Sales", "Ops"}  # Root's level
    assert "1 sub-department" in html  # Sales' button: EMEA is behind it
    assert html.count('data-testid="dept-more"') == 1  # Ops has no sub-department
    # the branch: Sales with EMEA, EMEA closed again behind its own button
    branch = client.get("/members/tree/", {"node": tree["Sales"].pk, "interactive": "1"})
    assert branch.status_code == 200
    part = branch.content.decode()
    assert names(part) == {"Sales", "EMEA"}
    assert f"/members/tree/?node={tree['EMEA'].pk}&amp;interactive=1" in part
    assert 'data-department="' in part  # interactive: the links load the list in place
    # the member counts are of the whole subtree, as in the full tree
    assert '<span class="count" title="members in this department and below">1</span>' in part
    # the selected department: its ancestors open, so it shows where it is
    html = client.get("/members/", {"department": tree["Paris"].pk}).content.decode()
    assert names(html) == {"Root", "Sales", "EMEA", "Paris", "Ops"}
    overview = client.get("/").content.decode()
    assert names(overview) == {"Root", "Sales", "Ops"}
    assert "data-department" not in overview.split('class="dept-tree"')[1].split("</ul>")[0]


@pytest.mark.parametrize("node", ["0", "x", "", "99999999"])
def test_o3_the_branch_refuses_what_is_not_a_department_of_its_own(client, admin, tree, node):
    client.force_login(admin)
    assert client.get("/members/tree/", {"node": node}).status_code == 404


def test_o3_a2_the_branch_is_the_admins_alone(client, admin, tree, other_org, member):
    other_root = Department.objects.get(organization=other_org[0], parent=None)
    client.force_login(admin)
    assert client.get("/members/tree/", {"node": other_root.pk}).status_code == 404
    client.force_login(member)
    assert client.get("/members/tree/", {"node": tree["Sales"].pk}).status_code in {403, 404}
