from app import app


def test_home():
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "Hello from erlen!" in response.text


def test_a_note_comes_back_escaped():
    response = app.test_client().post("/submit", data={"note": "<b>hi</b>"})
    assert response.status_code == 200
    assert "&lt;b&gt;hi&lt;/b&gt;" in response.text


def test_an_empty_note_goes_home():
    response = app.test_client().post("/submit", data={"note": ""})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
