"""Around serving: bind the port, explain a failure, print the banner, stop.

Both development servers (:func:`~erlen.dev.server.run_simple` and
:func:`~erlen.dev.asgi_runner.run_asgi`) and the reloader's supervisor bind
through :func:`listen`, so a busy port gets the same advice everywhere
(:func:`bind_error_message`). A child of the reloader takes over the
supervisor's socket instead (:func:`_adopt`). Each server prints the same
banner and serves until CTRL+C or SIGTERM (:func:`_until_stopped`).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import socket
import sys
import threading
import typing as t
from collections.abc import Iterator

__all__ = ["bind_error_message", "free_port", "listen"]


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
