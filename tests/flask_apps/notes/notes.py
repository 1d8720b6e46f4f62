"""Notes: a JSON API with error handlers and a JSON provider of its own."""

import dataclasses
import json
from datetime import datetime, timezone

from flask import Flask, abort, current_app, jsonify, request, stream_with_context, url_for
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException


class NotesJSONProvider(DefaultJSONProvider):
    """Flask's JSON, and sets too (as sorted lists)."""

    @staticmethod
    def default(o):
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return DefaultJSONProvider.default(o)


class NotesApp(Flask):
    json_provider_class = NotesJSONProvider


app = NotesApp(__name__)
app.config.from_mapping(API_KEY="secret")


@dataclasses.dataclass
class Note:
    id: int
    text: str
    tags: set
    created: datetime


NOTES = {}


def reset():
    NOTES.clear()
    created = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
    NOTES[1] = Note(1, "Buy milk", {"home", "shopping"}, created)
    NOTES[2] = Note(2, "Write report", {"work"}, created)


reset()


class InvalidAPIUsage(Exception):
    status_code = 400

    def __init__(self, message, status_code=None, payload=None):
        super().__init__()
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.payload = payload

    def to_dict(self):
        rv = dict(self.payload or ())
        rv["message"] = self.message
        return rv


@app.errorhandler(InvalidAPIUsage)
def invalid_api_usage(e):
    return jsonify(e.to_dict()), e.status_code


@app.errorhandler(HTTPException)
def handle_http_exception(e):
    """Return JSON instead of HTML for HTTP errors."""
    response = e.get_response()
    response.data = json.dumps({"code": e.code, "name": e.name, "description": e.description})
    response.content_type = "application/json"
    return response


@app.errorhandler(Exception)
def handle_exception(e):
    if isinstance(e, HTTPException):
        return e
    return {"code": 500, "name": "Internal Server Error"}, 500


@app.before_request
def check_api_key():
    if request.method in ("POST", "PATCH", "DELETE"):
        if request.headers.get("X-API-Key") != current_app.config["API_KEY"]:
            abort(401, description="Send your key in the X-API-Key header.")


@app.after_request
def count_notes(response):
    response.headers["X-Notes-Count"] = str(len(NOTES))
    return response


def get_note(note_id):
    if note_id not in NOTES:
        abort(404, description=f"Note {note_id} does not exist.")
    return NOTES[note_id]


@app.get("/notes")
def list_notes():
    tag = request.args.get("tag")
    limit = request.args.get("limit", default=10, type=int)
    notes = [note for note in NOTES.values() if tag is None or tag in note.tags]
    return [dataclasses.asdict(note) for note in notes[:limit]]


@app.post("/notes")
def create_note():
    data = request.get_json()
    if not isinstance(data, dict) or not data.get("text"):
        raise InvalidAPIUsage("A note needs some text.", payload={"field": "text"})
    note_id = max(NOTES, default=0) + 1
    note = Note(note_id, data["text"], set(data.get("tags", ())), datetime.now(timezone.utc))
    NOTES[note_id] = note
    return jsonify(note), 201, {"Location": url_for("show_note", note_id=note_id)}


@app.get("/notes/<int:note_id>")
def show_note(note_id):
    return jsonify(get_note(note_id))


@app.patch("/notes/<int:note_id>")
def update_note(note_id):
    note = get_note(note_id)
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidAPIUsage("Send the changes as JSON.", status_code=415)
    if "text" in data:
        note.text = data["text"]
    if "tags" in data:
        note.tags = set(data["tags"])
    return jsonify(note)


@app.delete("/notes/<int:note_id>")
def delete_note(note_id):
    del NOTES[get_note(note_id).id]
    return "", 204


@app.get("/notes/export")
def export_notes():
    """Every note as a line of JSON, streamed."""

    def generate():
        fields = request.args.getlist("field") or ["id", "text"]
        for note in list(NOTES.values()):
            record = dataclasses.asdict(note)
            yield current_app.json.dumps({name: record[name] for name in fields}) + "\n"

    return stream_with_context(generate()), {"Content-Type": "application/x-ndjson"}


@app.get("/boom")
def boom():
    raise RuntimeError("Something broke.")
