"""The development server: threaded HTTP/1.1 for WSGI apps, standard library only.

It is for working on your machine, not for production, and says so when
it starts: serve production traffic with gunicorn, uWSGI or waitress.

::

    import threading
    from erlen.dev.server import make_server

    server = make_server("127.0.0.1", 0, app)   # port 0: any free port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ...  # talk to http://127.0.0.1:{server.server_port}/
    server.shutdown()
    server.server_close()

One thread serves each connection; connections persist (HTTP/1.1
keep-alive) and close after :data:`KEEP_ALIVE_TIMEOUT` idle seconds. A
client has :data:`HEAD_TIMEOUT` seconds for a whole request head and
:data:`BODY_TIMEOUT` for a whole body (a 408 after that), and at most
:data:`MAX_CONNECTIONS` connections are served at once: past that, a new
connection drops the one that has waited longest for a request head, or,
when every connection is busy in the app, gets a 503 at once. So slow
clients cannot hold every thread, and the server answers others. This
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
#: Seconds a client has to send a whole request head, from its first byte
#: (``erlen run --head-timeout``). Per read timeouts alone let a client that
#: sends a byte now and then hold a thread for ever.
HEAD_TIMEOUT = 10.0
#: Seconds a client has to send a whole request body, from when the app
#: starts reading it (``erlen run --body-timeout``).
BODY_TIMEOUT = 60.0
#: Most connections served at once (``erlen run --max-connections``).
MAX_CONNECTIONS = 64
#: Seconds a closing connection reads what the client still sends (see _close).
LINGER_TIMEOUT = 1.0

_StartResponse = Callable[..., Callable[[bytes], None]]
_WSGIApp = Callable[[dict[str, t.Any], _StartResponse], Iterable[bytes]]


class DevServer:
    """A threaded HTTP/1.1 server for one WSGI app, on a listening socket.

    Made by :func:`make_server`. Set ``quiet`` to stop the per-request log.
    ``head_timeout``, ``body_timeout`` and ``max_connections`` are the
    limits of the module's constants of those names, for this server.
    """

    def __init__(
        self,
        sock: socket.socket,
        app: _WSGIApp,
        host: str | None = None,
        *,
        head_timeout: float | None = None,
        body_timeout: float | None = None,
        max_connections: int | None = None,
    ) -> None:
        self.socket = sock
        self.app = app
        self.quiet = False
        self.head_timeout = HEAD_TIMEOUT if head_timeout is None else head_timeout
        self.body_timeout = BODY_TIMEOUT if body_timeout is None else body_timeout
        self.max_connections = MAX_CONNECTIONS if max_connections is None else max_connections
        if self.head_timeout <= 0 or self.body_timeout <= 0 or self.max_connections < 1:
            raise ValueError(
                "The development server's head and body timeouts must be positive seconds "
                "and max_connections at least 1; got "
                f"{self.head_timeout}, {self.body_timeout} and {self.max_connections}."
            )
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
        victim = None
        with self._connections_lock:
            if len(self._connections) >= self.max_connections:
                # Drop the connection that has waited longest for a request
                # head (an idle keep-alive one, or a slow client's), never
                # one whose request the app is serving.
                waiting = [c for c in self._connections if c.waiting_since is not None]
                if waiting:
                    victim = min(waiting, key=lambda c: t.cast(float, c.waiting_since))
                    self._connections.discard(victim)
                    victim.dropped = True
            full = len(self._connections) >= self.max_connections
            if not full:
                self._connections.add(connection)
        if victim is not None:
            victim.wake()
        if full:
            self._refuse(connection)
            return
        connection.thread.start()  # after add: the thread removes itself when done

    def _refuse(self, connection: _Connection) -> None:
        """Answer 503 at once on a connection past the limit, and close it."""
        message = (
            f"the development server is serving its limit of {self.max_connections} "
            "connections, each busy with a request; try again in a moment (erlen run "
            "--max-connections sets the limit)"
        )
        sock = connection.sock
        try:
            sock.setblocking(False)  # never wait here: this thread accepts for everyone
            try:
                sock.recv(65536)  # what the client sent already, so the close is no reset
            except (BlockingIOError, InterruptedError):
                pass
            sock.send(dump_error(503, message))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()
        self.log(f"{connection.remote_addr} - 503 ({message})", always=True)

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
        #: When the connection began to wait for its current request's head
        #: (None while the app serves a request): the oldest is dropped first.
        self.waiting_since: float | None = time.monotonic()
        #: Set by the server when it dropped this connection for a new one.
        self.dropped = False
        #: When the head or body being read must be complete (monotonic), and
        #: what is read, for the 408's message; None: no deadline.
        self.deadline: float | None = None
        self.reading = ""
        #: Seconds one read may wait.
        self.recv_timeout = KEEP_ALIVE_TIMEOUT
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
        """Return the parser's next event, reading from the socket as needed.

        :raises ProtocolError: (408) the deadline for the head or body passed.
        """
        while True:
            event = self.parser.next_event()
            if event is not NEED_DATA:
                return event
            timeout = self.recv_timeout
            deadline = self.deadline
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    raise self._late()
            self.sock.settimeout(timeout)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise self._late() from None
                raise
            if data and deadline is None and self.waiting_since is not None:
                # The first bytes of a request: its head's clock starts.
                self.start_deadline("request head", self.server.head_timeout)
            self.parser.receive_data(data)

    def start_deadline(self, reading: str, seconds: float) -> None:
        """Give the client ``seconds`` from now to send the whole ``reading``."""
        self.deadline = time.monotonic() + seconds
        self.reading = f"{reading} within the {seconds:g} seconds the server allows"

    def _late(self) -> ProtocolError:
        return ProtocolError(f"the client did not send the whole {self.reading}", 408)

    def _serve_one(self) -> tuple[bool, bool]:
        """Serve one request; return (keep the connection, linger on close)."""
        self.recv_timeout = KEEP_ALIVE_TIMEOUT
        self.deadline = None
        self.waiting_since = time.monotonic()
        if self.parser.has_data():  # a pipelined request: its head's clock starts now
            self.start_deadline("request head", self.server.head_timeout)
        self.idle = True
        if self.server._closing:  # server_close() may have looked before idle was set
            return False, False
        try:
            event = self.next_event()
        except ProtocolError as error:
            if self.dropped:
                self._log_dropped()
                return False, False
            self._reject(error)
            return False, True
        except OSError:  # idle timeout, or the client reset the connection
            if self.dropped:
                self._log_dropped()
            return False, False
        finally:
            self.idle = False
        if not isinstance(event, Request):
            if self.dropped:
                self._log_dropped()
            return False, False  # ConnectionClosed
        with self.server._connections_lock:  # the accepting thread picks what to drop
            dropped = self.dropped
            self.waiting_since = None
        if dropped:  # dropped as its head completed: its socket is shut already
            self._log_dropped()
            return False, False
        self.deadline = None
        self.recv_timeout = IO_TIMEOUT
        self.sock.settimeout(IO_TIMEOUT)
        exchange = _Exchange(self, event)
        exchange.run()
        if not exchange.keep_alive:
            return False, exchange.has_body and not exchange.body_done
        if not exchange.body_done and not exchange.drain():
            return False, True
        self.parser.start_next_request()
        return True, False

    def _log_dropped(self) -> None:
        self.server.log(
            f"{self.remote_addr} - closed a connection waiting for a request head, to make "
            f"room for a new one (the limit is {self.server.max_connections} connections)",
            always=True,
        )

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
                # Bounded in time too: a client trickling bytes must not keep it open.
                end = time.monotonic() + LINGER_TIMEOUT
                budget = DRAIN_LIMIT * 4
                while budget > 0:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    self.sock.settimeout(left)
                    data = self.sock.recv(65536)
                    if not data:
                        break
                    budget -= len(data)
        except OSError:
            pass
        finally:
            self.sock.close()


# -- making and running a server -----------------------------------------------


def make_server(
    host: str, port: int, app: _WSGIApp, *, fd: int | None = None, **limits: t.Any
) -> DevServer:
    """Return a :class:`DevServer` for ``app`` on ``host:port``, ready to serve.

    Port 0 picks any free port (read it back from ``server_port``). With
    ``fd``, take over that already-bound listening socket instead of
    binding (the reloader binds once and hands it to each child); the
    server owns the descriptor from then on and closes it. ``limits``
    (``head_timeout``, ``body_timeout``, ``max_connections``) go to
    :class:`DevServer`.
    """
    if fd is not None:
        return DevServer(_adopt(fd), app, **limits)
    return DevServer(listen(host, port), app, host.strip("[]"), **limits)


def run_simple(
    host: str,
    port: int,
    app: _WSGIApp,
    *,
    fd: int | None = None,
    debug: bool = False,
    quiet: bool = False,
    **limits: t.Any,
) -> None:
    """Serve ``app`` on ``host:port`` until CTRL+C or SIGTERM.

    Print a banner and one line per request to stderr (neither if
    ``quiet``). A port in use, or a host or port that cannot be bound,
    prints why and raises ``SystemExit(1)``. ``limits`` are
    :class:`DevServer`'s ``head_timeout``, ``body_timeout`` and
    ``max_connections``.
    """
    try:
        server = make_server(host, port, app, fd=fd, **limits)
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
