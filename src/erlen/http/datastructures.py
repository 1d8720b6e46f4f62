"""Containers for request data: :class:`MultiDict`, :class:`FileStorage`, :class:`cached`."""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping

from .exceptions import BadRequestKeyError

if t.TYPE_CHECKING:
    from .headers import Headers

__all__ = ["MultiDict", "CallbackDict", "FileStorage", "cached"]

V = t.TypeVar("V")
T = t.TypeVar("T")
K = t.TypeVar("K")
W = t.TypeVar("W")


class _MultiDictBase(dict[K, W]):
    """Empty: where ``erlen.flask_compat`` puts Werkzeug's ``MultiDict``.

    A class's bases can change only for bases of the same layout; this one
    lets the Flask alias make erlen's ``MultiDict`` pass ``isinstance``
    checks against Werkzeug's. With the alias off it does nothing.
    """


class MultiDict(_MultiDictBase[str, V]):
    """A dict whose keys may hold several values, as query strings and forms do.

    Indexing and :meth:`get` return the *first* value; :meth:`getlist` returns
    them all. A missing key raises :class:`~erlen.exceptions.BadRequestKeyError`,
    so a view that indexes ``request.form["name"]`` answers 400, not 500.

    >>> d = MultiDict([("a", "1"), ("a", "2")])
    >>> d["a"], d.getlist("a"), d.get("b", type=int)
    ('1', ['1', '2'], None)
    """

    # perf: the dict itself maps each key to its first value, so `d[key]`,
    # `key in d`, iteration and `dict(d)` run at C speed; keys with more than
    # one value also have their full list in `_lists`.

    where = "the request data"
    _lists: dict[str, list[V]] | None = None

    def __init__(
        self,
        mapping: Mapping[str, V | list[V]] | Iterable[tuple[str, V]] | None = None,
    ) -> None:
        if mapping is None:
            return
        if isinstance(mapping, MultiDict):
            dict.update(self, mapping)
            if mapping._lists:
                self._lists = {key: list(values) for key, values in mapping._lists.items()}
        elif isinstance(mapping, Mapping):
            for key, value in mapping.items():
                if isinstance(value, (list, tuple)):
                    self.setlist(key, value)
                else:
                    dict.__setitem__(self, key, value)
        else:
            self.extend_pairs(list(mapping))

    def extend_pairs(self, pairs: list[tuple[str, V]]) -> None:
        """Add ``(key, value)`` pairs, keeping values already there."""
        if not self:
            # perf: one C-level update; redo it by hand only if a key repeats.
            dict.update(self, pairs)
            if len(self) == len(pairs):
                return
            dict.clear(self)
        for key, value in pairs:
            self.add(key, value)

    def __missing__(self, key: str) -> t.NoReturn:
        raise BadRequestKeyError(key, self.where)

    def __setitem__(self, key: str, value: V) -> None:
        dict.__setitem__(self, key, value)
        if self._lists:
            self._lists.pop(key, None)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        if self._lists:
            self._lists.pop(key, None)

    def add(self, key: str, value: V) -> None:
        """Add a value for ``key``, keeping those already there."""
        if key not in self:
            dict.__setitem__(self, key, value)
            return
        if self._lists is None:
            self._lists = {}
        values = self._lists.get(key)
        if values is None:
            self._lists[key] = [dict.__getitem__(self, key), value]
        else:
            values.append(value)

    @t.overload  # type: ignore[override]
    def get(self, key: str) -> V | None: ...
    @t.overload
    def get(self, key: str, default: V | T) -> V | T: ...
    @t.overload
    def get(self, key: str, default: T | None = None, *, type: Callable[[V], T]) -> T | None: ...

    def get(self, key: str, default: t.Any = None, type: t.Any = None) -> t.Any:  # noqa: A002
        """Return the first value for ``key``, or ``default``.

        With ``type``, the value is passed through it; a value that it
        rejects with ``ValueError`` or ``TypeError`` gives ``default``.
        """
        if key not in self:
            return default
        value = dict.__getitem__(self, key)
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str, type: Callable[[V], T] | None = None) -> list[t.Any]:  # noqa: A002
        """Return every value for ``key`` (an empty list when there is none).

        With ``type``, values it rejects are left out.
        """
        if key not in self:
            return []
        values = self._lists.get(key) if self._lists else None
        if values is None:
            values = [dict.__getitem__(self, key)]
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def setlist(self, key: str, values: Iterable[V]) -> None:
        """Replace the values for ``key`` (no values removes it)."""
        values = list(values)
        if not values:
            self.pop(key, None)
            return
        dict.__setitem__(self, key, values[0])
        if len(values) > 1:
            if self._lists is None:
                self._lists = {}
            self._lists[key] = values
        elif self._lists:
            self._lists.pop(key, None)

    def setdefault(self, key: str, default: V | None = None) -> V:  # type: ignore[override]
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return dict.__getitem__(self, key)

    def pop(self, key: str, *default: t.Any) -> t.Any:  # type: ignore[override]
        """Remove ``key`` and return its first value."""
        if key not in self:
            if default:
                return default[0]
            raise BadRequestKeyError(key, self.where)
        if self._lists:
            self._lists.pop(key, None)
        return dict.pop(self, key)

    def poplist(self, key: str) -> list[V]:
        """Remove ``key`` and return all its values."""
        values = self.getlist(key)
        self.pop(key, None)
        return values

    def items(self, multi: bool = False) -> t.Any:  # type: ignore[override]
        """``(key, first value)`` pairs, or every pair with ``multi=True``."""
        if not multi:
            return dict.items(self)
        return self._iter_all()

    def _iter_all(self) -> Iterator[tuple[str, V]]:
        lists = self._lists or {}
        for key, value in dict.items(self):
            values = lists.get(key)
            if values is None:
                yield key, value
            else:
                for item in values:
                    yield key, item

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        """Yield ``(key, list of values)``."""
        for key in self:
            yield key, self.getlist(key)

    def to_dict(self, flat: bool = True) -> dict[str, t.Any]:
        """Return a plain dict: first values, or lists with ``flat=False``."""
        if flat:
            return dict(self)
        return dict(self.lists())

    def update(self, other: t.Any = (), **kwargs: t.Any) -> None:  # type: ignore[override]
        """Add values from a mapping or pairs, keeping existing ones."""
        for key, value in MultiDict(other).items(multi=True):
            self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def clear(self) -> None:
        """Remove every key and all its values."""
        dict.clear(self)
        self._lists = None

    def copy(self) -> MultiDict[V]:
        """Return a copy of the same class, every value of every key kept."""
        return type(self)(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return dict.__eq__(self, other) and dict(self.lists()) == dict(other.lists())
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


_NOTHING: t.Any = object()


class CallbackDict(dict[K, W]):
    """A dict that calls ``on_update(self)`` after each change to it.

    Header objects use it to write themselves back to their header
    (``response.cache_control["max-age"] = "60"``). A change that changes
    nothing (popping a missing key, ``setdefault`` of a present one) calls
    nothing.
    """

    def __init__(
        self,
        initial: t.Mapping[K, W] | t.Iterable[tuple[K, W]] | None = None,
        on_update: t.Callable[[t.Any], None] | None = None,
    ) -> None:
        super().__init__(initial or ())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: W) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, key: K, default: t.Any = _NOTHING) -> t.Any:
        """Remove ``key`` and return its value (else ``default``), then call the callback."""
        if key not in self:
            if default is _NOTHING:
                raise KeyError(key)
            return default
        value = super().pop(key)
        self._changed()
        return value

    def popitem(self) -> tuple[K, W]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: K, default: t.Any = None) -> W:
        if key in self:
            return self[key]
        self[key] = default
        return t.cast(W, default)

    def update(self, *args: t.Any, **kwargs: W) -> None:
        """Set the keys given, as ``dict.update``, then call the callback."""
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> CallbackDict[K, W]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        """Remove every key, then call the callback."""
        super().clear()
        self._changed()


class _FileStorageBase:
    """Empty: where ``erlen.flask_compat`` puts Werkzeug's ``FileStorage`` (see above)."""


class FileStorage(_FileStorageBase):
    """An uploaded file from a multipart form.

    ``stream`` is a file object positioned at the start of the content; small
    files live in memory, larger ones are spooled to a temporary file.
    """

    def __init__(
        self,
        stream: t.BinaryIO,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.stream = stream
        self.filename = filename
        self.name = name
        self.content_type = content_type or "application/octet-stream"
        self.headers = headers

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased."""
        return self.content_type.split(";", 1)[0].strip().lower()

    def read(self, size: int = -1) -> bytes:
        """Read from the uploaded content."""
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def save(
        self,
        destination: str | os.PathLike[str] | t.BinaryIO,
        buffer_size: int = 16384,
        *,
        name: str | None = None,
    ) -> None:
        """Write the content to a path or a binary file object.

        The file name the client sent is *not* used: it may hold ``../``.
        To save into a folder, pass the folder and a name, and the name is
        checked to stay in the folder (``ValueError`` otherwise)::

            from erlen.utils import secure_filename

            upload = request.files["photo"]
            upload.save(app.config["UPLOAD_FOLDER"], name=secure_filename(upload.filename))
        """
        import shutil

        if name is not None:
            if not isinstance(destination, (str, os.PathLike)):
                raise TypeError(
                    "FileStorage.save(folder, name=...) takes the folder as a path, "
                    f"not {type(destination).__name__}."
                )
            destination = _path_in_folder(os.fspath(destination), name)
        if isinstance(destination, (str, os.PathLike)):
            if os.path.isdir(destination):
                raise IsADirectoryError(
                    f"FileStorage.save() was given the folder {os.fspath(destination)!r}; "
                    "to save into it, pass a file name too: "
                    "save(folder, name=secure_filename(upload.filename))."
                )
            with open(destination, "wb") as out:
                shutil.copyfileobj(self.stream, out, buffer_size)
        else:
            shutil.copyfileobj(self.stream, destination, buffer_size)

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<FileStorage: {self.filename!r} ({self.content_type!r})>"


def _path_in_folder(folder: str, name: str) -> str:
    """Return ``folder/name``, or raise ``ValueError`` if it would not be in ``folder``."""
    why = None
    if not name or name in (".", ".."):
        why = "it is empty" if not name else "it names a folder, not a file"
    elif any(c in name for c in "/\\\x00") or (os.altsep and os.altsep in name):
        why = "it holds a path (a slash, a backslash or NUL), not just a file name"
    elif name[1:2] == ":" or os.path.isabs(name):
        why = "it is an absolute path or a drive"
    else:
        path = os.path.join(folder, name)
        # A link already there (planted in an upload folder, say) would be
        # written through: the real place must be in the folder too.
        inside = os.path.join(os.path.realpath(folder), "")
        if not os.path.realpath(path).startswith(inside):
            why = f"{path!r} is a link to a place outside the folder"
        else:
            return path
    raise ValueError(
        f"FileStorage.save() refused the name {name!r} in the folder {folder!r}: {why}. "
        "Pass a bare file name; for the name a client sent, use "
        "erlen.utils.secure_filename(upload.filename), and choose a name yourself "
        "(uuid.uuid4().hex) when it gives ''."
    )


class cached(t.Generic[T]):
    """A property computed once per instance, then read from its ``__dict__``."""

    # perf: a non-data descriptor: after the first access the instance dict
    # answers directly, with no Python-level call at all.

    def __init__(self, function: Callable[[t.Any], T]) -> None:
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, instance: None, owner: type) -> cached[T]: ...
    @t.overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> t.Any:
        if instance is None:
            return self
        value = self.function(instance)
        instance.__dict__[self.name] = value
        return value
