"""Sessions: the signed cookie, its attributes, tampering, keys and custom stores."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from markupsafe import Markup

from erlen import Erlen, after_this_request, session
from erlen.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    session_json_serializer,
)

SECRET = "a test secret key, long enough"


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_sessions")
    app.config["TESTING"] = True
    app.secret_key = SECRET

    @app.route("/set/<name>/<value>")
    def set_value(name: str, value: str) -> str:
        session[name] = value
        return "set"

    @app.route("/get/<name>")
    def get_value(name: str) -> str:
        return repr(session.get(name))

    @app.route("/pop/<name>")
    def pop_value(name: str) -> str:
        return repr(session.pop(name, None))

    @app.route("/dump")
    def dump() -> str:
        return repr(sorted(session.items()))

    @app.route("/plain")
    def plain() -> str:
        return "no session here"

    return app


def set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def cookie_attributes(header: str) -> dict[str, str]:
    """``{"session": value, "path": "/", "httponly": "", ...}``, names lower-cased."""
    first, *rest = header.split("; ")
    name, _, value = first.partition("=")
    attributes = {name: value}
    for part in rest:
        key, _, attribute = part.partition("=")
        attributes[key.lower()] = attribute
    return attributes


def signed(app: Erlen, value: object, **kwargs) -> str:
    """A session cookie value for ``value`` (signed with the app's keys)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps(value, **kwargs)


class _RawText:
    """An itsdangerous serializer that signs a string as it is."""

    @staticmethod
    def dumps(value: str) -> str:
        return str(value)

    @staticmethod
    def loads(value: str) -> str:
        return value


def signed_text(text: str, key: str = SECRET) -> str:
    """A correctly signed cookie whose payload is ``text`` (not necessarily JSON)."""
    from itsdangerous import URLSafeTimedSerializer

    interface = SecureCookieSessionInterface()
    return URLSafeTimedSerializer(
        key,
        salt=interface.salt,
        serializer=_RawText,
        signer_kwargs={
            "key_derivation": interface.key_derivation,
            "digest_method": interface.digest_method,
        },
    ).dumps(text)


# -- round trip ------------------------------------------------------------------


def test_set_read_delete_round_trip(client):
    response = client.get("/set/user/ann")
    assert response.status_code == 200
    assert len(set_cookies(response)) == 1
    assert client.get_cookie("session") is not None

    assert client.get("/get/user").text == "'ann'"
    assert client.get("/set/theme/dark").status_code == 200
    assert client.get("/dump").text == "[('theme', 'dark'), ('user', 'ann')]"

    assert client.get("/pop/user").text == "'ann'"
    assert client.get("/get/user").text == "None"
    assert client.get("/get/theme").text == "'dark'"


def test_emptied_session_deletes_the_cookie_with_the_same_path(app, client):
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["SESSION_COOKIE_DOMAIN"] = "localhost"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    client.get("/set/user/ann")
    response = client.get("/clear")
    (header,) = set_cookies(response)
    attributes = cookie_attributes(header)
    assert attributes["session"] == ""
    assert attributes["max-age"] == "0"
    assert attributes["path"] == "/"
    assert attributes["domain"] == "localhost"
    assert client.get_cookie("session") is None
    assert client.get("/get/user").text == "None"


def test_no_cookie_is_set_for_a_session_that_stays_empty(app, client):
    @app.route("/set-and-pop")
    def set_and_pop() -> str:
        session["x"] = 1
        del session["x"]
        return "ok"

    response = client.get("/set-and-pop")
    assert set_cookies(response) == []
    assert response.headers["Vary"] == "Cookie"


def test_session_new_flag(app, client):
    @app.route("/new")
    def new() -> str:
        return str(session.new)

    assert client.get("/new").text == "True"
    client.get("/set/a/1")
    assert client.get("/new").text == "False"
    client.set_cookie("session", "junk")
    assert client.get("/new").text == "True"


def test_session_changed_in_after_request_hook_is_saved(app, client):
    @app.after_request
    def remember(response):
        session["seen"] = "yes"
        return response

    client.get("/plain")
    assert client.get("/get/seen").text == "'yes'"


def test_after_this_request_and_before_request_can_use_the_session(app, client):
    @app.before_request
    def count() -> None:
        session["visits"] = session.get("visits", 0) + 1

    @app.route("/visits")
    def visits() -> str:
        @after_this_request
        def mark(response):
            session["marked"] = True
            return response

        return str(session["visits"])

    assert client.get("/visits").text == "1"
    assert client.get("/visits").text == "2"
    assert client.get("/get/marked").text == "True"


def test_async_view_uses_the_session(app, client):
    @app.route("/async-set")
    async def async_set() -> str:
        session["mode"] = "async"
        return "ok"

    client.get("/async-set")
    assert client.get("/get/mode").text == "'async'"


# -- permanence and refresh --------------------------------------------------------


@pytest.fixture
def permanent_app(app):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=2)

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["user"] = "ann"
        return "ok"

    @app.route("/is-permanent")
    def is_permanent() -> str:
        return str(session.permanent)

    return app


def test_permanent_session_cookie_has_max_age_and_expires(permanent_app, client):
    before = datetime.now(timezone.utc)
    (header,) = set_cookies(client.get("/permanent"))
    attributes = cookie_attributes(header)
    assert attributes["max-age"] == str(2 * 3600)
    expires = parsedate_to_datetime(attributes["expires"])
    assert before + timedelta(hours=2) - timedelta(seconds=2) <= expires
    assert expires <= datetime.now(timezone.utc) + timedelta(hours=2, seconds=1)
    assert client.get("/is-permanent").text == "True"


def test_permanent_lifetime_may_be_given_in_seconds(permanent_app, client):
    permanent_app.config["PERMANENT_SESSION_LIFETIME"] = 600
    (header,) = set_cookies(client.get("/permanent"))
    assert cookie_attributes(header)["max-age"] == "600"
    assert client.get("/get/user").text == "'ann'"


def test_browser_session_cookie_has_no_expiry(client):
    (header,) = set_cookies(client.get("/set/user/ann"))
    attributes = cookie_attributes(header)
    assert "max-age" not in attributes
    assert "expires" not in attributes
    assert client.get("/get/_permanent").text == "None"


def test_permanent_session_is_refreshed_on_each_request(permanent_app, client):
    client.get("/permanent")
    (header,) = set_cookies(client.get("/get/user"))
    assert cookie_attributes(header)["max-age"] == str(2 * 3600)


def test_refresh_each_request_off_keeps_unchanged_cookie(permanent_app, client):
    permanent_app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client.get("/permanent")
    response = client.get("/get/user")
    assert response.text == "'ann'"
    assert set_cookies(response) == []


def test_making_a_session_non_permanent_drops_the_expiry(permanent_app, client):
    @permanent_app.route("/temporary")
    def temporary() -> str:
        session.permanent = False
        return "ok"

    client.get("/permanent")
    (header,) = set_cookies(client.get("/temporary"))
    assert "max-age" not in cookie_attributes(header)
    assert client.get("/get/user").text == "'ann'"


# -- cookie attributes --------------------------------------------------------------


def test_default_cookie_attributes(client):
    (header,) = set_cookies(client.get("/set/a/1"))
    attributes = cookie_attributes(header)
    assert attributes["path"] == "/"
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert "secure" not in attributes
    assert "domain" not in attributes
    assert "partitioned" not in attributes


def test_cookie_is_secure_when_the_request_is_https(client):
    (header,) = set_cookies(client.get("/set/a/1", base_url="https://localhost/"))
    assert "secure" in cookie_attributes(header)


@pytest.mark.parametrize(
    ("configured", "base_url", "expected"),
    [
        (True, "http://localhost/", True),
        (False, "https://localhost/", False),
        (None, "http://localhost/", False),
        (None, "https://localhost/", True),
    ],
)
def test_secure_setting_forces_or_follows_the_request(app, client, configured, base_url, expected):
    app.config["SESSION_COOKIE_SECURE"] = configured
    (header,) = set_cookies(client.get("/set/a/1", base_url=base_url))
    assert ("secure" in cookie_attributes(header)) is expected


def test_cookie_settings_are_honoured(app, client):
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/set",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    (header,) = set_cookies(client.get("/set/a/1"))
    attributes = cookie_attributes(header)
    assert "sid" in attributes
    assert attributes["domain"] == "example.test"
    assert attributes["path"] == "/set"
    assert "httponly" not in attributes
    assert attributes["samesite"] == "Strict"
    assert "partitioned" in attributes
    assert "secure" in attributes  # browsers require it with Partitioned


def test_cookie_path_defaults_to_application_root(app, client):
    app.config["APPLICATION_ROOT"] = "/shop"
    (header,) = set_cookies(client.get("/set/a/1"))
    assert cookie_attributes(header)["path"] == "/shop"


def test_samesite_can_be_turned_off(app, client):
    app.config["SESSION_COOKIE_SAMESITE"] = None
    (header,) = set_cookies(client.get("/set/a/1"))
    assert "samesite" not in cookie_attributes(header)


def test_get_cookie_secure_reads_the_given_or_current_request(app):
    interface = app.session_interface
    https = app.test_request_context("/", base_url="https://localhost/")
    assert interface.get_cookie_secure(app, https.request) is True
    assert interface.get_cookie_secure(app) is False  # no request at all
    with https:
        assert interface.get_cookie_secure(app) is True


# -- only what is needed: loading, writing, Vary ------------------------------------


def test_not_written_when_unchanged(client):
    client.get("/set/user/ann")
    response = client.get("/get/user")
    assert response.text == "'ann'"
    assert set_cookies(response) == []
    assert response.headers["Vary"] == "Cookie"


def test_setting_an_equal_value_writes_again(client):
    client.get("/set/user/ann")
    assert len(set_cookies(client.get("/set/user/ann"))) == 1


def test_not_loaded_when_not_touched(app, client, monkeypatch):
    client.get("/set/user/ann")

    def must_not_open(app, request):
        raise AssertionError("open_session was called for a view that never used session")

    monkeypatch.setattr(app.session_interface, "open_session", must_not_open)
    response = client.get("/plain")
    assert response.status_code == 200
    assert "Vary" not in response.headers
    assert set_cookies(response) == []


@pytest.mark.parametrize(
    "read",
    [
        lambda: session.get("x"),
        lambda: "x" in session,
        lambda: len(session),
        lambda: bool(session),
        lambda: list(session),
        lambda: session.keys(),
        lambda: session.items(),
        lambda: session.values(),
        lambda: session.permanent,
        lambda: session == {},
    ],
    ids=["get", "in", "len", "bool", "iter", "keys", "items", "values", "permanent", "eq"],
)
def test_vary_cookie_on_any_read(app, client, read):
    @app.route("/read")
    def read_view() -> str:
        read()
        return "ok"

    response = client.get("/read")
    assert response.headers["Vary"] == "Cookie"
    assert set_cookies(response) == []


def test_vary_cookie_is_added_to_an_existing_vary(app, client):
    @app.route("/negotiated")
    def negotiated():
        session.get("x")
        return "ok", {"Vary": "Accept-Encoding"}

    assert client.get("/negotiated").headers["Vary"] == "Accept-Encoding, Cookie"


def test_itsdangerous_loads_only_when_a_session_is_used(tmp_path: Path):
    code = """
import sys
import erlen, erlen.sessions
assert "itsdangerous" not in sys.modules, "import erlen loaded itsdangerous"
app = erlen.Erlen("lazy")
app.secret_key = "k"
app.add_url_rule("/", "plain", lambda: "hi")
app.add_url_rule("/s", "uses", lambda: str(erlen.session.get("x")))
assert app.test_client().get("/").text == "hi"
assert "itsdangerous" not in sys.modules, "a request without session loaded itsdangerous"
assert app.test_client().get("/s").text == "None"
assert "itsdangerous" in sys.modules
"""
    source = str(Path(__file__).resolve().parents[1] / "src")
    environment = {
        **os.environ,
        "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# -- tampering: always an empty session, never an error -------------------------------


def _flip(value: str, position: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    char = value[position]
    # Move 32 places along the alphabet: flips the high bit of the 6 it encodes.
    replacement = alphabet[(alphabet.index(char) + 32) % 64] if char in alphabet else "A"
    return value[:position] + replacement + value[position + 1 :]


def _other_key(app, good):
    other = Erlen("other")
    other.secret_key = "a different secret key"
    return signed(other, {"user": "eve"})


TAMPERINGS = {
    "flip-payload": lambda app, good: _flip(good, 3),
    "flip-timestamp": lambda app, good: _flip(good, good.index(".", 1) + 2),
    "flip-signature": lambda app, good: _flip(good, len(good) - 10),
    "truncate-end": lambda app, good: good[:-4],
    "truncate-half": lambda app, good: good[: len(good) // 2],
    "no-signature": lambda app, good: good.rsplit(".", 1)[0],
    "junk": lambda app, good: "junk",
    "dots": lambda app, good: "...",
    "random": lambda app, good: secrets.token_urlsafe(90),
    "non-ascii": lambda app, good: "sess\u00e9ion.abc.def",
    "other-key": _other_key,
    "list-payload": lambda app, good: signed(app, ["user", "eve"]),
    "string-payload": lambda app, good: signed(app, "eve"),
    "tuple-payload": lambda app, good: signed(app, ("user", "eve")),
    "null-payload": lambda app, good: signed(app, None),
    "bad-json": lambda app, good: signed_text('{"user": '),
    "bad-base64": lambda app, good: _sign_bytes_as_base64("!!!not base64!!!"),
    "unknown-tag": lambda app, good: signed_text('{"user": {"~z": 1}}'),
    "bad-tag-value": lambda app, good: signed_text('{"user": {"~b": "***"}}'),
    "deep-nesting": lambda app, good: signed_text("[" * 100_000 + "]" * 100_000),
    "oversized": lambda app, good: _oversized(app),
}


def _oversized(app):
    """A correctly signed cookie too large for any browser to send."""
    app.config["MAX_REQUEST_HEADER_SIZE"] = 64 * 1024
    value = signed(app, {"user": secrets.token_urlsafe(15_000)})
    assert len(value) > SecureCookieSessionInterface.max_load_size
    return value


def _sign_bytes_as_base64(text: str) -> str:
    """A valid signature over a payload that is not base64."""
    from itsdangerous import TimestampSigner

    interface = SecureCookieSessionInterface()
    signer = TimestampSigner(
        SECRET,
        salt=interface.salt,
        key_derivation=interface.key_derivation,
        digest_method=interface.digest_method,
    )
    return signer.sign(text).decode()


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_tampered_cookie_gives_an_empty_session(app, client, tamper):
    client.get("/set/user/ann")
    good = client.get_cookie("session").value
    client.set_cookie("session", tamper(app, good))
    response = client.get("/dump")
    assert response.status_code == 200
    assert response.text == "[]"
    # The bad cookie is deleted, so the browser stops sending it.
    (header,) = set_cookies(response)
    assert cookie_attributes(header)["max-age"] == "0"
    # And the session works again from there.
    client.get("/set/user/bob")
    assert client.get("/get/user").text == "'bob'"


def test_untampered_control_cookie_loads(app, client):
    """The tamper helpers sign correctly: the same cookie, untouched, loads."""
    client.set_cookie("session", signed(app, {"user": "ann"}))
    assert client.get("/get/user").text == "'ann'"
    client.set_cookie("session", signed_text('{"user":"ann"}'))
    assert client.get("/get/user").text == "'ann'"


def test_expired_cookie_gives_an_empty_session(app, client, monkeypatch):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 120)
        client.get("/set/user/ann")
    assert client.get_cookie("session") is not None
    response = client.get("/get/user")
    assert response.status_code == 200
    assert response.text == "None"


def test_cookie_from_the_future_gives_an_empty_session(app, client, monkeypatch):
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() + 3600)
        client.get("/set/user/ann")
    assert client.get("/get/user").text == "None"


def test_cookie_within_its_lifetime_loads(app, client, monkeypatch):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    real_time = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() - 30)
        client.get("/set/user/ann")
    assert client.get("/get/user").text == "'ann'"


# -- weak secret keys ------------------------------------------------------------------

STRONG = "3f0c5e8a9b1d2c4e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"


def _key_warnings(caplog, app):
    return [
        record
        for record in caplog.records
        if record.name == app.name and "token_hex(32)" in record.getMessage()
    ]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("dev", "placeholder 'dev'"),
        ("changeme", "placeholder 'changeme'"),
        ("Secret", "placeholder 'Secret'"),
        ("a", "placeholder 'a'"),
        (b"change me", "placeholder 'change me'"),
        ("your-secret-key-here", "placeholder"),
        ("please-change-me-to-a-long-random-string", "placeholder"),
        ("x" * 40, "only 1 different characters"),
        ("k" * 31, "only 31 bytes long"),
        (secrets.token_bytes(16), "only 16 bytes long"),
    ],
)
def test_weak_secret_key_is_logged_once_at_first_use(app, client, caplog, key, why):
    app.config["TESTING"] = False
    app.secret_key = key
    with caplog.at_level(logging.WARNING):
        assert client.get("/plain").status_code == 200
        assert _key_warnings(caplog, app) == []  # not used yet: not checked yet
        client.get("/set/user/ann")
        assert client.get("/get/user").text == "'ann'"
    [record] = _key_warnings(caplog, app)
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert f"SECRET_KEY is {why}" in message or ("SECRET_KEY is" in message and why in message)
    assert "python -c 'import secrets; print(secrets.token_hex(32))'" in message
    if isinstance(key, bytes) and "placeholder" not in why:
        assert repr(key) not in message  # a real (if short) key is never written out


def test_strong_secret_key_and_testing_mode_log_nothing(app, client, caplog):
    with caplog.at_level(logging.WARNING):
        app.secret_key = "dev"  # TESTING is on in this fixture: tests use short keys
        client.get("/set/user/ann")
        app.config["TESTING"] = False
        app.secret_key = STRONG
        client.get("/set/user/bob")
        app.secret_key = secrets.token_bytes(32)
        client.get("/set/user/cy")
    assert _key_warnings(caplog, app) == []


def test_weak_fallback_key_is_logged_too(app, client, caplog):
    app.config["TESTING"] = False
    app.secret_key = STRONG
    app.config["SECRET_KEY_FALLBACKS"] = ["old"]
    with caplog.at_level(logging.WARNING):
        client.get("/set/user/ann")
    [record] = _key_warnings(caplog, app)
    assert "a key in SECRET_KEY_FALLBACKS is only 3 bytes long" in record.getMessage()


def test_secret_key_strict_refuses_a_weak_key_outside_debug_and_testing(app, client, caplog):
    app.config.update(TESTING=False, SECRET_KEY_STRICT=True)
    app.secret_key = "changeme"
    with caplog.at_level(logging.WARNING):
        assert client.get("/plain").status_code == 200
        assert client.get("/set/user/ann").status_code == 500
    [error] = [r for r in caplog.records if r.exc_info and r.name == app.name]
    assert isinstance(error.exc_info[1], RuntimeError)
    assert "SECRET_KEY_STRICT is on" in str(error.exc_info[1])
    assert "token_hex(32)" in str(error.exc_info[1])
    # In debug mode it is the warning only; with a strong key, no complaint at all.
    caplog.clear()
    app.debug = True
    with caplog.at_level(logging.WARNING):
        assert client.get("/set/user/ann").status_code == 200
    assert len(_key_warnings(caplog, app)) == 1
    app.debug = False
    app.secret_key = STRONG
    assert client.get("/set/user/ann").status_code == 200


# -- key rotation ----------------------------------------------------------------------


def test_fallback_key_still_loads_and_is_replaced_when_saved(app, client):
    app.secret_key = "old key"
    client.get("/set/user/ann")
    old_cookie = client.get_cookie("session").value

    app.secret_key = "new key"
    app.config["SECRET_KEY_FALLBACKS"] = ["older key", "old key"]
    response = client.get("/get/user")
    assert response.text == "'ann'"
    assert set_cookies(response) == []  # unchanged: not re-signed

    client.get("/set/theme/dark")
    new_cookie = client.get_cookie("session").value
    assert new_cookie != old_cookie

    # Only the new key is needed from now on.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/dump").text == "[('theme', 'dark'), ('user', 'ann')]"

    # And the old cookie no longer loads once its key is dropped.
    client.set_cookie("session", old_cookie)
    assert client.get("/get/user").text == "None"


def test_new_cookies_are_signed_with_the_current_key_not_a_fallback(app, client):
    app.secret_key = "current"
    app.config["SECRET_KEY_FALLBACKS"] = ["previous"]
    client.get("/set/user/ann")
    cookie = client.get_cookie("session").value

    only_current = Erlen("only-current")
    only_current.secret_key = "current"
    assert only_current.session_interface.get_signing_serializer(only_current).loads(cookie) == {
        "user": "ann"
    }
    only_previous = Erlen("only-previous")
    only_previous.secret_key = "previous"
    from itsdangerous import BadSignature

    with pytest.raises(BadSignature):
        only_previous.session_interface.get_signing_serializer(only_previous).loads(cookie)


def test_a_single_fallback_string_is_one_key(app, client):
    app.secret_key = "old key"
    client.get("/set/user/ann")
    app.secret_key = "new key"
    app.config["SECRET_KEY_FALLBACKS"] = "old key"  # not a list: still one key
    assert client.get("/get/user").text == "'ann'"
    # Not one key per character: a cookie signed with "o" does not load.
    client.set_cookie("session", signed_text('{"user":"eve"}', key="o"))
    assert client.get("/get/user").text == "None"


def test_empty_fallback_keys_are_ignored(app, client):
    app.config["SECRET_KEY_FALLBACKS"] = ["", b""]
    client.set_cookie("session", signed_text('{"user":"eve"}', key=""))
    assert client.get("/get/user").text == "None"


@pytest.mark.parametrize("setting", ["SECRET_KEY", "SECRET_KEY_FALLBACKS"])
def test_non_string_key_is_a_clear_error(app, client, setting):
    app.config[setting] = 12345 if setting == "SECRET_KEY" else [12345]
    with pytest.raises(TypeError, match=f"{setting}.*must hold str or bytes keys, not int"):
        client.get("/get/user")


def test_serializer_is_reused_until_the_keys_change(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.config["SECRET_KEY_FALLBACKS"] = ["old"]
    second = interface.get_signing_serializer(app)
    assert second is not first
    app.secret_key = "another"
    assert interface.get_signing_serializer(app) is not second


def test_bytes_secret_key(app, client):
    app.secret_key = secrets.token_bytes(32)
    client.get("/set/user/ann")
    assert client.get("/get/user").text == "'ann'"


# -- no secret key ---------------------------------------------------------------------


@pytest.fixture
def keyless(app):
    app.secret_key = None
    return app


def test_without_secret_key_reading_works(keyless, client):
    response = client.get("/dump")
    assert response.status_code == 200
    assert response.text == "[]"
    assert set_cookies(response) == []
    assert client.get("/get/user").text == "None"


def test_without_secret_key_writing_explains_how_to_fix_it(keyless, client):
    with pytest.raises(RuntimeError) as info:
        client.get("/set/user/ann")
    message = str(info.value)
    assert "secret key" in message
    assert "SECRET_KEY" in message
    assert "app.secret_key" in message
    assert "secrets.token_hex" in message
    assert "ERLEN_SECRET_KEY" in message
    assert "from_prefixed_env" in message


def test_without_secret_key_and_no_propagation_writing_is_a_500(keyless, client, caplog):
    keyless.config["TESTING"] = False
    keyless.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger=keyless.name):
        assert client.get("/set/user/ann").status_code == 500
    assert "secrets.token_hex" in caplog.text


def test_empty_secret_key_counts_as_missing(app, client):
    app.secret_key = ""
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/set/user/ann")


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.pop("a", None),
        lambda s: s.popitem(),
        lambda s: s.setdefault("a", 1),
        lambda s: s.update(a=1),
        lambda s: s.clear(),
        lambda s: s.__ior__({"a": 1}),
        lambda s: setattr(s, "permanent", True),
    ],
    ids=["set", "del", "pop", "popitem", "setdefault", "update", "clear", "ior", "permanent"],
)
def test_null_session_refuses_every_write(write):
    null = NullSession()
    with pytest.raises(RuntimeError, match="secrets.token_hex"):
        write(null)
    assert dict(null) == {}
    assert null.get("a") is None
    assert null.permanent is False
    assert null.new is True


def test_null_session_is_recognised_and_not_saved(keyless):
    interface = keyless.session_interface
    null = interface.make_null_session(keyless)
    assert interface.is_null_session(null)
    assert not interface.is_null_session(SecureCookieSession())


# -- change tracking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "modified"),
    [
        (lambda s: s.__setitem__("b", 2), True),
        (lambda s: s.__delitem__("a"), True),
        (lambda s: s.pop("a"), True),
        (lambda s: s.pop("missing", None), False),
        (lambda s: s.popitem(), True),
        (lambda s: s.update(b=2), True),
        (lambda s: s.update({"b": 2}), True),
        (lambda s: s.clear(), True),
        (lambda s: s.setdefault("b", 2), True),
        (lambda s: s.setdefault("a", 2), False),
        (lambda s: s.__ior__({"b": 2}), True),
        (lambda s: setattr(s, "permanent", True), True),
        (lambda s: s.get("a"), False),
        (lambda s: s["a"], False),
        (lambda s: "a" in s, False),
        (lambda s: s.copy(), False),
        (lambda s: s["a"].append(3), False),  # a nested change is not seen
    ],
)
def test_modified_and_accessed_tracking(change, modified):
    tracked = SecureCookieSession({"a": [1]})
    assert not tracked.modified and not tracked.accessed and not tracked.new
    change(tracked)
    assert tracked.modified is modified
    assert tracked.accessed is True


def test_clear_of_an_empty_session_is_no_change():
    tracked = SecureCookieSession()
    tracked.clear()
    assert tracked.modified is False


def test_in_place_or_keeps_the_session_object():
    tracked = SecureCookieSession()
    tracked |= {"a": 1}
    assert isinstance(tracked, SecureCookieSession)
    assert tracked == {"a": 1}
    assert tracked.modified


def test_nested_change_needs_modified_flag(app, client):
    @app.route("/cart/init")
    def init() -> str:
        session["cart"] = ["apple"]
        return "ok"

    @app.route("/cart/add-silently/<item>")
    def add_silently(item: str) -> str:
        session["cart"].append(item)
        return "ok"

    @app.route("/cart/add/<item>")
    def add(item: str) -> str:
        session["cart"].append(item)
        session.modified = True
        return "ok"

    client.get("/cart/init")
    assert set_cookies(client.get("/cart/add-silently/pear")) == []
    assert client.get("/get/cart").text == "['apple']"
    assert len(set_cookies(client.get("/cart/add/plum"))) == 1
    assert client.get("/get/cart").text == "['apple', 'plum']"


# -- what the cookie can hold ------------------------------------------------------------

ROUND_TRIP_VALUES = {
    "str": 'h\u00e9llo \u2603 "quoted" ; , = \\',
    "lone-surrogate": "a\ud800b",
    "int": 2**70,
    "float": 1.5,
    "bool": False,
    "none": None,
    "list": [1, "two", None],
    "tuple": (1, "two", (3, 4)),
    "empty-tuple": (),
    "bytes": b"\x00\xffbinary",
    "aware-datetime": datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=timezone.utc),
    "offset-datetime": datetime(2024, 5, 17, 12, 30, tzinfo=timezone(timedelta(hours=-5))),
    "naive-datetime": datetime(2024, 5, 17, 12, 30),
    "date": date(2024, 5, 17),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "markup": Markup("<b>bold</b> &amp;"),
    "tag-like-dict": {"~t": [1, 2]},
    "escape-like-dict": {"~~": ["a", "b"]},
    "two-key-tag-like-dict": {"~t": 1, "~b": 2},
    "nested": {
        "items": [(1, b"a"), {"when": date(2020, 1, 1), "ids": (uuid.UUID(int=1),)}],
        "html": [Markup("<i>x</i>")],
    },
}


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES.values(), ids=ROUND_TRIP_VALUES.keys())
def test_types_round_trip_through_the_cookie(app, client, value):
    @app.route("/store")
    def store() -> str:
        session["value"] = value
        return "ok"

    @app.route("/load")
    def load() -> str:
        loaded = session["value"]
        assert loaded == value
        assert _shape(loaded) == _shape(value)
        return "same"

    client.get("/store")
    assert client.get("/load").text == "same"


def _shape(value: object) -> object:
    """The value's types, all the way down."""
    if isinstance(value, dict):
        return (type(value), {key: _shape(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value), [_shape(item) for item in value])
    if isinstance(value, datetime):
        return (type(value), value.utcoffset())
    return type(value)


def test_session_of_one_tag_like_key_round_trips():
    stored = {"~m": "<b>"}
    assert session_json_serializer.loads(session_json_serializer.dumps(stored)) == stored


def test_serializer_output_is_compact_json():
    assert session_json_serializer.dumps({"a": (1, 2), "b": b"hi"}) == (
        '{"a":{"~t":[1,2]},"b":{"~b":"aGk="}}'
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [({1, 2}, "set"), (object(), "object"), ({1: "x"}, "str keys")],
    ids=["set", "object", "int-key"],
)
def test_unsupported_values_raise_a_clear_type_error(app, client, value, message):
    @app.route("/store")
    def store() -> str:
        session["value"] = value
        return "ok"

    with pytest.raises(TypeError, match=message):
        client.get("/store")


def test_large_cookie_logs_a_warning_but_is_still_set(app, client, caplog):
    @app.route("/big")
    def big() -> str:
        session["blob"] = secrets.token_bytes(4000)  # random: does not compress
        return "ok"

    with caplog.at_level(logging.WARNING, logger=app.name):
        response = client.get("/big")
    assert "browsers may drop it" in caplog.text
    assert "MAX_COOKIE_SIZE" in caplog.text
    assert len(set_cookies(response)) == 1
    assert len(client.get("/get/blob").text) > 4000


def test_small_cookie_logs_nothing(client, caplog):
    with caplog.at_level(logging.WARNING):
        client.get("/set/a/1")
    assert caplog.text == ""


def test_compressible_session_is_compressed(app, client):
    @app.route("/repetitive")
    def repetitive() -> str:
        session["text"] = "abc" * 2000
        return "ok"

    client.get("/repetitive")
    assert len(client.get_cookie("session").value) < 500
    assert client.get("/get/text").text == repr("abc" * 2000)


# -- a custom interface: a server-side store --------------------------------------------


class StoredSession(SecureCookieSession):
    sid = ""


class MemorySessionInterface(SessionInterface):
    """Keeps sessions in a dict; the cookie holds only a random id."""

    def __init__(self) -> None:
        self.store: dict[str, dict] = {}
        self.opened = 0

    def open_session(self, app, request):
        self.opened += 1
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and sid in self.store:
            session = StoredSession(self.store[sid])
            session.sid = sid
        else:
            session = StoredSession(new=True)
            session.sid = secrets.token_urlsafe(16)
        return session

    def save_session(self, app, session, response):
        name = self.get_cookie_name(app)
        path = self.get_cookie_path(app)
        if not session:
            if not session.new:
                self.store.pop(session.sid, None)
                response.delete_cookie(name, path=path)
            return
        if self.should_set_cookie(app, session):
            self.store[session.sid] = dict(session)
            response.set_cookie(
                name,
                session.sid,
                expires=self.get_expiration_time(app, session),
                path=path,
                secure=self.get_cookie_secure(app),
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )


def test_custom_session_interface_end_to_end(app, client):
    interface = MemorySessionInterface()
    app.session_interface = interface
    assert app.session_interface is interface

    @app.route("/logout")
    def logout() -> str:
        session.clear()
        return "bye"

    client.get("/set/user/ann")
    sid = client.get_cookie("session").value
    assert interface.store == {sid: {"user": "ann"}}
    assert "ann" not in sid

    response = client.get("/get/user")
    assert response.text == "'ann'"
    assert set_cookies(response) == []
    assert response.headers["Vary"] == "Cookie"

    client.get("/set/theme/dark")
    assert interface.store[sid] == {"user": "ann", "theme": "dark"}

    client.get("/plain")
    opened = interface.opened
    client.get("/plain")
    assert interface.opened == opened  # untouched: not opened

    client.get("/logout")
    assert interface.store == {}
    assert client.get_cookie("session") is None


def test_custom_interface_returning_none_gets_a_null_session(app, client):
    class NoSessions(SessionInterface):
        def open_session(self, app, request):
            return None

        def save_session(self, app, session, response):
            raise AssertionError("a null session is never saved")

    app.session_interface = NoSessions()
    assert client.get("/get/user").text == "None"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/set/user/ann")


def test_base_interface_methods_must_be_implemented(app):
    interface = SessionInterface()
    with app.test_request_context():
        with pytest.raises(NotImplementedError, match="open_session"):
            interface.open_session(app, None)
        with pytest.raises(NotImplementedError, match="save_session"):
            interface.save_session(app, SecureCookieSession(), None)


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_secret_key_set_on_an_app_subclass_signs_the_session(asgi):
    # Flask reads app.secret_key, so a subclass may set it (as testing) on the class.
    class KeyedApp(Erlen):
        testing = True
        secret_key = "a key set on the class"

    app = KeyedApp("keyed")

    @app.route("/set")
    def set_value() -> str:
        session["user"] = "ann"
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return session.get("user", "nobody")

    client = app.test_client(asgi=asgi)
    try:
        response = client.get("/set")
        assert response.status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None
        serializer = app.session_interface.get_signing_serializer(app)
        assert serializer is not None
        assert serializer.loads(cookie.value) == {"user": "ann"}
        assert client.get("/get").text == "ann"
    finally:
        client.close()
