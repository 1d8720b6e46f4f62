"""What the debug page knows of an error: its chain, frames, source and locals.

Pure collection, no HTML and no hiding of secrets (:mod:`erlen.dev.masking`
does that): walk an exception's chain (:func:`_chain`) and traceback
(:func:`_raw_frames`), read each frame's source lines and local
variables, tell the app's own frames from library ones (:func:`_is_library`),
and suggest what to do for a few common errors (:func:`_hint`).
"""

from __future__ import annotations

import linecache
import os
import site
import sys
import sysconfig
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from types import FrameType

MAX_FRAMES = 100  # per exception; the innermost ones are kept
MAX_CHAIN = 10  # chained exceptions shown (__cause__ / __context__)
CONTEXT_BEFORE = 5  # source lines around the failing line
CONTEXT_AFTER = 3


@dataclass
class _Frame:
    filename: str
    lineno: int
    function: str
    library: bool
    source: list[tuple[int, str]]
    locals: list[tuple[str, str, bool]]  # name, shown value, masked


@dataclass
class _Link:
    """One exception of a chain, with its frames (innermost last)."""

    type_name: str
    heading: str  # "KeyError: 'x'", one line
    summary: str  # what Python prints below a traceback (SyntaxError: several lines)
    frames: list[_Frame] = field(default_factory=list)
    omitted: int = 0
    relation: str | None = None  # the line printed between it and the one before


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception as error:  # noqa: BLE001 - a page about an error must not raise
        return f"<str() failed: {type(error).__name__}>"


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in (None, "builtins", "__main__") else f"{module}.{name}"


def _one_line(exc: BaseException) -> str:
    first = (_safe_str(exc).splitlines() or [""])[0]
    return f"{_type_name(exc)}: {first}" if first else _type_name(exc)


def _summary(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    except Exception:  # noqa: BLE001
        return f"{_type_name(exc)}: {_safe_str(exc)}"


def _chain(error: BaseException) -> list[BaseException]:
    """Return ``error`` and the exceptions behind it, oldest first."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    chain.reverse()
    return chain


def _raw_frames(exc: BaseException) -> tuple[list[tuple[FrameType, int]], int]:
    frames = list(traceback.walk_tb(exc.__traceback__))
    omitted = max(0, len(frames) - MAX_FRAMES)
    return frames[omitted:], omitted


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {
        paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if name in paths
    }
    roots.add(os.path.dirname(os.__file__))
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # erlen itself
    try:
        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots if root)


@lru_cache(maxsize=512)
def _is_library(filename: str) -> bool:
    """Whether ``filename`` is the stdlib, an installed package or erlen."""
    if filename.startswith("<"):
        return filename.startswith("<frozen")
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return path.startswith(_library_roots())


def _source(frame: FrameType, filename: str, lineno: int) -> list[tuple[int, str]]:
    linecache.checkcache(filename)  # the reloader may have changed the file
    lines = linecache.getlines(filename, frame.f_globals)
    if not lines or lineno < 1:
        return []
    first = max(1, lineno - CONTEXT_BEFORE)
    last = min(len(lines), lineno + CONTEXT_AFTER)
    return [(n, lines[n - 1].rstrip("\r\n").expandtabs()) for n in range(first, last + 1)]


def _frame_locals(frame: FrameType) -> list[tuple[str, object]]:
    try:
        items = list(frame.f_locals.items())
    except Exception:  # noqa: BLE001
        return []
    return [(str(name), value) for name, value in items if not str(name).startswith("__")]


# -- hints --------------------------------------------------------------------


def _hint(error: BaseException) -> str | None:
    """Return a line on what to do for a few common errors."""
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__}
    if "jinja2.exceptions.TemplateNotFound" in names:
        return None  # erlen's message already says where it looked and what to do
    if "jinja2.exceptions.UndefinedError" in names:
        return (
            "A template used a name it was not given: pass it to render_template(...), "
            "or test it with {% if name is defined %}."
        )
    if "jinja2.exceptions.TemplateSyntaxError" in names:
        return "Fix the template at the file and line named above; the traceback ends there."
    if isinstance(error, ModuleNotFoundError):
        return (
            f"Install the package that provides {error.name or 'the module'} into the Python "
            f"that runs the app ({sys.executable}), or fix the import's spelling."
        )
    if isinstance(error, RecursionError):
        return (
            "A function kept calling itself. The frames repeat: look for the call that "
            f"should have stopped (only the last {MAX_FRAMES} frames are shown)."
        )
    return None
