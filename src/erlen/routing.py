"""URL rules, matching and building.

:class:`Router` keeps static rules in a dict (one lookup), and dynamic rules
in buckets keyed by their first path segment, each tried in specificity
order with one compiled regex. :meth:`Router.match` returns the rule and its
converted arguments or raises 404, 405 (with the allowed methods) or a 308
to the canonical URL with a trailing slash. :meth:`Router.build` is the
engine behind ``url_for``.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, urlencode

from .http.converters import (
    DEFAULT_CONVERTERS,
    BaseConverter,
    ValidationError,
    parse_converter_args,
)
from .http.exceptions import HTTPException, MethodNotAllowed, NotFound, UpgradeRequired

__all__ = ["Rule", "Router", "BuildError", "RequestRedirect"]

# <converter(arguments):name>, with converter and arguments optional.
_VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<args>[^)]*)\))?:)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)>"
)


class RequestRedirect(HTTPException):
    """308 to the canonical URL of a rule (the one with a trailing slash)."""

    code = 308
    description = "The resource lives at a canonical URL; follow the Location header."

    def __init__(self, new_path: str) -> None:
        super().__init__()
        self.new_path = new_path
        self.new_url = new_path

    def get_headers(self) -> list[tuple[str, str]]:
        return [("Location", self.new_url)]


class BuildError(LookupError):
    """``url_for`` could not build a URL; the message says why and what to try."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class Rule:
    """One URL pattern for one endpoint, such as ``/user/<int:uid>``."""

    __slots__ = (
        "rule",
        "endpoint",
        "methods",
        "defaults",
        "strict_slashes",
        "provide_automatic_options",
        "websocket",
        "stream_body",
        "arguments",
        "_segments",
        "_regex",
        "_converters",
        "_to_python",
        "_weights",
        "_first_segment",
    )

    def __init__(
        self,
        rule: str,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, t.Any] | None = None,
        strict_slashes: bool = True,
        provide_automatic_options: bool = True,
        websocket: bool = False,
        stream_body: bool = False,
    ) -> None:
        if not isinstance(rule, str) or not rule.startswith("/"):
            raise ValueError(f"URL rule {rule!r} must start with a slash, as in '/{rule}'.")
        self.rule = rule
        self.endpoint = endpoint
        names = {m.upper() for m in (methods or ("GET",))}
        if isinstance(methods, str):
            raise TypeError(
                f"methods must be a list of method names, such as ['GET', 'POST'], "
                f"not the string {methods!r}."
            )
        if "GET" in names:
            names.add("HEAD")
        self.provide_automatic_options = provide_automatic_options and "OPTIONS" not in names
        if self.provide_automatic_options:
            names.add("OPTIONS")
        self.methods = frozenset(names)
        self.defaults = dict(defaults) if defaults else {}
        self.strict_slashes = strict_slashes
        self.websocket = websocket
        #: Under ASGI, leave the body unread for the view to stream.
        self.stream_body = stream_body
        self.arguments: set[str] = set()
        self._segments: list[str | tuple[str, BaseConverter]] = []
        self._regex: re.Pattern[str] | None = None
        self._converters: dict[str, BaseConverter] = {}
        self._to_python: tuple[tuple[str, BaseConverter], ...] = ()
        self._weights: tuple[int, ...] = ()
        self._first_segment: str | None = None

    @property
    def is_static(self) -> bool:
        return not self.arguments

    def bind(self, converters: Mapping[str, type[BaseConverter]]) -> None:
        """Compile the rule with the router's converters."""
        pattern: list[str] = []
        pos = 0
        for match in _VARIABLE_RE.finditer(self.rule):
            static = self.rule[pos : match.start()]
            self._check_static(static)
            self._add_static(static, pattern)
            name = match.group("name")
            if name in self.arguments:
                raise ValueError(f"URL rule {self.rule!r} uses the variable {name!r} twice.")
            kind = match.group("converter") or "default"
            if kind not in converters:
                known = ", ".join(sorted(k for k in converters if k != "default"))
                raise LookupError(
                    f"URL rule {self.rule!r} uses the unknown converter {kind!r}. "
                    f"Known converters: {known}. Register your own in app.url_map.converters."
                )
            args, kwargs = parse_converter_args(match.group("args") or "")
            converter = converters[kind](*args, **kwargs)
            self.arguments.add(name)
            self._converters[name] = converter
            self._segments.append((name, converter))
            pattern.append(f"(?P<{name}>{converter.regex})")
            pos = match.end()
        rest = self.rule[pos:]
        self._check_static(rest)
        self._add_static(rest, pattern)
        if self.arguments:
            self._regex = re.compile("".join(pattern), re.DOTALL)
            self._to_python = tuple(
                (name, conv) for name, conv in self._converters.items() if conv.converts
            )
            self._weights = self._compute_weights()
            first = self.rule[1:].split("/", 1)
            if len(first) == 2 and "<" not in first[0]:
                self._first_segment = first[0]

    def _check_static(self, text: str) -> None:
        if "<" in text or ">" in text:
            raise ValueError(
                f"URL rule {self.rule!r} has a malformed variable near {text!r}. "
                "Variables look like <name> or <int:name>, with a name made of "
                "letters, digits and underscores."
            )

    def _add_static(self, text: str, pattern: list[str]) -> None:
        if text:
            self._segments.append(text)
            pattern.append(re.escape(text))

    def _compute_weights(self) -> tuple[int, ...]:
        # One weight per path segment: static 0, else the converter's weight.
        weights = []
        for segment in self.rule.strip("/").split("/"):
            match = _VARIABLE_RE.search(segment)
            if match is None:
                weights.append(0)
            else:
                weights.append(self._converters[match.group("name")].weight)
        return tuple(weights)

    def match(self, path: str) -> dict[str, t.Any] | None:
        """Return the converted arguments if ``path`` matches, else ``None``."""
        found = self._regex.fullmatch(path)  # type: ignore[union-attr]  # perf: no cast() call
        if found is None:
            return None
        values: dict[str, t.Any] = found.groupdict()
        try:
            for name, converter in self._to_python:
                values[name] = converter.to_python(values[name])
        except (ValidationError, ValueError):
            return None
        if self.defaults:
            return {**self.defaults, **values}
        return values

    def build(self, values: Mapping[str, t.Any]) -> str:
        """Return the path for ``values`` (which hold every argument)."""
        parts = []
        for segment in self._segments:
            if isinstance(segment, str):
                parts.append(quote(segment, safe="/!$&'()*+,;=:@-._~%"))
            else:
                name, converter = segment
                parts.append(converter.to_url(values[name]))
        return "".join(parts)

    def __repr__(self) -> str:
        methods = ", ".join(sorted(self.methods - {"HEAD", "OPTIONS"}))
        return f"<Rule {self.rule!r} ({methods}) -> {self.endpoint}>"


class Router:
    """The URL map: ``app.url_map``. Add rules, match requests, build URLs."""

    def __init__(self) -> None:
        self.converters: dict[str, type[BaseConverter]] = dict(DEFAULT_CONVERTERS)
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        # perf: path -> {method -> rule}; most requests end at this dict.
        self._static: dict[str, dict[str, Rule]] = {}
        self._buckets: dict[str, list[Rule]] = {}
        self._wild: list[Rule] = []

    def add(self, rule: Rule) -> None:
        """Compile ``rule`` and add it to the map."""
        rule.bind(self.converters)
        self._rules.append(rule)
        rules = self._by_endpoint.setdefault(t.cast(str, rule.endpoint), [])
        rules.append(rule)
        # url_for tries the rules that use the most values first; among
        # those, rules with defaults (which fit only those exact values).
        rules.sort(key=lambda r: (-len(r.arguments | r.defaults.keys()), -len(r.defaults)))
        if rule.is_static:
            by_method = self._static.setdefault(rule.rule, {})
            for method in rule.methods:
                by_method.setdefault(method, rule)
        else:
            if rule._first_segment is not None:
                bucket = self._buckets.setdefault(rule._first_segment, [])
            else:
                bucket = self._wild
            bucket.append(rule)
            bucket.sort(key=lambda r: r._weights)  # stable: ties keep their order

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        if endpoint is not None:
            return iter(self._by_endpoint.get(endpoint, ()))
        return iter(self._rules)

    def _candidates(self, path: str) -> Iterator[tuple[Rule, dict[str, t.Any]]]:
        static = self._static.get(path)
        if static is not None:
            seen = set()
            for rule in static.values():
                if id(rule) not in seen:
                    seen.add(id(rule))
                    yield rule, dict(rule.defaults)
        end = path.find("/", 1)
        if end > 0:
            bucket = self._buckets.get(path[1:end])
            if bucket:
                for rule in bucket:
                    values = rule.match(path)
                    if values is not None:
                        yield rule, values
        for rule in self._wild:
            values = rule.match(path)
            if values is not None:
                yield rule, values

    def match(
        self, method: str, path: str, websocket: bool = False
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Return ``(rule, arguments)`` for a request.

        Raises :class:`NotFound`, :class:`MethodNotAllowed` (with the allowed
        methods) or :class:`RequestRedirect` (308, for a missing trailing slash).
        """
        static = self._static.get(path)
        if static is not None:
            rule = static.get(method)
            if rule is not None and rule.websocket is websocket:
                return rule, {**rule.defaults} if rule.defaults else {}
        # perf: the dynamic rules are tried in plain loops first; the slower
        # walk below only runs to explain a miss (405, 308 or 404).
        end = path.find("/", 1)
        bucket = self._buckets.get(path[1:end]) if end > 0 else None
        if bucket:
            for rule in bucket:
                if method in rule.methods and rule.websocket is websocket:
                    values = rule.match(path)
                    if values is not None:
                        return rule, values
        for rule in self._wild:
            if method in rule.methods and rule.websocket is websocket:
                values = rule.match(path)
                if values is not None:
                    return rule, values
        allowed: set[str] = set()
        other_kind = False
        for rule, values in self._candidates(path):
            if rule.websocket is not websocket:
                other_kind = True
                continue
            if method in rule.methods:
                return rule, values
            allowed |= rule.methods
        if allowed:
            raise MethodNotAllowed(allowed)
        if other_kind and not websocket:
            raise UpgradeRequired()  # this exact path is a WebSocket route
        if not path.endswith("/"):
            for rule, values in self._candidates(path + "/"):
                if rule.websocket is websocket and rule.rule.endswith("/"):
                    if rule.strict_slashes and not websocket:
                        raise RequestRedirect(path + "/")
                    if method in rule.methods:
                        # Clients do not follow redirects on a WebSocket
                        # handshake, so "/room" simply reaches "/room/".
                        return rule, values
        elif len(path) > 1:
            # strict_slashes=False: "/docs/" also reaches the rule "/docs".
            for rule, values in self._candidates(path[:-1]):
                if not rule.strict_slashes and rule.websocket is websocket:
                    if method in rule.methods:
                        return rule, values
        raise NotFound()

    def allowed_methods(self, path: str) -> set[str]:
        """Return every method some rule accepts at ``path``."""
        allowed: set[str] = set()
        for rule, _ in self._candidates(path):
            allowed |= rule.methods
        return allowed

    def build(
        self,
        endpoint: str,
        values: Mapping[str, t.Any] | None = None,
        method: str | None = None,
    ) -> str:
        """Return the URL path (and query string) of ``endpoint``.

        Values that are not arguments of the rule go to the query string;
        ``None`` values are dropped.
        """
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, self._unknown_endpoint_message(endpoint))
        given = {k: v for k, v in values.items() if v is not None} if values else {}
        missing: set[str] = set()
        for rule in rules:
            if method is not None and method not in rule.methods:
                continue
            if any(k in given and given[k] != v for k, v in rule.defaults.items()):
                continue  # a rule with defaults serves only those values
            needed = rule.arguments - given.keys() - rule.defaults.keys()
            if needed:
                missing = needed if not missing else min(missing, needed, key=len)
                continue
            merged = {**rule.defaults, **given}
            try:
                path = rule.build(merged)
            except (ValueError, TypeError) as error:
                raise BuildError(
                    endpoint,
                    f"Could not build a URL for endpoint {endpoint!r}: a value does not "
                    f"fit the rule {rule.rule!r}: {error}",
                ) from error
            extra = {
                k: v for k, v in given.items() if k not in rule.arguments and k not in rule.defaults
            }
            if extra:
                path += "?" + urlencode(_query_items(extra))
            return path
        if missing:
            names = ", ".join(sorted(missing))
            raise BuildError(
                endpoint,
                f"Could not build a URL for endpoint {endpoint!r}: missing value(s) for "
                f"{names}. Pass them to url_for, as in url_for({endpoint!r}, "
                + ", ".join(f"{n}=..." for n in sorted(missing))
                + ").",
            )
        raise BuildError(
            endpoint,
            f"Could not build a URL for endpoint {endpoint!r} with method {method!r}: "
            f"its rules accept {', '.join(sorted(set().union(*(r.methods for r in rules))))}.",
        )

    def _unknown_endpoint_message(self, endpoint: str) -> str:
        message = f"Could not build a URL for endpoint {endpoint!r}: no view has that endpoint."
        import difflib

        close = difflib.get_close_matches(endpoint, list(self._by_endpoint), n=3, cutoff=0.5)
        if close:
            message += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
        elif self._by_endpoint:
            message += " Known endpoints: " + ", ".join(sorted(self._by_endpoint)) + "."
        message += " An endpoint is the view function's name unless you set endpoint=."
        return message


def _query_items(values: Mapping[str, t.Any]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            items.extend((key, str(v)) for v in value if v is not None)
        else:
            items.append((key, str(value)))
    return items
