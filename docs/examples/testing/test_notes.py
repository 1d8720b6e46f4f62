from erlen import session


def test_index_lists_the_notes(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>Test notes</h1>" in response.text
    assert "<li>Buy milk</li>" in response.text


def test_api_answers_json(client):
    assert client.get("/api/notes/1").json == {"number": 1, "text": "Buy milk"}


def test_a_missing_note_is_a_404_that_says_why(client):
    response = client.get("/api/notes/99", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "There is no note 99." in response.text


def test_config_override(app):
    app.config["NOTES_TITLE"] = "Changed"  # before the first request
    assert "<h1>Changed</h1>" in app.test_client().get("/").text


def test_session_before_a_request(client):
    with client.session_transaction() as sess:  # set up the session the app will see
        sess["visits"] = 3
    client.get("/")
    assert session["visits"] == 3  # inside `with client:`, the last request's session


def test_a_command(runner):
    result = runner.invoke(args=["count"])
    assert result.exit_code == 0
    assert result.output == "2 notes\n"


def test_a_websocket(client):
    with client.websocket("/api/echo") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "echo: hi"
