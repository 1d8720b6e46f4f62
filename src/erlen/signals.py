"""Flask's signals, as blinker signals, sent at the points Flask sends them.

Connect a receiver to learn that something happened; it gets the app as
the sender, and keyword arguments that depend on the signal::

    from erlen import template_rendered

    def log_render(sender, template, context, **extra):
        sender.logger.debug("rendered %s", template.name)

    template_rendered.connect(log_render, app)

Each signal's ``__doc__`` says when it is sent and with what; the order
in a request, and where receivers run, are in ``docs/signals.md``.

Nothing here is imported by ``import erlen``: this module, and blinker with
it, loads when something asks for a signal. Until a receiver is connected
to one of these signals, sending costs each send point a single test.
"""

from __future__ import annotations

import sys
import typing as t

from blinker import ANY, NamedSignal, Namespace

from .ctx import _signals
from .serving.concurrency import run_coroutine

__all__ = [
    "Namespace",
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _Signal(NamedSignal):
    """A blinker signal that turns erlen's senders on when a receiver connects."""

    def connect(self, receiver: F, sender: t.Any = ANY, weak: bool = True) -> F:
        if not _signals:
            # perf: the request cycle tests this list before it looks at any
            # signal; it stays empty, and sending free, until this first connect.
            _signals.append(sys.modules[__name__])
        return super().connect(receiver, sender, weak)


template_rendered = _Signal(
    "template-rendered", "A template has rendered; with ``template`` and ``context``."
)
before_render_template = _Signal(
    "before-render-template", "A template is about to render; with ``template`` and ``context``."
)
request_started = _Signal(
    "request-started", "A request has started, before routing and ``before_request`` hooks."
)
request_finished = _Signal(
    "request-finished", "The response is ready, after ``after_request``; with ``response``."
)
request_tearing_down = _Signal(
    "request-tearing-down", "After the ``teardown_request`` functions; with ``exc``."
)
got_request_exception = _Signal(
    "got-request-exception", "No handler took an error, before the 500; with ``exception``."
)
appcontext_tearing_down = _Signal(
    "appcontext-tearing-down", "After the ``teardown_appcontext`` functions; with ``exc``."
)
appcontext_pushed = _Signal("appcontext-pushed", "An app context has started.")
appcontext_popped = _Signal("appcontext-popped", "An app context has ended.")
message_flashed = _Signal(
    "message-flashed", "``flash()`` stored a message; with ``message`` and ``category``."
)


# -- sending (for erlen's own modules, which reach this one through ctx._signals)


def _run_to_completion(receiver: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Make an ``async def`` receiver callable from sync code (blinker's ``_async_wrapper``)."""

    def call(sender: t.Any, /, **kwargs: t.Any) -> t.Any:
        return run_coroutine(receiver(sender, **kwargs))

    return call


def _awaitable(receiver: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Make a plain receiver awaitable (blinker's ``_sync_wrapper``); it runs where it is."""

    async def call(sender: t.Any, /, **kwargs: t.Any) -> t.Any:
        return receiver(sender, **kwargs)

    return call


def _send(signal: NamedSignal, sender: t.Any, /, **kwargs: t.Any) -> None:
    """Send ``signal`` from sync code; ``async def`` receivers are run to completion."""
    if signal.receivers:
        signal.send(sender, _async_wrapper=_run_to_completion, **kwargs)


async def _dispatch(signal: NamedSignal, sender: t.Any, on_loop: bool, /, **kwargs: t.Any) -> None:
    """Send ``signal`` from the request cycle: awaited on the event loop, else as :func:`_send`."""
    if signal.receivers:
        if on_loop:
            await signal.send_async(sender, _sync_wrapper=_awaitable, **kwargs)
        else:
            signal.send(sender, _async_wrapper=_run_to_completion, **kwargs)
