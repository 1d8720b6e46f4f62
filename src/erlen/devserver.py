"""A development server: threaded, on the standard library's WSGI server.

It is for working on your machine, not for production: it says so when it
starts. Serve production traffic with gunicorn, uWSGI or waitress.
"""

from __future__ import annotations

import errno
import socket
import sys
import typing as t
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = ["run_simple"]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def _free_port(host: str) -> int | None:
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
    except OSError:
        return None


def run_simple(host: str, port: int, app: t.Callable[..., t.Any]) -> None:
    """Serve ``app`` on ``host:port`` until interrupted."""
    try:
        server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_Handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            free = _free_port(host)
            hint = f" Port {free} is free: try port={free}." if free else ""
            sys.stderr.write(
                f"Port {port} on {host} is in use by another program. Stop that program, "
                f"or choose another port.{hint}\n"
            )
            raise SystemExit(1) from None
        raise
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(
        f" * Serving on http://{shown}:{server.server_port}/ (press CTRL+C to quit)\n"
        " * This is a development server. Do not use it in production: "
        "serve with gunicorn, uWSGI or waitress instead.\n"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
