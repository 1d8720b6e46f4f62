"""HTTP errors as exceptions.

Raise one from a view (or call :func:`abort`) to stop the request and answer
with that status. Each renders a small HTML page, or JSON when the client
prefers it (``Accept: application/json``).

.. code-block:: text

    HTTPException
     +-- BadRequest (400)
     |    +-- BadRequestKeyError        a missing form/args key
     |    +-- SecurityError             a request refused for safety
     +-- Unauthorized (401), Forbidden (403), NotFound (404)
     +-- MethodNotAllowed (405)         carries the allowed methods
     +-- NotAcceptable (406), RequestTimeout (408), Conflict (409), Gone (410)
     +-- LengthRequired (411), PreconditionFailed (412)
     +-- RequestEntityTooLarge (413), URITooLong (414)
     +-- UnsupportedMediaType (415), RangeNotSatisfiable (416)
     +-- ExpectationFailed (417), ImATeapot (418), UnprocessableEntity (422)
     +-- Locked (423), FailedDependency (424), UpgradeRequired (426)
     +-- PreconditionRequired (428)
     +-- TooManyRequests (429), RequestHeaderFieldsTooLarge (431)
     +-- UnavailableForLegalReasons (451)
     +-- InternalServerError (500), NotImplemented (501), BadGateway (502)
     +-- ServiceUnavailable (503), GatewayTimeout (504)
     +-- HTTPVersionNotSupported (505)
"""

from __future__ import annotations

import sys
import typing as t

from .status import HTTP_STATUS_PHRASES

if t.TYPE_CHECKING:
    from ..request import Request
    from ..response import Response
    from .auth import WWWAuthenticate

__all__ = [
    "Aborter",
    "HTTPException",
    "BadRequest",
    "BadRequestKeyError",
    "SecurityError",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "NotAcceptable",
    "RequestTimeout",
    "Conflict",
    "Gone",
    "LengthRequired",
    "PreconditionFailed",
    "RequestEntityTooLarge",
    "URITooLong",
    "UnsupportedMediaType",
    "RangeNotSatisfiable",
    "ExpectationFailed",
    "ImATeapot",
    "MisdirectedRequest",
    "UnprocessableEntity",
    "Locked",
    "FailedDependency",
    "UpgradeRequired",
    "PreconditionRequired",
    "TooManyRequests",
    "RequestHeaderFieldsTooLarge",
    "UnavailableForLegalReasons",
    "InternalServerError",
    "NotImplemented",
    "BadGateway",
    "ServiceUnavailable",
    "GatewayTimeout",
    "HTTPVersionNotSupported",
    "abort",
    "from_werkzeug",
    "default_exceptions",
]


class _HTTPExceptionBase(Exception):
    """Empty: where ``erlen.flask_compat`` puts Werkzeug's ``HTTPException``.

    Python lets a class's bases change only for bases of the same layout.
    This empty base is one, so that with the Flask alias on, erlen's errors
    also become Werkzeug's (``except werkzeug.exceptions.NotFound`` catches
    ``abort(404)``); with the alias off it does nothing.
    """


class HTTPException(_HTTPExceptionBase):
    """An HTTP error: a status ``code`` and a human ``description``.

    ``response`` may carry a ready :class:`~erlen.Response` to send instead
    of the default error page.
    """

    code: int = 500
    description: str = "The server could not complete the request."

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description)
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status phrase, such as ``"Not Found"``."""
        return HTTP_STATUS_PHRASES.get(self.code, "Unknown Error")

    def get_headers(self) -> list[tuple[str, str]]:
        """Return extra headers for the error response."""
        return []

    def get_body(self, request: Request | None = None) -> tuple[str, str]:
        """Return ``(body, content_type)``, JSON if the client prefers it."""
        if request is not None and _prefers_json(request):
            import json

            body = json.dumps(
                {"code": self.code, "name": self.name, "description": str(self.description)},
                separators=(",", ":"),  # ASCII: a lone surrogate echoed from input stays valid
            )
            return body, "application/json"
        from html import escape

        # Everything echoed is escaped: descriptions may quote user input.
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {escape(self.name)}</title>\n"
            f"<h1>{escape(self.name)}</h1>\n"
            # str(): Flask-Principal passes its Permission, as Werkzeug allows.
            f"<p>{escape(str(self.description))}</p>\n",
            "text/html; charset=utf-8",
        )

    def get_response(self, request: Request | None = None) -> Response:
        """Return the response to send for this error."""
        if self.response is not None:
            return self.response
        from ..response import Response

        body, content_type = self.get_body(request)
        response = Response(body, self.code, content_type=content_type)
        for name, value in self.get_headers():
            response.headers.add(name, value)
        return response

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.code}: {self.name}'>"


def _prefers_json(request: Request) -> bool:
    # The raw value, not request.headers: building those may be what failed (431).
    accept = request._raw_header("HTTP_ACCEPT")
    if not accept or ("json" not in accept and "application/*" not in accept):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


class BadRequest(HTTPException):
    """400: the request is malformed; ``abort(400, "why")`` says what was wrong."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """A key missing from ``request.form``, ``args``, ``files`` or ``cookies``."""

    def __init__(self, key: str, where: str = "request data") -> None:
        super().__init__(
            f"The request is missing the key {key!r} in {where}. "
            f"Use .get({key!r}) for an optional value."
        )
        self.key = key

    def __str__(self) -> str:  # KeyError would print repr(args)
        return HTTPException.__str__(self)


class SecurityError(BadRequest):
    """400: a request refused as unsafe, such as a path that leaves its folder."""

    description = "The request was refused because it looks unsafe."


class Unauthorized(HTTPException):
    """401: the request needs credentials; ``www_authenticate`` names the scheme."""

    code = 401
    description = "The server could not verify that you are authorized to access this URL."

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: WWWAuthenticate | str | t.Iterable[WWWAuthenticate | str] | None = None,
    ) -> None:
        super().__init__(description, response)
        #: The challenge(s) to send as ``WWW-Authenticate``: a string, a
        #: :class:`~erlen.http.auth.WWWAuthenticate`, or a list of them.
        self.www_authenticate = www_authenticate

    def get_headers(self) -> list[tuple[str, str]]:
        if self.www_authenticate:
            from .auth import dump_challenges  # loaded when a 401 carries a challenge

            return [("WWW-Authenticate", value) for value in dump_challenges(self.www_authenticate)]
        return []


class Forbidden(HTTPException):
    """403: the client is known but may not do this."""

    code = 403
    description = "You don't have permission to access the requested resource."


class NotFound(HTTPException):
    """404: no route matches the URL, or the view says the thing does not exist."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL "
        "manually please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """405: the URL exists but not for this method; ``valid_methods`` lists them."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: t.Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = sorted(valid_methods) if valid_methods else []

    def get_headers(self) -> list[tuple[str, str]]:
        if self.valid_methods:
            return [("Allow", ", ".join(self.valid_methods))]
        return []


class NotAcceptable(HTTPException):
    """406: no form of the resource matches the request's ``Accept`` header."""

    code = 406
    description = "The resource cannot be sent in a form the client said it accepts."


class RequestTimeout(HTTPException):
    """408: the client took too long to send its request."""

    code = 408
    description = "The server closed the connection while waiting for the request."


class Conflict(HTTPException):
    """409: the request conflicts with the resource's current state."""

    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    """410: the resource existed but has been removed for good."""

    code = 410
    description = "The requested URL is no longer available on this server."


class LengthRequired(HTTPException):
    """411: the request has a body but no valid ``Content-Length``."""

    code = 411
    description = "A request with this method needs a valid Content-Length header."


class PreconditionFailed(HTTPException):
    """412: an ``If-Match`` or ``If-Unmodified-Since`` condition failed."""

    code = 412
    description = "A precondition in the request headers was not met."


class RequestEntityTooLarge(HTTPException):
    """413: the body is larger than ``MAX_CONTENT_LENGTH`` or a form limit."""

    code = 413
    description = "The request body is larger than this server accepts."


class URITooLong(HTTPException):
    """414: the URL is longer than the server accepts."""

    code = 414
    description = "The URL is longer than this server accepts."


class UnsupportedMediaType(HTTPException):
    """415: the body's ``Content-Type`` is not one the view reads."""

    code = 415
    description = "The server does not support the media type of the request body."


class RangeNotSatisfiable(HTTPException):
    """416: the ``Range`` asked for lies outside the resource."""

    code = 416
    description = "The requested range cannot be served for this resource."

    def __init__(
        self,
        length: int | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length

    def get_headers(self) -> list[tuple[str, str]]:
        if self.length is not None:
            return [("Content-Range", f"bytes */{self.length}")]
        return []


class ExpectationFailed(HTTPException):
    """417: the server cannot meet the request's ``Expect`` header."""

    code = 417
    description = "The server cannot meet the request's Expect header."


class ImATeapot(HTTPException):
    """418: RFC 2324's joke status, there for completeness."""

    code = 418
    description = "This server is a teapot, not a coffee machine."


class MisdirectedRequest(HTTPException):
    """421: the request reached a server that does not answer for its host or scheme."""

    code = 421
    description = "This server cannot answer for the host or scheme the request was sent to."


class UnprocessableEntity(HTTPException):
    """422: the body parsed, but its contents are not valid."""

    code = 422
    description = "The request was well-formed but its contents could not be processed."


class Locked(HTTPException):
    """423: the resource is locked (WebDAV)."""

    code = 423
    description = "The resource is locked."


class FailedDependency(HTTPException):
    """424: the request depended on another request that failed (WebDAV)."""

    code = 424
    description = "The request depended on another request that failed."


class UpgradeRequired(HTTPException):
    """A WebSocket URL was requested as plain HTTP."""

    code = 426
    description = (
        "This URL is a WebSocket endpoint. Connect to it with a WebSocket client "
        "(new WebSocket('ws://...') in a browser), not a plain HTTP request."
    )

    def get_response(self, request: Request | None = None) -> Response:
        problem = self.handshake_problem(request)
        if problem is not None:
            # A real WebSocket handshake reached the HTTP cycle: the server
            # could not take it over. The app logs the same message.
            return NotImplemented(problem).get_response(request)
        response = super().get_response(request)
        if request is not None and "asgi.scope" in request.environ:
            # RFC 9110 §15.5.22; PEP 3333 forbids WSGI apps this hop-by-hop header.
            response.headers.set("Upgrade", "websocket")
        return response

    @staticmethod
    def handshake_problem(request: Request | None) -> str | None:
        """Say why a real WebSocket handshake reached the HTTP cycle, or return ``None``."""
        if request is None or "websocket" not in (request.headers.get("Upgrade") or "").lower():
            return None
        if "asgi.scope" in request.environ:
            return (
                f"The WebSocket route {request.path} was requested, but the ASGI server "
                "passed the handshake on as plain HTTP: it has no WebSocket support "
                "enabled. For uvicorn, install a WebSocket library (pip install websockets) "
                "and do not pass --ws none."
            )
        return (
            f"The WebSocket route {request.path} was requested, but this app is served "
            "over WSGI, which cannot carry WebSockets. Serve the app with an ASGI "
            "server instead, for example: uvicorn module:app"
        )


class PreconditionRequired(HTTPException):
    """428: the request must be conditional (``If-Match``)."""

    code = 428
    description = "This request must be conditional (If-Match or If-Unmodified-Since)."


class TooManyRequests(HTTPException):
    """429: the client sent too many requests in a given time."""

    code = 429
    description = "Too many requests were sent in a given amount of time."


class RequestHeaderFieldsTooLarge(HTTPException):
    """431: a header, or all of them together, is too large."""

    code = 431
    description = "The request's header fields are too large."


class UnavailableForLegalReasons(HTTPException):
    """451: the resource cannot be served for legal reasons."""

    code = 451
    description = "The resource is unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500. ``original_exception`` holds the unhandled error, if any."""

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete "
        "your request. Either the server is overloaded or there is an error "
        "in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):  # noqa: A001 - the HTTP name
    """501: the server does not support what the request asks for."""

    code = 501
    description = "The server does not support the action requested."


class BadGateway(HTTPException):
    """502: a proxy got an invalid answer from the server behind it."""

    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(HTTPException):
    """503: the server cannot answer now (overloaded, or down for maintenance)."""

    code = 503
    description = "The server is temporarily unable to service the request."


class GatewayTimeout(HTTPException):
    """504: a proxy timed out waiting for the server behind it."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """505: the request's HTTP version is not supported."""

    code = 505
    description = "The server does not support the HTTP version of the request."


default_exceptions: dict[int, type[HTTPException]] = {}
for _cls in list(globals().values()):
    if (
        isinstance(_cls, type)
        and issubclass(_cls, HTTPException)
        and _cls is not HTTPException
        and _cls.code not in default_exceptions
        and _cls not in (BadRequestKeyError, SecurityError)
    ):
        default_exceptions[_cls.code] = _cls
del _cls


class Aborter:
    """Raise the HTTP error for a status code: ``aborter(404)``.

    ``mapping`` (status code to exception class) starts from every error
    erlen knows; ``extra`` adds or replaces codes. The arguments after the
    code go to the exception (its description first). An app's
    :attr:`~erlen.Erlen.aborter` is one of these.
    """

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        cls = self.mapping.get(code)
        if cls is None:
            raise LookupError(
                f"abort({code}) names no known HTTP error status. Use a 4xx or 5xx code "
                "such as 400, 403, 404 or 500, add your own class for it to the aborter's "
                "mapping, or pass a Response to send it as is."
            )
        raise cls(*args, **kwargs)


_default_aborter = Aborter()


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop the request now and answer with an HTTP error.

    ``abort(404)``, ``abort(403, "Only admins may do that.")``, or
    ``abort(response)`` to send a ready response. (:func:`erlen.abort`
    uses the current app's aborter instead, when there is one.)
    """
    _default_aborter(code, *args, **kwargs)


def from_werkzeug(error: BaseException, request: Request | None = None) -> HTTPException | None:
    """Return erlen's HTTP error for Werkzeug's ``error``, or ``None`` if it is not one.

    Flask code and extensions raise Werkzeug's exceptions
    (``werkzeug.exceptions.abort(404)``, Flask-Limiter's ``RateLimitExceeded``,
    a ``TooManyRequests``); erlen answers each with its code. The page is
    erlen's, with the error's description and the headers its class adds
    (``Allow``, ``Retry-After`` ...), unless the error carries a response or
    its class renders its own (it overrides ``get_response``, ``get_body``,
    ``get_headers`` or ``get_description``): then that response is sent.
    ``request`` gives the environ those methods take. Werkzeug is never
    imported here: only an error from an already loaded Werkzeug can be one
    of its exceptions.
    """
    werkzeug = sys.modules.get("werkzeug.exceptions")
    if werkzeug is None or not isinstance(error, werkzeug.HTTPException):
        return None
    code = error.code if isinstance(error.code, int) else 500
    converted = default_exceptions.get(code, InternalServerError)(description=error.description)
    if converted.code != code:
        converted.code = code  # a code erlen has no class for
    environ = None if request is None else request.environ
    response = error.response
    if response is None and _renders_itself(type(error)):
        response = error.get_response(environ)
    if response is not None:
        converted.response = _erlen_response(response)
        return converted
    extra = [pair for pair in error.get_headers(environ) if pair[0].lower() != "content-type"]
    if extra:
        converted.response = page = converted.get_response(request)
        for name, value in extra:
            page.headers.add(name, value)
    return converted


_RENDERING = ("get_response", "get_body", "get_headers", "get_description")


def _renders_itself(cls: type) -> bool:
    """Whether a Werkzeug error class has a rendering method of its own (not Werkzeug's)."""
    for name in _RENDERING:
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        if not owner.__module__.startswith("werkzeug."):
            return True
    return False


def _erlen_response(response: t.Any) -> Response:
    from ..response import Response

    if isinstance(response, Response):
        return response
    # Werkzeug's Response (or one alike): its body, status and every header.
    return Response(response.get_data(), response.status_code, list(response.headers.items()))
