def test_admin_sees_members_page(client, admin, member):
    client.force_login(admin)
    response = client.get("/members/")
    assert response.status_code == 200
    assert b"member-one" in response.content
