from flask import g


def test_login_page(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'<form method="post">' in response.data


def test_login_redirects_home_and_welcomes(client):
    response = client.post("/auth/login", data={"name": "Ada Lovelace"}, follow_redirects=True)
    assert response.request.path == "/"
    assert len(response.history) == 1
    assert b'<p class="flash info">Welcome, Ada Lovelace.</p>' in response.data
    assert b'<span class="user">Ada Lovelace (AL)</span>' in response.data


def test_login_follows_next(client):
    response = client.post("/auth/login?next=/books/2", data={"name": "Ada"})
    assert response.headers["Location"] == "/books/2"


def test_login_needs_a_name(client):
    response = client.post("/auth/login", data={"name": "  "})
    assert response.status_code == 200
    assert b'<p class="flash error">A name is required.</p>' in response.data


def test_logout_clears_the_user(client, login):
    login()
    with client:
        client.get("/auth/logout")
        assert g.user == "Ada Lovelace"  # loaded before the view cleared the session
        client.get("/")
        assert g.user is None
