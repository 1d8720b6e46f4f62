"""``app.config``: a dict of settings with loaders.

Loaders read upper-case names from a mapping, an object, a Python file, a
data file (TOML, JSON, ...) or ``ERLEN_*`` environment variables. Nothing
beyond :mod:`os` is imported until a loader needs it.
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable, Mapping, MutableMapping
from datetime import timedelta

from .request import DEFAULT_LIMITS

__all__ = ["Config", "ConfigAttribute", "DEFAULT_CONFIG"]

#: The settings every app starts with (Flask's defaults, with erlen's own
#: added): ``app.config`` is a copy. docs/config.md lists them.
DEFAULT_CONFIG: dict[str, t.Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    # None: trap a missing form or query key (BadRequestKeyError) in debug only.
    "TRAP_BAD_REQUEST_ERRORS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": [],
    # Refuse a short or placeholder secret key outside debug mode and testing.
    "SECRET_KEY_STRICT": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    # None: Secure when the request came in over HTTPS.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    # Serve a static file through a symlink that leads out of the static folder.
    "STATIC_FOLLOW_SYMLINKS": False,
    "TEMPLATES_AUTO_RELOAD": None,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "MAX_COOKIE_SIZE": 4093,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "PREFERRED_URL_SCHEME": "http",
    # None: any Host; a list: only these hosts (".example.com": and subdomains).
    "TRUSTED_HOSTS": None,
    # Refuse unsafe requests a browser sends from another site (erlen.csrf).
    "CSRF_PROTECTION": True,
    "CSRF_TRUSTED_ORIGINS": [],
    # Under ASGI, plain `def` views run in a thread pool of this many threads.
    "ASGI_THREADS": 40,
    # Seconds a request waits for a free thread before it is answered 503.
    "ASGI_THREAD_TIMEOUT": 30,
    # Run plain `def` views on the event loop (only for views that never block).
    "ASGI_SYNC_VIEWS_ON_LOOP": False,
    # Run the sync hooks of `async def` views in a worker thread, off the loop.
    "ASGI_HOOKS_IN_THREAD": False,
    **DEFAULT_LIMITS,
}


T = t.TypeVar("T")


class ConfigAttribute(t.Generic[T]):
    """An attribute that reads and writes a setting of ``self.config``.

    ``testing = ConfigAttribute("TESTING")`` on a class makes ``obj.testing``
    read ``obj.config["TESTING"]`` and assignment write it.
    ``get_converter``, when given, converts the value on reading.
    """

    def __init__(self, name: str, get_converter: Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...

    @t.overload
    def __get__(self, obj: t.Any, owner: t.Any) -> T: ...

    def __get__(self, obj: t.Any, owner: t.Any = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, t.Any]):
    """Settings, by upper-case name. Starts from :data:`~erlen.config.DEFAULT_CONFIG`.

    A plain dict with loaders. Each loader reads only upper-case names, so
    a settings module can keep lower-case helpers beside them::

        app.config.from_mapping(SECRET_KEY="dev")
        app.config.from_pyfile("settings.py", silent=True)
        app.config.from_prefixed_env()

    Relative file names are resolved against ``root_path`` (the app's
    root path for ``app.config``).
    """

    def __init__(
        self, root_path: str | os.PathLike[str] = ".", defaults: Mapping[str, t.Any] | None = None
    ) -> None:
        # Copy mutable defaults (SECRET_KEY_FALLBACKS' list) so that one app
        # appending to its list does not change DEFAULT_CONFIG or other apps.
        super().__init__((key, _copy_if_mutable(value)) for key, value in (defaults or {}).items())
        self.root_path = os.fspath(root_path)

    def from_mapping(self, mapping: Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the upper-case keys of a mapping and of keywords.

        Other keys are ignored. Always returns ``True``.
        """
        items = dict(mapping or {}, **kwargs)
        for key, value in items.items():
            if isinstance(key, str) and key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the upper-case attributes of an object, or of an import path to one.

        ``obj`` is a module, a class (its inherited attributes count) or any
        object; or a string naming one: ``"pkg.settings"``,
        ``"pkg.settings:Production"`` or ``"pkg.settings.Production"``::

            class Production:
                DEBUG = False
                SECRET_KEY = "..."

            app.config.from_object(Production)
            app.config.from_object("pkg.settings.Production")

        A dict is not an object with attributes: use :meth:`from_mapping`.
        """
        if isinstance(obj, str):
            obj = _import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its upper-case names.

        ``filename`` is relative to ``root_path`` unless absolute::

            app.config.from_pyfile("settings.py")

        :param silent: return ``False`` instead of raising when the file
            does not exist.
        :return: ``True`` if the file was loaded.
        """
        import types

        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            # Binary, so that a PEP 263 coding line decides the encoding.
            with open(path, "rb") as file:
                source = file.read()
        except OSError as error:
            if silent and _is_missing(error):
                return False
            self._explain(error, "from_pyfile")
            raise
        exec(compile(source, path, "exec"), module.__dict__)
        self.from_object(module)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[t.IO[t.Any]], Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load the upper-case keys of a data file, read by ``load``.

        ``load`` takes an open file and returns a mapping. ``filename`` is
        relative to ``root_path`` unless absolute. TOML needs a binary
        file (Python 3.11+)::

            import tomllib
            app.config.from_file("config.toml", load=tomllib.load, text=False)

        JSON reads text (UTF-8)::

            import json
            app.config.from_file("config.json", load=json.load)

        :param load: a callable such as :func:`json.load` or
            :func:`tomllib.load`.
        :param silent: return ``False`` instead of raising when the file
            does not exist.
        :param text: open the file as UTF-8 text; ``False`` for binary.
        :return: ``True`` if the file was loaded.
        """
        path = os.path.join(self.root_path, filename)
        try:
            if text:
                with open(path, encoding="utf-8") as file:
                    data = load(file)
            else:
                with open(path, "rb") as file:
                    data = load(file)
        except OSError as error:
            if silent and _is_missing(error):
                return False
            self._explain(error, "from_file")
            raise
        if not isinstance(data, Mapping):
            raise TypeError(
                f"Loading configuration file {path!r} gave a {type(data).__name__},"
                " expected a mapping of setting names to values. Check that the"
                " file holds a table (TOML) or an object (JSON) at its top level."
            )
        return self.from_mapping(data)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable.

        The same as ``from_pyfile(os.environ[variable_name])``, with a
        clearer error when the variable is not set::

            app.config.from_envvar("MYAPP_SETTINGS")

        :param silent: return ``False`` instead of raising when the variable
            is unset or the file does not exist.
        :return: ``True`` if a file was loaded.
        """
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no"
                " configuration file could be loaded. Set it to the path of a"
                f" Python configuration file (export {variable_name}=/path/to/settings.py),"
                " or pass silent=True to go on without it."
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "ERLEN", *, loads: Callable[[str], t.Any] | None = None
    ) -> bool:
        """Load every environment variable named ``{prefix}_{KEY}`` into ``KEY``.

        Each value is parsed with ``loads`` (:func:`json.loads` by default)
        and kept as a string when it does not parse: ``ERLEN_DEBUG=true``
        gives ``True``, ``ERLEN_PORT=5000`` gives ``5000``,
        ``ERLEN_SECRET_KEY=s3cr3t`` gives ``"s3cr3t"``. A double underscore
        sets a key of a nested dict, created when missing:
        ``ERLEN_DB__HOST=x`` sets ``config["DB"]["HOST"]``. Variables are
        applied in sorted order. Always returns ``True``.

        :param prefix: the prefix, without its trailing underscore.
        :param loads: turns a value string into a value; an exception
            means "keep the string".
        """
        if loads is None:
            import json

            loads = json.loads
        start = f"{prefix}_"
        for variable in sorted(os.environ):
            if not variable.startswith(start):
                continue
            raw = os.environ[variable]
            key = variable[len(start) :]
            if key.endswith("SECRET_KEY"):
                value: t.Any = raw  # a key of digits is still a key, not a number
            else:
                try:
                    value = loads(raw)
                except Exception:
                    value = raw
            *parents, name = key.split("__")
            if not all(parents) or not name:
                raise ValueError(
                    f"Environment variable {variable!r} does not name a setting: after"
                    f" {start!r} it needs a key, with '__' only between nested keys"
                    f" (as in {start}DB__HOST). Rename or unset it."
                )
            target: MutableMapping[str, t.Any] = self
            for depth, parent in enumerate(parents, 1):
                child = target.setdefault(parent, {})
                if not isinstance(child, MutableMapping):
                    path = "".join(f"[{part!r}]" for part in parents[:depth])
                    raise TypeError(
                        f"Environment variable {variable!r} sets a key inside"
                        f" config{path}, which is not a dict but"
                        f" {type(child).__name__!r}. Unset the variable, or make"
                        " that setting a dict."
                    )
                target = child
            target[name] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the settings whose names start with ``namespace``.

        Handy for passing a group of settings as keyword arguments::

            app.config["MAIL_SERVER"] = "smtp.example.com"
            app.config.get_namespace("MAIL_")  # {"server": "smtp.example.com"}

        :param namespace: the name prefix, with its separator (``"MAIL_"``).
        :param lowercase: lower-case the returned keys.
        :param trim_namespace: remove the prefix from the returned keys.
        """
        result: dict[str, t.Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            result[name.lower() if lowercase else name] = value
        return result

    def _explain(self, error: OSError, loader: str) -> None:
        """Add what to do to ``error``'s message; its ``filename`` names the path."""
        error.strerror = (
            f"Unable to load configuration file ({error.strerror}). Relative paths"
            f" are resolved against root_path {self.root_path!r}; fix the path or"
            f" pass {loader}(..., silent=True) to skip a missing file"
        )

    def __repr__(self) -> str:
        return f"<Config {dict.__repr__(self)}>"


def _copy_if_mutable(value: t.Any) -> t.Any:
    if isinstance(value, (list, dict, set)):
        return value.copy()
    return value


def _is_missing(error: OSError) -> bool:
    import errno

    return error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)


def _import_string(name: str) -> object:
    """Import ``"pkg.mod"``, ``"pkg.mod:Obj.attr"`` or ``"pkg.mod.Obj.attr"``."""
    from importlib import import_module

    if ":" in name:
        module_name, _, attrs = name.partition(":")
        return _get_attrs(import_module(module_name), attrs, name)
    # The longest importable prefix is the module; the rest are attributes.
    parts = name.split(".")
    for split in range(len(parts), 1, -1):
        module_name = ".".join(parts[:split])
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            # Only "this name, or a parent, is not a module" means "try a
            # shorter one"; a missing import inside a module surfaces as it is.
            missing = error.name or ""
            if missing != module_name and not module_name.startswith(f"{missing}."):
                raise
            continue
        return _get_attrs(module, ".".join(parts[split:]), name)
    return _get_attrs(import_module(parts[0]), ".".join(parts[1:]), name)


def _get_attrs(obj: object, attrs: str, name: str) -> object:
    found = name[: len(name) - len(attrs)].rstrip(".:")
    for attr in attrs.split(".") if attrs else ():
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise ImportError(
                f"Could not import {name!r}: {found!r} has no attribute {attr!r}."
                " Use 'package.module', 'package.module:Object' or"
                " 'package.module.Object'."
            ) from None
        found = f"{found}.{attr}"
    return obj
