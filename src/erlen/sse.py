"""Server-Sent Events: a ``text/event-stream`` response from a generator.

::

    import asyncio
    import time

    from erlen import event_stream

    @app.route("/clock")
    async def clock():
        async def ticks():
            while True:
                yield {"event": "tick", "data": {"now": time.time()}}
                await asyncio.sleep(1)

        return event_stream(ticks())

The wire format follows the WHATWG HTML standard, section 9.2
"Server-sent events" (the ``text/event-stream`` interpretation rules).
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass

from . import json as _json
from .http.headers import Headers
from .response import Response

if t.TYPE_CHECKING:
    import asyncio

__all__ = ["ServerSentEvent", "event_stream"]

# HTML §9.2.6: a line ends at CRLF, a lone CR or a lone LF, and nothing else
# (str.splitlines would also split on \v, \f, U+2028 ... and change the data).
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_KEYS = frozenset(("data", "event", "id", "retry", "comment"))

_KEEP_ALIVE = b": keep-alive\n\n"
_END = object()


def _check_field(name: str, value: str, forbidden: str) -> None:
    for character in forbidden:
        if character not in value:
            continue
        if character == "\x00":
            why = "clients ignore an id holding NUL, so the event would keep the previous id"
        else:
            why = (
                "a line break would end the field early and let the rest of the value inject "
                "fields or events into the stream"
            )
        raise ValueError(
            f"The event's {name!r} field {value!r} contains {character!r}: {why}. "
            "Remove the character, or send the value as data, which may span lines."
        )


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of an event stream, encoded by :meth:`encode`.

    ``data`` is a ``str`` (several lines become several ``data:`` fields),
    ``bytes`` (decoded as UTF-8), ``None`` (no data), or any other value,
    sent as JSON. ``retry`` is the reconnection delay in milliseconds;
    ``comment`` is a line the client ignores::

        ServerSentEvent({"user": "ada"}, event="join", id="42")

    ``event`` and ``id`` may not hold CR or LF, nor ``id`` a NUL: these raise
    ``ValueError``, as they would inject fields into the stream.
    """

    data: t.Any = None
    _: KW_ONLY
    event: str | None = None
    id: str | int | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        event, id, retry, comment = self.event, self.id, self.retry, self.comment
        if event is not None:
            if not isinstance(event, str):
                raise TypeError(f"The event's 'event' field must be a str, not {_kind(event)}.")
            _check_field("event", event, "\r\n")
        if id is not None:
            if isinstance(id, bool) or not isinstance(id, (str, int)):
                raise TypeError(f"The event's 'id' field must be a str or int, not {_kind(id)}.")
            _check_field("id", str(id), "\r\n\x00")
        if retry is not None:
            if isinstance(retry, bool) or not isinstance(retry, int):
                raise TypeError(
                    f"The event's 'retry' field must be an int (milliseconds), not {_kind(retry)}."
                )
            if retry < 0:
                raise ValueError(
                    f"The event's 'retry' field is {retry}; it must be a number of milliseconds, "
                    "0 or more (clients ignore anything else)."
                )
        if comment is not None and not isinstance(comment, str):
            raise TypeError(f"The event's comment must be a str, not {_kind(comment)}.")

    def encode(self) -> bytes:
        """Return the event as UTF-8 bytes, ending with the blank line that dispatches it."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(_prefixed(":", self.comment))
        if self.event is not None:
            lines.append(f"event: {self.event}" if self.event else "event:")
        if self.id is not None:
            text = str(self.id)
            lines.append(f"id: {text}" if text else "id:")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        data = self.data
        if data is not None:
            if isinstance(data, (bytes, bytearray)):
                data = bytes(data).decode("utf-8")
            elif not isinstance(data, str):
                data = _json.dumps_bytes(data).decode()
            lines.extend(_prefixed("data:", data))
        lines.append("\n")
        return "\n".join(lines).encode("utf-8")


def _prefixed(prefix: str, text: str) -> list[str]:
    # The parser drops one space after the colon, so "data:  x" keeps " x".
    return [f"{prefix} {line}" if line else prefix for line in _LINE_BREAK_RE.split(text)]


def _kind(value: object) -> str:
    return type(value).__name__


def _to_event(item: t.Any) -> ServerSentEvent:
    if isinstance(item, ServerSentEvent):
        return item
    if isinstance(item, str):
        return ServerSentEvent(item)
    if isinstance(item, (bytes, bytearray)):
        return ServerSentEvent(bytes(item).decode("utf-8"))
    if isinstance(item, Mapping):
        unknown = set(item) - _KEYS
        if unknown:
            names = ", ".join(sorted(map(repr, unknown)))
            raise TypeError(
                f"An event dict has the unknown key(s) {names}. Use only 'data', 'event', "
                "'id', 'retry' and 'comment'; to send the whole dict as JSON, yield "
                "{'data': value} or ServerSentEvent(value)."
            )
        return ServerSentEvent(**item)
    raise TypeError(
        f"event_stream() got an item of type {_kind(item)}. Yield a ServerSentEvent, a str, "
        "bytes, or a dict with keys among 'data', 'event', 'id', 'retry' and 'comment'; to "
        "send another value as JSON, yield ServerSentEvent(value)."
    )


def event_stream(
    source: AsyncIterable[t.Any] | Iterable[t.Any],
    *,
    keep_alive: float | None = 15.0,
    retry: int | None = None,
    status: int = 200,
    headers: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | Headers | None = None,
) -> Response:
    """Return a ``text/event-stream`` response that sends each item of ``source``.

    ``source`` is an async iterable (an ``async def`` generator) or a plain
    iterable. Each item is a :class:`ServerSentEvent`, a ``str`` or ``bytes``
    (sent as data), or a dict with keys among ``data``, ``event``, ``id``,
    ``retry`` and ``comment``::

        @app.route("/news")
        def news():
            async def events():
                while True:
                    story = await queue.get()
                    yield {"event": "story", "id": story.id, "data": story.to_dict()}

            return event_stream(events())

    :param keep_alive: when an async source has sent nothing for this many
        seconds, send the comment ``: keep-alive`` so proxies and clients keep
        the connection open; ``None`` turns it off. The source is not
        interrupted: it keeps waiting for its next item. A plain (sync)
        iterable gets no keep-alive, as nothing can run while it blocks.
    :param retry: milliseconds the client should wait before reconnecting;
        sent first, as a ``retry:`` field.
    :param headers: extra response headers; they replace the defaults
        (``Content-Type``, ``Cache-Control: no-cache``,
        ``X-Accel-Buffering: no``) of the same name.

    When the client goes away the source is closed (``aclose()`` or
    ``close()``), so a ``finally`` block in a generator runs.
    """
    if keep_alive is not None:
        if isinstance(keep_alive, bool) or not isinstance(keep_alive, (int, float)):
            raise TypeError(
                f"keep_alive must be a number of seconds or None, not {_kind(keep_alive)}."
            )
        if not keep_alive > 0:
            raise ValueError(
                f"keep_alive is {keep_alive!r}; use a number of seconds above 0, or None to "
                "send no keep-alive comments."
            )
    first = ServerSentEvent(retry=retry).encode() if retry is not None else None
    response_headers = Headers(
        [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"),
        ]
    )
    if headers is not None:
        extra = headers if isinstance(headers, Headers) else Headers(headers)
        for name in {name.lower() for name in extra.keys()}:
            response_headers.remove(name)
        response_headers.extend(extra)
    body: AsyncIterator[bytes] | Iterator[bytes]
    if hasattr(source, "__aiter__"):
        body = _stream_async(t.cast("AsyncIterable[t.Any]", source), keep_alive, first)
    elif isinstance(source, Iterable) and not isinstance(source, (str, bytes, Mapping)):
        body = _stream_sync(source, first)
    else:
        raise TypeError(
            f"event_stream() needs an async iterable or an iterable of events, not "
            f"{_kind(source)}. Pass a generator (async def with yield, or def with yield)."
        )
    # Response annotates sync bodies only; erlen serves async ones too.
    return Response(body, status, response_headers)  # type: ignore[arg-type]


def _stream_sync(source: Iterable[t.Any], first: bytes | None) -> Iterator[bytes]:
    iterator = iter(source)
    try:
        if first is not None:
            yield first
        for item in iterator:
            yield _to_event(item).encode()
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


async def _next(iterator: AsyncIterator[t.Any]) -> t.Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


async def _stream_async(
    source: AsyncIterable[t.Any], keep_alive: float | None, first: bytes | None
) -> AsyncIterator[bytes]:
    import asyncio

    iterator = source.__aiter__()
    # One pending __anext__ at a time: a keep-alive leaves it running (on
    # this loop) rather than cancelling it, which would end the source.
    pending: asyncio.Task[t.Any] | None = None
    try:
        if first is not None:
            yield first
        while True:
            if keep_alive is None:
                item = await _next(iterator)
            else:
                if pending is None:
                    pending = asyncio.ensure_future(_next(iterator))
                done, _ = await asyncio.wait((pending,), timeout=keep_alive)
                if not done:
                    yield _KEEP_ALIVE
                    continue
                item, pending = pending.result(), None
            if item is _END:
                return
            yield _to_event(item).encode()
    finally:
        # The client is gone (or the source failed): stop the pending step
        # first, since an async generator cannot be closed while it runs.
        if pending is not None:
            pending.cancel()
            await asyncio.wait((pending,))
            if not pending.cancelled():
                pending.exception()  # retrieved: the stream is over, nobody else will
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
