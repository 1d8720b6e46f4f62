"""Where an application's code lives: its root path and its instance folder.

The root path is the folder of the app's module (or package), where
``templates/`` and ``static/`` are found. The instance folder holds what
belongs to one deployment and not to the code: a local config file, a
SQLite database. It is found by Flask's rules, so a ported app finds the
same folder:

- code run from a source checkout: ``instance/`` beside the module, or
  beside the package folder;
- a package installed into an environment: ``<prefix>/var/<app name>-instance``,
  where ``<prefix>`` is that environment's root.
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec

__all__ = ["root_path_of", "package_path_of", "find_instance_path"]


def root_path_of(import_name: str) -> str:
    """Return the folder of the module ``import_name``, or the working folder."""
    module = sys.modules.get(import_name)
    path = getattr(module, "__file__", None)
    if module is None and import_name != "__main__":
        # Not imported yet (an app made for a module name): ask the import system.
        try:
            spec = find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        path = spec.origin if spec is not None else None
    if isinstance(path, str) and os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path))
    return os.getcwd()


def package_path_of(import_name: str) -> str:
    """Return the folder that holds the top-level package (or module) of ``import_name``.

    For ``shop.views`` in ``/src/shop/views.py`` that is ``/src``; for a
    single module ``app`` in ``/src/app.py`` it is ``/src`` too. A namespace
    package (a folder without ``__init__.py``) counts from the folder of the
    part that holds ``import_name``.
    """
    top = import_name.partition(".")[0]
    if top == "__main__":
        return os.getcwd()
    try:
        spec = find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return os.getcwd()  # an app made for a name that cannot be imported
    locations = spec.submodule_search_locations
    if locations is None:  # a plain module
        return os.path.dirname(os.path.abspath(spec.origin or ""))
    if spec.origin not in (None, "namespace"):  # a regular package
        return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    # A namespace package spans several folders: take the one holding this code.
    folders = list(locations)
    chosen = folders[0]
    try:
        inner = find_spec(import_name)
    except (ImportError, ValueError):
        inner = None
    if inner is not None:
        if inner.submodule_search_locations:
            inside = os.path.commonpath(list(inner.submodule_search_locations))
        else:
            inside = os.path.dirname(os.path.abspath(inner.origin or ""))
        for folder in folders:
            if os.path.commonpath([os.path.abspath(folder), inside]) == os.path.abspath(folder):
                chosen = folder
                break
    return os.path.dirname(os.path.abspath(chosen))


def find_instance_path(import_name: str, app_name: str) -> str:
    """Return the default instance folder of the app ``import_name`` (it need not exist).

    ``app_name`` names the folder of an installed package (``app.name``, as
    in Flask: the whole import name, such as ``shop.views-instance``).
    """
    package_path = package_path_of(import_name)
    prefix = _install_prefix(package_path)
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", f"{app_name}-instance")


def _install_prefix(package_path: str) -> str | None:
    """The environment a package was installed into, or ``None`` for a source checkout."""
    system = os.path.abspath(sys.prefix)
    if os.path.commonpath([system, package_path]) == system:
        return system
    parent, folder = os.path.split(package_path)
    if folder.lower() != "site-packages":
        return None
    grandparent, lib = os.path.split(parent)
    if lib.lower() == "lib":  # <prefix>/Lib/site-packages (Windows)
        return grandparent
    if os.path.basename(grandparent).lower() == "lib":  # <prefix>/lib/pythonX.Y/site-packages
        return os.path.dirname(grandparent)
    return parent  # <prefix>/site-packages
