"""erlen: Flask's way of writing web apps, on a lean and fast HTTP core.

::

    from erlen import Erlen, request

    app = Erlen(__name__)

    @app.route("/")
    def index():
        return f"Hello from {request.path}"

``import erlen`` loads only the core; Jinja2, itsdangerous, Click, blinker
and the multipart parser load when first needed.
"""

from __future__ import annotations

from .app import Erlen
from .config import Config
from .ctx import (
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    websocket,
)
from .helpers import (
    abort,
    flash,
    get_flashed_messages,
    get_template_attribute,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from .http.exceptions import HTTPException
from .http.headers import Headers
from .json import jsonify
from .request import Request
from .response import Response

__version__ = "0.1.0"

# perf: these load their module (and Jinja2, itsdangerous ...) on first use.
_LAZY = {
    "render_template": "templating",
    "render_template_string": "templating",
    "stream_template": "templating",
    "stream_template_string": "templating",
    "send_file": "sendfile",
    "send_from_directory": "sendfile",
    "Blueprint": "blueprints",
    "View": "views",
    "MethodView": "views",
    "event_stream": "sse",
    "ServerSentEvent": "sse",
    # Typed views: markers and status annotations (erlen.typed.params is small).
    "Query": "typed.params",
    "Header": "typed.params",
    "Cookie": "typed.params",
    "Form": "typed.params",
    "Body": "typed.params",
    "Created": "typed.params",
    "Accepted": "typed.params",
    # Flask's signals: blinker loads with the first one asked for.
    "template_rendered": "signals",
    "before_render_template": "signals",
    "request_started": "signals",
    "request_finished": "signals",
    "request_tearing_down": "signals",
    "got_request_exception": "signals",
    "appcontext_tearing_down": "signals",
    "appcontext_pushed": "signals",
    "appcontext_popped": "signals",
    "message_flashed": "signals",
}


# The module's namespace; ``globals`` itself is shadowed once erlen.globals is imported.
_NAMESPACE = globals()


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'erlen' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    _NAMESPACE[name] = value
    return value


__all__ = [
    "Erlen",
    "Config",
    "copy_current_request_context",
    "get_template_attribute",
    "Blueprint",
    "View",
    "MethodView",
    "Request",
    "Response",
    "Headers",
    "HTTPException",
    "request",
    "session",
    "websocket",
    "g",
    "current_app",
    "url_for",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
    "send_file",
    "send_from_directory",
    "flash",
    "get_flashed_messages",
    "redirect",
    "abort",
    "jsonify",
    "make_response",
    "stream_with_context",
    "event_stream",
    "ServerSentEvent",
    "Query",
    "Header",
    "Cookie",
    "Form",
    "Body",
    "Created",
    "Accepted",
    "after_this_request",
    "has_request_context",
    "has_app_context",
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
