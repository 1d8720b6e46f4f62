"""Jinja2 templates: the environment, its loader and the render helpers.

::

    from erlen import render_template

    @app.route("/hello/<name>")
    def hello(name):
        return render_template("hello.html", name=name)

Templates are looked up in the app's ``templates/`` folder, then in each
blueprint's template folder, in registration order; ``erlen._template_lookup``
lists those folders and explains a template missing from all of them. This
module is the only one that imports Jinja2; erlen loads it on the first render.
"""

from __future__ import annotations

import os
import posixpath
import typing as t
import weakref
from collections.abc import Callable, Iterable, Iterator

import jinja2
from jinja2.loaders import split_template_path

from . import json as _json
from ._template_lookup import explain_missing, search_path, walk
from .ctx import _cv, _signals, g, request, session
from .helpers import get_flashed_messages, url_for

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext

__all__ = [
    "Environment",
    "AppLoader",
    "TemplateNotFound",
    "TemplatesNotFound",
    "create_environment",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

TemplateName = t.Union[str, jinja2.Template]
TemplateNames = t.Union[TemplateName, Iterable[TemplateName]]

#: Templates whose name ends so (before a ``.j2``/``.jinja`` suffix) are autoescaped.
AUTOESCAPE_SUFFIXES = (".html", ".htm", ".xhtml", ".xml", ".svg")
_JINJA_SUFFIXES = (".j2", ".jinja", ".jinja2")

_NO_APP = (
    "{function}() needs an application context to know which app's templates to use. "
    "Call it from a view (or a hook), or wrap the code in 'with app.app_context():'."
)


def _select_autoescape(name: str | None) -> bool:
    """Autoescape strings and HTML/XML/SVG templates (also ``page.html.j2``)."""
    if name is None:
        return True
    lowered = name.lower()
    for suffix in _JINJA_SUFFIXES:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    return lowered.endswith(AUTOESCAPE_SUFFIXES)


class Environment(jinja2.Environment):
    """A Jinja2 environment bound to an app.

    Unless ``auto_reload`` is set explicitly, it follows the app's config
    on every lookup: ``TEMPLATES_AUTO_RELOAD``, or ``app.debug`` when that
    is ``None``. So turning debug on picks up edited templates at once.
    """

    def __init__(self, app: Erlen, **options: t.Any) -> None:
        self._app = weakref.ref(app)
        auto_reload = options.pop("auto_reload", None)
        if "loader" not in options:
            options["loader"] = AppLoader(app)
        super().__init__(**options)
        self._auto_reload: bool | None = auto_reload

    @property
    def app(self) -> Erlen:
        """The app whose templates this environment loads.

        Held weakly: the app owns its environment, and is freed with its
        last reference rather than kept alive by a reference cycle.
        """
        return _alive(self._app)

    @property
    def auto_reload(self) -> bool:
        """Whether templates are checked for changes on each lookup."""
        if self._auto_reload is not None:
            return self._auto_reload
        value = self.app.config["TEMPLATES_AUTO_RELOAD"]
        return bool(self.app.debug if value is None else value)

    @auto_reload.setter
    def auto_reload(self, value: bool | None) -> None:
        # Jinja's __init__ assigns True here; __init__ then sets the real value.
        self._auto_reload = value


def _alive(ref: weakref.ref[Erlen]) -> Erlen:
    app = ref()
    if app is None:
        raise RuntimeError(
            "The app of this Jinja2 environment has been freed. Keep a reference to the "
            "app for as long as you use its jinja_env."
        )
    return app


def _dumps(value: t.Any, **kwargs: t.Any) -> str:
    return _json.dumps(value, **kwargs)


def create_environment(app: Erlen) -> Environment:
    """Return the Jinja2 environment for ``app`` (``app.jinja_env`` calls this).

    ``app.jinja_options`` are passed to the environment; the app's template
    filters, globals and tests, and the ``url_for``, ``get_flashed_messages``,
    ``request``, ``session``, ``g`` and ``config`` globals are added.
    """
    options = dict(app.jinja_options)
    if "autoescape" not in options:
        # Weakly, as Environment.app: the app's bound method would keep it alive.
        select = weakref.WeakMethod(app.select_jinja_autoescape)
        options["autoescape"] = lambda name: select()(name)  # type: ignore[misc]
    if "loader" not in options:
        options["loader"] = app.create_global_jinja_loader()
    environment = app.jinja_environment(app, **options)
    environment.globals.update(
        url_for=url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    # |tojson encodes what erlen's JSON does (dates, UUIDs, dataclasses).
    environment.policies["json.dumps_function"] = _dumps
    extras = app.template_extras
    environment.filters.update(extras["filters"])
    environment.globals.update(extras["globals"])
    environment.tests.update(extras["tests"])
    return environment


# -- the loader ------------------------------------------------------------


class AppLoader(jinja2.BaseLoader):
    """Find templates in the app's template folder, then in each blueprint's.

    The first folder holding the name wins, so an app can override a
    blueprint's template by putting one of the same name in its own folder.
    The folders are read from the app on each lookup: blueprints registered
    after the first render are searched too.
    """

    def __init__(self, app: Erlen, encoding: str = "utf-8") -> None:
        self._app = weakref.ref(app)  # weakly, as Environment.app
        self.encoding = encoding

    @property
    def app(self) -> Erlen:
        """The app whose template folders (and its blueprints') are searched."""
        return _alive(self._app)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """Return the source, file name and up-to-date check of ``template``."""
        pieces = split_template_path(template)
        app = self.app
        explain = app.config["EXPLAIN_TEMPLATE_LOADING"]
        tried: list[str] = []
        for folder, label in search_path(app):
            # posixpath, as Jinja's FileSystemLoader: a "C:" piece cannot escape.
            filename = posixpath.join(folder, *pieces)
            if not os.path.isfile(filename):
                if explain:
                    tried.append(f"{folder} ({label}): no")
                continue
            with open(filename, encoding=self.encoding) as file:
                source = file.read()
            mtime = os.path.getmtime(filename)
            if explain:
                tried.append(f"{folder} ({label}): found")
                app.logger.info("Loading template %r: %s", template, "; ".join(tried))
            return source, os.path.normpath(filename), _uptodate(filename, mtime)
        if explain:
            app.logger.info(
                "Loading template %r: %s", template, "; ".join(tried) or "no template folders"
            )
        raise TemplateNotFound(template, app=app)

    def list_templates(self) -> list[str]:
        """Return the names of all templates, in every folder."""
        found: set[str] = set()
        for folder, _ in search_path(self.app):
            found.update(walk(folder, limit=None))
        return sorted(found)


#: Flask's name for the loader of an app's environment.
DispatchingJinjaLoader = AppLoader


def _uptodate(filename: str, mtime: float) -> Callable[[], bool]:
    def uptodate() -> bool:
        try:
            return os.path.getmtime(filename) == mtime
        except OSError:
            return False

    return uptodate


# -- the missing-template error ----------------------------------------------


class TemplateNotFound(jinja2.TemplateNotFound):
    """A template could not be found; the message says where erlen looked.

    It also lists near misses (a different case or extension, the file in
    the wrong folder, similar names) and what to do. It is a
    :class:`jinja2.TemplateNotFound`, so existing ``except`` clauses work.
    The message is worked out when first read: a missing template that is
    expected (``{% include ... ignore missing %}``) costs no file system walk.
    """

    _text: str | None = None

    def __init__(
        self, name: str | None, message: str | None = None, *, app: Erlen | None = None
    ) -> None:
        self._app = app
        super().__init__(name, message)
        if message is None and app is not None:
            self._text = None  # Jinja made the name the message: explain instead

    @property
    def message(self) -> str | None:
        """The explanation, built on first use."""
        if self._text is None and self._app is not None:
            self._text = explain_missing(self._app, [str(name) for name in self.templates])
        return self._text

    @message.setter
    def message(self, value: str | None) -> None:
        self._text = value


class TemplatesNotFound(TemplateNotFound, jinja2.TemplatesNotFound):
    """None of a list of templates could be found."""

    def __init__(self, names: t.Sequence[str], *, app: Erlen) -> None:
        self._app = app
        jinja2.TemplateNotFound.__init__(self, names[-1] if names else None)
        self._text = None
        self.templates = list(names)


# -- rendering ---------------------------------------------------------------


def _current(function: str) -> AppContext:
    context = _cv.get(None)
    if context is None:
        raise RuntimeError(_NO_APP.format(function=function))
    return context


def _get_template(app: Erlen, name_or_list: TemplateNames) -> jinja2.Template:
    environment = app.jinja_env
    if isinstance(name_or_list, (str, jinja2.Template)):
        return environment.get_template(name_or_list)
    names = list(name_or_list)
    try:
        return environment.select_template(names)
    except jinja2.TemplatesNotFound as error:
        if not names or not isinstance(environment.loader, AppLoader):
            raise
        wanted = [name for name in names if isinstance(name, str)]
        raise TemplatesNotFound(wanted, app=app) from error


def _prepare(
    function: str, name_or_list: TemplateNames, context: dict[str, t.Any]
) -> tuple[AppContext, jinja2.Template]:
    current = _current(function)
    app = current.app
    template = _get_template(app, name_or_list)
    app.update_template_context(context)
    return current, template


def render_template(template_name_or_list: TemplateNames, /, **context: t.Any) -> str:
    """Render a template from the template folders with ``context``.

    Given a list of names, the first one that exists is used. Besides
    ``context``, templates see ``request``, ``session``, ``g``, ``config``,
    ``url_for``, ``get_flashed_messages`` and what context processors add::

        @app.get("/users/<name>")
        def profile(name):
            return render_template("user.html", name=name)
    """
    current, template = _prepare("render_template", template_name_or_list, context)
    return _render(current.app, template, context)


def render_template_string(source: str, /, **context: t.Any) -> str:
    """Render a template given as a string (always autoescaped).

    ::

        @app.get("/hello/<name>")
        def hello(name):
            return render_template_string("Hello {{ name }}!", name=name)
    """
    current = _current("render_template_string")
    app = current.app
    template = app.jinja_env.from_string(source)
    app.update_template_context(context)
    return _render(app, template, context)


def _render(app: Erlen, template: jinja2.Template, context: dict[str, t.Any]) -> str:
    if not _signals:
        return template.render(context)
    signals = _signals[0]
    signals._send(signals.before_render_template, app, template=template, context=context)
    rendered = template.render(context)
    signals._send(signals.template_rendered, app, template=template, context=context)
    return rendered


def stream_template(template_name_or_list: TemplateNames, /, **context: t.Any) -> Iterator[str]:
    """Render a template piece by piece, for a streamed response.

    A view can return the generator as it is; the template runs while the
    body is sent, with ``request`` and ``g`` still available::

        @app.get("/report")
        def report():
            return stream_template("report.html", rows=query_rows())

    A missing template raises here, at the call, not while streaming.
    """
    current, template = _prepare("stream_template", template_name_or_list, context)
    return _stream(current, template, context)


def stream_template_string(source: str, /, **context: t.Any) -> Iterator[str]:
    """Render a template given as a string piece by piece (always autoescaped)."""
    current = _current("stream_template_string")
    app = current.app
    template = app.jinja_env.from_string(source)
    app.update_template_context(context)
    return _stream(current, template, context)


def _stream(
    current: AppContext, template: jinja2.Template, context: dict[str, t.Any]
) -> Iterator[str]:
    if not _signals:
        return _in_context(current, template.generate(context))
    signals = _signals[0]
    app = current.app
    signals._send(signals.before_render_template, app, template=template, context=context)

    def rendered() -> None:
        signals._send(signals.template_rendered, app, template=template, context=context)

    return _in_context(current, template.generate(context), rendered)


def _in_context(
    current: AppContext, chunks: Iterator[str], done: Callable[[], None] | None = None
) -> Iterator[str]:
    """Run each step of ``chunks`` in ``current``, wherever it is iterated; then ``done``."""
    try:
        while True:
            token = _cv.set(current)
            try:
                chunk = next(chunks, None)
                if chunk is None and done is not None:
                    done()
            finally:
                _cv.reset(token)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            token = _cv.set(current)
            try:
                close()
            finally:
                _cv.reset(token)
