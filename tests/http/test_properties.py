"""Property-based tests: erlen's parsers on input nobody wrote by hand.

Two kinds of property run here. Robustness: whatever a client sends (query
strings, cookies, headers, multipart, urlencoded and JSON bodies, paths), the
pure parsers never raise (or raise only the documented ``ValueError``), and a
whole app answers with a status below 500, through WSGI and through ASGI.
Round trips: what erlen writes (``dump_cookie``, ``quote_etag``,
``http_date``, ``url_for``) or a client encodes (``urlencode``, multipart,
JSON) reads back as the same values.

The apps run with ``TESTING`` and ``PROPAGATE_EXCEPTIONS`` off, so a bug shows
as a 500 the assertions catch rather than a raised exception. Hypothesis and
function-scoped fixtures do not mix (a fixture is set up once for all the
examples), so the apps and their clients are module-scoped fixtures, and each
example goes through both protocols inside the test body.
"""

from __future__ import annotations

import io
import json
import string
import typing as t
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlencode

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from erlen import Erlen, jsonify, make_response, request, send_file, session, url_for
from erlen.http import (
    http_date,
    parse_accept,
    parse_date,
    parse_etags,
    parse_options_header,
    parse_qs,
    quote_etag,
    unquote_etag,
)
from erlen.http.cookies import dump_cookie, parse_cookie
from erlen.http.exceptions import HTTPException
from erlen.http.forms import parse_form_data
from erlen.http.headers import Headers, check_header
from erlen.request import Request
from erlen.testing import Client

# The coverage tracer doubles Hypothesis' run time here (19.7 -> 37.7 s); the
# parsers these tests drive are covered by the example-based tests as well.
pytestmark = pytest.mark.no_cover

# -- strategies ---------------------------------------------------------------

#: Any text a client could send: every code point except lone surrogates,
#: which no encoding on the wire can carry.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)))
#: Characters a header value may hold: anything but CR, LF and NUL.
HEADER_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"))
#: Header values as browsers send them: visible ASCII with inner spaces.
VISIBLE = st.text(st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " "))
TOKEN_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
TOKEN = st.text(st.sampled_from(TOKEN_CHARS), min_size=1)
#: RFC 2046 §5.1.1 bchars, for boundaries that are valid.
BCHARS = string.ascii_letters + string.digits + "'()+_,-./:=?"
VALID_BOUNDARY = st.text(st.sampled_from(BCHARS), min_size=1, max_size=70)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Strings shaped like IMF-fixdates, with numbers at and past their edges.
DATE_SHAPED = st.builds(
    "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} {}".format,
    st.sampled_from(DAYS),
    st.integers(0, 32),
    st.sampled_from(MONTHS),
    st.integers(0, 99999) | st.integers(9990, 9999),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["GMT", "UTC", "EST", "Z", ""])
    | st.integers(-9999, 9999).map(lambda offset: f"{offset:+05d}"),
)
PAIRS = st.lists(st.tuples(TEXT, TEXT), max_size=8)
PROTOCOLS = ("wsgi", "asgi")

FEW = settings(max_examples=200, deadline=None)
SOME = settings(max_examples=300, deadline=None)
MANY = settings(max_examples=500, deadline=None)


def _grouped(pairs: t.Iterable[tuple[str, t.Any]]) -> dict[str, list[t.Any]]:
    """Return ``{key: [values in order]}``, the shape of ``MultiDict.lists()``."""
    grouped: dict[str, list[t.Any]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _no_500(response: t.Any, protocol: str, what: object) -> None:
    assert response.status_code < 500, (
        f"{protocol}: {what!r} answered {response.status_code}: "
        f"{response.get_data(as_text=True)[:2000]}"
    )


def _quiet(app: Erlen) -> Erlen:
    """Turn off exception propagation, so an erlen bug is a 500 status, not a raise."""
    app.testing = False
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _clients(app: Erlen) -> t.Iterator[dict[str, Client]]:
    clients = {"wsgi": app.test_client(), "asgi": app.test_client(asgi=True)}
    yield clients
    clients["asgi"].close()


# -- the apps -----------------------------------------------------------------


@pytest.fixture(scope="module")
def echo() -> t.Iterator[tuple[dict[str, Client], list[dict[str, t.Any]]]]:
    """An app whose views record what erlen parsed; its clients and the record."""
    app = _quiet(Erlen("properties_echo"))
    app.secret_key = "properties-secret"
    seen: list[dict[str, t.Any]] = []

    @app.route("/args")
    def args() -> str:
        seen.append({"args": dict(request.args.lists())})
        return "ok"

    @app.route("/form", methods=["POST"])
    def form() -> str:
        files = {
            name: [(storage.filename, storage.read()) for storage in request.files.getlist(name)]
            for name, _ in request.files.lists()
        }
        seen.append({"form": dict(request.form.lists()), "files": files})
        return "ok"

    @app.route("/json", methods=["POST"])
    def json_body() -> str:
        seen.append({"json": request.get_json()})
        return "ok"

    @app.route("/headers")
    def headers() -> str:
        seen.append(
            {
                "probe": request.headers.get("X-Probe"),
                "cookies": dict(request.cookies.lists()),
                "accept": list(request.accept_mimetypes),
                "if_none_match": parse_etags(request.headers.get("If-None-Match")),
                "since": parse_date(request.headers.get("If-Modified-Since")),
                "mimetype": request.mimetype,
                "params": request.mimetype_params,
                "is_json": request.is_json,
                "languages": list(request.accept_languages),
                "user_agent": str(request.user_agent),
                "url": (request.url, request.host_url, request.full_path),
                "external": url_for("headers", _external=True, q=request.args.get("q")),
                "length": request.content_length,  # last: a bad value raises 400
            }
        )
        return "ok"

    @app.route("/file", methods=["GET", "POST"])
    def file() -> t.Any:
        return send_file(
            io.BytesIO(b"0123456789" * 10),
            mimetype="text/plain",
            etag="abc",
            last_modified=1_000_000_000,
        )

    @app.route("/session")
    def session_view() -> str:
        seen.append({"session": dict(session)})
        session["visits"] = session.get("visits", 0) + 1
        return "ok"

    @app.route("/body", methods=["POST"])
    def body() -> str:
        seen.append({"length": request.content_length, "data": request.get_data()})
        return "ok"

    @app.route("/set-cookie")
    def set_cookie() -> t.Any:
        response = make_response("set")
        response.set_cookie("probe", request.args["value"])
        return response

    @app.route("/cookie")
    def cookie() -> str:
        seen.append({"cookie": request.cookies.get("probe")})
        return "ok"

    for clients in _clients(app):
        yield clients, seen


ANY_ITEMS = ("alpha", "beta", "x y", "ü", "a.b")


def _routing_app() -> Erlen:
    app = _quiet(Erlen("properties_routing"))

    def view(**values: t.Any) -> t.Any:
        return jsonify(
            endpoint=request.endpoint,
            values={k: [type(v).__name__, str(v)] for k, v in values.items()},
            extra=request.args.get("extra"),
        )

    rules = {
        "int": "/i/<int:v>",
        "signed_int": "/is/<int(signed=True):v>",
        "fixed_int": "/fi/<int(fixed_digits=4):v>",
        "float": "/f/<float:v>",
        "signed_float": "/fs/<float(signed=True):v>",
        "path": "/p/<path:v>/end",
        "uuid": "/u/<uuid:v>",
        "string": "/s/<string:v>",
        "default": "/d/<v>",
        "two": "/two/<a>/<int:b>",
        "any": "/a/<any(alpha, beta, 'x y', 'ü', 'a.b'):v>",
        "root_path": "/<path:v>",
    }
    for endpoint, rule in rules.items():
        app.add_url_rule(rule, endpoint, view, methods=["GET", "POST"])
    return app


@pytest.fixture(scope="module")
def routing() -> t.Iterator[tuple[Erlen, dict[str, Client]]]:
    app = _routing_app()
    for clients in _clients(app):
        yield app, clients


# -- 1. query strings ---------------------------------------------------------


@MANY
@given(query=TEXT, max_fields=st.none() | st.integers(0, 20))
def test_parse_qs_never_raises_but_for_too_many_fields(query: str, max_fields: int | None) -> None:
    try:
        pairs = parse_qs(query, max_fields)
    except ValueError:
        assert max_fields is not None
        assert sum(1 for field in query.split("&") if field) > max_fields
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)
    if max_fields is not None:
        assert len(pairs) <= max_fields


@MANY
@given(pairs=PAIRS)
def test_parse_qs_reads_back_what_urlencode_wrote(pairs: list[tuple[str, str]]) -> None:
    assert parse_qs(urlencode(pairs)) == pairs
    assert parse_qs(urlencode(pairs, quote_via=quote)) == pairs


@MANY
@given(raw=st.binary(), max_parts=st.integers(0, 20))
def test_request_args_on_any_bytes_is_a_value_or_a_4xx(raw: bytes, max_parts: int) -> None:
    # A WSGI server hands the raw query string over decoded as latin-1.
    environ = {"QUERY_STRING": raw.decode("latin-1"), "PATH_INFO": "/"}
    try:
        args = Request(environ, {"MAX_FORM_PARTS": max_parts}).args
    except HTTPException as error:
        assert 400 <= t.cast(int, error.code) < 500
        return
    assert sum(len(values) for _, values in args.lists()) <= max_parts


@FEW
@given(pairs=PAIRS)
def test_args_round_trip_through_both_protocols(echo: t.Any, pairs: list[tuple[str, str]]) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].get("/args", query_string=urlencode(pairs))
        assert response.status_code == 200, (protocol, response.get_data(as_text=True))
        assert seen == [{"args": _grouped(pairs)}], protocol


@FEW
@given(raw=st.binary())
def test_arbitrary_query_bytes_answer_below_500(echo: t.Any, raw: bytes) -> None:
    clients, _ = echo
    for protocol in PROTOCOLS:
        response = clients[protocol].get("/args", query_string=raw)
        _no_500(response, protocol, raw)


# -- 2. cookies ---------------------------------------------------------------


@MANY
@given(header=st.none() | st.text(), max_cookies=st.none() | st.integers(1, 5))
def test_parse_cookie_never_raises(header: str | None, max_cookies: int | None) -> None:
    cookies = parse_cookie(header, max_cookies)
    count = sum(len(values) for _, values in cookies.lists())
    if max_cookies is not None:
        assert count <= max_cookies
    for name, values in cookies.lists():
        assert name and all(isinstance(value, str) for value in values)


@MANY
@given(name=TOKEN, value=TEXT)
def test_dump_cookie_value_reads_back(name: str, value: str) -> None:
    header = dump_cookie(name, value)
    assert not any(c in header for c in "\r\n\x00")
    name_value = header.split("; ")[0]
    assert parse_cookie(name_value).getlist(name) == [value]
    # Among other cookies, in a header a WSGI server decoded as latin-1.
    sent = f"a=1; {name_value}; z=2".encode().decode("latin-1")
    assert parse_cookie(sent).getlist(name) == {"a": ["1", value], "z": [value, "2"]}.get(
        name, [value]
    )


@SOME
@given(name=st.text(), value=st.text())
def test_dump_cookie_builds_a_header_or_raises_value_error(name: str, value: str) -> None:
    try:
        header = dump_cookie(name, value)
    except ValueError:
        return
    assert not any(c in header for c in "\r\n\x00")
    assert header.startswith(f"{name}=")


@FEW
@given(value=TEXT)
def test_cookie_round_trip_through_both_protocols(echo: t.Any, value: str) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        client = clients[protocol]
        client.delete_cookie("probe")
        response = client.get("/set-cookie", query_string=urlencode({"value": value}))
        assert response.status_code == 200, (protocol, response.get_data(as_text=True))
        seen.clear()
        response = client.get("/cookie")
        assert response.status_code == 200, protocol
        assert seen == [{"cookie": value}], protocol


@FEW
@given(
    value=HEADER_TEXT,
    position=st.integers(0, 200),
    garbage=st.text(st.sampled_from(string.ascii_letters + string.digits + '-_.=%"; '), max_size=5),
)
def test_session_cookies_forged_or_mangled_answer_below_500(
    echo: t.Any, value: str, position: int, garbage: str
) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        client = clients[protocol]
        client.delete_cookie("session")
        assert client.get("/session").status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None, protocol
        at = position % (len(cookie.value) + 1)
        mangled = cookie.value[:at] + garbage + cookie.value[at + len(garbage) :]
        client.delete_cookie("session")
        for sent in (value, mangled):
            seen.clear()
            response = client.get("/session", headers={"Cookie": f"session={sent}"})
            _no_500(response, protocol, sent)
            # A cookie that is not one erlen signed opens an empty session.
            assert seen[0]["session"] in ({}, {"visits": 1}), (protocol, sent, seen)
            client.delete_cookie("session")


# -- 3. headers ---------------------------------------------------------------

HEADER_VALUES = st.one_of(st.text(), st.binary(), st.integers())


@MANY
@given(name=st.text(), value=HEADER_VALUES)
def test_headers_accept_a_pair_or_raise_value_error(name: str, value: t.Any) -> None:
    for method in ("add", "set", "setdefault", "extend", "init"):
        headers = Headers()
        try:
            if method == "extend":
                headers.extend([(name, value)])
            elif method == "init":
                headers = Headers({name: value})
            else:
                getattr(headers, method)(name, value)
        except ValueError:
            continue
        pairs = headers.to_wsgi_list()
        assert len(pairs) == 1
        for key, text in pairs:
            assert isinstance(text, str)
            assert not any(c in key + text for c in "\r\n\x00"), (method, pairs)
            check_header(key, text)  # what was accepted passes the check itself
        assert headers[name.upper()] == pairs[0][1]
        assert name.lower() in headers


@SOME
@given(name=st.text(), value=st.text())
def test_check_header_raises_only_value_error(name: str, value: str) -> None:
    # RFC 9110 §5.5: no control character but the tab, no whitespace at either end.
    bad_value = any((c < " " and c != "\t") or c == "\x7f" for c in value) or value != value.strip(
        " \t"
    )
    try:
        check_header(name, value)
    except ValueError:
        assert not name or not all(c in TOKEN_CHARS for c in name) or bad_value
    else:
        assert name and all(c in TOKEN_CHARS for c in name)
        assert not bad_value


@FEW
@given(
    probe=HEADER_TEXT,
    cookie=HEADER_TEXT,
    accept=HEADER_TEXT,
    etags=HEADER_TEXT,
    since=HEADER_TEXT,
    content_type=HEADER_TEXT,
)
def test_arbitrary_header_values_answer_below_500(
    echo: t.Any, probe: str, cookie: str, accept: str, etags: str, since: str, content_type: str
) -> None:
    clients, seen = echo
    headers = {
        "X-Probe": probe,
        "Cookie": cookie,
        "Accept": accept,
        "If-None-Match": etags,
        "If-Modified-Since": since,
        "Content-Type": content_type,
    }
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].get("/headers", headers=headers)
        _no_500(response, protocol, headers)


@FEW
@given(host=HEADER_TEXT, length=HEADER_TEXT, body=st.binary(max_size=50), query=TEXT)
def test_arbitrary_host_and_content_length_answer_below_500(
    echo: t.Any, host: str, length: str, body: bytes, query: str
) -> None:
    clients, _ = echo
    headers = {"Host": host, "Content-Length": length}
    for protocol in PROTOCOLS:
        for method, path in (("GET", "/headers"), ("POST", "/body"), ("POST", "/form")):
            response = clients[protocol].open(
                path,
                method=method,
                headers=headers,
                data=body,
                query_string=urlencode({"q": query}),
                content_type="application/x-www-form-urlencoded",
            )
            _no_500(response, protocol, (method, path, headers, body))


@FEW
@example(
    conditions={"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 -0100"}, method="GET"
)  # parse_date's OverflowError reaches the view
@given(
    conditions=st.dictionaries(
        st.sampled_from(
            ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"]
            + ["If-Range", "Range"]
        ),
        HEADER_TEXT | DATE_SHAPED | st.just('"abc"') | st.just("bytes=2-5"),
    ),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
def test_conditional_and_range_headers_answer_below_500(
    echo: t.Any, conditions: dict[str, str], method: str
) -> None:
    clients, _ = echo
    for protocol in PROTOCOLS:
        response = clients[protocol].open("/file", method=method, headers=conditions)
        _no_500(response, protocol, (method, conditions))
        assert response.status_code in (200, 206, 304, 412, 416), (protocol, conditions)


@FEW
@given(value=VISIBLE.map(str.strip))
def test_header_values_reach_the_view_unchanged(echo: t.Any, value: str) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].get("/headers", headers={"X-Probe": value})
        assert response.status_code == 200, protocol
        assert seen[0]["probe"] == value, protocol


# -- 4. header values: options, Accept, dates, ETags ----------------------------


@MANY
@given(value=st.none() | st.text())
def test_value_parsers_never_raise(value: str | None) -> None:
    main, params = parse_options_header(value)
    assert main == main.strip().lower()
    assert all(name == name.lower() for name in params)
    accept = parse_accept(value)
    qualities = [q for _, q in accept]
    assert qualities == sorted(qualities, reverse=True)
    assert all(0 <= q <= 1 for q in qualities)
    for offer in ("text/html", "application/json", "*/*", value or ""):
        assert 0 <= accept.quality(offer) <= 1
        assert isinstance(offer in accept, bool)
    assert accept.best_match(["text/html", "application/json"]) in (
        None,
        "text/html",
        "application/json",
    )
    parsed = parse_date(value)
    assert parsed is None or parsed.tzinfo is timezone.utc
    strong, weak, star = parse_etags(value)
    assert isinstance(strong, set) and isinstance(weak, set) and isinstance(star, bool)
    tag, is_weak = unquote_etag(value)
    assert tag is None or isinstance(tag, str)


@MANY
@example(value="Fri, 31 Dec 9999 23:59:59 -0100")  # a time zone that moves it past 9999
@given(value=DATE_SHAPED)
def test_parse_date_never_raises_on_date_shaped_values(value: str) -> None:
    parsed = parse_date(value)
    assert parsed is None or parsed.tzinfo is timezone.utc


@MANY
@given(etag=st.text().filter(lambda e: '"' not in e), weak=st.booleans())
def test_etags_read_back(etag: str, weak: bool) -> None:
    quoted = quote_etag(etag, weak)
    assert unquote_etag(quoted) == (etag, weak)
    strong_tags, weak_tags, star = parse_etags(f'"other", {quoted}')
    assert etag in (weak_tags if weak else strong_tags)
    assert not star


@MANY
@given(seconds=st.integers(0, 253402300799))  # up to 9999-12-31T23:59:59Z
def test_http_dates_read_back(seconds: int) -> None:
    parsed = parse_date(http_date(seconds))
    assert parsed == datetime.fromtimestamp(seconds, timezone.utc)


@MANY
@given(
    main=st.tuples(TOKEN, TOKEN).map("/".join),
    params=st.dictionaries(
        TOKEN.map(str.lower), st.text(st.sampled_from(string.printable[:95])), max_size=4
    ),
)
def test_options_header_reads_back_quoted_parameters(main: str, params: dict[str, str]) -> None:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = main + "".join(f"; {name}={quoted(value)}" for name, value in params.items())
    assert parse_options_header(header) == (main.lower(), params)


# -- 5. bodies: multipart, urlencoded, JSON -------------------------------------


def _multipart(boundary: str, fields: list[tuple[str, bytes, str | None]]) -> bytes:
    """Encode ``(name, value, filename or None)`` parts as RFC 7578 does."""
    out = bytearray()
    for name, value, filename in fields:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


#: Names and filenames as HTML's form encoding leaves them: no quote, CR or LF.
PART_NAME = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\r\n\x00'), max_size=12
)
PARTS = st.lists(st.tuples(PART_NAME, st.binary(max_size=200), st.none() | PART_NAME), max_size=5)


@SOME
@given(
    boundary=VALID_BOUNDARY | HEADER_TEXT,
    fields=PARTS,
    mutation=st.sampled_from(["none", "cut", "garbage", "replace"]),
    position=st.integers(0, 10_000),
    garbage=st.binary(max_size=40),
)
def test_multipart_bodies_answer_below_500(
    echo: t.Any,
    boundary: str,
    fields: list[tuple[str, bytes, str | None]],
    mutation: str,
    position: int,
    garbage: bytes,
) -> None:
    clients, _ = echo
    body = _multipart(boundary, fields)
    at = position % (len(body) + 1)
    if mutation == "cut":
        body = body[:at]
    elif mutation == "garbage":
        body = body[:at] + garbage + body[at:]
    elif mutation == "replace":
        body = body[:at] + garbage + body[at + len(garbage) :]
    content_type = f"multipart/form-data; boundary={boundary}"
    for protocol in PROTOCOLS:
        response = clients[protocol].post("/form", data=body, content_type=content_type)
        _no_500(response, protocol, (content_type, body))


@SOME
@given(
    boundary=VALID_BOUNDARY,
    fields=PARTS,
    garbage=st.binary(max_size=20),
    position=st.integers(0, 10_000),
    memory=st.none() | st.integers(0, 300),
    parts=st.none() | st.integers(0, 4),
    header_size=st.integers(0, 200),
    spool=st.integers(0, 100),
)
def test_parse_form_data_under_small_limits_gives_values_or_a_4xx(
    boundary: str,
    fields: list[tuple[str, bytes, str | None]],
    garbage: bytes,
    position: int,
    memory: int | None,
    parts: int | None,
    header_size: int,
    spool: int,
) -> None:
    body = _multipart(boundary, fields)
    at = position % (len(body) + 1)
    body = body[:at] + garbage + body[at:]
    for mimetype, options in (
        ("multipart/form-data", {"boundary": boundary}),
        ("application/x-www-form-urlencoded", {}),
    ):
        try:
            form, files = parse_form_data(
                io.BytesIO(body),
                mimetype,
                options,
                max_form_memory_size=memory,
                max_form_parts=parts,
                max_part_header_size=header_size,
                spool_threshold=spool,
            )
        except HTTPException as error:
            assert 400 <= t.cast(int, error.code) < 500, error
            continue
        count = sum(len(values) for _, values in form.lists())
        count += sum(len(values) for _, values in files.lists())
        if parts is not None:
            assert count <= parts
        for _, storages in files.lists():
            for storage in storages:
                storage.close()


@SOME
@given(body=st.binary(max_size=500), content_type=HEADER_TEXT)
def test_arbitrary_bodies_answer_below_500(echo: t.Any, body: bytes, content_type: str) -> None:
    clients, _ = echo
    content_types = (
        "multipart/form-data; boundary=b",
        f"multipart/form-data; {content_type}",
        "application/x-www-form-urlencoded",
        content_type,
    )
    for protocol in PROTOCOLS:
        for sent_type in content_types:
            response = clients[protocol].post("/form", data=body, content_type=sent_type)
            _no_500(response, protocol, (sent_type, body))
        response = clients[protocol].post("/json", data=body, content_type="application/json")
        _no_500(response, protocol, ("application/json", body))


@SOME
@given(fields=PARTS, boundary=VALID_BOUNDARY.map(str.rstrip).filter(bool))
def test_multipart_fields_and_files_read_back(
    echo: t.Any, fields: list[tuple[str, bytes, str | None]], boundary: str
) -> None:
    clients, seen = echo
    body = _multipart(boundary, fields)
    # A value holding the delimiter would end its part early: no encoder sends that.
    delimiter = f"\r\n--{boundary}".encode()
    assume(not any(delimiter in b"\r\n" + part[1] + b"\r\n" for part in fields))
    # A boundary with a ':' or ',' or ... must be quoted in the header (RFC 2046 §5.1.1).
    content_type = f'multipart/form-data; boundary="{boundary}"'
    expected_form = _grouped(
        (name, value.decode("utf-8", "replace"))
        for name, value, filename in fields
        if filename is None
    )
    expected_files = _grouped(
        (name, (filename, value)) for name, value, filename in fields if filename is not None
    )
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].post("/form", data=body, content_type=content_type)
        assert response.status_code == 200, (protocol, response.get_data(as_text=True))
        assert seen == [{"form": expected_form, "files": expected_files}], protocol


@SOME
@given(pairs=PAIRS)
def test_urlencoded_bodies_read_back(echo: t.Any, pairs: list[tuple[str, str]]) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].post(
            "/form", data=urlencode(pairs), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200, (protocol, response.get_data(as_text=True))
        assert seen == [{"form": _grouped(pairs), "files": {}}], protocol


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)


@SOME
@given(value=JSON_VALUES)
def test_json_bodies_read_back(echo: t.Any, value: t.Any) -> None:
    clients, seen = echo
    for protocol in PROTOCOLS:
        seen.clear()
        response = clients[protocol].post(
            "/json", data=json.dumps(value), content_type="application/json"
        )
        assert response.status_code == 200, (protocol, response.get_data(as_text=True))
        assert seen == [{"json": value}], protocol


# -- 6. routing ---------------------------------------------------------------

NO_SLASH = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1
)
PATH_VALUE = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(
    lambda text: not text.startswith("/")
)
FINITE = {"allow_nan": False, "allow_infinity": False}
ROUTE_VALUES = st.one_of(
    st.tuples(st.just("int"), st.integers(min_value=0)),
    st.tuples(st.just("signed_int"), st.integers()),
    st.tuples(st.just("fixed_int"), st.integers(0, 9999)),
    st.tuples(st.just("float"), st.floats(min_value=0.0, **FINITE).map(abs)),
    st.tuples(st.just("signed_float"), st.floats(**FINITE)),
    st.tuples(st.just("path"), PATH_VALUE),
    st.tuples(st.just("uuid"), st.uuids()),
    st.tuples(st.just("string"), NO_SLASH),
    st.tuples(st.just("default"), NO_SLASH),
    st.tuples(st.just("any"), st.sampled_from(ANY_ITEMS)),
    st.tuples(st.just("root_path"), PATH_VALUE),
)


def _same_value(endpoint: str, got: t.Any, want: t.Any) -> bool:
    if endpoint.endswith("float"):
        return isinstance(got, float) and got == want
    if endpoint == "uuid":
        return isinstance(got, uuid.UUID) and got == want
    return type(got) is type(want) and got == want


@MANY
@given(endpoint_value=ROUTE_VALUES, extra=st.none() | TEXT)
def test_url_for_then_match_gives_the_values_back(
    routing: t.Any, endpoint_value: tuple[str, t.Any], extra: str | None
) -> None:
    app, _ = routing
    endpoint, value = endpoint_value
    with app.test_request_context():
        url = url_for(endpoint, v=value, extra=extra)
    path, _, query = url.partition("?")
    assert path == app.url_map.build(endpoint, {"v": value})
    # The server decodes the percent escapes before routing.
    rule, values = app.url_map.match("GET", unquote(path))
    assert rule.endpoint == endpoint, (url, rule)
    assert _same_value(endpoint, values["v"], value), (url, values)
    assert parse_qs(query) == ([] if extra is None else [("extra", extra)])


@FEW
@given(endpoint_value=ROUTE_VALUES, extra=st.none() | TEXT)
def test_built_urls_reach_their_view_through_both_protocols(
    routing: t.Any, endpoint_value: tuple[str, t.Any], extra: str | None
) -> None:
    app, clients = routing
    endpoint, value = endpoint_value
    with app.test_request_context():
        url = url_for(endpoint, v=value, extra=extra)
    expected = {
        "endpoint": endpoint,
        "extra": extra,
        "values": {"v": [type(value).__name__, str(value)]},
    }
    for protocol in PROTOCOLS:
        response = clients[protocol].get(url)
        assert response.status_code == 200, (protocol, url, response.get_data(as_text=True))
        got = response.get_json()
        if endpoint.endswith("float"):
            assert float(got["values"]["v"][1]) == value, (protocol, url, got)
            got["values"]["v"][1] = str(value)
        assert got == expected, (protocol, url)


@FEW
@given(a=NO_SLASH, b=st.integers(min_value=0))
def test_two_values_build_and_match(routing: t.Any, a: str, b: int) -> None:
    app, _ = routing
    path = app.url_map.build("two", {"a": a, "b": b})
    rule, values = app.url_map.match("GET", unquote(path))
    assert (rule.endpoint, values) == ("two", {"a": a, "b": b})


PREFIXES = st.sampled_from(["/", "/i/", "/is/", "/fi/", "/f/", "/fs/", "/p/", "/u/", "/s/", "/a/"])
PERCENT_BYTES = st.binary(max_size=12).map(lambda raw: "".join(f"%{byte:02X}" for byte in raw))


@SOME
@given(
    prefix=PREFIXES,
    text=TEXT,
    encoding=st.sampled_from(["plain", "quoted", "bytes", "broken"]),
    raw=PERCENT_BYTES,
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE"]),
)
def test_arbitrary_paths_answer_below_500(
    routing: t.Any, prefix: str, text: str, encoding: str, raw: str, method: str
) -> None:
    _, clients = routing
    if encoding == "plain":
        # A second slash at the start would read as a host (//host/path).
        path = prefix + (text.lstrip("/") if prefix == "/" else text)
    elif encoding == "quoted":
        path = prefix + quote(text, safe="")
    elif encoding == "bytes":
        path = prefix + raw  # percent-encoded bytes, often not UTF-8
    else:
        path = prefix + quote(text, safe="/") + "%" + raw[1:3]  # a cut-off escape
    for protocol in PROTOCOLS:
        response = clients[protocol].open(path, method=method)
        _no_500(response, protocol, (method, path))


@FEW
@given(prefix=PREFIXES, raw=st.binary(max_size=30))
def test_paths_of_any_bytes_answer_below_500_under_wsgi(
    routing: t.Any, prefix: str, raw: bytes
) -> None:
    # A WSGI server hands PATH_INFO over as the raw bytes decoded as latin-1.
    app, _ = routing
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": prefix + raw.decode("latin-1"),
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    statuses: list[str] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        statuses.append(status)
        return lambda data: None

    body = app(environ, start_response)
    try:
        b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    assert int(statuses[-1].split()[0]) < 500, (environ["PATH_INFO"], statuses)
