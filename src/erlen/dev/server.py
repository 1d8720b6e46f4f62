"""The development server: threaded HTTP/1.1 for WSGI apps, standard library only.

It is for working on your machine, not for production, and says so when
it starts: serve production traffic with gunicorn, uWSGI or waitress.

::

    server = make_server("127.0.0.1", 0, app)   # port 0: any free port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ...  # talk to http://127.0.0.1:{server.server_port}/
    server.shutdown()
    server.server_close()

One thread serves each connection; connections persist (HTTP/1.1
keep-alive) and close after :data:`KEEP_ALIVE_TIMEOUT` idle seconds. The
HTTP/1.1 parsing and framing live in :mod:`erlen.dev.http11`, which does no IO.

:func:`run_asgi` serves through uvicorn instead (``erlen run --asgi``), with
the same socket handling, port-in-use advice and banner.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
import typing as t
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from urllib.parse import unquote_to_bytes, urlsplit

from ..http.exceptions import BadRequest
from ..serving.wsgi import ResponseCut
from .http11 import (
    NEED_DATA,
    Data,
    EndOfMessage,
    Event,
    ProtocolError,
    Request,
    RequestParser,
    ResponseWriter,
    check_response_head,
    dump_error,
)

__all__ = [
    "DevServer",
    "bind_error_message",
    "free_port",
    "listen",
    "make_server",
    "run_asgi",
    "run_simple",
]

#: Seconds an idle connection waits for its next request before it closes.
KEEP_ALIVE_TIMEOUT = 5.0
#: Seconds a socket read or write may block while a request is handled.
IO_TIMEOUT = 60.0
#: Most bytes of a body the app did not read that are skipped to keep the
#: connection; a longer remainder closes it instead.
DRAIN_LIMIT = 256 * 1024
#: Seconds ``server_close()`` waits for requests in progress to finish.
SHUTDOWN_TIMEOUT = 5.0
#: Seconds uvicorn (``run_asgi``) gives open requests and websockets on shutdown;
#: under the reloader's three seconds, so a restart never waits for SIGKILL.
ASGI_SHUTDOWN_TIMEOUT = 2

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
_StartResponse = Callable[..., Callable[[bytes], None]]
_WSGIApp = Callable[[dict[str, t.Any], _StartResponse], Iterable[bytes]]


class _ClientGone(Exception):
    """The client closed the connection while the response was written."""


class _BodyError(BadRequest):
    """The request body broke its framing, or the client stopped sending it."""


class DevServer:
    """A threaded HTTP/1.1 server for one WSGI app, on a listening socket.

    Made by :func:`make_server`. Set ``quiet`` to stop the per-request log.
    """

    def __init__(self, sock: socket.socket, app: _WSGIApp, host: str | None = None) -> None:
        self.socket = sock
        self.app = app
        self.quiet = False
        self.server_address: tuple[t.Any, ...] = sock.getsockname()
        self.server_port = int(self.server_address[1])
        self.server_name = host or str(self.server_address[0])
        self._log_lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        self._shutdown_requested = False
        self._stopped = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        sock.setblocking(False)

    def serve_forever(self) -> None:
        """Accept connections until :meth:`shutdown`, each in its own thread."""
        self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                selector.register(self._wake_reader, selectors.EVENT_READ)
                while not self._shutdown_requested:
                    for key, _ in selector.select():
                        if key.fileobj is self._wake_reader:
                            self._wake_reader.recv(64)
                        else:
                            self._accept()
        finally:
            self._shutdown_requested = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait for it."""
        if self._closing:
            return  # server_close() ran: serve_forever() cannot be running
        self._shutdown_requested = True
        self._wake_writer.send(b"x")
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and idle connections; let requests finish."""
        self._closing = True
        self.socket.close()
        self._wake_reader.close()
        self._wake_writer.close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.idle:
                connection.wake()
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT
        for connection in connections:
            if connection.thread.ident is not None:  # started
                connection.thread.join(max(0.0, deadline - time.monotonic()))

    def _accept(self) -> None:
        try:
            sock, address = self.socket.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # perf: small chunks of a streamed response leave at once.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(self, sock, address)
        with self._connections_lock:
            self._connections.add(connection)
        connection.thread.start()  # after add: the thread removes itself when done

    def _forget(self, connection: _Connection) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def log(self, line: str, *, always: bool = False) -> None:
        """Write one line to stderr (request lines are skipped when ``quiet``)."""
        if always or not self.quiet:
            with self._log_lock:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()


class _Connection:
    """One client connection: read requests, run the app, write responses."""

    def __init__(self, server: DevServer, sock: socket.socket, address: t.Any) -> None:
        self.server = server
        self.sock = sock
        self.parser = RequestParser()
        self.idle = False
        if isinstance(address, tuple):
            self.remote_addr, self.remote_port = str(address[0]), str(address[1])
            if self.remote_addr.startswith("::ffff:") and "." in self.remote_addr:
                self.remote_addr = self.remote_addr[7:]  # IPv4 through a dual-stack "::"
        else:  # a Unix socket has no peer address
            self.remote_addr, self.remote_port = "-", ""
        self.thread = threading.Thread(target=self.run, name=f"erlen-dev {address}", daemon=True)

    def run(self) -> None:
        linger = False
        try:
            while not self.server._closing:
                keep_alive, linger = self._serve_one()
                if not keep_alive:
                    break
        except Exception:  # a bug here must not kill the server
            self.server.log(
                f"Error in the development server:\n{traceback.format_exc()}", always=True
            )
        finally:
            self.server._forget(self)
            self._close(linger)

    def wake(self) -> None:
        """Make an idle connection's blocked read return, so its thread ends."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def next_event(self) -> Event:
        """Return the parser's next event, reading from the socket as needed."""
        while True:
            event = self.parser.next_event()
            if event is not NEED_DATA:
                return event
            self.parser.receive_data(self.sock.recv(65536))

    def _serve_one(self) -> tuple[bool, bool]:
        """Serve one request; return (keep the connection, linger on close)."""
        self.sock.settimeout(KEEP_ALIVE_TIMEOUT)
        self.idle = True
        if self.server._closing:  # server_close() may have looked before idle was set
            return False, False
        try:
            event = self.next_event()
        except ProtocolError as error:
            self._reject(error)
            return False, True
        except OSError:  # idle timeout, or the client reset the connection
            return False, False
        finally:
            self.idle = False
        if not isinstance(event, Request):
            return False, False  # ConnectionClosed
        self.sock.settimeout(IO_TIMEOUT)
        exchange = _Exchange(self, event)
        exchange.run()
        if not exchange.keep_alive:
            return False, exchange.has_body and not exchange.body_done
        if not exchange.body_done and not exchange.drain():
            return False, True
        self.parser.start_next_request()
        return True, False

    def _reject(self, error: ProtocolError) -> None:
        """Answer a request the parser refused, then close."""
        start = time.perf_counter()
        status = error.status_hint
        line = self.parser.request_line
        if line[:1] == b"\x16":  # a TLS handshake record: https:// to an http:// server
            message = "an https:// request reached this http:// server; open http:// instead"
        else:
            message = str(error)
        response = dump_error(status, message)
        try:
            self.sock.sendall(response)
        except OSError:
            pass
        size = len(response) - response.index(b"\r\n\r\n") - 4
        shown = line.decode("latin-1").encode("unicode_escape").decode("ascii") or "-"
        self.server.log(
            f'{self.remote_addr} - "{shown}" {status} {size} '
            f"{(time.perf_counter() - start) * 1000:.1f}ms ({message})"
        )

    def _close(self, linger: bool) -> None:
        """Close the socket; with ``linger``, read a while first so that
        unread request bytes do not turn the close into a reset that loses
        the response (RFC 9112 §9.6)."""
        try:
            if linger:
                self.sock.shutdown(socket.SHUT_WR)
                self.sock.settimeout(1.0)
                budget = DRAIN_LIMIT * 4
                while budget > 0:
                    data = self.sock.recv(65536)
                    if not data:
                        break
                    budget -= len(data)
        except OSError:
            pass
        finally:
            self.sock.close()


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
        try:
            event = self.connection.next_event()
        except ProtocolError as error:
            self.writer.keep_alive = False
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
        try:
            self.connection.sock.settimeout(1.0)
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
            status, text = "400 Bad Request", error.description
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


# -- making and running a server -----------------------------------------------


def make_server(host: str, port: int, app: _WSGIApp, *, fd: int | None = None) -> DevServer:
    """Return a :class:`DevServer` for ``app`` on ``host:port``, ready to serve.

    Port 0 picks any free port (read it back from ``server_port``). With
    ``fd``, take over that already-bound listening socket instead of
    binding (the reloader binds once and hands it to each child); the
    server owns the descriptor from then on and closes it.
    """
    if fd is not None:
        return DevServer(_adopt(fd), app)
    return DevServer(listen(host, port), app, host.strip("[]"))


def _adopt(fd: int) -> socket.socket:
    """Return the socket of an inherited descriptor, listening."""
    sock = socket.socket(fileno=fd)
    if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        sock.listen(128)
    return sock


def listen(host: str, port: int) -> socket.socket:
    """Return a socket listening on ``host:port`` (port 0: any free port).

    The reloader's supervisor binds with this too, so both report a busy
    port the same way (see :func:`bind_error_message`).
    """
    host = host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # restart at once, despite old connections in TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sock.family == socket.AF_INET6 and host == "::":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def free_port(host: str) -> int | None:
    """Return a port on ``host`` that is free right now, or None if none can be found."""
    host = host.strip("[]")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
    except OSError:
        return None


def run_simple(
    host: str,
    port: int,
    app: _WSGIApp,
    *,
    fd: int | None = None,
    debug: bool = False,
    quiet: bool = False,
) -> None:
    """Serve ``app`` on ``host:port`` until CTRL+C or SIGTERM.

    Print a banner and one line per request to stderr (neither if
    ``quiet``). A port in use, or a host or port that cannot be bound,
    prints why and raises ``SystemExit(1)``.
    """
    try:
        server = make_server(host, port, app, fd=fd)
    except OSError as error:
        _exit_on_bind_error(host, port, error)
    server.quiet = quiet
    if not quiet:
        shown = host if fd is None else str(server.server_address[0])
        sys.stderr.write(_banner(_app_name(app), shown, server.server_port, debug=debug))
    with _until_stopped():
        try:
            server.serve_forever()
        finally:
            server.server_close()


def run_asgi(
    host: str,
    port: int,
    app: t.Any,
    *,
    fd: int | None = None,
    debug: bool = False,
) -> None:
    """Serve the ASGI ``app`` through uvicorn on ``host:port`` until CTRL+C or SIGTERM.

    :func:`run_simple`'s twin for ``erlen run --asgi``: the socket is bound
    here (or taken over from the reloader's ``fd``), so a busy port gets the
    same advice and ``SystemExit(1)``; the banner is the same; uvicorn logs
    one line per request and runs the app's lifespan (a failed startup exits
    with status 3). Without uvicorn installed, say how to install it and
    raise ``SystemExit(1)``.
    """
    uvicorn = _import_uvicorn()
    try:
        sock = _adopt(fd) if fd is not None else listen(host, port)
    except OSError as error:
        _exit_on_bind_error(host, port, error)
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="on",
        log_level="info",
        access_log=True,
        # Like the development server: the client is the peer, whatever
        # X-Forwarded-For says.
        proxy_headers=False,
        timeout_graceful_shutdown=ASGI_SHUTDOWN_TIMEOUT,
    )
    shown = host if fd is None else str(sock.getsockname()[0])
    advice = (
        f" * Served by uvicorn {uvicorn.__version__} for development. In production, run "
        "uvicorn or hypercorn yourself, without erlen run."
    )
    sys.stderr.write(
        _banner(_app_name(app), shown, sock.getsockname()[1], debug=debug, advice=advice)
    )
    sys.stderr.flush()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again
    # with _until_stopped's handler back in place: it ends run() quietly.
    with _until_stopped():
        try:
            uvicorn.Server(config).run(sockets=[sock])  # closes the socket when done
        finally:
            sock.close()


def _import_uvicorn() -> t.Any:
    """Return the uvicorn module; without it, say how to install it and exit 1."""
    try:
        import uvicorn  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        sys.stderr.write(_uvicorn_missing(error) + "\n")
        raise SystemExit(1) from None
    return uvicorn


def _uvicorn_missing(error: ImportError | None = None) -> str:
    """Say that ``--asgi`` needs uvicorn, and how to get it."""
    why = "is not installed"
    if error is not None and error.name not in (None, "uvicorn"):
        why = f"could not be imported ({error})"  # installed, but broken
    return (
        f"Serving with --asgi needs uvicorn, which {why}. Install it with "
        "pip install uvicorn (or pip install 'erlen[asgi]'), or leave out --asgi to use "
        "erlen's development server."
    )


def _exit_on_bind_error(host: str, port: int, error: OSError) -> t.NoReturn:
    """Print why ``host:port`` could not be bound and exit 1 (re-raise without advice)."""
    message = bind_error_message(host, port, error)
    if message is None:
        raise error
    sys.stderr.write(message + "\n")
    raise SystemExit(1) from None


@contextlib.contextmanager
def _until_stopped() -> Iterator[None]:
    """Serve until CTRL+C or SIGTERM (turned into KeyboardInterrupt), then return quietly."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: t.Any) -> None:
    raise KeyboardInterrupt


def bind_error_message(host: str, port: int, error: OSError) -> str | None:
    """Say, for a person, why ``host:port`` could not be bound (None: no advice)."""
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return (
            f"Cannot listen on {host!r}: it is not an address of this machine. "
            "Use 127.0.0.1 (this machine only) or 0.0.0.0 (every network)."
        )
    if error.errno == errno.EADDRINUSE:
        free = free_port(host)
        hint = f" Port {free} is free: try --port {free}." if free else ""
        return (
            f"Port {port} on {host} is in use by another program. Stop that program, "
            f"or choose another port.{hint}"
        )
    if error.errno == errno.EACCES:
        return (
            f"Port {port} on {host} needs administrator rights (ports below 1024 do). "
            "Choose a port above 1024, such as --port 5000."
        )
    return None


def _app_name(app: t.Any) -> str:
    name = getattr(app, "name", None)
    if not isinstance(name, str):
        name = getattr(app, "__name__", type(app).__name__)
    return str(name)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _banner(
    app_name: str, host: str, port: int, *, debug: bool = False, advice: str | None = None
) -> str:
    """Return the lines the server prints when it starts.

    ``advice`` replaces the line that says what to use in production.
    """
    host = host.strip("[]")
    lines = [f" * Serving {app_name} on {_url(host, port)} (CTRL+C to quit)"]
    if host in ("0.0.0.0", "::"):
        lines.append(
            f" * That is every address of this machine; on it, open {_url('127.0.0.1', port)}"
        )
    lines.append(
        advice
        or " * This is a development server. Do not use it in production: "
        "use gunicorn, uWSGI or waitress."
    )
    if debug:
        lines.append(" * Debug mode: on")
        if not _is_loopback(host):
            lines.append(
                f" * WARNING: debug mode is on and the server listens on {host}, so anyone "
                "who can reach this machine over the network sees the debug page, with "
                "tracebacks, local variables and source code. Serve on 127.0.0.1 unless you "
                "trust every machine on the network."
            )
    return "\n".join(lines) + "\n"
