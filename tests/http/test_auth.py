"""Authorization and WWW-Authenticate: header values in, credentials out."""

from __future__ import annotations

from base64 import b64encode

import pytest

from erlen.http.auth import Authorization, WWWAuthenticate, dump_challenges


def basic(raw: bytes) -> str:
    return "Basic " + b64encode(raw).decode("ascii")


# -- Authorization -------------------------------------------------------------


def test_basic_credentials_are_decoded():
    auth = Authorization.from_header(basic(b"ada:s3cret"))
    assert auth is not None
    assert auth.type == "basic"
    assert (auth.username, auth.password) == ("ada", "s3cret")
    assert auth.token is None
    assert auth.parameters == {"username": "ada", "password": "s3cret"}


def test_basic_password_keeps_its_colons_and_the_scheme_any_case():
    auth = Authorization.from_header("bAsIc " + b64encode(b"ada:a:b:c").decode())
    assert auth is not None
    assert (auth.type, auth.username, auth.password) == ("basic", "ada", "a:b:c")


def test_basic_without_colon_is_a_username_and_an_empty_password():
    auth = Authorization.from_header(basic(b"ada"))
    assert auth is not None
    assert (auth.username, auth.password) == ("ada", "")


def test_basic_utf8_credentials():
    auth = Authorization.from_header(basic("jürgen:pässwörd".encode()))
    assert auth is not None
    assert (auth.username, auth.password) == ("jürgen", "pässwörd")


@pytest.mark.parametrize(
    "value",
    [
        "Basic !!!notbase64",
        "Basic YW=Rh",
        "Basic YWRhOng",  # missing padding
        basic("jürgen:x".encode("latin-1")),  # not UTF-8
        basic(b"\xff\xfe:\x00"),
        "Basic \xff\xff",  # WSGI's latin-1 text of non-ASCII bytes
        "Basic YWRh OnBhc3M=",  # a space inside
    ],
)
def test_unreadable_basic_credentials_are_none(value):
    assert Authorization.from_header(value) is None


@pytest.mark.parametrize("value", [None, "", "   ", "\t", "(bad) x", "Bas/ic abc", '"Basic" x'])
def test_absent_or_nameless_header_is_none(value):
    assert Authorization.from_header(value) is None


def test_bearer_token():
    auth = Authorization.from_header("Bearer eyJhbGciOi.J9.x-_~+/==")
    assert auth is not None
    assert (auth.type, auth.token) == ("bearer", "eyJhbGciOi.J9.x-_~+/==")
    assert auth.username is None and auth.password is None
    assert auth.parameters == {}


def test_token_with_padding_is_a_token_not_parameters():
    auth = Authorization.from_header("Token abc==")
    assert auth is not None
    assert auth.token == "abc=="


def test_digest_parameters():
    auth = Authorization.from_header(
        'Digest username="ada", realm="api, v2", nonce=abc, uri="/x?a=1", '
        'response="f00", qop=auth, nc=00000001, cnonce="0a4f"'
    )
    assert auth is not None
    assert auth.type == "digest"
    assert auth.token is None
    assert auth.username == "ada"
    assert auth.realm == "api, v2"
    assert auth["uri"] == "/x?a=1"
    assert auth.get("qop") == "auth"
    assert auth.get("missing", "d") == "d"
    assert "nonce" in auth and "opaque" not in auth
    assert auth.password is None


def test_parameter_names_ignore_case_and_the_first_repeat_wins():
    auth = Authorization.from_header('Custom Realm="a", realm="b", KEY=1')
    assert auth is not None
    assert auth.parameters == {"realm": "a", "key": "1"}


def test_escaped_quotes_in_parameters():
    auth = Authorization.from_header(r'Digest username="a \"quoted\" name", realm="x\\y"')
    assert auth is not None
    assert auth.username == 'a "quoted" name'
    assert auth.realm == "x\\y"


def test_malformed_parameters_are_skipped_never_an_error():
    auth = Authorization.from_header('Digest ,,, =x, "q"=1, ok=1, bad name=2, =')
    assert auth is not None
    assert auth.parameters == {"ok": "1"}


def test_commas_only_are_a_token():
    auth = Authorization.from_header("Digest ,,,,")
    assert auth is not None
    assert auth.token == ",,,,"


def test_huge_headers_parse_in_one_pass():
    many = "Digest " + ", ".join(f"k{index}=v" for index in range(20_000))
    auth = Authorization.from_header(many)
    assert auth is not None and len(auth.parameters) == 20_000
    assert Authorization.from_header("Basic " + "A" * 1_000_001) is None  # not a multiple of 4
    quote_soup = Authorization.from_header('Digest a="' + '\\"' * 50_000)  # never closed
    assert quote_soup is not None


def test_authorization_round_trips_and_hides_the_password():
    auth = Authorization.from_header(basic(b"ada:pw"))
    assert auth is not None
    assert Authorization.from_header(auth.to_header()) == auth
    assert str(auth) == basic(b"ada:pw")
    assert "pw" not in repr(auth)
    bearer = Authorization("bearer", token="t0k")
    assert bearer.to_header() == "Bearer t0k"
    digest = Authorization("digest", {"username": "ada", "realm": "a b"})
    assert Authorization.from_header(digest.to_header()) == digest
    assert auth != bearer
    assert (auth == "Basic x") is False


def test_private_names_are_not_parameters():
    auth = Authorization("bearer", token="x")
    with pytest.raises(AttributeError):
        auth._private  # noqa: B018


# -- WWW-Authenticate ---------------------------------------------------------------


def test_challenge_with_parameters():
    challenge = WWWAuthenticate("Basic", {"realm": "site", "charset": "UTF-8"})
    assert challenge.type == "basic"
    assert challenge.to_header() == 'Basic realm="site", charset="UTF-8"'
    assert str(challenge) == challenge.to_header()


def test_challenge_changes_call_back():
    seen: list[str] = []
    challenge = WWWAuthenticate("basic", on_update=lambda c: seen.append(c.to_header()))
    challenge.realm = "a"
    challenge["error"] = "x"
    challenge.type = "Bearer"
    del challenge.error
    challenge["realm"] = None
    challenge.token = "tok"
    assert seen == [
        'Basic realm="a"',
        'Basic realm="a", error="x"',
        'Bearer realm="a", error="x"',
        'Bearer realm="a"',
        "Bearer",
        "Bearer tok",
    ]
    assert challenge.realm is None
    challenge.parameters = {"scope": "read"}
    assert seen[-1] == "Bearer tok"  # a token wins over parameters
    challenge.token = None
    assert seen[-1] == 'Bearer scope="read"'


def test_digest_keeps_token_parameters_unquoted():
    challenge = WWWAuthenticate(
        "digest", {"realm": "x", "nonce": "n", "algorithm": "SHA-256", "stale": "false"}
    )
    assert challenge.to_header() == 'Digest realm="x", nonce="n", algorithm=SHA-256, stale=false'


def test_challenge_parses_back():
    parsed = WWWAuthenticate.from_header('Bearer realm="api", error="invalid_token"')
    assert parsed is not None
    assert (parsed.type, parsed.realm, parsed["error"]) == ("bearer", "api", "invalid_token")
    assert parsed == WWWAuthenticate("bearer", {"realm": "api", "error": "invalid_token"})
    assert WWWAuthenticate.from_header("Negotiate") == WWWAuthenticate("negotiate")
    assert WWWAuthenticate.from_header("Negotiate abc==").token == "abc=="  # type: ignore[union-attr]
    assert WWWAuthenticate.from_header("") is None
    assert WWWAuthenticate.from_header("(x)") is None


def test_dump_challenges():
    assert dump_challenges("Basic") == ["Basic"]
    assert dump_challenges([WWWAuthenticate("basic"), "Bearer"]) == ["Basic", "Bearer"]
    assert dump_challenges(("Basic", "Bearer")) == ["Basic", "Bearer"]

    class Foreign:  # Werkzeug's WWWAuthenticate: str() is the header, and not a list
        def __getitem__(self, key: object) -> None:
            return None

        def __str__(self) -> str:
            return 'Basic realm="w"'

    assert dump_challenges(Foreign()) == ['Basic realm="w"']  # type: ignore[arg-type]
