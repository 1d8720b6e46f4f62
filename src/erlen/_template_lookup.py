"""Where erlen looks for templates, and what it says when one is not there.

:func:`search_path` lists the template folders of an app and its
blueprints in the order :class:`erlen.templating.AppLoader` searches them.
:func:`explain_missing` writes the message of
:class:`erlen.templating.TemplateNotFound`: the folders searched, the near
misses (another case or extension, a folder erlen does not search) and what
to do. Only file system calls here; no Jinja2.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import typing as t

if t.TYPE_CHECKING:
    from .app import Erlen

# Extensions people give templates (the autoescaped and Jinja ones of
# erlen.templating among them): a name that differs only by these is a near miss.
_TEMPLATE_SUFFIXES = frozenset(
    (".html", ".htm", ".xhtml", ".xml", ".svg", ".j2", ".jinja", ".jinja2", ".txt", ".tmpl")
    + (".tpl", ".jnj")
)
# Folders never worth looking into for a lost template.
_SKIP_DIRS = frozenset(
    ("__pycache__", "node_modules", "site-packages", "venv", "env", "build", "dist")
)
# Bounds on the file system work done to explain a missing template.
_WALK_LIMIT = 2000
_LIST_LIMIT = 500
_NEARBY_LIMIT = 100


class _Owner(t.NamedTuple):
    """The app or a blueprint, as far as finding templates goes."""

    label: str
    root: str
    folder: str | None
    static: str | None


def _owners(app: Erlen) -> list[_Owner]:
    """The app, then its blueprints in registration order."""
    owners = [_owner(app, "the app")]
    for blueprint in app.iter_blueprints():
        owners.append(_owner(blueprint, f"blueprint {blueprint.name!r}"))
    return owners


def _owner(scaffold: t.Any, label: str) -> _Owner:
    root = os.path.abspath(scaffold.root_path)
    folder = scaffold.template_folder
    static = getattr(scaffold, "static_folder", None)
    return _Owner(
        label,
        root,
        os.path.join(root, folder) if folder is not None else None,
        os.path.abspath(static) if static is not None else None,
    )


def search_path(app: Erlen) -> list[tuple[str, str]]:
    """``(folder, owner label)`` for each template folder, in search order."""
    folders: list[tuple[str, str]] = []
    seen: set[str] = set()
    for owner in _owners(app):
        if owner.folder is not None and owner.folder not in seen:
            seen.add(owner.folder)
            folders.append((owner.folder, owner.label))
    return folders


def walk(folder: str, limit: int | None) -> list[str]:
    """Relative ``/``-separated names of the files under ``folder``."""
    names: list[str] = []
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(
            name for name in subdirectories if not name.startswith(".") and name not in _SKIP_DIRS
        )
        relative = os.path.relpath(directory, folder).replace(os.sep, "/")
        for name in sorted(files):
            names.append(name if relative == "." else f"{relative}/{name}")
            if limit is not None and len(names) >= limit:
                return names
    return names


# -- the missing-template message -------------------------------------------


def explain_missing(app: Erlen, names: list[str]) -> str:
    """Say what was searched, what nearly matched, and how to fix it."""
    owners = _owners(app)
    folders = search_path(app)
    if len(names) == 1:
        lines = [f"Template {names[0]!r} not found."]
    else:
        listed = ", ".join(repr(name) for name in names)
        lines = [f"None of the templates {listed} was found."]
    lines.append("")
    if folders:
        lines.append("erlen looked in these folders, in this order:")
        for folder, label in folders:
            missing = "" if os.path.isdir(folder) else " (missing)"
            lines.append(f"  {folder}  (template folder of {label}){missing}")
    else:
        lines.append(
            "There is no template folder to look in: the app was made with "
            "template_folder=None and no blueprint has one."
        )
    misses: list[str] = []
    for name in names:
        misses.extend(_near_misses(name, owners, folders))
    if misses:
        lines.append("")
        lines.append("Near misses:")
        lines.extend(f"  - {miss}" for miss in dict.fromkeys(misses))
    lines.append("")
    lines.append(_advice(app, names, folders))
    return "\n".join(lines)


def _advice(app: Erlen, names: list[str], folders: list[tuple[str, str]]) -> str:
    shown = names[0] if len(names) == 1 else "one of them"
    if not folders:
        return (
            f"To fix: pass template_folder='templates' to Erlen(...) and put {shown} in "
            f"{os.path.join(os.path.abspath(app.root_path), 'templates')}{os.sep}."
        )
    folder = folders[0][0]
    create = "" if os.path.isdir(folder) else " (create that folder first: it does not exist)"
    return (
        f"To fix: put {shown} in {folder}{os.sep}{create}, or ask for the name of a "
        "file that is there. A template name is a path relative to a template folder, "
        "with '/' between folders (such as 'admin/index.html')."
    )


def _bare(name: str) -> str:
    """``name`` in lower case without its template extensions."""
    bare = name.lower()
    while True:
        root, extension = posixpath.splitext(bare)
        if not extension or extension not in _TEMPLATE_SUFFIXES:
            return bare
        bare = root


def _likeness(candidate: str, wanted: str) -> str | None:
    """How ``candidate`` resembles ``wanted``: "same", "case", "extension" or None."""
    if candidate == wanted:
        return "same"
    if candidate.lower() == wanted.lower():
        return "case"
    if _bare(candidate) == _bare(wanted):
        return "extension"
    return None


def _near_misses(name: str, owners: list[_Owner], folders: list[tuple[str, str]]) -> list[str]:
    wanted = "/".join(
        piece for piece in name.replace("\\", "/").split("/") if piece not in ("", ".")
    )
    if not wanted:
        return []
    misses: list[str] = []
    if "\\" in name:
        misses.append(
            f"The name {name!r} uses '\\': template names use '/' between folders, "
            f"even on Windows: {wanted!r}."
        )
    searched = {folder for folder, _ in folders}
    first_piece = wanted.split("/", 1)[0]
    if "/" in wanted and first_piece in {"templates", "template"} | {
        os.path.basename(folder) for folder in searched
    }:
        rest = wanted.split("/", 1)[1]
        misses.append(
            f"The name starts with {first_piece + '/'!r}, but names are relative to the "
            f"template folder: ask for {rest!r}."
        )
    basename = posixpath.basename(wanted)
    for folder, _ in folders:
        if not os.path.isdir(folder):
            continue
        files = walk(folder, _WALK_LIMIT)
        close: list[str] = []
        for candidate in files:
            path = os.path.join(folder, *candidate.split("/"))
            likeness = _likeness(candidate, wanted)
            if likeness == "case":
                misses.append(
                    f"{path}: the name differs only in case, and names are case-sensitive. "
                    f"Ask for {candidate!r}, or rename the file to match {wanted!r}."
                )
            elif likeness == "extension":
                misses.append(
                    f"{path}: a different extension. Ask for {candidate!r}, or rename "
                    f"the file to {posixpath.basename(wanted)}."
                )
            elif likeness is None and posixpath.basename(candidate) == basename:
                misses.append(
                    f"{path}: the same file name in another folder; ask for {candidate!r}."
                )
            else:
                close.append(candidate)
        for candidate in difflib.get_close_matches(wanted, close, n=3, cutoff=0.75):
            path = os.path.join(folder, *candidate.split("/"))
            misses.append(f"{path}: a similar name; did you mean {candidate!r}?")
    misses.extend(_misplaced(wanted, owners, searched))
    return misses


def _misplaced(wanted: str, owners: list[_Owner], searched: set[str]) -> list[str]:
    """The template sitting in a folder erlen does not search."""
    places: list[tuple[str, str, str]] = []  # (folder, where, target folder)
    app_target = next((owner.folder for owner in owners if owner.folder), owners[0].root)
    for owner in owners:
        target = owner.folder or app_target
        places.append(
            (owner.root, f"in the root folder of {owner.label}, not in a template folder", target)
        )
        for singular in ("template", "Template", "Templates"):
            places.append(
                (
                    os.path.join(owner.root, singular),
                    f"in a {singular + '/'!r} folder; erlen looks in 'templates/' (plural "
                    "and lower case): rename the folder, or pass "
                    f"template_folder={singular!r}",
                    "",
                )
            )
        if owner.static is not None:
            places.append(
                (
                    owner.static,
                    "in the static folder, whose files are sent as they are, never rendered",
                    target,
                )
            )
    app_root = owners[0].root
    parent = os.path.dirname(app_root)
    places.append((os.path.join(parent, "templates"), "in a templates folder one level up", ""))
    places.append((parent, "in the folder above the app's root folder", ""))
    try:
        nearby = sorted(entry.name for entry in os.scandir(app_root) if entry.is_dir())
    except OSError:
        nearby = []
    for entry in nearby[:_NEARBY_LIMIT]:
        if entry.startswith(".") or entry in _SKIP_DIRS:
            continue
        folder = os.path.join(app_root, entry)
        places.append((folder, "in a folder erlen does not search for templates", app_target))
        places.append(
            (
                os.path.join(folder, "templates"),
                "in a folder erlen does not search for templates",
                app_target,
            )
        )
    misses: list[str] = []
    seen: set[str] = set()
    directory, _, basename = wanted.rpartition("/")
    for folder, where, target in places:
        folder = os.path.abspath(folder)
        if folder in seen or _is_searched(folder, searched):
            continue
        seen.add(folder)
        here = os.path.join(folder, *directory.split("/")) if directory else folder
        try:
            entries = sorted(os.listdir(here))[:_LIST_LIMIT]
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(here, entry)
            likeness = _likeness(entry, basename)
            if likeness is None or not os.path.isfile(path):
                continue
            note = {
                "same": "",
                "case": " (its name also differs in case)",
                "extension": " (with a different extension)",
            }[likeness]
            move = f" Move it to {os.path.join(target, *wanted.split('/'))}." if target else ""
            misses.append(f"{path}: {where}{note}.{move}")
    return misses


def _is_searched(folder: str, searched: set[str]) -> bool:
    # samefile too: on a case-insensitive file system Templates/ is templates/.
    if folder in searched:
        return True
    for other in searched:
        try:
            if os.path.samefile(folder, other):
                return True
        except OSError:
            continue
    return False
