"""One HTTP request sent to an app through ASGI, checked against the spec.

:class:`_HTTPExchange` feeds the request body to the app through
``receive()`` and collects what it sends, failing the test with an
``AssertionError`` on the first message the ASGI spec does not allow.
"""

from __future__ import annotations

import asyncio
import typing as t
from collections.abc import Callable, Mapping

from ..ctx import _cv
from ..typing import Message


def _checked_headers(where: str, headers: t.Any) -> list[tuple[bytes, bytes]] | str:
    """Return ASGI response headers as a list, or (a ``str``) what is wrong with them."""
    try:
        pairs = list(headers)
    except TypeError:
        return f"The app sent headers={headers!r} in {where}; ASGI wants an iterable of pairs."
    for pair in pairs:
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not isinstance(pair[0], bytes)
            or not isinstance(pair[1], bytes)
        ):
            return (
                f"The app sent the header {pair!r} in {where}; an ASGI header is a "
                "[name, value] pair of bytes."
            )
        name, value = pair
        if name != name.lower() or name.startswith(b":"):
            return (
                f"The app sent the header name {name!r} in {where}; ASGI wants lowercase "
                "names and no pseudo-headers."
            )
        if b"\r" in value or b"\n" in value or b"\0" in value:
            return f"The app sent the header {name!r} with a CR, LF or NUL in its value {value!r}."
    return pairs


class _HTTPExchange:
    """One request over ASGI: feed the body, check and collect what the app sends."""

    def __init__(self, scope: Message, body: bytes, chunk_size: int) -> None:
        self.scope = scope
        #: The app's request context, seen from inside the app's send() call.
        self.context: t.Any = None
        size = max(chunk_size, 1)
        self._chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.returned = False
        self.violation: str | None = None
        self._complete_event: asyncio.Event | None = None

    async def run(self, application: Callable[..., t.Any]) -> None:
        try:
            await application(self.scope, self.receive, self.send)
        except Exception:
            if self.violation is not None:
                raise AssertionError(self.violation)  # noqa: B904 - the first fault is the cause
            raise
        self.returned = True
        self._check_finished()

    async def receive(self) -> Message:
        if self._chunks:
            chunk = self._chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self._chunks)}
        # As a server does: the next event is the disconnect, once the response is sent.
        if not self.complete:
            if self._complete_event is None:
                self._complete_event = asyncio.Event()
            await self._complete_event.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.context is None:
            # erlen calls send() with the request's context still set, so
            # `with client:` can keep it without the adapter's help.
            self.context = _cv.get(None)
        problem = self._accept(message)
        if problem is not None:
            if self.violation is None:
                self.violation = problem
            raise AssertionError(problem)

    def _accept(self, message: t.Any) -> str | None:
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            return f"The app sent {message!r}; an ASGI message is a dict with a 'type' string."
        kind = message["type"]
        if self.complete:
            return (
                f"The app sent {kind!r} after the final http.response.body "
                "(more_body=False); nothing may follow it."
            )
        if kind == "http.response.start":
            if self.status is not None:
                return "The app sent http.response.start twice; send it once, then the body."
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 599:
                return f"The app sent http.response.start with status={status!r}; use an int."
            headers = _checked_headers("http.response.start", message.get("headers", ()))
            if isinstance(headers, str):
                return headers
            if message.get("trailers"):
                return (
                    "The app sent http.response.start with trailers=True, but the test client "
                    "offers no http.response.trailers extension."
                )
            self.status = status
            self.headers = headers
            return None
        if kind == "http.response.body":
            if self.status is None:
                return "The app sent http.response.body before http.response.start."
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if not isinstance(body, bytes):
                return (
                    f"The app sent http.response.body with a {type(body).__name__} body; use bytes."
                )
            if not isinstance(more, bool):
                return f"The app sent http.response.body with more_body={more!r}; use a bool."
            if body:
                self.body.append(body)
            if not more:
                self.complete = True
                if self._complete_event is not None:
                    self._complete_event.set()
            return None
        return (
            f"The app sent a {kind!r} message to an http scope, which takes only "
            "http.response.start and http.response.body."
        )

    def _check_finished(self) -> None:
        if self.violation is not None:
            raise AssertionError(self.violation)
        if self.status is None:
            raise AssertionError(
                f"The app returned without sending http.response.start for "
                f"{self.scope['method']} {self.scope['path']}; an ASGI app must answer "
                "every request."
            )
        if not self.complete:
            raise AssertionError(
                f"The app returned before finishing its response to {self.scope['method']} "
                f"{self.scope['path']}: the last http.response.body had more_body=True."
            )
        size = sum(map(len, self.body))
        if self.scope["method"] == "HEAD" or self.status in (204, 304) or self.status < 200:
            if size:
                raise AssertionError(
                    f"The app sent a {size}-byte body with a {self.status} response to "
                    f"{self.scope['method']}; such a response has no body (RFC 9110 §6.4.1)."
                )
            return
        lengths = [value for name, value in self.headers if name == b"content-length"]
        if lengths and (len(lengths) > 1 or lengths[0] != str(size).encode()):
            raise AssertionError(
                f"The app sent content-length {b', '.join(lengths).decode()} with a "
                f"{size}-byte body; a client would wait for the rest or read the excess as "
                "the next response."
            )

    def describe_wait(self) -> str:
        if self.returned:
            what = "returned"
        elif self.status is None:
            what = "sent no http.response.start"
        elif not self.complete:
            what = (
                f"sent the start and {sum(map(len, self.body))} body bytes but no final "
                "http.response.body (more_body=False)"
            )
        else:
            what = "sent the whole response but has not returned"
        return (
            f"The app did not finish {self.scope['method']} {self.scope['path']} in time: "
            f"it {what}. Pass a larger timeout= to the client if the view is meant to be slow."
        )
