"""Reading a request body: never past its length, never past the size limit.

:class:`LimitedStream` wraps what the server hands over (``wsgi.input``, or
the ASGI adapter's body) and turns the ways a body goes wrong into the
client errors they are: a body over the limit is a 413 as soon as that is
known, a body shorter than its ``Content-Length`` or one whose framing the
server could not read is a 400.
"""

from __future__ import annotations

import typing as t

from .exceptions import BadRequest, HTTPException, RequestEntityTooLarge

__all__ = ["LimitedStream", "read_exactly", "short_body", "too_large", "unreadable"]


class LimitedStream:
    """Read a request body, never past its length or the size limit.

    A body longer than ``limit`` raises 413 as soon as that is known; a
    client that sends less than it announced raises 400.
    """

    def __init__(self, stream: t.Any, length: int | None, limit: int | None) -> None:
        if length is not None and limit is not None and length > limit:
            raise too_large(length, limit)
        self._stream = stream
        self._length = length
        self._limit = limit
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        length = self._length
        if length is None:
            # No Content-Length: the server ends the stream (chunked upload).
            want = size if size is not None and size >= 0 else -1
            if self._limit is not None:
                room = self._limit - self._read + 1
                want = room if want < 0 else min(want, room)
            try:
                data = self._stream.read(want) if want != 0 else b""
            except (HTTPException, RuntimeError):
                raise
            except Exception as error:  # noqa: BLE001 - the server's own parse errors
                raise unreadable(error) from error
            self._read += len(data)
            if self._limit is not None and self._read > self._limit:
                raise too_large(None, self._limit)
            return data
        remaining = length - self._read
        if remaining <= 0:
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        try:
            data = read_exactly(self._stream, size)
        except _ShortBody:
            raise short_body(length) from None  # the length announced, not this read's
        self._read += size
        return data

    def readall(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            chunk = self.read(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def __iter__(self) -> t.Iterator[bytes]:
        while True:
            chunk = self.read(65536)
            if not chunk:
                return
            yield chunk

    async def __aiter__(self) -> t.AsyncIterator[bytes]:
        """Yield the body as it arrives: ``async for chunk in request.stream``.

        Under ASGI the chunks come straight from the server, unbuffered
        (for a route with ``stream_body=True``); elsewhere this reads the
        body in blocks.
        """
        receive = getattr(self._stream, "chunks_async", None)
        if receive is None:
            for chunk in self:
                yield chunk
            return
        length, limit = self._length, self._limit
        async for chunk in receive():
            self._read += len(chunk)
            if limit is not None and self._read > limit:
                raise too_large(length, limit)
            if length is not None and self._read > length:
                chunk = chunk[: len(chunk) - (self._read - length)]
                self._read = length
                if chunk:
                    yield chunk
                return
            yield chunk
        if length is not None and self._read < length:
            raise BadRequest(
                f"The client stopped sending the body after {self._read} of the {length} "
                "bytes it announced (Content-Length)."
            )


class _ShortBody(BadRequest):
    """The body ended before its Content-Length."""


def short_body(length: int) -> BadRequest:
    """The 400 for a body that ended before the ``length`` bytes its Content-Length announced."""
    return _ShortBody(
        f"The client stopped sending the body after fewer than the {length} bytes it "
        "announced (Content-Length)."
    )


def read_exactly(source: t.Any, length: int) -> bytes:
    """Read ``length`` bytes of ``source``; a 400 if it ends before (as for a whole body)."""
    try:
        data = source.read(length)
        while len(data) < length:  # a socket may answer with less than asked
            more = source.read(length - len(data))
            if not more:
                raise short_body(length)
            data += more
    except (HTTPException, RuntimeError):
        raise
    except Exception as error:  # noqa: BLE001 - the server's own parse errors
        raise unreadable(error) from error
    return data  # type: ignore[no-any-return]  # perf: no cast() call


def unreadable(error: Exception) -> BadRequest:
    # A WSGI server's body stream raises its own errors for a body that breaks
    # its framing, or a client that resets the connection (gunicorn:
    # InvalidChunkSize, NoMoreData, ConnectionResetError ...): the client's doing.
    said = f"{type(error).__name__}: {error}"
    return BadRequest(
        f"The request body could not be read (the server said {said[:120]!r}): it broke "
        "its framing (Content-Length or chunked encoding), or the client went away."
    )


def too_large(length: int | None, limit: int) -> RequestEntityTooLarge:
    size = f"{length} bytes" if length is not None else "more than that"
    return RequestEntityTooLarge(
        f"The request body is {size}; this server accepts at most {limit} bytes. "
        "Raise app.config['MAX_CONTENT_LENGTH'] if larger bodies are expected."
    )
