"""HTTP authentication headers (RFC 9110 §11): ``Authorization`` and ``WWW-Authenticate``.

The ``Basic`` scheme (RFC 7617) carries ``user:password`` in base64; other
schemes carry a token (``Bearer``, RFC 6750) or ``name=value`` parameters
(``Digest``, RFC 7616). Parsing never raises: a header that cannot be read
gives ``None``, which a view treats as "not authenticated".
"""

from __future__ import annotations

import re
import typing as t
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable, Mapping

from .datastructures import CallbackDict
from .lists import parse_dict_header, quote_header_value

__all__ = ["Authorization", "WWWAuthenticate", "dump_challenges"]

# RFC 9110 §11.1: auth-scheme = token
_SCHEME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 7616 §3.3 gives these Digest parameters as tokens, never quoted.
_DIGEST_TOKENS = frozenset(("algorithm", "stale", "userhash"))


def _split_credentials(value: str | None) -> tuple[str, str] | None:
    """Return ``(scheme, rest)`` of ``scheme [ 1*SP rest ]``, the scheme lower-cased."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if not _SCHEME_RE.fullmatch(scheme):
        return None
    return scheme.lower(), rest.strip(" \t")


def _is_parameters(rest: str) -> bool:
    # A token68 ends in "=" padding only; an "=" before that means parameters.
    return "=" in rest.rstrip("=")


class Authorization:
    """The credentials of an ``Authorization`` header.

    ``type`` is the scheme, lower-cased (``"basic"``, ``"bearer"``,
    ``"digest"``). For Basic, ``username`` and ``password`` hold the decoded
    credentials; for token schemes such as Bearer, ``token`` holds the
    token; for parameter schemes such as Digest, ``parameters`` holds them
    (and ``auth.username``, ``auth["nonce"]``, ``auth.get("realm")`` read
    them)::

        @app.get("/admin")
        def admin():
            auth = request.authorization
            if auth is None or auth.type != "basic" or not check(auth.username, auth.password):
                abort(401, www_authenticate='Basic realm="site"')
            return f"Hello, {auth.username}"
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self,
        auth_type: str,
        data: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse an ``Authorization`` header; ``None`` if absent or unreadable.

        Basic credentials must be valid base64 of UTF-8 text (RFC 7617
        §2.1); anything else (bad base64, another encoding) gives ``None``.
        """
        split = _split_credentials(value)
        if split is None:
            return None
        scheme, rest = split
        if scheme == "basic":
            try:
                decoded = b64decode(rest, validate=True).decode("utf-8")
            except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if _is_parameters(rest):
            return cls(scheme, parse_dict_header(rest))
        return cls(scheme, None, rest)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_") or name in Authorization.__slots__:
            raise AttributeError(name)  # not set yet (copy, pickle): no recursion
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.parameters.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def to_header(self) -> str:
        """Return the header value these credentials are sent as."""
        if self.type == "basic":
            pair = (
                f"{self.parameters.get('username') or ''}:{self.parameters.get('password') or ''}"
            )
            return "Basic " + b64encode(pair.encode("utf-8")).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {_dump_parameters(self.type, self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        if self.type == "basic":  # never show a password
            return f"<Authorization basic username={self.parameters.get('username')!r}>"
        return f"<Authorization {self.type}>"


def _dump_parameters(scheme: str, parameters: Mapping[str, str | None]) -> str:
    parts = []
    for key, value in parameters.items():
        if value is None:
            parts.append(key)
        elif scheme == "digest" and key in _DIGEST_TOKENS:
            parts.append(f"{key}={quote_header_value(value)}")
        else:
            # Quoted-string is valid for any auth-param, and the only form RFC
            # 9110 §11.5 allows for realm.
            parts.append(f"{key}={quote_header_value(value, allow_token=False)}")
    return ", ".join(parts)


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge: a scheme and its parameters or token.

    On a response, changing one rewrites the header::

        response.www_authenticate = WWWAuthenticate("basic", {"realm": "site"})
        response.www_authenticate.realm = "admin"   # WWW-Authenticate: Basic realm="admin"

    Parameters are read and set as ``challenge["realm"]``,
    ``challenge.realm`` or ``challenge.get("realm")``; setting one to
    ``None`` removes it.
    """

    _own = frozenset(("_type", "_parameters", "_token", "_on_update"))

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
        on_update: Callable[[WWWAuthenticate], None] | None = None,
    ) -> None:
        self._type = auth_type.lower()
        self._parameters: CallbackDict[str, str | None] = CallbackDict(
            values, lambda _: self._changed()
        )
        self._token = token
        self._on_update = on_update

    @classmethod
    def from_header(
        cls, value: str | None, on_update: Callable[[WWWAuthenticate], None] | None = None
    ) -> WWWAuthenticate | None:
        """Parse one challenge; ``None`` if absent or unreadable."""
        split = _split_credentials(value)
        if split is None:
            return None
        scheme, rest = split
        if not rest:
            return cls(scheme, on_update=on_update)
        if _is_parameters(rest):
            return cls(scheme, parse_dict_header(rest), on_update=on_update)
        return cls(scheme, None, rest, on_update)

    def _changed(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lower-cased: ``"basic"``, ``"bearer"``, ``"digest"``."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value.lower()
        self._changed()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The challenge's parameters (``realm``, ``error``, ``nonce`` ...)."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        self._parameters = CallbackDict(value, lambda _: self._changed())
        self._changed()

    @property
    def token(self) -> str | None:
        """The challenge's token68, for schemes that send one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._changed()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            if key in self._parameters:
                del self._parameters[key]
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._parameters:
            del self._parameters[key]

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name in WWWAuthenticate._own or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, dict(self.parameters)) == (
            other.type,
            other.token,
            dict(other.parameters),
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def to_header(self) -> str:
        """Return the header value: ``Basic realm="site"``."""
        scheme = self._type.title()
        if self._token is not None:
            return f"{scheme} {self._token}"
        if not self._parameters:
            return scheme
        return f"{scheme} {_dump_parameters(self._type, self._parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<WWWAuthenticate {self.to_header()!r}>"


def dump_challenges(value: WWWAuthenticate | str | Iterable[WWWAuthenticate | str]) -> list[str]:
    """Return the ``WWW-Authenticate`` header values for one challenge or several.

    Several are a list or a tuple; anything else is one challenge, written
    as ``str()`` gives it (so Werkzeug's ``WWWAuthenticate`` works too).
    """
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]
