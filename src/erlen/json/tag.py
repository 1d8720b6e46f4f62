"""Tagged JSON: JSON that keeps a few Python types JSON lacks, for sessions.

:class:`TaggedJSONSerializer` writes plain JSON values as they are, and
wraps the others in a one-key object naming the type: ``(1, 2)`` is
``{"~t": [1, 2]}``, ``b"hi"`` is ``{"~b": "aGk="}``. Reading turns them
back. The session cookie is written with it
(``app.session_interface.serializer``).

Each type is a :class:`JSONTag`. To add one, subclass it, give it a
``key`` no other tag has, and register it; a tag for a special case of a
type already tagged (an ``OrderedDict`` is also a ``dict``) goes first::

    from collections import OrderedDict
    from erlen.json.tag import JSONTag

    class TagOrderedDict(JSONTag):
        __slots__ = ()
        key = "~od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[key, self.serializer.tag(item)] for key, item in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)

The tags are Flask's, under erlen's keys (``~t``, not Flask's ``" t"``),
with datetimes in ISO 8601 (microseconds and UTC offset kept) and a tag
for ``date`` too.
"""

from __future__ import annotations

import typing as t
from datetime import date, datetime

__all__ = [
    "JSONTag",
    "TagDict",
    "PassDict",
    "TagTuple",
    "PassList",
    "TagBytes",
    "TagMarkup",
    "TagUUID",
    "TagDateTime",
    "TagDate",
    "TaggedJSONSerializer",
]


class JSONTag:
    """One type :class:`TaggedJSONSerializer` can write and read back.

    ``key`` names the type in the JSON (``{key: to_json(value)}``); a tag
    without a key only changes values on the way out (as :class:`PassDict`
    tags the values inside a dict).
    """

    __slots__ = ("serializer",)

    #: The key of the one-key object holding a tagged value; "" for none.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Return whether this tag writes ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Return ``value`` as JSON data (the tag is added around it)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Return the Python value :meth:`to_json` wrote (the tag already removed)."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` as JSON data with the tag around it."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict of one key that could pass for a tag: ``{"~~": [key, value]}``.

    Its key starts with ``~`` or is a registered tag's key; wrapped, it
    cannot be read back as that tag.
    """

    __slots__ = ()
    key = "~~"

    def check(self, value: t.Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            return False
        key = next(iter(value))
        return isinstance(key, str) and (key[:1] == "~" or key in self.serializer.tags)

    def to_json(self, value: t.Any) -> t.Any:
        ((key, item),) = value.items()
        return [key, self.serializer.tag(item)]

    def to_python(self, value: t.Any) -> t.Any:
        key, item = value
        return {key: item}


class PassDict(JSONTag):
    """Any other dict: its values tagged; its keys must be strings."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        return {_str_key(key): self.serializer.tag(item) for key, item in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """A tuple: ``{"~t": [...]}``."""

    __slots__ = ()
    key = "~t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items tagged."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes, in base64: ``{"~b": "aGk="}``."""

    __slots__ = ()
    key = "~b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        import base64

        return base64.b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        import base64

        return base64.b64decode(value, validate=True)


class TagMarkup(JSONTag):
    """Anything with ``__html__``, as its markup: read back as :class:`markupsafe.Markup`."""

    __slots__ = ()
    key = "~m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        from markupsafe import Markup

        return Markup(value)


class TagUUID(JSONTag):
    """A :class:`uuid.UUID`, as 32 hex digits: ``{"~u": "12345678..."}``."""

    __slots__ = ()
    key = "~u"

    def check(self, value: t.Any) -> bool:
        from uuid import UUID

        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        from uuid import UUID

        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, in ISO 8601 (naive or with its offset): ``{"~d": "2024-05-17T12:30:00"}``."""

    __slots__ = ()
    key = "~d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return value.isoformat()

    def to_python(self, value: t.Any) -> t.Any:
        return datetime.fromisoformat(value)


class TagDate(JSONTag):
    """A date (not a datetime), in ISO 8601: ``{"~D": "2024-05-17"}``. Not in Flask."""

    __slots__ = ()
    key = "~D"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, date) and not isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return value.isoformat()

    def to_python(self, value: t.Any) -> t.Any:
        return date.fromisoformat(value)


class TaggedJSONSerializer:
    """JSON that keeps ``tuple``, ``bytes``, ``datetime``, ``date``, ``UUID`` and markup.

    Plain JSON values (``str``, ``int``, ``float``, ``bool``, ``None``,
    lists and dicts with ``str`` keys) pass through; the tags in
    :attr:`order` write the others, the first whose ``check`` accepts a
    value. A value no tag takes raises :exc:`TypeError` rather than come
    back changed.
    """

    __slots__ = ("tags", "order", "_default_order")

    #: The tag classes every new serializer registers, in this order.
    default_tags: t.ClassVar[list[type[JSONTag]]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
        TagDate,
    ]

    def __init__(self) -> None:
        #: The tags that have a key, by key (what :meth:`untag` reads).
        self.tags: dict[str, JSONTag] = {}
        #: The tags in the order :meth:`tag` tries them.
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)
        # perf: while the order is erlen's own, tag() runs one function that
        # does the same as the tags in a few isinstance tests.
        uses_own_tags = self.default_tags == TaggedJSONSerializer.default_tags
        self._default_order = list(self.order) if uses_own_tags else None

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag, made with this serializer.

        :param force: replace a tag registered under the same key, instead
            of raising :exc:`KeyError`.
        :param index: where in :attr:`order` the tag goes; by default at
            the end. A tag for a special case of a tagged type (a dict
            subclass) must come before the general one: ``index=0``.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(
                    f"A tag with the key {key!r} is already registered "
                    f"({type(self.tags[key]).__name__}). Give {tag_class.__name__} "
                    "another key, or pass force=True to replace the registered one."
                )
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` as JSON data, the types JSON lacks tagged."""
        if self._default_order is not None and self.order == self._default_order:
            return _tag_with_default_tags(value, self.tags)
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        if value is None or isinstance(value, (str, int, float)):
            return value
        raise _untaggable(value)

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Return what a decoded JSON object stands for: a tagged value, or itself.

        An object of one key starting with ``~`` that no tag registers
        raises :exc:`ValueError` (it was not written with these tags).
        """
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            if key[:1] == "~":
                raise ValueError(
                    f"Unknown tag {key!r}: the JSON was written with a tag this "
                    "serializer does not have registered."
                )
            return value
        return tag.to_python(value[key])

    def dumps(self, value: t.Any) -> str:
        """Return ``value`` tagged, as compact JSON text."""
        import json

        tagged = self.tag(value)
        text = json.dumps(tagged, ensure_ascii=False, separators=(",", ":"))
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                # A lone surrogate: UTF-8 cannot hold it, a \uXXXX escape can.
                text = json.dumps(tagged, separators=(",", ":"))
        return text

    def loads(self, value: str | bytes) -> t.Any:
        """Return the value :meth:`dumps` wrote, tags turned back into their types."""
        import json

        return json.loads(value, object_hook=self.untag)


def _str_key(key: t.Any) -> str:
    if isinstance(key, str):
        return key
    raise TypeError(
        f"Tagged JSON (the session) can only store dicts with str keys, not the "
        f"{type(key).__name__} key {key!r}: JSON would turn it into a string. Convert "
        "the keys to str first."
    )


def _untaggable(value: t.Any) -> TypeError:
    cls = type(value)
    return TypeError(
        f"Tagged JSON (the session) cannot store a {cls.__module__}.{cls.__qualname__} "
        f"({value!r}). It keeps JSON data (str, int, float, bool, None, list, dict) and "
        "tuple, bytes, datetime, date, UUID and Markup; convert the value to one of "
        "those (for example a dict of its fields) first, or register a JSONTag for it "
        "(see erlen.json.tag)."
    )


def _tag_with_default_tags(value: t.Any, tags: dict[str, JSONTag]) -> t.Any:
    """Do what the default tags in their order do, with fewer calls."""
    cls = value.__class__
    # perf: the common cases are checked by exact class first.
    if cls is str or cls is int or cls is bool or cls is float or value is None:
        return value
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if isinstance(key, str) and (key[:1] == "~" or key in tags):
                return {"~~": [key, _tag_with_default_tags(value[key], tags)]}
        return {_str_key(key): _tag_with_default_tags(item, tags) for key, item in value.items()}
    if isinstance(value, tuple):
        return {"~t": [_tag_with_default_tags(item, tags) for item in value]}
    if isinstance(value, list):
        return [_tag_with_default_tags(item, tags) for item in value]
    if isinstance(value, bytes):
        import base64

        return {"~b": base64.b64encode(value).decode("ascii")}
    if callable(getattr(value, "__html__", None)):
        return {"~m": str(value.__html__())}
    if isinstance(value, datetime):
        return {"~d": value.isoformat()}
    if isinstance(value, date):
        return {"~D": value.isoformat()}
    if isinstance(value, (str, int, float)):  # subclasses, e.g. enums
        return value
    from uuid import UUID

    if isinstance(value, UUID):
        return {"~u": value.hex}
    raise _untaggable(value)
