import json

import notes
from flask import jsonify


def test_list(client):
    response = client.get("/notes")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert [note["text"] for note in response.json] == ["Buy milk", "Write report"]


def test_list_with_query_arguments(client):
    response = client.get("/notes", query_string={"tag": "work"})
    assert [note["id"] for note in response.json] == [2]
    assert len(client.get("/notes?limit=1").json) == 1
    assert len(client.get("/notes?limit=many").json) == 2  # not an int: the default


def test_show_uses_the_apps_json_provider(client):
    response = client.get("/notes/1")
    assert response.json == {
        "id": 1,
        "text": "Buy milk",
        "tags": ["home", "shopping"],  # a set, sent by NotesJSONProvider.default
        "created": "Wed, 01 Jan 2025 10:00:00 GMT",  # Flask sends datetimes as HTTP dates
    }


def test_keys_are_sorted(client):
    keys = list(json.loads(client.get("/notes/1").data))
    assert keys == ["created", "id", "tags", "text"]


def test_app_json(app):
    assert isinstance(app.json, notes.NotesJSONProvider)
    assert app.json.dumps({"b": {"y", "x"}, "a": 1}) == '{"a": 1, "b": ["x", "y"]}'
    assert app.json.loads('{"a": [1, 2]}') == {"a": [1, 2]}


def test_jsonify(app):
    with app.test_request_context():
        assert jsonify(1, 2).json == [1, 2]
        assert jsonify(a=1).json == {"a": 1}
        assert jsonify({"a": None}).mimetype == "application/json"


def test_missing_note_is_a_json_404(client):
    response = client.get("/notes/9")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.json == {
        "code": 404,
        "name": "Not Found",
        "description": "Note 9 does not exist.",
    }


def test_unknown_url_is_a_json_404(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert response.json["name"] == "Not Found"


def test_method_not_allowed_is_json_and_keeps_allow(client):
    response = client.put("/notes/1")
    assert response.status_code == 405
    assert response.json["code"] == 405
    assert "PATCH" in response.headers["Allow"]


def test_create(client, key):
    response = client.post("/notes", json={"text": "Call mum", "tags": ["home"]}, headers=key)
    assert response.status_code == 201
    assert response.headers["Location"] == "/notes/3"
    assert response.json["tags"] == ["home"]
    assert client.get("/notes/3").json["text"] == "Call mum"


def test_create_needs_the_key(client):
    response = client.post("/notes", json={"text": "Call mum"})
    assert response.status_code == 401
    assert response.json["description"] == "Send your key in the X-API-Key header."


def test_create_needs_json(client, key):
    response = client.post("/notes", data={"text": "Call mum"}, headers=key)
    assert response.status_code == 415
    assert response.json["name"] == "Unsupported Media Type"


def test_create_with_malformed_json_is_400(client, key):
    response = client.post("/notes", data="{not json", content_type="application/json", headers=key)
    assert response.status_code == 400
    assert response.json["name"] == "Bad Request"


def test_create_needs_text(client, key):
    response = client.post("/notes", json={"tags": ["x"]}, headers=key)
    assert response.status_code == 400
    assert response.json == {"message": "A note needs some text.", "field": "text"}


def test_update(client, key):
    response = client.patch("/notes/2", json={"tags": ["work", "urgent"]}, headers=key)
    assert response.json["tags"] == ["urgent", "work"]
    response = client.patch("/notes/2", data="text=x", headers=key)
    assert response.status_code == 415
    assert response.json == {"message": "Send the changes as JSON."}


def test_delete(client, key):
    response = client.delete("/notes/1", headers=key)
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["X-Notes-Count"] == "1"
    assert client.get("/notes/1").status_code == 404


def test_after_request_header(client):
    assert client.get("/notes").headers["X-Notes-Count"] == "2"


def test_export_streams_with_the_request_context(client):
    response = client.get("/notes/export?field=id&field=tags")
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "tags": ["home", "shopping"]},
        {"id": 2, "tags": ["work"]},
    ]


def test_unexpected_error_is_a_json_500(client):
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json == {"code": 500, "name": "Internal Server Error"}


def test_head(client):
    response = client.head("/notes")
    assert response.status_code == 200
    assert response.data == b""
