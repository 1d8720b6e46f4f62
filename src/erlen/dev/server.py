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
keep-alive) and close after :data:`KEEP_ALIVE_TIMEOUT` idle seconds. This
module accepts connections and reads requests off them; one request and
its response (the PEP 3333 side) live in :mod:`erlen.dev.exchange`; the
HTTP/1.1 parsing and framing in :mod:`erlen.dev.http11`, which does no IO.

:func:`run_asgi` (in :mod:`erlen.dev.asgi_runner`) serves through uvicorn
instead (``erlen run --asgi``), with the same socket handling, port-in-use
advice and banner (:mod:`erlen.dev.startup`).
"""

from __future__ import annotations

import selectors
import socket
import sys
import threading
import time
import traceback
import typing as t
from collections.abc import Callable, Iterable

from .asgi_runner import run_asgi
from .exchange import DRAIN_LIMIT as DRAIN_LIMIT
from .exchange import _Exchange
from .http11 import NEED_DATA, Event, ProtocolError, Request, RequestParser, dump_error
from .startup import (
    _adopt,
    _app_name,
    _banner,
    _exit_on_bind_error,
    _until_stopped,
    bind_error_message,
    free_port,
    listen,
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
#: Seconds ``server_close()`` waits for requests in progress to finish.
SHUTDOWN_TIMEOUT = 5.0

_StartResponse = Callable[..., Callable[[bytes], None]]
_WSGIApp = Callable[[dict[str, t.Any], _StartResponse], Iterable[bytes]]


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
