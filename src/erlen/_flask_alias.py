"""The ``flask`` modules: made on import from erlen's, under Flask's names.

One object in ``sys.meta_path``, :class:`FlaskAliasFinder`, answers every
``import flask`` and ``import flask.<module>`` with an :class:`AliasModule`
made when it is first imported: its names come from the erlen module that
holds Flask's (``flask.json.provider`` from ``erlen.json.provider``), read
on first use and then kept, so ``flask.json.provider.DefaultJSONProvider``
*is* erlen's class. ``Flask`` in a name reads ``Erlen`` (``flask.Flask`` is
``erlen.Erlen``, ``flask.testing.FlaskClient`` ``erlen.testing.ErlenClient``).
The same finder tells ``importlib.metadata`` that ``flask`` is installed, at
the version of Flask whose API erlen gives, and watches for Werkzeug's
modules to patch erlen's classes when they load (``erlen._werkzeug_bases``).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import opcode
import os
import sys
import typing as t
from types import ModuleType

from . import _werkzeug_bases

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from importlib.machinery import ModuleSpec

#: The Flask release whose API erlen gives: what ``version("flask")`` answers.
FLASK_VERSION = "3.1.3"
#: Where the docs list Flask's names that erlen leaves out or names otherwise.
DOCS = "docs/flask.md#flasks-names-that-differ"

#: Flask's modules, each with the erlen module that serves it.
MODULES: dict[str, str | None] = {
    "flask": "erlen",
    "flask.app": "erlen.app",
    "flask.blueprints": "erlen.blueprints",
    "flask.cli": "erlen.cli",
    "flask.config": "erlen.config",
    "flask.ctx": "erlen.ctx",
    "flask.debughelpers": "erlen.debughelpers",
    "flask.globals": "erlen.globals",
    "flask.helpers": "erlen.helpers",
    "flask.json": "erlen.json",
    "flask.json.provider": "erlen.json.provider",
    "flask.json.tag": "erlen.json.tag",
    "flask.logging": "erlen.logging",
    "flask.sessions": "erlen.sessions",
    "flask.signals": "erlen.signals",
    "flask.templating": "erlen.templating",
    "flask.testing": "erlen.testing",
    "flask.typing": "erlen.typing",
    "flask.views": "erlen.views",
    "flask.wrappers": "erlen.wrappers",
    # Flask's sansio layer: erlen has one app and one blueprint class.
    "flask.sansio": None,
    "flask.sansio.app": "erlen.app",
    "flask.sansio.blueprints": "erlen.blueprints",
    "flask.sansio.scaffold": "erlen.scaffold",
}
PACKAGES = frozenset(("flask", "flask.json", "flask.sansio"))
#: Flask names that erlen serves under another name: (module, Flask's) -> erlen's.
RENAMED = {
    # Flask's base of Flask, without the WSGI parts; erlen has one app class
    # (Flask-SQLAlchemy-Lite imports it).
    ("flask.sansio.app", "App"): "Erlen",
}
#: erlen's module -> the Flask module that stands for it (the first listed).
_FLASK_MODULE: dict[str, str] = {}
for _flask, _erlen in MODULES.items():
    if _erlen is not None:
        _FLASK_MODULE.setdefault(_erlen, _flask)
del _flask, _erlen

#: The names ``flask`` itself gives (Flask 3.1 has no ``__all__``; star-imports use this).
FLASK_NAMES = (
    "json Flask Request Response Blueprint Config after_this_request "
    "copy_current_request_context has_app_context has_request_context current_app g "
    "request session abort flash get_flashed_messages get_template_attribute "
    "make_response redirect send_file send_from_directory stream_with_context url_for "
    "jsonify render_template render_template_string stream_template "
    "stream_template_string appcontext_popped appcontext_pushed appcontext_tearing_down "
    "before_render_template got_request_exception message_flashed request_finished "
    "request_started request_tearing_down template_rendered"
).split()

_IMPORT_FROM = opcode.opmap["IMPORT_FROM"]


def erlen_name(name: str) -> str:
    """erlen's name for one of Flask's: ``FlaskClient`` -> ``ErlenClient``."""
    return name.replace("Flask", "Erlen").replace("flask", "erlen").replace("FLASK", "ERLEN")


def flask_name(name: str) -> str:
    """Flask's name for one of erlen's: ``ErlenGroup`` -> ``FlaskGroup``."""
    return name.replace("Erlen", "Flask").replace("erlen", "flask").replace("ERLEN", "FLASK")


def active_finder() -> FlaskAliasFinder | None:
    """The alias's finder in ``sys.meta_path``, if the alias is on."""
    # By its mark, not its class: `python -m erlen.flask_compat` runs that
    # module as __main__, and an `import erlen.flask_compat` makes a second copy.
    for finder in sys.meta_path:
        if getattr(finder, "erlen_flask_alias", False):
            return t.cast("FlaskAliasFinder", finder)
    return None


def is_alias(module: object) -> bool:
    """Whether ``module`` is one of this alias's modules (not Flask's own)."""
    return isinstance(getattr(module, "__dict__", None), dict) and "__erlen__" in vars(module)


class AliasModule(ModuleType):
    """A ``flask.*`` module: Flask's names, read from an erlen module on first use."""

    __erlen_module__: ModuleType | None

    def __getattr__(self, name: str) -> t.Any:
        if name.startswith("__") and name.endswith("__"):
            if name == "__version__" and self.__name__ == "flask":
                return _deprecated_version()
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        target = self.__erlen_module__
        if target is not None:
            ours = RENAMED.get((self.__name__, name)) or erlen_name(name)
            for candidate in dict.fromkeys((ours, name)):
                try:
                    value = getattr(target, candidate)
                except AttributeError:
                    continue
                if isinstance(value, ModuleType) and value.__name__ in _FLASK_MODULE:
                    value = importlib.import_module(_FLASK_MODULE[value.__name__])
                # perf: kept, so the next read is a plain module attribute.
                self.__dict__[name] = value
                return value
        submodule = f"{self.__name__}.{name}"
        if submodule in MODULES:
            # `import flask` loads Flask's submodules (flask.cli, flask.json ...),
            # so extensions read `flask.cli.AppGroup` without importing flask.cli;
            # the alias makes one the first time it is read.
            return importlib.import_module(submodule)
        raise _missing(self, name, sys._getframe(1))

    def __dir__(self) -> list[str]:
        names = set(self.__dict__)
        target = self.__erlen_module__
        if target is not None:
            names.update(flask_name(name) for name in dir(target) if not name.startswith("__"))
        return sorted(names)


def _missing(module: AliasModule, name: str, caller: t.Any) -> Exception:
    """The error for a Flask name erlen does not have, saying where to look."""
    target = module.__erlen_module__
    where = (
        f"erlen's module {target.__name__} (which serves {module.__name__}) has no {name!r}"
        if target is not None
        else f"erlen has no module that serves {module.__name__}"
    )
    if erlen_name(name) != name:
        where += f" (nor {erlen_name(name)!r})"
    message = (
        f"{module.__name__}.{name} is not provided by erlen: {where}. The flask alias "
        f"(erlen.flask_compat) gives Flask's API as erlen has it; see {DOCS} for Flask's "
        "names that erlen leaves out or names otherwise, and what to use instead."
    )
    # `from flask import X` turns an AttributeError into a bare "cannot import
    # name"; an ImportError raised here keeps the message.
    code = caller.f_code.co_code
    if 0 <= caller.f_lasti < len(code) and code[caller.f_lasti] == _IMPORT_FROM:
        return ImportError(message, name=module.__name__)
    return AttributeError(message, name=name, obj=module)


def _deprecated_version() -> str:
    import warnings

    # As Flask 3.1 itself answers it.
    warnings.warn(
        "The '__version__' attribute is deprecated and will be removed in Flask 3.2. Use "
        "feature detection or 'importlib.metadata.version(\"flask\")' instead.",
        DeprecationWarning,
        stacklevel=3,
    )
    return FLASK_VERSION


class AliasLoader:
    """Makes each ``flask.*`` module from the erlen module that serves it.

    (Not an ``importlib.abc.Loader``: importing that loads ``importlib.resources``
    and ``tempfile``, a tenth of ``import erlen``.)
    """

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return AliasModule(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        target_name = MODULES[module.__name__]
        target = importlib.import_module(target_name) if target_name is not None else None
        namespace = module.__dict__
        namespace["__erlen_module__"] = target
        namespace["__erlen__"] = info()
        if target is not None:
            namespace["__file__"] = getattr(target, "__file__", None)
            namespace["__doc__"] = (
                f"Flask's {module.__name__}, served by erlen's {target.__name__} "
                "(the flask alias of erlen.flask_compat is on)."
            )
            names = getattr(target, "__all__", None)
            if names is not None:
                namespace["__all__"] = [flask_name(name) for name in names]
        if module.__name__ == "flask":
            namespace["__doc__"] = _top_doc()
            namespace["__all__"] = list(FLASK_NAMES)


def info() -> dict[str, t.Any]:
    """What ``flask.__erlen__`` holds: whose alias this is, and what it hides."""
    from . import __version__

    return {
        "erlen_version": __version__,
        "flask_api": FLASK_VERSION,
        "shadowed_flask": real_flask_location(),
        "docs": "docs/flask.md#turning-the-alias-on",
    }


_NOT_LOOKED = object()
_real_flask: t.Any = _NOT_LOOKED


def real_flask_location() -> str | None:
    """Where Flask itself is installed, if it is (it is never imported)."""
    global _real_flask
    if _real_flask is _NOT_LOOKED:
        spec = importlib.machinery.PathFinder.find_spec("flask")
        locations = spec.submodule_search_locations if spec is not None else None
        _real_flask = list(locations)[0] if locations else None
    return t.cast("str | None", _real_flask)


def _top_doc() -> str:
    shadowed = real_flask_location()
    hidden = (
        f"\n\nFlask itself is installed ({shadowed}) but is not used while the alias is on."
        if shadowed
        else ""
    )
    return (
        "Flask's API, served by erlen.\n\n"
        "erlen.flask_compat is imported, so ``import flask`` and every ``flask.*`` "
        "module give erlen's objects under Flask's names: ``flask.Flask`` is "
        "``erlen.Erlen``, ``flask.testing.FlaskClient`` ``erlen.testing.ErlenClient``. "
        f'See ``flask.__erlen__`` and docs/flask.md, "Turning the alias on".{hidden}'
    )


class FlaskAliasFinder:
    """The ``sys.meta_path`` entry that serves ``flask`` while the alias is on."""

    #: Marks the finder, whichever copy of this module made it.
    erlen_flask_alias = True

    def __init__(self) -> None:
        self.loader = AliasLoader()
        #: The variables copied from FLASK_* to ERLEN_* (taken back by uninstall()).
        self.environ_added: list[str] = []

    def copy_environ(self) -> None:
        """Set ``ERLEN_X`` from each ``FLASK_X`` that has no ``ERLEN_X`` (it wins)."""
        for name, value in list(os.environ.items()):
            if name.startswith("FLASK_"):
                ours = "ERLEN_" + name[6:]
                if ours not in os.environ:
                    os.environ[ours] = value
                    self.environ_added.append(ours)

    def find_spec(
        self, fullname: str, path: t.Any = None, target: t.Any = None
    ) -> ModuleSpec | None:
        # perf: every import in the process passes here; most fail the first test.
        if fullname.startswith("flask") and (len(fullname) == 5 or fullname[5] == "."):
            if fullname not in MODULES:
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: Flask 3.1 has no such module, or erlen does "
                    f"not serve it through the flask alias (erlen.flask_compat). See {DOCS}.",
                    name=fullname,
                )
            return importlib.machinery.ModuleSpec(
                fullname,
                self.loader,  # type: ignore[arg-type]  # a loader by its methods
                is_package=fullname in PACKAGES,
            )
        if fullname in _werkzeug_bases.WATCHED:
            return self._patching(fullname, path, target)
        return None

    def _patching(self, fullname: str, path: t.Any, target: t.Any) -> ModuleSpec | None:
        """The spec the other finders give, loading through :class:`_PatchAfter`."""
        finders = sys.meta_path
        start = next((i for i, finder in enumerate(finders) if finder is self), -1) + 1
        for finder in finders[start:]:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec is not None else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchAfter(spec.loader)
                return t.cast("ModuleSpec", spec)
        return None

    def find_distributions(self, context: t.Any = None) -> Iterator[t.Any]:
        """Flask's distribution for ``importlib.metadata``: ``version("flask")``."""
        name = getattr(context, "name", None)
        if name is None or name.replace("_", "-").replace(".", "-").lower() == "flask":
            yield _distribution()

    def invalidate_caches(self) -> None:
        pass


class _PatchAfter:
    """A loader that runs Werkzeug's module, then patches erlen's classes."""

    def __init__(self, loader: t.Any) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return t.cast("ModuleType | None", self.loader.create_module(spec))

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _werkzeug_bases.patch(module.__name__)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self.loader, name)


def _distribution() -> t.Any:
    """An ``importlib.metadata.Distribution`` for ``flask``, made once."""
    global _DISTRIBUTION
    if _DISTRIBUTION is None:
        import importlib.metadata
        from pathlib import Path

        from . import __file__ as erlen_init
        from . import __version__

        metadata = (
            "Metadata-Version: 2.1\n"
            "Name: Flask\n"
            f"Version: {FLASK_VERSION}\n"
            f"Summary: Flask's API, served by erlen {__version__} (erlen.flask_compat)\n"
        )

        class FlaskAliasDistribution(importlib.metadata.Distribution):
            """``flask`` while erlen's alias is on: Flask's version, erlen's code."""

            def read_text(self, filename: str) -> str | None:
                return metadata if filename in ("METADATA", "PKG-INFO") else None

            def locate_file(self, path: t.Any) -> Path:
                return Path(erlen_init).parent / str(path)

        _DISTRIBUTION = FlaskAliasDistribution()
    return _DISTRIBUTION


_DISTRIBUTION: t.Any = None
