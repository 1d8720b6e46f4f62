"""The session cookie's JSON: plain JSON plus a few tagged Python types.

:class:`TaggedJSONSerializer` is what :class:`erlen.sessions.SecureCookieSessionInterface`
turns a session into before signing it; ``erlen.sessions`` re-exports it.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from datetime import date, datetime


def _decoders() -> dict[str, Callable[[t.Any], t.Any]]:
    import base64
    from uuid import UUID

    from markupsafe import Markup

    return {
        "~t": tuple,
        "~b": lambda value: base64.b64decode(value, validate=True),
        "~d": datetime.fromisoformat,
        "~D": date.fromisoformat,
        "~u": UUID,
        "~m": Markup,
        "~~": lambda value: dict([value]),
    }


class TaggedJSONSerializer:
    """JSON that keeps the Python types sessions commonly hold.

    Plain JSON values pass through. ``tuple``, ``bytes``, ``datetime``,
    ``date``, :class:`uuid.UUID` and markup (anything with ``__html__``,
    loaded back as :class:`markupsafe.Markup`) become a one-key object
    naming the type: ``{"~t": [1, 2]}``, ``{"~b": "aGk="}``. A dict of one
    key that starts with ``~`` is itself wrapped (``{"~~": [key, value]}``)
    so it cannot pass for a tag. Dict keys must be strings; other types
    raise :exc:`TypeError` rather than change on the way back.
    """

    _decoders: dict[str, Callable[[t.Any], t.Any]] | None = None

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` as plain JSON data, with tags for other types."""
        cls = value.__class__
        # perf: the common cases are checked by exact class first.
        if cls is str or cls is int or cls is bool or cls is float or value is None:
            return value
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, item),) = value.items()
                if isinstance(key, str) and key[:1] == "~":
                    return {"~~": [key, self.tag(item)]}
            tagged = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(
                        f"The session can only store dicts with str keys, not "
                        f"{type(key).__name__} key {key!r}: JSON would turn it into a "
                        "string. Convert the keys to str first."
                    )
                tagged[key] = self.tag(item)
            return tagged
        if isinstance(value, list):
            return [self.tag(item) for item in value]
        if isinstance(value, tuple):
            return {"~t": [self.tag(item) for item in value]}
        if isinstance(value, bytes):
            import base64

            return {"~b": base64.b64encode(value).decode("ascii")}
        if hasattr(value, "__html__"):
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
        raise TypeError(
            f"The session cannot store a {cls.__module__}.{cls.__qualname__} "
            f"({value!r}). It keeps JSON data (str, int, float, bool, None, list, "
            "dict) and tuple, bytes, datetime, date, UUID and Markup; convert the "
            "value to one of those (for example a dict of its fields) first."
        )

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Turn one decoded JSON object back into what :meth:`tag` was given."""
        if len(value) == 1:
            ((key, item),) = value.items()
            if key[:1] == "~":
                decoders = TaggedJSONSerializer._decoders
                if decoders is None:
                    decoders = TaggedJSONSerializer._decoders = _decoders()
                decoder = decoders.get(key)
                if decoder is None:
                    raise ValueError(f"Unknown session tag {key!r}.")
                return decoder(item)
        return value

    def dumps(self, value: t.Any) -> str:
        """Return ``value`` as a compact JSON string."""
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

    def loads(self, data: str | bytes) -> t.Any:
        """Return the value a :meth:`dumps` string holds."""
        import json

        return json.loads(data, object_hook=self.untag)


#: The serializer the cookie session uses.
session_json_serializer = TaggedJSONSerializer()
