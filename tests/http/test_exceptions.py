"""HTTP exceptions: codes, names, abort, and the error bodies."""

from __future__ import annotations

import json

import pytest

import erlen
from erlen.http import exceptions as ex
from erlen.http.exceptions import HTTPException, abort, default_exceptions
from erlen.testing import build_environ


def make_request(accept: str | None = None) -> erlen.Request:
    headers = {"Accept": accept} if accept is not None else {}
    return erlen.Request(build_environ(None, "/", headers=headers))


DEFAULTS = [
    (ex.BadRequest, 400, "Bad Request"),
    (ex.Unauthorized, 401, "Unauthorized"),
    (ex.Forbidden, 403, "Forbidden"),
    (ex.NotFound, 404, "Not Found"),
    (ex.MethodNotAllowed, 405, "Method Not Allowed"),
    (ex.NotAcceptable, 406, "Not Acceptable"),
    (ex.RequestTimeout, 408, "Request Timeout"),
    (ex.Conflict, 409, "Conflict"),
    (ex.Gone, 410, "Gone"),
    (ex.LengthRequired, 411, "Length Required"),
    (ex.PreconditionFailed, 412, "Precondition Failed"),
    (ex.RequestEntityTooLarge, 413, "Content Too Large"),
    (ex.URITooLong, 414, "URI Too Long"),
    (ex.UnsupportedMediaType, 415, "Unsupported Media Type"),
    (ex.RangeNotSatisfiable, 416, "Range Not Satisfiable"),
    (ex.ExpectationFailed, 417, "Expectation Failed"),
    (ex.ImATeapot, 418, "I'm a teapot"),
    (ex.MisdirectedRequest, 421, "Misdirected Request"),
    (ex.UnprocessableEntity, 422, "Unprocessable Content"),
    (ex.Locked, 423, "Locked"),
    (ex.FailedDependency, 424, "Failed Dependency"),
    (ex.UpgradeRequired, 426, "Upgrade Required"),
    (ex.PreconditionRequired, 428, "Precondition Required"),
    (ex.TooManyRequests, 429, "Too Many Requests"),
    (ex.RequestHeaderFieldsTooLarge, 431, "Request Header Fields Too Large"),
    (ex.UnavailableForLegalReasons, 451, "Unavailable For Legal Reasons"),
    (ex.InternalServerError, 500, "Internal Server Error"),
    (ex.NotImplemented, 501, "Not Implemented"),
    (ex.BadGateway, 502, "Bad Gateway"),
    (ex.ServiceUnavailable, 503, "Service Unavailable"),
    (ex.GatewayTimeout, 504, "Gateway Timeout"),
    (ex.HTTPVersionNotSupported, 505, "HTTP Version Not Supported"),
]


@pytest.mark.parametrize(("cls", "code", "name"), DEFAULTS)
def test_default_exception(cls, code, name):
    error = cls()
    assert isinstance(error, HTTPException)
    assert error.code == code
    assert error.name == name
    assert error.description
    assert error.description.endswith(".")
    assert default_exceptions[code] is cls
    assert error.response is None


def test_default_exceptions_table_is_complete():
    assert set(default_exceptions) == {code for _, code, _ in DEFAULTS}
    assert ex.BadRequestKeyError not in default_exceptions.values()
    assert ex.SecurityError not in default_exceptions.values()


def test_all_names_exist():
    for name in ex.__all__:
        assert hasattr(ex, name), name


@pytest.mark.parametrize(("cls", "code", "name"), DEFAULTS)
def test_abort_raises_the_class(cls, code, name):
    with pytest.raises(cls) as info:
        abort(code)
    assert info.value.code == code
    assert info.value.description == cls.description


def test_abort_not_found():
    with pytest.raises(ex.NotFound):
        abort(404)


def test_abort_with_description():
    with pytest.raises(ex.Forbidden) as info:
        abort(403, "Only admins may do that.")
    assert info.value.description == "Only admins may do that."
    assert str(info.value) == "403 Forbidden: Only admins may do that."


@pytest.mark.parametrize("code", [999, 200, 302, 308, 399, 419, 600, 0, -1])
def test_abort_unknown_code(code):
    with pytest.raises(LookupError) as info:
        abort(code)
    message = str(info.value)
    assert f"abort({code})" in message
    assert "4xx or 5xx" in message
    assert "Response" in message
    assert not isinstance(info.value, HTTPException)


def test_abort_with_response():
    response = erlen.Response("custom", 418)
    with pytest.raises(HTTPException) as info:
        abort(response)
    assert info.value.response is response
    assert info.value.get_response() is response
    assert info.value.get_response(make_request("application/json")) is response


def test_description_override_and_class_default_untouched():
    error = ex.NotFound("No such user.")
    assert error.description == "No such user."
    assert ex.NotFound.description != "No such user."
    assert ex.NotFound().description == ex.NotFound.description


def test_str_and_repr():
    error = ex.NotFound("Gone fishing.")
    assert str(error) == "404 Not Found: Gone fishing."
    assert repr(error) == "<NotFound '404: Not Found'>"


def test_base_and_custom_code():
    assert HTTPException().code == 500

    class Custom(HTTPException):
        code = 599
        description = "Something odd."

    assert Custom().name == "Unknown Error"
    assert str(Custom()) == "599 Unknown Error: Something odd."


def test_bad_request_key_error():
    error = ex.BadRequestKeyError("token", "the query string (request.args)")
    assert isinstance(error, KeyError)
    assert isinstance(error, ex.BadRequest)
    assert error.code == 400
    assert error.key == "token"
    assert "'token'" in error.description
    assert "request.args" in error.description
    assert ".get('token')" in error.description
    assert str(error) == f"400 Bad Request: {error.description}"


def test_security_error_is_bad_request():
    error = ex.SecurityError()
    assert isinstance(error, ex.BadRequest)
    assert error.code == 400


# bodies


@pytest.mark.parametrize("accept", [None, "", "text/html", "*/*", "text/html, application/json"])
def test_html_body(accept):
    request = None if accept is None else make_request(accept)
    body, content_type = ex.NotFound().get_body(request)
    assert content_type == "text/html; charset=utf-8"
    assert body.startswith("<!doctype html>")
    assert "<title>404 Not Found</title>" in body
    assert "<h1>Not Found</h1>" in body
    assert "The requested URL was not found on the server." in body


def test_html_body_escapes_description():
    error = ex.BadRequest('Bad value <script>alert("x")</script> & more')
    body, _ = error.get_body(make_request("text/html"))
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in body


def test_html_body_escapes_name():
    class Odd(HTTPException):
        code = 599

        @property
        def name(self):
            return "<b>Odd</b>"

    body, _ = Odd().get_body()
    assert "<b>" not in body
    assert "&lt;b&gt;Odd&lt;/b&gt;" in body


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/json, text/html;q=0.9",
        "text/html;q=0.5, application/json",
        "application/json, */*;q=0.1",
    ],
)
def test_json_body_when_preferred(accept):
    error = ex.NotFound("No <such> thing.")
    body, content_type = error.get_body(make_request(accept))
    assert content_type == "application/json"
    assert json.loads(body) == {"code": 404, "name": "Not Found", "description": "No <such> thing."}


def test_json_body_for_application_wildcard():
    # application/* covers application/json but not text/html: JSON is preferred.
    _, content_type = ex.NotFound().get_body(make_request("application/*"))
    assert content_type == "application/json"


@pytest.mark.parametrize(
    "accept",
    [
        "text/html, application/json",
        "text/html;q=0.9, application/json;q=0.5",
        "application/json;q=0, */*",
        "image/png",
    ],
)
def test_html_body_when_json_not_preferred(accept):
    _, content_type = ex.NotFound().get_body(make_request(accept))
    assert content_type == "text/html; charset=utf-8"


def test_get_response_html():
    response = ex.Forbidden("No <entry>.").get_response(make_request("text/html"))
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "No &lt;entry&gt;." in response.get_data(as_text=True)


def test_get_response_json():
    response = ex.Conflict().get_response(make_request("application/json"))
    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.get_data(as_text=True))["code"] == 409


def test_get_response_without_request_is_html():
    response = ex.Gone().get_response()
    assert response.status_code == 410
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


# headers carried by some errors


def test_method_not_allowed_allow_header():
    error = ex.MethodNotAllowed(["POST", "GET", "HEAD"])
    assert error.valid_methods == ["GET", "HEAD", "POST"]
    assert error.get_headers() == [("Allow", "GET, HEAD, POST")]
    response = error.get_response(make_request())
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_method_not_allowed_without_methods():
    error = ex.MethodNotAllowed()
    assert error.valid_methods == []
    assert error.get_headers() == []
    assert "Allow" not in error.get_response().headers


def test_method_not_allowed_description():
    error = ex.MethodNotAllowed({"GET"}, "Use GET.")
    assert error.description == "Use GET."
    assert error.valid_methods == ["GET"]


def test_unauthorized_www_authenticate():
    error = ex.Unauthorized(www_authenticate='Basic realm="Login"')
    assert error.get_headers() == [("WWW-Authenticate", 'Basic realm="Login"')]
    response = error.get_response(make_request())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Login"'


def test_unauthorized_without_challenge():
    assert ex.Unauthorized().get_headers() == []
    assert "WWW-Authenticate" not in ex.Unauthorized().get_response().headers


def test_range_not_satisfiable_content_range():
    assert ex.RangeNotSatisfiable(length=1000).get_headers() == [("Content-Range", "bytes */1000")]
    assert ex.RangeNotSatisfiable().get_headers() == []


def test_internal_server_error_keeps_original():
    original = ZeroDivisionError("boom")
    error = ex.InternalServerError(original_exception=original)
    assert error.original_exception is original
    assert ex.InternalServerError().original_exception is None
