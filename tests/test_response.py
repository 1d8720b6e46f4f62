"""The response object and its helpers."""

from __future__ import annotations

import pytest

from erlen import Response, jsonify, redirect
from erlen.http.headers import Headers


def test_defaults():
    response = Response("héllo")
    assert response.status_code == 200
    assert response.status == "200 OK"
    assert response.mimetype == "text/html"
    assert response.content_type == "text/html; charset=utf-8"
    assert response.data == "héllo".encode()
    assert response.content_length == len("héllo".encode())
    assert response.text == "héllo"
    assert not response.is_streamed


def test_status_forms():
    assert Response(status=404).status == "404 Not Found"
    assert Response(status="201 Created").status_code == 201
    assert Response(status="299").status == "299 UNKNOWN"
    response = Response()
    response.status = 410
    assert response.status == "410 Gone"
    with pytest.raises(ValueError, match="404 Not Found"):
        Response(status="bad")


def test_mimetype_and_content_type():
    assert Response("x", mimetype="text/plain").content_type == "text/plain; charset=utf-8"
    assert Response(b"x", mimetype="image/png").content_type == "image/png"
    assert Response("x", content_type="text/csv; charset=latin-1").mimetype == "text/csv"
    response = Response("x")
    response.mimetype = "application/xml"
    assert response.content_type == "application/xml; charset=utf-8"
    assert Response("x", headers={"Content-Type": "text/plain"}).mimetype == "text/plain"


def test_set_data_updates_length():
    response = Response("abc", headers={"X": "1"})
    response.set_data(b"abcdef")
    assert response.content_length == 6
    assert response.headers.getlist("Content-Length") == ["6"]
    response.data = "xy"
    assert response.content_length == 2


def test_streamed_body():
    def generate():
        yield "a"
        yield b"b"

    response = Response(generate())
    assert response.is_streamed
    assert response.content_length is None
    assert response.get_data() == b"ab"


def test_close_runs_generator_cleanup_and_hooks():
    cleaned = []

    def generate():
        try:
            yield b"a"
        finally:
            cleaned.append("generator")

    response = Response(generate())
    response.call_on_close(lambda: cleaned.append("hook"))
    next(iter(response.response))
    response.close()
    assert cleaned == ["generator", "hook"]


def test_cookies(monkeypatch):
    import types

    import erlen.http.cookies

    clock = types.SimpleNamespace(time=lambda: 1_700_000_000.0)
    monkeypatch.setattr(erlen.http.cookies, "time", clock)
    response = Response()
    response.set_cookie("sid", "abc", max_age=60, httponly=True, samesite="Lax", secure=True)
    response.delete_cookie("old", path="/app")
    set_cookies = response.headers.getlist("Set-Cookie")
    # max_age also gives Expires (for clients that read only Expires), as in Flask.
    assert set_cookies[0] == (
        "sid=abc; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; Path=/; Secure; "
        "HttpOnly; SameSite=Lax"
    )
    assert set_cookies[1].startswith("old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0")
    assert "Path=/app" in set_cookies[1]


def test_header_injection_is_refused():
    response = Response()
    with pytest.raises(ValueError, match="newline"):
        response.headers["X-Evil"] = "a\r\nSet-Cookie: x=1"
    with pytest.raises(ValueError, match="newline"):
        Response(headers={"X": "a\nb"})
    with pytest.raises(ValueError, match="header name"):
        response.headers["Bad Name"] = "x"
    with pytest.raises(ValueError):
        Response(content_type="text/html\r\nX: 1")


def test_jsonify_forms():
    assert jsonify({"a": 1}).get_json() == {"a": 1}
    assert jsonify([1]).get_json() == [1]
    assert jsonify(a=1, b=2).get_json() == {"a": 1, "b": 2}
    assert jsonify(1, 2).get_json() == [1, 2]
    assert jsonify("x").mimetype == "application/json"
    with pytest.raises(TypeError):
        jsonify(1, a=2)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect(code):
    response = redirect("/next?a=1&b=<2>", code)
    assert response.status_code == code
    assert response.location == "/next?a=1&b=%3C2%3E" or response.location == "/next?a=1&b=<2>"
    assert "<2>" not in response.text  # escaped in the HTML body


def test_redirect_quotes_unicode_and_refuses_newlines():
    assert redirect("/café").location == "/caf%C3%A9"
    with pytest.raises(ValueError, match="newline"):
        redirect("/a\r\nSet-Cookie: x=1")
    with pytest.raises(ValueError, match="301"):
        redirect("/a", 200)


def test_redirect_with_custom_response_class():
    class MyResponse(Response):
        pass

    assert isinstance(redirect("/x", Response=MyResponse), MyResponse)


def test_headers_argument_forms():
    assert Response(headers=[("X", "1"), ("X", "2")]).headers.getlist("X") == ["1", "2"]
    assert Response(headers=Headers({"X": "1"})).headers["X"] == "1"


def test_get_json_on_non_json():
    assert Response("x").json is None
    with pytest.raises(ValueError, match="not JSON"):
        Response("x").get_json()


def test_repr():
    assert repr(Response("abc", 201)) == "<Response 3 bytes [201 Created]>"
