"""``app.config``: a dict of settings with loaders."""

from __future__ import annotations

import typing as t
from datetime import timedelta

from .request import DEFAULT_LIMITS

__all__ = ["Config", "DEFAULT_CONFIG"]

DEFAULT_CONFIG: dict[str, t.Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "SECRET_KEY": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "PREFERRED_URL_SCHEME": "http",
    **DEFAULT_LIMITS,
}


class Config(dict[str, t.Any]):
    """Settings, by upper-case name. Starts from :data:`DEFAULT_CONFIG`."""

    def __init__(self, root_path: str = ".", defaults: t.Mapping[str, t.Any] | None = None) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the upper-case keys of a mapping and of keywords."""
        items = dict(mapping or {}, **kwargs)
        for key, value in items.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the upper-case attributes of an object (or an import path to one)."""
        if isinstance(obj, str):
            from importlib import import_module

            module, _, attr = obj.partition(":") if ":" in obj else obj.rpartition(".")
            if ":" in obj:
                obj = getattr(import_module(module), attr)
            elif module:
                obj = getattr(import_module(module), attr)
            else:
                obj = import_module(attr)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the settings that start with ``namespace`` (``"MAIL_"``)."""
        result = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            result[name.lower() if lowercase else name] = value
        return result

    def __repr__(self) -> str:
        return f"<Config {dict.__repr__(self)}>"
