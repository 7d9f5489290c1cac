"""F11: tags on members and departments, edited singly or in bulk by the admin's organization
managers, every change audited; the members table filters by tag."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations import services
from organizations.models import AuditRecord, Department, Membership, TagSet
from tco_console.errors import DomainError
from tests.factories import join

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def membership(user):
    return Membership.objects.select_related("tag_set").get(account=user.account)


def tags_of(user):
    m = membership(user)
    return m.tag_set.as_dict() if m.tag_set else {}


def tag(user, text, client):
    return client.post(f"/members/{user.account.uin}/tags/", {"tags": text}, **HTMX)


def test_f11_member_tags_set_and_audited(client, org, admin, member):
    client.force_login(admin)
    response = tag(member, "env=prod\ncost-center = cc-42\nowner", client)
    assert response.status_code == 204
    assert "membersChanged" in response.headers["HX-Trigger"]
    assert tags_of(member) == {"env": "prod", "cost-center": "cc-42", "owner": ""}
    record = AuditRecord.objects.get(action="member.tags")
    assert record.target_account == member.account and record.actor == admin
    assert record.changes == {"tags": [{}, {"cost-center": "cc-42", "env": "prod", "owner": ""}]}
    # the same set again changes nothing and records nothing; another set is a new record
    assert tag(member, "owner, env=prod, cost-center=cc-42", client).status_code == 204
    assert AuditRecord.objects.filter(action="member.tags").count() == 1
    assert tag(member, "env=test", client).status_code == 204
    last = AuditRecord.objects.filter(action="member.tags").latest("pk")
    assert last.changes["tags"] == [
        {"cost-center": "cc-42", "env": "prod", "owner": ""},
        {"env": "test"},
    ]
    # two members with the same tags share one immutable set; an empty box removes them all
    other = join(org, admin, name="other")
    assert tag(other, "env=test", client).status_code == 204
    assert membership(other).tag_set_id == membership(member).tag_set_id
    assert tag(member, "", client).status_code == 204
    assert membership(member).tag_set is None
    assert TagSet.objects.get(pk=membership(other).tag_set_id).as_dict() == {"env": "test"}
    page = client.get(f"/members/{other.account.uin}/").content.decode()
    assert "env:test" in page


@pytest.mark.parametrize(
    "text, message",
    [
        ("=prod", "A tag key cannot be empty."),
        ("env=prod\nenv=test", "The tag key “env” appears twice."),
        ("k" * 128 + "=v", "A tag key is at most 127 characters."),
        ("env=" + "v" * 256, "A tag value is at most 255 characters."),
        ("env=prod;drop", "Tags use letters, digits, spaces"),
        ("qcs:project=x", "The tag key “qcs:project” is reserved."),
        ("Project=x", "is reserved."),
        ("x" * 10_000, "This is too long for tags (at most 3840 characters; it has 10000)."),
        ("\n".join(f"k{i}=v" for i in range(11)), "At most 10 tags per member or department."),
    ],
)
def test_f11_at_most_10_tags_and_bad_input_refused(client, admin, member, text, message):
    client.force_login(admin)
    assert tag(member, "keep=me", client).status_code == 204
    response = tag(member, text, client)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert 'data-testid="field-error-tags"' in body
    assert tags_of(member) == {"keep": "me"}
    assert AuditRecord.objects.filter(action="member.tags").count() == 1


def test_f11_services_refuse_bad_pairs_with_the_tag_error(admin, member):
    m = membership(member)
    for pairs in ([("", "x")], [("a", "1"), ("a", "2")], [("qcs:x", "")], [("k" * 10_000, "")]):
        with pytest.raises(DomainError) as refused:
            services.member_tags_set(membership=m, pairs=pairs, acting_user=admin)
        assert refused.value.code == "InvalidParameter.TagError"
        assert refused.value.field == "tags"
    assert membership(member).tag_set is None
    assert not AuditRecord.objects.filter(action="member.tags").exists()


def test_f11_exactly_10_tags_are_accepted(client, admin, member):
    client.force_login(admin)
    text = "\n".join(f"k{i}=v{i}" for i in range(10))
    assert tag(member, text, client).status_code == 204
    assert len(tags_of(member)) == 10


def bulk(client, users, add="", remove=""):
    return client.post(
        "/members/tags/",
        {"uins": [u.account.uin for u in users], "add": add, "remove": remove},
        **HTMX,
    )


def test_f11_bulk_add_replace_remove(client, org, admin, member):
    a = join(org, admin, name="alpha")
    b = join(org, admin, name="beta")
    client.force_login(admin)
    assert tag(a, "env=prod\nteam=red", client).status_code == 204
    before = AuditRecord.objects.filter(action="member.tags").count()

    response = bulk(client, [a, b], add="env=test\nowner=ops")
    assert response.status_code == 204
    assert "membersChanged" in response.headers["HX-Trigger"]
    assert tags_of(a) == {"env": "test", "team": "red", "owner": "ops"}  # env replaced
    assert tags_of(b) == {"env": "test", "owner": "ops"}
    assert tags_of(member) == {}  # not selected
    records = AuditRecord.objects.filter(action="member.tags").order_by("pk")[before:]
    assert {r.target_account_id: r.changes["tags"] for r in records} == {
        a.account_id: [
            {"env": "prod", "team": "red"},
            {"env": "test", "owner": "ops", "team": "red"},
        ],
        b.account_id: [{}, {"env": "test", "owner": "ops"}],
    }

    response = bulk(client, [a, b], remove="team, missing")
    assert response.status_code == 204
    assert tags_of(a) == {"env": "test", "owner": "ops"}
    assert tags_of(b) == {"env": "test", "owner": "ops"}
    # only the member whose tags changed is audited
    assert AuditRecord.objects.filter(action="member.tags").count() == before + 3
    assert membership(a).tag_set_id == membership(b).tag_set_id

    response = bulk(client, [a, b], add="team=blue", remove="env,owner")
    assert response.status_code == 204
    assert tags_of(a) == tags_of(b) == {"team": "blue"}


def test_f11_bulk_refuses_unclear_input(client, org, admin, member):
    client.force_login(admin)
    for add, remove, message in [
        ("", "", "Enter tags to add or keys to remove."),
        ("env=prod", "env", "The tag key “env” cannot be both added and removed."),
        ("qcs:x=1", "", "The tag key “qcs:x” is reserved."),
    ]:
        response = bulk(client, [member], add=add, remove=remove)
        assert response.status_code == 422
        assert message in response.content.decode()
    response = client.post("/members/tags/", {"add": "env=prod"}, **HTMX)
    assert response.status_code == 422
    assert "Select members in the table first." in response.content.decode()
    assert tags_of(member) == {}


def test_f11_bulk_refuses_all_when_one_member_would_exceed_10(client, org, admin, member):
    full = join(org, admin, name="full-one")
    client.force_login(admin)
    assert tag(full, "\n".join(f"k{i}=v" for i in range(9)), client).status_code == 204
    before = AuditRecord.objects.count()
    response = bulk(client, [member, full], add="env=prod\nowner=ops")
    assert response.status_code == 422
    body = response.content.decode()
    assert f"full-one ({full.account.uin}) would have 11 tags" in body
    assert "Nothing was changed." in body
    assert tags_of(member) == {}
    assert len(tags_of(full)) == 9
    assert AuditRecord.objects.count() == before
    # replacing a key the member has keeps it at 10: accepted
    assert bulk(client, [member, full], add="k0=new\nenv=prod").status_code == 204
    assert tags_of(full)["k0"] == "new" and len(tags_of(full)) == 10


def test_f11_department_tags(client, org, admin):
    root = Department.objects.get(organization=org, parent=None)
    dept = services.department_create(organization=org, parent=root, name="Eng", acting_user=admin)
    client.force_login(admin)
    url = f"/departments/{dept.pk}/tags/"
    assert "Tags of department Eng" in client.get(url, **HTMX).content.decode()
    response = client.post(url, {"tags": "cost-center=cc-7\n部门=研发"}, **HTMX)
    assert response.status_code == 204
    assert "membersChanged" in response.headers["HX-Trigger"]
    dept.refresh_from_db()
    assert dept.tag_set.as_dict() == {"cost-center": "cc-7", "部门": "研发"}
    record = AuditRecord.objects.get(action="department.tags")
    assert record.changes == {"tags": [{}, {"cost-center": "cc-7", "部门": "研发"}]}
    page = client.get(f"/members/?department={dept.pk}").content.decode()
    assert "cost-center:cc-7" in page and 'data-testid="department-tags"' in page
    # the edit form shows the current tags; a bad one is refused and changes nothing
    assert "cost-center=cc-7" in client.get(url, **HTMX).content.decode()
    response = client.post(url, {"tags": "project=x"}, **HTMX)
    assert response.status_code == 422
    dept.refresh_from_db()
    assert dept.tag_set.as_dict() == {"cost-center": "cc-7", "部门": "研发"}


def test_f11_root_tags_head_the_members_page_and_can_be_edited(client, org, admin):
    root = Department.objects.get(organization=org, parent=None)
    services.department_tags_set(department=root, pairs=[("company", "acme")], acting_user=admin)
    client.force_login(admin)
    page = client.get("/members/").content.decode()
    assert 'data-testid="department-tags"' in page and "company:acme" in page
    assert f"/departments/{root.pk}/tags/" in page


def member_names(html):
    return {n for n in ("alpha", "beta", "gamma", "delta") if f">{n}<" in html}


@pytest.fixture
def tagged(org, admin):
    users = {n: join(org, admin, name=n) for n in ("alpha", "beta", "gamma", "delta")}
    services.member_tags_set(
        membership=membership(users["alpha"]), pairs=[("env", "prod")], acting_user=admin
    )
    services.member_tags_set(
        membership=membership(users["beta"]),
        pairs=[("env", "test"), ("team", "red")],
        acting_user=admin,
    )
    services.member_tags_set(
        membership=membership(users["gamma"]),
        pairs=[("team", "red"), ("owner", "")],
        acting_user=admin,
    )
    return users


def test_f11_members_table_filters_by_tag(client, admin, tagged):
    client.force_login(admin)

    def names(tag):
        response = client.get("/members/", {"tag": tag}, **HTMX)
        assert response.status_code == 200
        return member_names(response.content.decode())

    assert names("env=prod") == {"alpha"}
    assert names("env") == {"alpha", "beta"}
    assert names(" team = red ") == {"beta", "gamma"}
    assert names("owner") == {"gamma"}
    assert names("owner=") == {"gamma"}
    assert names("env=staging") == set()
    assert names("nobody") == set()
    assert names("") == {"alpha", "beta", "gamma", "delta"}
    full = client.get("/members/?tag=team%3Dred").content.decode()
    assert 'name="tag"' in full and 'value="team=red"' in full
    assert "team:red" in full  # the badges of the Tags column


def test_f11_other_organizations_tag_sets_are_not_matched(client, admin, tagged, other_org):
    _org2, admin2, m2 = other_org
    services.member_tags_set(membership=membership(m2), pairs=[("env", "prod")], acting_user=admin2)
    client.force_login(admin)
    html = client.get("/members/", {"tag": "env=prod"}, **HTMX).content.decode()
    assert member_names(html) == {"alpha"} and "other-member" not in html


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **HTMX).status_code == 200
    return len(ctx.captured_queries)


def test_f11_filtered_members_page_query_count_is_pinned(
    client, org, admin, tagged, django_assert_max_num_queries
):
    client.force_login(admin)
    url = f"/members/?tag=team%3Dred&department={membership(tagged['alpha']).department_id}"
    client.get(url)  # warm caches
    small = _count(client, url)
    for i in range(15):
        user = join(org, admin, name=f"more-{i}")
        services.member_tags_set(
            membership=membership(user), pairs=[("team", "red"), ("n", str(i))], acting_user=admin
        )
    assert _count(client, url) == small
    # the members page's 10, the department filter's, the tag sets' and the department header's
    with django_assert_max_num_queries(13):
        client.get(url)


def test_f11_only_admin_with_manage_org(client, org, admin, member, readonly_sub, other_org):
    _org2, admin2, m2 = other_org
    root = Department.objects.get(organization=org, parent=None)
    uin = member.account.uin
    urls = [f"/members/{uin}/tags/", f"/departments/{root.pk}/tags/"]
    data = {"tags": "env=prod", "add": "env=prod", "uins": [uin]}

    client.force_login(readonly_sub)  # the admin account's user without manage_org
    for url in [*urls, "/members/tags/"]:
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    page = client.get("/members/").content.decode()
    assert "bulk-tags" not in page and f"/members/{uin}/tags/" not in page

    client.force_login(member)  # a member of the organization
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    assert client.post("/members/tags/", data).status_code == 403

    client.force_login(admin2)  # another organization's admin: our objects do not exist
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    response = client.post("/members/tags/", data, **HTMX)
    assert response.status_code == 422
    assert "Some of the UINs do not belong to the organization." in response.content.decode()

    client.force_login(admin)  # and our admin cannot reach the other organization's member
    assert client.get(f"/members/{m2.account.uin}/tags/").status_code == 404
    response = client.post(
        "/members/tags/", {"add": "env=prod", "uins": [uin, m2.account.uin]}, **HTMX
    )
    assert response.status_code == 422
    assert tags_of(member) == {} and tags_of(m2) == {}
    assert not AuditRecord.objects.filter(action__endswith=".tags").exists()
