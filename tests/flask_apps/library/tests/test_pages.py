from flask import g, url_for


def test_home_in_each_language(client):
    assert b"<h1>Welcome</h1>" in client.get("/en/").data
    response = client.get("/de/")
    assert b"<h1>Willkommen</h1>" in response.data
    assert b'href="/de/about"' in response.data


def test_unknown_language_is_404(client):
    assert client.get("/xx/").status_code == 404


def test_url_value_preprocessor_and_url_defaults(client):
    assert client.get("/fr/about").json == {"lang": "fr", "home": "/fr/"}


def test_url_defaults_fill_in_the_language(app):
    with app.test_request_context():
        g.lang_code = "de"
        assert url_for("pages.about") == "/de/about"
        assert url_for("pages.about", lang_code="en") == "/en/about"
