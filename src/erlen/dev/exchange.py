"""One request and its response on a development server connection (PEP 3333).

:class:`_Exchange` builds the WSGI environ from a parsed request head,
gives the app the body through ``wsgi.input`` (:class:`_Input`, which never
reads past the body's end), implements ``start_response`` and ``write()``,
frames what the app returns with :class:`~erlen.dev.http11.ResponseWriter`,
and logs one line. A connection of :mod:`erlen.dev.server` runs one
exchange per request.
"""

from __future__ import annotations

import sys
import time
import traceback
import typing as t
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from types import TracebackType
from urllib.parse import unquote_to_bytes, urlsplit

from ..http.exceptions import BadRequest
from ..serving.wsgi import ResponseCut
from .http11 import (
    Data,
    EndOfMessage,
    ProtocolError,
    Request,
    ResponseWriter,
    check_response_head,
)

if t.TYPE_CHECKING:
    from .server import _Connection

#: Most bytes of a body the app did not read that are skipped to keep the
#: connection; a longer remainder closes it instead.
DRAIN_LIMIT = 256 * 1024

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class _ClientGone(Exception):
    """The client closed the connection while the response was written."""


class _BodyError(BadRequest):
    """The request body broke its framing, or the client stopped sending it."""


class _BodyTimeout(_BodyError):
    """The client did not send the whole body within the server's deadline."""

    code = 408


class _Exchange:
    """One request and its response on a connection."""

    def __init__(self, connection: _Connection, request: Request) -> None:
        self.connection = connection
        self.request = request
        self.writer = ResponseWriter(request)
        self.has_body = request.chunked or bool(request.content_length)
        self.body_done = False  # the parser gave EndOfMessage (even for no body)
        self.continue_pending = request.expect_continue and self.has_body
        self.status: str | None = None
        self.status_code = 0
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.known_length: int | None = None  # the body's size, if known before it is sent
        self.note = ""  # added to the log line

    # -- the request side ----------------------------------------------------

    def environ(self) -> dict[str, t.Any]:
        """Return the PEP 3333 environ for this request."""
        request = self.request
        connection = self.connection
        server = connection.server
        target = request.target
        if target[:1] == b"/":  # RFC 9112 §3.2.1 origin-form
            path, _, query = target.partition(b"?")
        elif b"://" in target:  # §3.2.2 absolute-form
            parts = urlsplit(target)
            path, query = parts.path or b"/", parts.query
        else:  # §3.2.3-4 authority-form (CONNECT) or asterisk-form (OPTIONS *)
            path, query = target, b""
        raw_uri = target.decode("latin-1")
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "RAW_URI": raw_uri,
            "REQUEST_URI": raw_uri,
            "SERVER_NAME": server.server_name,
            "SERVER_PORT": str(server.server_port),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
            "SERVER_SOFTWARE": "erlen-dev",
            "REMOTE_ADDR": connection.remote_addr,
            "REMOTE_PORT": connection.remote_port,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": _Input(self),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            # The input ends where the body ends, chunked or not.
            "wsgi.input_terminated": True,
        }
        if request.content_length is not None:
            environ["CONTENT_LENGTH"] = str(request.content_length)
        for name, value in request.headers:
            if b"_" in name:
                # X_Forwarded_For would pose as X-Forwarded-For (HTTP_X_FORWARDED_FOR).
                continue
            key = name.decode("ascii").upper().replace("-", "_")
            if key == "CONTENT_LENGTH":
                continue
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            text = value.decode("latin-1")
            if key in environ:  # RFC 9110 §5.3: repeated fields join with commas
                text = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + text
            environ[key] = text
        return environ

    def read_body(self) -> bytes:
        """Return the next piece of the request body, ``b""`` at its end."""
        if self.body_done:
            return b""
        if self.continue_pending:
            self.continue_pending = False
            if not self.headers_sent:
                self._send(b"HTTP/1.1 100 Continue\r\n\r\n")
        connection = self.connection
        if connection.deadline is None:  # the body's clock starts at its first read
            connection.start_deadline("request body", connection.server.body_timeout)
        try:
            event = connection.next_event()
        except ProtocolError as error:
            self.writer.keep_alive = False
            if error.status_hint == 408:
                raise _BodyTimeout(f"The request body was too slow: {error}.") from None
            raise _BodyError(f"Bad request body: {error}.") from None
        except OSError as error:
            self.writer.keep_alive = False
            raise _BodyError(f"The client stopped sending the request body ({error}).") from None
        if isinstance(event, Data):
            return event.data
        self.body_done = True
        return b""

    def drain(self) -> bool:
        """Skip a body the app did not read; return whether the connection can go on."""
        if self.continue_pending:
            return False  # the client waits for 100 Continue, or sends anyway: unclear
        budget = DRAIN_LIMIT
        connection = self.connection
        try:
            connection.recv_timeout = 1.0
            if connection.deadline is None:
                connection.start_deadline("request body", connection.server.body_timeout)
            while budget >= 0:
                event = self.connection.next_event()
                if isinstance(event, EndOfMessage):
                    self.body_done = True
                    return True
                if isinstance(event, Data):
                    budget -= len(event.data)
        except (ProtocolError, OSError):
            pass
        return False

    # -- the response side ---------------------------------------------------

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        """PEP 3333 ``start_response``."""
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # break the frame <-> traceback cycle
        elif self.status is not None:
            raise RuntimeError(
                "start_response() was called a second time without exc_info. Call it once, "
                "or pass exc_info=sys.exc_info() to replace the headers after an error."
            )
        self.status_code = check_response_head(status, headers)
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333 ``write()``: send ``data`` now (for apps that push)."""
        if self.status is None:
            raise RuntimeError("write() was called before start_response().")
        if not isinstance(data, bytes):
            raise TypeError(f"The app must give bytes for the body, not {type(data).__name__}.")
        if not self.headers_sent:
            self._send(self._head() + self.writer.data(data))
        elif data:
            self._send(self.writer.data(data))

    def run(self) -> None:
        """Call the app, send its response, and log one line."""
        start = time.perf_counter()
        body: Iterable[bytes] | None = None
        try:
            body = self.connection.server.app(self.environ(), self.start_response)
            if isinstance(body, (list, tuple)) and all(isinstance(c, bytes) for c in body):
                self.known_length = sum(map(len, body))
            for chunk in body:
                if chunk:
                    self.write(chunk)
            if self.status is None:
                raise RuntimeError("The app returned without calling start_response().")
            if not self.headers_sent:
                self.known_length = 0
                self._send(self._head())
            self._send(self.writer.end())
        except _ClientGone:
            self.writer.keep_alive = False
            self.note = " (the client disconnected)"
        except ResponseCut:
            # erlen's app logged its stream's error already: cut, and say so once.
            self.writer.keep_alive = False
            self.note = " (the response was cut: the app's stream failed)"
        except Exception as error:
            self._fail(error)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    self._log_error("Error while closing the response")
        request = self.request
        target = request.target.decode("latin-1")
        if self.writer.problem:
            self.note = f" ({self.writer.problem})"
        self.connection.server.log(
            f'{self.connection.remote_addr} - "{request.method.decode()} {target} '
            f'HTTP/{request.http_version.decode()}" {self.status_code} {self.writer.sent} '
            f"{(time.perf_counter() - start) * 1000:.1f}ms{self.note}"
        )

    @property
    def keep_alive(self) -> bool:
        """Whether the connection can carry the next request."""
        return self.writer.keep_alive and not self.connection.server._closing

    def _head(self) -> bytes:
        if self.continue_pending or self.connection.server._closing:
            # The client may or may not send the body now: only a close is clear.
            self.writer.keep_alive = False
        self.headers_sent = True
        return self.writer.head(self.status or "", self.headers, self.known_length)

    def _fail(self, error: Exception) -> None:
        """Answer an app error: 400 for a broken body, else 500 (or cut the stream)."""
        self.writer.keep_alive = False
        if self.headers_sent:
            # Never end the chunked body: the client must see it as cut short.
            self._log_error("Error in the app after the response started; closed the connection")
            return
        if isinstance(error, _BodyError):
            status, text = f"{error.code} {HTTPStatus(error.code).phrase}", error.description
            self.note = f" ({text})"
        else:
            status, text = "500 Internal Server Error", "Internal Server Error"
            self._log_error("Error in the app")
        body = (text + "\n").encode()
        self.status, self.status_code = status, int(status[:3])
        self.headers = [("Content-Type", "text/plain; charset=utf-8")]
        self.known_length = len(body)
        try:
            self.write(body)
        except _ClientGone:
            pass

    def _log_error(self, message: str) -> None:
        request = self.request
        self.connection.server.log(
            f"{message} ({request.method.decode()} {request.target.decode('latin-1')}):\n"
            + traceback.format_exc().rstrip(),
            always=True,
        )

    def _send(self, data: bytes) -> None:
        if data:
            try:
                self.connection.sock.sendall(data)
            except OSError as error:
                raise _ClientGone from error


class _Input:
    """``wsgi.input``: the request body; it never reads past the body's end."""

    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange
        self._buffer = bytearray()

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes (all that is left if ``size`` < 0)."""
        while size is None or size < 0 or len(self._buffer) < size:
            data = self._exchange.read_body()
            if not data:
                break
            self._buffer += data
        if size is None or size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Return one line, ending with its ``b"\\n"`` (at most ``size`` bytes)."""
        while b"\n" not in self._buffer and (size is None or size < 0 or len(self._buffer) < size):
            data = self._exchange.read_body()
            if not data:
                break
            self._buffer += data
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        if size is not None and size >= 0:
            end = min(end, size)
        line = bytes(self._buffer[:end])
        del self._buffer[:end]
        return line

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Return the remaining lines."""
        lines: list[bytes] = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line
