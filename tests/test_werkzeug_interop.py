"""Werkzeug's classes and erlen's: what Flask's extensions check and assign.

With the flask alias on, erlen's HTTP errors, ``Headers``, ``MultiDict`` and
``FileStorage`` are also Werkzeug's (``erlen._werkzeug_bases``, which the
alias applies when Werkzeug loads). The ``werkzeug_bases`` fixture applies
it here, without the alias, and takes it back after each test. The alias
itself is tested in subprocesses (tests/test_flask_alias.py).
"""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import werkzeug.datastructures as wd
import werkzeug.exceptions as wz
import werkzeug.routing as wr

import erlen
from erlen import _werkzeug_bases, request
from erlen.http import exceptions as ours
from erlen.http.datastructures import FileStorage, MultiDict
from erlen.http.headers import Headers
from erlen.routing import RequestRedirect


@pytest.fixture
def werkzeug_bases():
    _werkzeug_bases.patch_loaded()
    yield
    _werkzeug_bases.unpatch()


def test_abort_in_a_view_is_caught_as_werkzeugs_error(app, client, werkzeug_bases):
    @app.get("/post/<int:pid>")
    def post(pid):
        try:
            erlen.abort(404, f"no post {pid}")
        except wz.NotFound as error:
            return f"caught {error.code}: {error.description}"

    assert client.get("/post/7").text == "caught 404: no post 7"


def test_abort_in_a_hook_is_caught_as_werkzeugs_error(app, client, werkzeug_bases):
    app.get("/")(lambda: "view")

    @app.before_request
    def check():
        try:
            erlen.abort(403)
        except wz.HTTPException as error:
            if isinstance(error, wz.Forbidden):
                return "refused, and caught as werkzeug.exceptions.Forbidden", 403

    response = client.get("/")
    assert (response.status_code, response.text) == (
        403,
        "refused, and caught as werkzeug.exceptions.Forbidden",
    )


@pytest.mark.parametrize("code", sorted(ours.default_exceptions))
def test_each_http_error_is_werkzeugs_of_its_code(code, werkzeug_bases):
    theirs = wz.default_exceptions.get(code, wz.HTTPException)
    with pytest.raises(theirs) as raised:
        erlen.abort(code)
    assert raised.value.code == code
    assert isinstance(raised.value, ours.HTTPException)


def test_a_missing_form_key_is_werkzeugs_bad_request_key_error(app, client, werkzeug_bases):
    @app.post("/form")
    def form():
        try:
            return request.form["name"]
        except wz.BadRequestKeyError as error:
            return f"{type(error).__name__}, a KeyError: {isinstance(error, KeyError)}"

    assert client.post("/form", data={}).text == "BadRequestKeyError, a KeyError: True"


def test_routing_errors_are_werkzeugs(app, werkzeug_bases):
    app.add_url_rule("/only-get", "only_get", lambda: "x")
    app.add_url_rule("/folder/", "folder", lambda: "x")
    with pytest.raises(wz.NotFound):
        app.url_map.match("GET", "/nowhere")
    with pytest.raises(wz.MethodNotAllowed) as not_allowed:
        app.url_map.match("POST", "/only-get")
    assert "GET" in not_allowed.value.valid_methods
    with pytest.raises(wr.RequestRedirect) as redirect:
        app.url_map.match("GET", "/folder")
    assert redirect.value.new_url == "/folder/"


def test_request_data_passes_werkzeugs_isinstance_checks(app, client, werkzeug_bases):
    @app.post("/upload")
    def upload():
        upload = request.files["doc"]
        return {
            "form": isinstance(request.form, wd.MultiDict),
            "args": isinstance(request.args, wd.MultiDict),
            "files": isinstance(request.files, wd.MultiDict),
            "file": isinstance(upload, wd.FileStorage),
            "headers": isinstance(request.headers, wd.Headers),
            "mimetype_params": upload.mimetype_params,
        }

    response = client.post(
        "/upload?page=2",
        data={"title": "x", "doc": (io.BytesIO(b"hello"), "a.txt", "text/plain; charset=utf-8")},
    )
    assert response.json == {
        "form": True,
        "args": True,
        "files": True,
        "file": True,
        "headers": True,
        "mimetype_params": {"charset": "utf-8"},
    }


def test_response_headers_pass_werkzeugs_isinstance_check(app, client, werkzeug_bases):
    app.get("/")(lambda: "hi")

    @app.after_request
    def cors(response):
        # Flask-Cors replaces headers that fail this check with a MultiDict.
        assert isinstance(response.headers, wd.Headers)
        response.headers.add("Access-Control-Allow-Origin", "*")
        return response

    assert client.get("/").headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("replacement", [wd.MultiDict, wd.Headers, dict])
def test_headers_replaced_by_werkzeugs_objects_are_sent(app, client, replacement):
    # What Flask-Cors does when response.headers fails its isinstance check.
    @app.get("/")
    def index():
        erlen.session["seen"] = True  # the session is saved after the hooks
        return "hi"

    app.secret_key = "test"

    @app.after_request
    def cors(response):
        response.headers = replacement(response.headers)
        if replacement is dict:
            response.headers["Access-Control-Allow-Origin"] = "*"
        else:
            response.headers.add("Access-Control-Allow-Origin", "*")
            response.headers.add("X-Twice", "1")
            response.headers.add("X-Twice", "2")
        return response

    response = client.get("/")
    assert response.text == "hi"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "session=" in response.headers["Set-Cookie"]
    if replacement is not dict:
        assert response.headers.getlist("X-Twice") == ["1", "2"]


def test_werkzeugs_methods_read_erlens_multidict(werkzeug_bases):
    data = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert isinstance(data, wd.MultiDict)
    assert dict(data) == {"a": "1", "b": "3"}  # erlen's own behaviour is kept
    assert list(data.values()) == ["1", "3"]
    assert list(data.listvalues()) == [["1", "2"], ["3"]]
    assert data.setlistdefault("c", ["x", "y"]) == ["x", "y"]
    assert data.getlist("c") == ["x", "y"]
    assert pickle.loads(pickle.dumps(data)).getlist("a") == ["1", "2"]
    assert copy.copy(data).getlist("a") == ["1", "2"]
    assert copy.deepcopy(data).getlist("a") == ["1", "2"]
    assert data.popitemlist() == ("a", ["1", "2"])
    assert "a" not in data


def test_werkzeugs_methods_read_erlens_headers(werkzeug_bases):
    headers = Headers([("X-A", "1")])
    headers.add_header("X-B", "2")
    headers.setlist("X-C", ["3", "4"])
    assert headers.getlist("X-C") == ["3", "4"]
    assert headers.setlistdefault("X-A", ["9"]) == ["1"]
    assert headers.popitem() == ("X-C", "4")
    assert copy.copy(headers).to_wsgi_list() == [("X-A", "1"), ("X-B", "2"), ("X-C", "3")]


def test_werkzeugs_properties_read_erlens_file_storage(werkzeug_bases):
    upload = FileStorage(io.BytesIO(b"data"), "a.txt", "doc", "text/plain; charset=utf-8")
    assert upload.content_type == "text/plain; charset=utf-8"
    assert upload.mimetype_params == {"charset": "utf-8"}
    assert upload.content_length == 0  # no Content-Length header came with it
    assert upload.read() == b"data"
    assert upload.tell() == 4  # Werkzeug hands other names to the stream
    assert copy.copy(upload).filename == "a.txt"


def test_http_errors_keep_their_arguments_and_pickle(werkzeug_bases):
    error = ours.NotFound("gone")
    assert error.args == ("gone",)
    assert pickle.loads(pickle.dumps(error)).description == "gone"
    key_error = ours.BadRequestKeyError("name")
    assert isinstance(key_error, wz.BadRequestKeyError)
    assert pickle.loads(pickle.dumps(key_error)).key == "name"
    assert ours.TooManyRequests().retry_after is None  # Werkzeug's attribute, unset


#: Each patched class and what it now gets from Werkzeug, reviewed: each
#: works on erlen's data (the tests above call them), or is a plain value.
WERKZEUG_ADDS = {
    "HTTPException": {"get_description"},
    "BadRequestKeyError": {"get_description", "show_exception"},
    "Headers": {"add_header", "setlist", "setlistdefault", "popitem"},
    "MultiDict": {"deepcopy"},
    "FileStorage": {"mimetype_params"},
}


def test_what_werkzeug_adds_is_what_was_reviewed(werkzeug_bases):
    found = {}
    for cls in (ours.HTTPException, ours.BadRequestKeyError, Headers, MultiDict, FileStorage):
        added = set()
        for name in dir(cls):
            if name.startswith("_"):
                continue
            owner = next(klass for klass in cls.__mro__ if name in vars(klass))
            if owner.__module__.startswith("werkzeug."):
                added.add(name)
        found[cls.__name__] = added
    assert found == WERKZEUG_ADDS


def test_unpatching_gives_the_classes_their_bases_back(werkzeug_bases):
    before = {cls: cls.__mro__ for cls in (ours.NotFound, Headers, MultiDict, RequestRedirect)}
    assert all(any(c.__module__.startswith("werkzeug") for c in mro) for mro in before.values())
    _werkzeug_bases.unpatch()
    assert not isinstance(Headers(), wd.Headers)
    assert not issubclass(ours.NotFound, wz.NotFound)
    for cls in before:
        assert not any(c.__module__.startswith("werkzeug") for c in cls.__mro__), cls
    _werkzeug_bases.patch_loaded()
    assert issubclass(ours.NotFound, wz.NotFound)
