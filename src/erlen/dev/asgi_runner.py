"""Serve an ASGI app through uvicorn for development (``erlen run --asgi``).

:func:`run_asgi` is :func:`~erlen.dev.server.run_simple`'s twin: the same
socket handling, port-in-use advice and banner (:mod:`erlen.dev.startup`),
with uvicorn serving the requests.
"""

from __future__ import annotations

import sys
import typing as t

from .startup import _adopt, _app_name, _banner, _exit_on_bind_error, _until_stopped, listen

__all__ = ["run_asgi"]

#: Seconds uvicorn (``run_asgi``) gives open requests and websockets on shutdown;
#: under the reloader's three seconds, so a restart never waits for SIGKILL.
ASGI_SHUTDOWN_TIMEOUT = 2


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
