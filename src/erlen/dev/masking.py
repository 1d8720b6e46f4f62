"""Hiding secrets on the debug page: masked names, scrubbed values, safe reprs.

A value is hidden in two ways. Under a name that looks secret (password,
token, cookie, ...: :func:`_looks_secret`) it shows as ``***``. And the
values of the clearly secret names (the app's secret config, credentials
in the request, the app's own secret locals) are found first
(:func:`_find_secrets`) and then scrubbed from every text the page shows,
in their quoted forms too (:class:`_Scrubber`). :class:`_SafeRepr` gives
short reprs that survive a failing ``__repr__``; :func:`_request_sections`
describes the request with its credentials masked.
"""

from __future__ import annotations

import base64
import binascii
import re
import reprlib
import typing as t
from collections.abc import Iterable, Iterator
from types import FrameType
from urllib.parse import quote, quote_plus

from .tracebacks import _frame_locals, _is_library, _safe_str

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request

REPR_LIMIT = 300  # characters of one value

_SECRET_NAME = re.compile(
    r"pass(?:word|wd)|pwd|secret|token|key|authori[sz]|auth(?!or)|cookie|session|credential"
    r"|csrf|signature",
    re.IGNORECASE,
)
# Names whose values are also hidden wherever else they appear (other reprs,
# the source, the URL); narrower, as plain words would be masked page-wide.
_SECRET_VALUE_NAME = re.compile(
    r"secret|pass(?:word|wd)|token|credential|api_?key|private_?key", re.I
)
_MASK = "***"


def _looks_secret(name: object) -> bool:
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


class _Scrubber:
    """Replace every known secret value (and its quoted forms) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants: set[str] = set()
        for secret in secrets:
            variants.update(
                (secret, repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret))
            )
        self.secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text


class _SecretFinder:
    """Gather the values the page must never show."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def add(self, value: object, minimum: int = 4) -> None:
        # Short values are skipped: masking "1" everywhere would ruin the page.
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            if len(value) >= minimum:
                self.found.add(value)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                if isinstance(item, (str, bytes)):
                    self.add(item, minimum)

    def add_named(self, name: object, value: object) -> None:
        if _looks_secret(name):
            self.add(value)

    def add_authorization(self, value: str) -> None:
        self.add(value)
        scheme, _, credentials = value.strip().partition(" ")
        credentials = credentials.strip()
        self.add(credentials)
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                return
            self.add(decoded)
            self.add(decoded.partition(":")[2])

    def add_cookie_header(self, header: str) -> None:
        for name, value in _cookie_pairs(header):
            # Session ids are long; short values (theme=dark) stay readable.
            self.add(value, 4 if _looks_secret(name) else 8)
            self.add(value.strip('"'), 4 if _looks_secret(name) else 8)


def _cookie_pairs(header: str) -> Iterator[tuple[str, str]]:
    for part in header.split(";"):
        name, _, value = part.partition("=")
        if name.strip():
            yield name.strip(), value.strip()


def _find_secrets(
    app: Erlen | None, request: Request | None, frames: Iterable[FrameType]
) -> _Scrubber:
    finder = _SecretFinder()
    if app is not None:
        for name, value in app.config.items():
            # Narrower than _SECRET_NAME: SESSION_COOKIE_NAME = "session" is no secret.
            if _SECRET_VALUE_NAME.search(name):
                finder.add(value)
    if request is not None:
        environ = request.environ
        for key, value in environ.items():
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            if key == "HTTP_COOKIE":
                finder.add_cookie_header(value)
            elif key in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION"):
                finder.add_authorization(value)
            elif key.startswith("HTTP_"):
                finder.add_named(key[5:], value)
        for source in (_args(request), request.__dict__.get("form")):
            for name, value in source.items(multi=True) if source else ():
                finder.add_named(name, value)
    for frame in frames:
        # Only the app's own, clearly secret names: a library's "key" or an
        # app's "cache_key" often holds a plain word that must stay readable.
        if _is_library(frame.f_code.co_filename):
            continue
        for name, value in _frame_locals(frame):
            if _SECRET_VALUE_NAME.search(name):
                finder.add(value)
    return _Scrubber(finder.found)


def _args(request: Request) -> t.Any:
    try:
        return request.args
    except Exception:  # noqa: BLE001 - a bad query string may be the error itself
        return None


class _SafeRepr(reprlib.Repr):
    """``repr`` that is short, survives a failing ``__repr__``, and hides secrets."""

    def __init__(self, scrub: _Scrubber) -> None:
        super().__init__()
        self.scrub = scrub
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 12
        self.maxfrozenset = self.maxdeque = self.maxarray = 12
        self.maxstring = 200
        self.maxlong = 100
        self.maxother = REPR_LIMIT

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(self.scrub(x), level)

    def repr_instance(self, x: object, level: int) -> str:
        try:
            text = repr(x)
        except Exception as error:  # noqa: BLE001 - a broken __repr__ is shown, not raised
            return f"<repr failed: {type(error).__name__}: {_safe_str(error)[:100]}>"
        return _truncate(self.scrub(text))

    def show(self, value: object) -> str:
        try:
            return _truncate(self.repr(value))
        except Exception as error:  # noqa: BLE001
            return f"<repr failed: {type(error).__name__}>"


def _truncate(text: str, limit: int = REPR_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the request, masked ------------------------------------------------------


def _masked_header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered == "cookie":
        return "; ".join(f"{cookie}={_MASK}" for cookie, _ in _cookie_pairs(value))
    if lowered in ("authorization", "proxy-authorization"):
        scheme, space, _ = value.strip().partition(" ")
        return f"{scheme} {_MASK}" if space else _MASK
    return _MASK if _looks_secret(name) else value


def _request_sections(
    request: Request, scrub: _Scrubber, show: _SafeRepr
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return ``(title, [(name, value), ...])`` sections describing ``request``."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []

    def section(title: str, build: t.Callable[[], list[tuple[str, str]]]) -> None:
        try:
            rows = build()
        except Exception as error:  # noqa: BLE001 - show what can be read
            rows = [("(unreadable)", f"{type(error).__name__}: {_safe_str(error)}")]
        sections.append((title, [(scrub(name), scrub(value)) for name, value in rows]))

    def summary() -> list[tuple[str, str]]:
        rows = [("Method", request.method), ("URL", request.url)]
        if request.url_rule is not None:
            rows.append(("Route", f"{request.url_rule.rule}  (endpoint {request.endpoint!r})"))
        if request.view_args:
            shown = {
                name: _MASK if _looks_secret(name) else value
                for name, value in request.view_args.items()
            }
            rows.append(("View arguments", show.show(shown)))
        rows.append(("Client", request.remote_addr or "?"))
        return rows

    def headers() -> list[tuple[str, str]]:
        pairs = []
        for key, value in request.environ.items():
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").title()
            else:
                continue
            pairs.append((name, _truncate(_masked_header(name, value), 1000)))
        return pairs

    def multidict(name: str) -> list[tuple[str, str]]:
        # The form only if the app read it: parsing here could fail or block.
        source = _args(request) if name == "args" else request.__dict__.get("form")
        if source is None:
            return [("(not read)", "the app did not read a form from this request")]
        return [
            (key, _MASK if _looks_secret(key) else show.show(value))
            for key, value in source.items(multi=True)
        ]

    def cookies() -> list[tuple[str, str]]:
        header = request._raw_header("HTTP_COOKIE") or ""
        return [(name, _MASK) for name, _ in _cookie_pairs(header)]

    section("Request", summary)
    section("Headers", headers)
    section("Query arguments", lambda: multidict("args"))
    if request.method not in ("GET", "HEAD") or "form" in request.__dict__:
        section("Form fields", lambda: multidict("form"))
    section("Cookies (values hidden)", cookies)
    return sections
