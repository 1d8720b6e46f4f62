"""Type aliases shared across erlen: the ASGI and WSGI shapes, and Flask's.

The ASGI names (``Scope``, ``Message``, ``Receive``, ``Send``) follow the
ASGI 3 specification; the WSGI ones follow PEP 3333; the rest carry
Flask's names for the same ideas (``ResponseReturnValue`` is whatever a
view may return). Nothing here runs: importing it costs a few aliases.
"""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, MutableMapping

if t.TYPE_CHECKING:
    from .response import Response

# -- ASGI 3 --------------------------------------------------------------

#: The connection's scope: ``type``, ``path``, ``headers`` ...
Scope = MutableMapping[str, t.Any]
#: One event, received or sent: ``{"type": "http.request", "body": b"..."}``.
Message = MutableMapping[str, t.Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# -- WSGI (PEP 3333) -----------------------------------------------------

WSGIEnvironment = dict[str, t.Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

# -- what views, hooks and handlers take and return ----------------------

#: A body a view may return.
ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    Mapping[str, t.Any],
    Iterable[str],
    Iterable[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
]
#: One header value, or several.
HeaderValue = t.Union[str, list[str], tuple[str, ...]]
#: Headers a view may return beside its body.
HeadersValue = t.Union[
    Mapping[str, HeaderValue],
    t.Sequence[tuple[str, HeaderValue]],
]
StatusCode = int
#: Whatever a view may return: a body, alone or with a status and headers.
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
]
ResponseClass = t.TypeVar("ResponseClass", bound="Response")

#: The key of a hook table: a blueprint's name, or ``None`` for the app.
AppOrBlueprintKey = t.Union[str, None]

AfterRequestCallable = t.Union[
    Callable[[ResponseClass], ResponseClass],
    Callable[[ResponseClass], Awaitable[ResponseClass]],
]
BeforeRequestCallable = t.Union[
    Callable[[], ResponseReturnValue | None],
    Callable[[], Awaitable[ResponseReturnValue | None]],
]
#: Flask keeps this name from its removed ``before_first_request``; erlen
#: never had that hook (do the work at startup, or in ``before_serving``).
BeforeFirstRequestCallable = t.Union[Callable[[], None], Callable[[], Awaitable[None]]]
ShellContextProcessorCallable = Callable[[], dict[str, t.Any]]
TeardownCallable = t.Union[
    Callable[[BaseException | None], None],
    Callable[[BaseException | None], Awaitable[None]],
]
TemplateContextProcessorCallable = t.Union[
    Callable[[], dict[str, t.Any]],
    Callable[[], Awaitable[dict[str, t.Any]]],
]
TemplateFilterCallable = Callable[..., t.Any]
TemplateGlobalCallable = Callable[..., t.Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = Callable[[str | None, dict[str, t.Any] | None], None]
ErrorHandlerCallable = t.Union[
    Callable[[t.Any], ResponseReturnValue],
    Callable[[t.Any], Awaitable[ResponseReturnValue]],
]
RouteCallable = t.Union[
    Callable[..., ResponseReturnValue],
    Callable[..., Awaitable[ResponseReturnValue]],
]
