"""Every public name of Flask 3.1 exists in erlen, or docs/flask.md says why not.

The test walks the installed Flask: each public module (``flask.json.tag``
becomes ``erlen.json.tag``), each name it defines (``Flask`` becomes
``Erlen``, ``FlaskClient`` ``ErlenClient``), and each public attribute of
the classes it defines. A function or method must accept Flask's
parameters under Flask's names, in Flask's positions (erlen may add
parameters after them). What erlen lacks, or has with another signature,
is a row of the table "Flask's names that differ" in ``docs/flask.md``,
with the reason; a row for a name that no longer differs fails too, so
the table cannot rot.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
import typing
from pathlib import Path

import pytest

try:
    import flask
except ImportError:  # pragma: no cover - the test command installs Flask
    pytest.fail(
        "This test compares erlen with Flask 3.1, which is not installed here. "
        "Install the test requirements: pip install -e '.[test]'.",
        pytrace=False,
    )

DOC = Path(__file__).resolve().parent.parent / "docs" / "flask.md"
SECTION = "## Flask's names that differ"
#: Modules whose proxies and signals are defined there (re-exported elsewhere).
HOMES = ("flask.globals", "flask.signals")


def erlen_name(name: str) -> str:
    return name.replace("Flask", "Erlen").replace("flask", "erlen").replace("FLASK", "ERLEN")


def flask_modules() -> list[str]:
    names = {"flask"}
    for info in pkgutil.walk_packages(flask.__path__, "flask."):
        parts = info.name.split(".")
        if not any(part.startswith("_") or part == "sansio" for part in parts):
            names.add(info.name)
    return sorted(names)


def home_of(value: object) -> str | None:
    for module in HOMES:
        if any(v is value for v in vars(importlib.import_module(module)).values()):
            return module
    return None


def defined_names(module_name: str) -> dict[str, object]:
    """The public names ``module_name`` defines (all of them for the package itself)."""
    module = importlib.import_module(module_name)
    found = {}
    for name, value in vars(module).items():
        if name.startswith("_") or name == "annotations":
            continue
        if isinstance(value, (types.ModuleType, typing.TypeVar)):
            continue
        if module_name == "flask" or module_name == "flask.typing":
            found[name] = value
        elif inspect.isclass(value) or inspect.isfunction(value):
            if value.__module__ == module_name:
                found[name] = value
        elif home_of(value) in (module_name, None) and (
            module_name in HOMES or type(value).__module__.startswith(("blinker", "werkzeug.local"))
        ):
            found[name] = value
    return found


def parameters(function: object, method: bool) -> list[inspect.Parameter] | None:
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    return params[1:] if method and params else params


def signature_gaps(theirs: object, ours: object, method: bool = False) -> list[str]:
    """Flask's parameters that erlen's function does not take the same way."""
    flask_params = parameters(theirs, method)
    erlen_params = parameters(ours, method)
    if flask_params is None or erlen_params is None:
        return []
    kinds = {p.kind for p in erlen_params}
    by_name = {p.name: p for p in erlen_params}
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    erlen_positions = [p.name for p in erlen_params if p.kind in positional]
    gaps = []
    for index, name in enumerate(p.name for p in flask_params if p.kind in positional):
        if index < len(erlen_positions) and erlen_positions[index] == name:
            continue
        gaps.append(f"{name} (position {index})")
    for param in flask_params:
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            if param.name not in by_name and inspect.Parameter.VAR_KEYWORD not in kinds:
                gaps.append(param.name)
        elif param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            if param.kind not in kinds:
                star = "*" if param.kind is inspect.Parameter.VAR_POSITIONAL else "**"
                gaps.append(star + param.name)
    return gaps


def is_method(cls: type, name: str) -> bool:
    return inspect.isfunction(inspect.getattr_static(cls, name, None))


def differences() -> dict[str, str]:
    """Each Flask name erlen lacks or takes differently, with what differs."""
    found: dict[str, str] = {}
    for module_name in flask_modules():
        try:
            ours_module = importlib.import_module(erlen_name(module_name))
        except ImportError:
            ours_module = None
        for name, theirs in defined_names(module_name).items():
            full = f"{module_name}.{name}"
            ours = getattr(ours_module, erlen_name(name), None)
            if ours is None:
                found[full] = "missing"
                continue
            if inspect.isclass(theirs) or inspect.isfunction(theirs):
                gaps = signature_gaps(theirs, ours, method=inspect.isclass(theirs))
                if inspect.isclass(theirs):
                    gaps = signature_gaps(theirs.__init__, ours.__init__, method=True)
                if gaps:
                    found[full] = "signature: " + ", ".join(gaps)
            if not inspect.isclass(theirs) or module_name == "flask":
                continue  # a class's members are compared where it is defined
            for member in sorted(dir(theirs)):
                if member.startswith("_"):
                    continue
                if not hasattr(ours, member):
                    found[f"{full}.{member}"] = "missing"
                    continue
                theirs_member = inspect.getattr_static(theirs, member)
                if inspect.isfunction(theirs_member) or isinstance(
                    theirs_member, (classmethod, staticmethod)
                ):
                    method = is_method(theirs, member) and is_method(ours, member)
                    gaps = signature_gaps(
                        getattr(theirs, member), getattr(ours, member), method=method
                    )
                    if gaps:
                        found[f"{full}.{member}"] = "signature: " + ", ".join(gaps)
    return found


def documented() -> dict[str, str]:
    """The rows of docs/flask.md's table: Flask name -> the reason given."""
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/flask.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for match in re.finditer(r"^\| `(flask[\w.]*)` \| (.*?) \|$", section, re.MULTILINE):
        rows[match.group(1)] = match.group(2).strip()
    return rows


def test_flask_is_the_version_compared():
    from importlib.metadata import version

    assert version("flask").startswith("3.1."), (
        f"This test compares with Flask 3.1; Flask {version('flask')} is installed. "
        "Install flask==3.1.* (the test requirements pin it)."
    )


def test_every_difference_is_documented():
    missing = {name: what for name, what in differences().items() if name not in documented()}
    lines = "\n".join(f"| `{name}` | {what} |" for name, what in sorted(missing.items()))
    assert not missing, (
        f"{len(missing)} of Flask's names are missing or differ in erlen and are not in "
        f"docs/flask.md's table ({SECTION!r}). Add them to erlen, or add a row with the "
        f"reason:\n{lines}"
    )


def test_no_documented_difference_is_stale():
    found = differences()
    stale = sorted(name for name in documented() if name not in found)
    assert not stale, (
        f"docs/flask.md lists these as differing from Flask, but erlen now has them as "
        f"Flask does; remove their rows: {stale}"
    )


def test_every_documented_difference_gives_a_reason():
    empty = sorted(name for name, reason in documented().items() if len(reason) < 10)
    assert not empty, f"Rows of docs/flask.md's table without a reason: {empty}"


def test_the_comparison_finds_a_missing_name(monkeypatch):
    import erlen.globals

    monkeypatch.delattr(erlen.globals, "app_ctx")
    assert differences()["flask.globals.app_ctx"] == "missing"


def test_the_comparison_finds_a_renamed_parameter():
    def theirs(f, name=None): ...

    def ours(function, name=None): ...

    def extended(f, name=None, *, extra=1): ...

    assert signature_gaps(theirs, ours) == ["f (position 0)"]
    assert signature_gaps(theirs, extended) == []
