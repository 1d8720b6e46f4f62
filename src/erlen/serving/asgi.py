"""The ASGI adapter (ASGI 3): scope, receive and send in; the same request cycle.

An ``async def`` view runs on the server's event loop; a plain ``def`` view
runs, with its hooks, in the app's thread pool, so it may block without
stalling other requests. Either way :meth:`Erlen.handle_async` is the
cycle, and the request is a :class:`~erlen.Request` over a WSGI-style
environ built from the scope, so every ``request`` attribute means the same
under both protocols.
"""

from __future__ import annotations

import asyncio
import inspect
import typing as t
from contextvars import copy_context

from ..ctx import AppContext, RequestContext, _cv, _reset_context, _set_context, _signals
from ..http.exceptions import BadRequest, HTTPException, ServiceUnavailable
from ..http.scope import body_headers, build_environ, encode_headers
from ..http.streams import too_large
from ..request import Request
from ..response import prepare_body
from .concurrency import running_loop
from .threads import Lane, NoWorkerAvailable

_new_object = object.__new__
#: The largest body that arrived whole the request keeps as its bytes (64 KiB).
_HANDED_OVER = 64 * 1024
_from_scope = Request.from_scope  # perf: bound once, see serve()

if t.TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from ..app import Erlen
    from ..response import Response
    from ..typing import Receive, Scope, Send

    #: How the RSGI adapter writes a response: (app, context, response, its
    #: body or None to stream it, receive, send).
    Responder = Callable[
        [Erlen, RequestContext, Response, "list[bytes] | None", Receive, Send], Awaitable[None]
    ]

__all__ = [
    "serve",
    "build_environ",
    "ClientDisconnected",
    "request_lane",
    "stream_response",
    "run_serving_hooks",
]


class ClientDisconnected(BadRequest):
    """The request body ended before all of it had come: the client went away.

    Under RSGI the same comes of a chunked body granian could not read
    (granian does not tell the two apart), and the client may read the 400.
    """

    description = (
        "The request body ended before all of it had come: the client disconnected, "
        "or sent a body whose framing could not be read."
    )


async def _serve_other(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    kind = scope["type"]
    if kind == "websocket":
        from .websocket import serve_websocket

        await serve_websocket(app, scope, receive, send)
    elif kind == "lifespan":
        await _serve_lifespan(app, receive, send)
    else:
        raise ValueError(
            f"erlen cannot serve the ASGI scope type {kind!r}; it serves 'http', "
            "'websocket' and 'lifespan'."
        )


# -- the request body ----------------------------------------------------


class _Body:
    """The request body as the server delivers it: read in a thread, or iterated."""

    __slots__ = ("_receive", "_loop", "_buffer", "_offset", "_more", "error", "disconnected")

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._buffer = b""  # received; read up to _offset
        self._offset = 0  # perf: reads in blocks take slices, not the rest's copy each time
        self._more = True
        #: Raised on the first read: the body broke a limit while it was loaded.
        self.error: HTTPException | None = None
        #: Whether the client left before it had sent the whole body.
        self.disconnected = False

    async def _next(self) -> bytes:
        return self._take(await self._receive())

    def _take(self, message: t.Any) -> bytes:
        """Return the body chunk ``message`` carries; raise if the client left instead."""
        if message["type"] == "http.request":
            self._more = bool(message.get("more_body", False))
            return message.get("body", b"")  # type: ignore[no-any-return]  # perf: no cast()
        self._more = False
        self.disconnected = True
        raise ClientDisconnected()

    def take_first(self, message: t.Any, limit: int | None, length: int | None) -> bytes | None:
        """Take the body's first message; return the whole body if it came whole, else ``None``.

        The usual small body comes whole in one message: it is taken here,
        without a coroutine, a chunk list or a join. "Whole" means as
        announced: as long as its Content-Length, and within ``limit``.
        Otherwise :meth:`load` receives the rest, if more is coming and no
        limit is broken yet, or reading raises what went wrong.
        """
        if message["type"] == "http.request" and not message.get("more_body"):
            body = message.get("body", b"")
            self._more = False
            if limit is not None and len(body) > limit:
                self.error = too_large(None, limit)
                return None
            self._buffer = body
            return body if length is None or len(body) == length else None
        first = self._take(message)  # raises ClientDisconnected if the client left
        if limit is not None and len(first) > limit:
            self.error = too_large(None, limit)
        else:
            self._buffer = first
        return None

    async def load(self, limit: int | None, length: int | None = None) -> bytes | None:
        """Receive the rest of the body now, unless it grows past ``limit`` bytes.

        With the body's ``length`` known (its Content-Length), stop once that
        much has come: some servers (granian) send the last byte with
        ``more_body`` set and then an empty message, which costs a round trip.
        Return the whole body when it came as announced (it stays buffered
        for ``read``), else ``None``: reading it then raises what went wrong.
        """
        receive = self._receive
        # (Called before anything is read: the buffer's offset is 0.)
        chunks = [self._buffer] if self._buffer else []
        size = len(self._buffer)
        while self._more and (length is None or size < length):
            chunk = self._take(await receive())  # perf: no coroutine of our own per chunk
            size += len(chunk)
            if limit is not None and size > limit:
                self.error = too_large(None, limit)
                self._buffer = b""
                return None
            if chunk:
                chunks.append(chunk)
        body = self._buffer = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return body if size == length or (length is None and not self._more) else None

    def read(self, size: int | None = -1) -> bytes:
        if self.error is not None:
            raise self.error
        data, start = self._buffer, self._offset
        if size is None or size < 0:
            chunks = [data[start:] if start else data]
            while self._more:
                chunks.append(self._pull())
            self._buffer, self._offset = b"", 0
            return b"".join(chunks)
        have = len(data) - start
        if have < size and self._more:
            chunks = [data[start:] if start else data]
            while have < size and self._more:
                chunk = self._pull()
                chunks.append(chunk)
                have += len(chunk)
            data, start = b"".join(chunks), 0
        end = start + size
        if end >= len(data):
            self._buffer, self._offset = b"", 0
            return data[start:] if start else data
        # A slice of `size` bytes; the rest stays where it is (copying it on each
        # read made a large body's reading in blocks quadratic).
        self._buffer, self._offset = data, end
        return data[start:end]

    def _pull(self) -> bytes:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError(
                "The request body was read with a blocking call inside an 'async def' view "
                "whose route has stream_body=True, so erlen did not read it in advance. "
                "Read it with 'async for chunk in request.stream', or drop stream_body=True."
            )
        return asyncio.run_coroutine_threadsafe(self._next(), self._loop).result()

    async def chunks_async(self) -> t.AsyncIterator[bytes]:
        """Yield what is buffered, then each chunk as the server delivers it."""
        if self.error is not None:
            raise self.error
        if len(self._buffer) > self._offset:
            data = self._buffer[self._offset :] if self._offset else self._buffer
            self._buffer, self._offset = b"", 0
            yield data
        while self._more:
            chunk = await self._next()
            if chunk:
                yield chunk


class _NoBody:
    """The body of a request that announced none."""

    def read(self, size: int | None = -1) -> bytes:
        return b""

    async def chunks_async(self) -> t.AsyncIterator[bytes]:
        return
        yield


_NO_BODY = _NoBody()


# -- HTTP ----------------------------------------------------------------


async def serve(
    app: Erlen,
    scope: Scope,
    receive: Receive,
    send: Send,
    respond: Responder | None = None,
    framing: t.Callable[[t.Any], t.Any] = body_headers,
) -> None:
    """Serve one ASGI connection (``http``, ``websocket`` or ``lifespan``) with ``app``.

    ``respond`` and ``framing`` are for the RSGI adapter, which drives HTTP
    requests through here: ``respond`` writes the response its own way,
    with ``receive`` and ``send`` standing for its protocol, and
    ``framing`` finds the body's framing headers in the scope, as
    :func:`body_headers` does in an ASGI one.
    """
    if scope["type"] != "http":
        await _serve_other(app, scope, receive, send)
        return
    if not app._got_first_request:
        app._got_first_request = True  # setup methods refuse from now on
    # perf: HTTP is served right here, one coroutine fewer per request.
    loop = running_loop()
    found = framing(scope)
    body = None if found is None else _Body(receive, loop)
    request_class = app.request_class
    # perf: Request's own from_scope called as a function; a class method of a
    # class is a lookup Python 3.11 does not specialize.
    request = (_from_scope if request_class is Request else request_class.from_scope)(
        scope, _NO_BODY if body is None else body, app.config, found
    )
    # perf: what RequestContext.__init__ does, without type.__call__'s
    # dispatch to it (about 0.2 us of a request on Python 3.11).
    context = _new_object(RequestContext)
    context.app = app
    context.request = request
    context.loop = loop
    # perf: instance attributes read faster than the class's defaults.
    context.lane = context._session = context._after_request_functions = None
    token = _set_context(context)
    try:
        view = app.match_request(request)
        if body is not None and view is not None and not request.url_rule.stream_body:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            try:
                length = request.content_length  # perf: usually read by from_scope already
            except HTTPException:
                load = False  # malformed: reading the body raises the same 400 later
            else:
                # Past the limit: refused unread (413) when the view asks for the body.
                load = length is None or limit is None or length <= limit
            if load:
                try:
                    whole = body.take_first(await receive(), limit, length)
                    if body._more and body.error is None:  # more is coming
                        whole = await body.load(limit, length)
                except ClientDisconnected:
                    return  # nobody is left to answer
                if whole is not None and len(whole) <= _HANDED_OVER:
                    # perf: request.get_data() takes it as it is. A larger body is
                    # read through the stream, which lets go of it as it reads (a
                    # multipart upload), not kept to the end of the request.
                    request.__dict__["_body_bytes"] = whole
        # perf: async-ness was decided when the view was registered; one dict lookup.
        on_loop = True if view is None else app._async_views.get(view)
        if on_loop is None:  # a view put into view_functions directly
            on_loop = app._is_async_view(view)  # type: ignore[arg-type]  # not None here
        if on_loop or app.config["ASGI_SYNC_VIEWS_ON_LOOP"]:
            context.on_loop = True
            response = await app.handle_async(request, context)
            chunks = prepare_body(response, request.method)
        else:
            # The whole sync part of the request in one hop to its worker: hooks,
            # view, handlers and, for a body held in memory, the teardown too
            # (as under WSGI, before the body is sent).
            lane = context.lane = Lane(app._workers)
            try:
                response, chunks = await lane.run(_sync_cycle, app, request, context)
            except NoWorkerAvailable:
                response = _busy(app, request)
                chunks = prepare_body(response, request.method)
        if respond is not None:
            await respond(app, context, response, chunks, receive, send)
        elif body is not None and body.disconnected:
            # The client left while the view read its body: nobody to answer,
            # but the teardown still runs (below), as for any request.
            response.close()
        else:
            try:
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": encode_headers(response.headers),
                    }
                )
                if chunks is None:
                    await stream_response(
                        app, context, response, receive, send, request_lane(context)
                    )
                else:
                    content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                    await send({"type": "http.response.body", "body": content})
            except OSError:
                response.close()  # ASGI 2.4: send() raises when the client has gone
    except BaseException as error:
        if context.needs_teardown() and not context.ended:
            await _teardown(app, context, error, context.lane)
        raise
    else:
        # perf: with no teardown hooks and no uploaded files there is nothing to
        # do; RequestContext.needs_teardown inlined, one call fewer.
        if (
            app.teardown_request_funcs
            or app.teardown_appcontext_funcs
            or _signals
            or request.__dict__.get("files")
        ) and not context.ended:
            await _teardown(app, context, None, context.lane)
    finally:
        _reset_context(token)
        if context.lane is not None:
            context.lane.release()


def request_lane(context: RequestContext) -> Lane:
    """The request's worker, taken from the pool on first use."""
    lane: Lane | None = context.lane
    if lane is None:
        lane = context.lane = Lane(context.app._workers)
    return lane


def _sync_cycle(
    app: Erlen, request: Request, context: RequestContext
) -> tuple[Response, list[bytes] | None]:
    """The sync part of a request, on its worker thread: the cycle, and the teardown when it can."""
    try:
        response = app.handle(request, context)
        chunks = prepare_body(response, request.method)
    except BaseException as error:
        if context.needs_teardown():
            context.ended = True
            context.teardown(error)
        raise
    if chunks is not None and context.needs_teardown():
        context.ended = True
        context.teardown(None)
    return response, chunks


def _busy(app: Erlen, request: Request) -> Response:
    pool = app._workers
    app.logger.warning(
        "Refused %s %s with 503: all %d worker threads (ASGI_THREADS) stayed busy for "
        "ASGI_THREAD_TIMEOUT = %s seconds.",
        request.method,
        request.path,
        pool.size,
        pool.timeout,
    )
    return ServiceUnavailable(
        "The server is busy: every worker thread is in use. Try again in a moment."
    ).get_response(request)


class _ClientGone(Exception):
    """The server could not send: the client has closed the connection."""


async def stream_response(
    app: Erlen,
    context: RequestContext,
    response: Response,
    receive: Receive,
    send: Send,
    lane: Lane,
) -> None:
    """Send a streamed body as it is produced, and stop it if the client goes away."""
    loop = asyncio.get_running_loop()

    async def send_chunk(chunk: bytes) -> None:
        try:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except OSError:  # ASGI 2.4: send() on a closed connection raises OSError
            raise _ClientGone() from None

    async def pump() -> None:
        if hasattr(response.response, "__aiter__"):
            await _pump_async(response, send_chunk)
        else:
            await _pump_sync(response, send_chunk, lane)
        try:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            raise _ClientGone() from None

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    pump_task = loop.create_task(pump())
    watch_task = loop.create_task(watch())
    try:
        await asyncio.wait((pump_task, watch_task), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch_task.cancel()
        if not pump_task.done():
            # The client left (or the server is stopping): stop the body, so
            # its generator's `finally` runs now.
            pump_task.cancel()
        try:
            await pump_task
        except (asyncio.CancelledError, _ClientGone):
            pass
        except Exception:
            if app._stream_failed(context.request, getattr(send, "cuts_bodies", True)):
                raise


async def _pump_async(response: Response, send_chunk: Callable[[bytes], Awaitable[None]]) -> None:
    iterator = t.cast(t.Any, response.response).__aiter__()
    try:
        async for chunk in iterator:
            if chunk.__class__ is str:
                chunk = chunk.encode()
            if chunk:
                await send_chunk(chunk)
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
        response.close()


_END: t.Any = object()


async def _pump_sync(
    response: Response, send_chunk: Callable[[bytes], Awaitable[None]], lane: Lane
) -> None:
    # A plain iterator may block (a file, a slow query): each step runs on the
    # request's worker thread, one after the other, and so does closing it.
    iterator = response.iter_encoded()

    def step() -> bytes:
        return next(iterator, _END)  # type: ignore[no-any-return]

    def close() -> None:
        try:
            close_iterator = getattr(iterator, "close", None)
            if close_iterator is not None:
                close_iterator()
        finally:
            response.close()

    try:
        while True:
            chunk = await lane.run(step)
            if chunk is _END:
                return
            if chunk:
                await send_chunk(chunk)
    finally:
        await lane.run(close)


async def _teardown(
    app: Erlen, context: RequestContext, error: BaseException | None, lane: Lane | None
) -> None:
    """End the request on its worker thread (teardown functions may block)."""
    # Async teardown functions are sent back to the loop from there.
    context.ended = True
    own = lane is None
    if lane is None:
        lane = Lane(app._workers)
    try:
        await lane.run(context.teardown, error)
    except NoWorkerAvailable:
        # Teardown must run (it closes what the request opened): on a thread
        # of its own, then, rather than not at all.
        app.logger.warning(
            "Every worker thread (ASGI_THREADS) stayed busy; the teardown of %s ran on "
            "a thread of its own.",
            context.request.path if context.request is not None else "a request",
        )
        run = copy_context().run
        await asyncio.get_running_loop().run_in_executor(None, run, context.teardown, error)
    finally:
        if own:
            lane.release()


async def teardown_in_pool(
    app: Erlen, context: RequestContext, error: BaseException | None
) -> None:
    """End a request that has no worker yet, on a worker thread (a WebSocket's)."""
    await _teardown(app, context, error, None)


# -- lifespan ------------------------------------------------------------


async def _serve_lifespan(app: Erlen, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "lifespan.startup":
            try:
                await run_serving_hooks(app, app.before_serving_funcs)
            except Exception as error:  # noqa: BLE001 - reported to the server
                app.logger.error(
                    "The app could not start: a before_serving function raised an error.",
                    exc_info=error,
                )
                await send({"type": "lifespan.startup.failed", "message": _describe_error(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                await run_serving_hooks(app, app.after_serving_funcs)
            except Exception as error:  # noqa: BLE001 - reported to the server
                app.logger.error("An after_serving function raised an error.", exc_info=error)
                await send({"type": "lifespan.shutdown.failed", "message": _describe_error(error)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


async def run_serving_hooks(app: Erlen, functions: Iterable[Callable[[], t.Any]]) -> None:
    token = _cv.set(AppContext(app))
    signals = _signals[0] if _signals else None
    try:
        if signals is not None:
            await signals._dispatch(signals.appcontext_pushed, app, True)
        for function in functions:
            value = function()
            if inspect.isawaitable(value):
                await value
    finally:
        _cv.reset(token)
        if signals is not None:  # as `with app.app_context():` does, even after an error
            await signals._dispatch(signals.appcontext_popped, app, True)


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
