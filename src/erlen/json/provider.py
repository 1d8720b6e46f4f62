"""JSON providers: how an app writes and reads JSON (``app.json``).

Every app has one, ``app.json``, made from ``Erlen.json_provider_class``
(:class:`DefaultJSONProvider` unless changed). :func:`erlen.json.dumps`,
``loads``, :func:`~erlen.jsonify`, ``request.get_json()`` and the
JSON a view returns as a dict or list all go through it. To change how
an app writes JSON, set its attributes::

    app.json.sort_keys = False
    app.json.ensure_ascii = False

or subclass a provider (to use another library, or to teach ``default``
a type) and set ``json_provider_class`` on a subclass of ``Erlen``.
"""

from __future__ import annotations

import typing as t
import weakref

from . import _backend
from ._backend import default as _default

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..response import Response

__all__ = ["JSONProvider", "DefaultJSONProvider"]


class JSONProvider:
    """The JSON operations of an application; subclass it to use another library.

    A subclass implements at least :meth:`dumps` and :meth:`loads`; the
    other methods are written with them. An instance is made for an app
    (``json_provider_class(app)``) and keeps the app as a weak proxy in
    ``_app``.
    """

    #: perf: the function the request cycle uses to write the body of a
    #: dict or list a view returns, skipping :meth:`response`; ``None``
    #: (here) makes it call :meth:`response`. Only :class:`DefaultJSONProvider`
    #: sets one, when nothing it would do differently has been changed.
    _response_body: t.Callable[[t.Any], bytes] | None = None

    def __init__(self, app: Erlen) -> None:
        self._app: Erlen = t.cast("Erlen", weakref.proxy(app))

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Return ``obj`` as JSON text; ``kwargs`` may go to the JSON library."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Write ``obj`` as JSON to the text file ``fp`` (opened as UTF-8)."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Return the value the JSON text or UTF-8 bytes ``s`` hold."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Return the value the JSON in the file ``fp`` holds (text or UTF-8 bytes)."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        return _response_value(args, kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Return a JSON :class:`~erlen.Response` of the arguments.

        One positional argument is sent as it is, several as a list,
        keywords as an object; nothing sends ``null``. Positional and
        keyword arguments together raise :exc:`TypeError`.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return _json_response(self._app, self.dumps(obj), "application/json")


def _response_value(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
    if args and kwargs:
        raise TypeError(
            "app.json.response() and jsonify() take either positional arguments or "
            "keyword arguments, not both: pass one dict, or only keywords."
        )
    if not args and not kwargs:
        return None
    if len(args) == 1:
        return args[0]
    return list(args) if args else kwargs


def _json_response(app: Erlen, body: str | bytes, mimetype: str) -> Response:
    # erlen's Response adds "; charset=utf-8" to application/json given as a
    # mimetype; a JSON response is sent without it, as Flask sends it.
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return app.response_class(body, content_type=mimetype)
    return app.response_class(body, mimetype=mimetype)


class DefaultJSONProvider(JSONProvider):
    """JSON as Flask writes it: sorted keys, ASCII, HTTP dates; orjson when installed.

    Beyond JSON's own types it writes ``datetime`` and ``date`` as HTTP
    dates (``"Wed, 21 Oct 2015 07:28:00 GMT"``), ``Decimal`` and ``UUID``
    as strings, dataclasses as objects (:func:`dataclasses.asdict`),
    anything with ``__html__`` as its markup, and sets as lists. The class
    attributes below change what it writes; set them on ``app.json`` or in
    a subclass.
    """

    #: Called for a value JSON has no type for; returns a value JSON can
    #: hold, or raises :exc:`TypeError`.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)  # type: ignore[assignment]
    #: Write non-ASCII characters as ``\uXXXX`` escapes (``False``: UTF-8).
    ensure_ascii = True
    #: Sort the keys of every object (keys must then be comparable).
    sort_keys = True
    #: ``True``: :meth:`response` writes compact JSON; ``False``: indented;
    #: ``None``: indented in debug mode only.
    compact: bool | None = None
    #: The mimetype of :meth:`response`'s responses.
    mimetype = "application/json"

    #: What :meth:`response` writes, as one function; ``None``: call the
    #: methods. Set per instance by ``_reset``.
    _encoder: t.Callable[[t.Any], bytes] | None = None

    def __init__(self, app: Erlen) -> None:
        super().__init__(app)
        self._reset()

    def __setattr__(self, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if not name.startswith("_"):
            self._reset()  # a setting changed: the fast encoder follows it

    def _reset(self) -> None:
        """Decide whether the fast encoder can stand in for the methods.

        It can unless a subclass overrides :meth:`dumps` (or
        :meth:`response`, for the request cycle's shortcut) or
        :attr:`default` is replaced. It is built on first use (that is
        when orjson is imported), from the attributes as they are then.
        """
        cls = type(self)
        fast = cls.dumps is DefaultJSONProvider.dumps and self.default is _default
        encoder = self._build_encoder if fast else None
        state = self.__dict__
        state["_encoder"] = encoder
        # perf: the request cycle sends a returned dict or list with this
        # (one call, no Response constructor) while it matches response().
        if cls.response is DefaultJSONProvider.response and self.mimetype == "application/json":
            state["_response_body"] = encoder
        else:
            state["_response_body"] = None

    def _build_encoder(self, value: t.Any) -> bytes:
        compact = self.compact
        encoder = _backend.response_encoder(
            sort_keys=bool(self.sort_keys),
            ensure_ascii=bool(self.ensure_ascii),
            indent=None if compact is None else not compact,
            config=self._app.config,
        )
        state = self.__dict__
        for name in ("_encoder", "_response_body"):
            if state.get(name) == self._build_encoder:
                state[name] = encoder
        return encoder(value)

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Return ``obj`` as JSON text, written by :func:`json.dumps`.

        ``default``, ``ensure_ascii`` and ``sort_keys`` come from the
        attributes unless given; other keyword arguments (``indent``,
        ``separators``, ...) go to :func:`json.dumps` as they are.
        """
        import json

        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Return the value JSON text or UTF-8 bytes hold; ``ValueError`` if malformed.

        Keyword arguments go to :func:`json.loads`; without them the
        faster parser (orjson, when installed) reads the text.
        """
        if kwargs:
            import json

            return json.loads(s, **kwargs)
        return _backend.loads(s)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Return a JSON :class:`~erlen.Response` of the arguments, with :attr:`mimetype`.

        One positional argument is sent as it is, several as a list,
        keywords as an object; nothing sends ``null``. The body is compact
        JSON and a newline, or indented by two spaces when :attr:`compact`
        is ``False`` (or ``None`` in debug mode).
        """
        obj = self._prepare_response_obj(args, kwargs)
        encode = self._encoder
        if encode is not None:
            return _json_response(self._app, encode(obj), self.mimetype)
        options: dict[str, t.Any] = {}
        if self.compact is False or (self.compact is None and self._app.debug):
            options["indent"] = 2
        else:
            options["separators"] = (",", ":")
        text = f"{self.dumps(obj, **options)}\n"
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                # A lone surrogate: UTF-8 cannot hold it, a \uXXXX escape can.
                text = f"{self.dumps(obj, ensure_ascii=True, **options)}\n"
        return _json_response(self._app, text, self.mimetype)
