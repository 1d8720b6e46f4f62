"""The WSGI adapter (PEP 3333): environ in, ``start_response`` and body out."""

from __future__ import annotations

import errno
import typing as t
from collections.abc import Iterator

from ..ctx import RequestContext, _cv
from ..http.status import status_line
from ..response import prepare_body
from .concurrency import run_coroutine

_new_object = object.__new__

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..response import Response

__all__ = ["serve", "ResponseCut"]


class ResponseCut(BrokenPipeError):
    """Raised to the WSGI server when a streamed body fails midway.

    The app's logger has already logged the error with its traceback. The
    server must close the connection without ending the body, so the client
    sees it cut short; gunicorn and erlen's development server take a broken
    pipe as a connection that is over and log nothing more.
    """

    def __init__(self) -> None:
        super().__init__(
            errno.EPIPE,
            "erlen cut the response: its body raised an error midway, which the app's "
            "logger reported just before this",
        )


def serve(app: Erlen, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> t.Any:
    """Handle one WSGI request with ``app`` and return the body iterable."""
    if not app._got_first_request:
        app._got_first_request = True  # setup methods refuse from now on
    request = app.request_class(environ, app.config)
    # perf: what RequestContext's constructor does for a ready request, without
    # type.__call__ and __init__ (which takes Flask's arguments).
    context = _new_object(RequestContext)
    context.app = app
    context.request = request
    token = _cv.set(context)
    try:
        response = app.handle(request, context)
        body = prepare_body(response, request.method)
        start_response(status_line(response.status_code), response.headers._list)
        if body is None:
            # The context stays alive until the server closes the body, so a
            # generator can still read `request` and `g` while it streams.
            return _StreamedBody(app, response, context)
        _finish(app, context, None)
        return body
    except BaseException as error:
        _finish(app, context, error)
        raise
    finally:
        _cv.reset(token)


def _finish(app: Erlen, context: RequestContext, error: BaseException | None) -> None:
    # perf: with no teardown hooks and no uploaded files there is nothing to do.
    if context.needs_teardown():
        context.teardown(error)


class _StreamedBody:
    """A streamed body that runs in its request's context and tears it down on close."""

    def __init__(self, app: Erlen, response: Response, context: RequestContext) -> None:
        self._app = app
        self._response = response
        self._context = context
        body = response.response
        if hasattr(body, "__aiter__"):
            self._chunks: Iterator[bytes] = _iterate_async(body)
        else:
            self._chunks = response.iter_encoded()
        self._closed = False

    def __iter__(self) -> _StreamedBody:
        return self

    def __next__(self) -> bytes:
        token = _cv.set(self._context)
        try:
            return next(self._chunks)
        except StopIteration:
            raise
        except Exception:
            if self._app._stream_failed(self._context.request):
                raise  # tests see the app's own error
            # Only an exception makes a WSGI server cut a started response; a
            # broken pipe is one servers take as a connection that is over,
            # without logging the (already logged) error a second time.
            raise ResponseCut() from None
        finally:
            _cv.reset(token)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        token = _cv.set(self._context)
        error: BaseException | None = None
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()  # runs an async generator's cleanup through its wrapper
            self._response.close()
        except BaseException as exc:  # noqa: BLE001 - teardown still runs
            error = exc
            raise
        finally:
            try:
                _finish(self._app, self._context, error)
            finally:
                _cv.reset(token)


def _iterate_async(body: t.Any) -> Iterator[bytes]:
    iterator = body.__aiter__()
    try:
        while True:
            try:
                chunk = run_coroutine(iterator.__anext__())
            except StopAsyncIteration:
                return
            yield chunk.encode() if isinstance(chunk, str) else chunk
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            run_coroutine(aclose())
