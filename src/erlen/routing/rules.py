"""Rules: one URL pattern (and host or subdomain) each, compiled to match and build.

:class:`Rule` parses ``/user/<int:uid>`` once, with the URL map's
converters, into a regex to match paths with and segments to build them
from. A rule tied to a subdomain or host compiles that part the same way.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

from ..http.converters import ValidationError, make_converter, parse_converter_args
from ..http.exceptions import HTTPException

if t.TYPE_CHECKING:
    from .map import Router

__all__ = ["Rule", "RequestRedirect", "BuildError"]

_VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<args>[^)]*)\))?:)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)>"
)
_SAFE_PATH = "/!$&'()*+,;=:@-._~%"
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

Segments = list[t.Union[str, tuple[str, t.Any]]]


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


class _RedirectTo(HTTPException):
    """308 to where a rule's ``redirect_to`` points (the URL is used as given)."""

    code = 308
    description = "This URL has moved; follow the Location header."

    def __init__(self, location: str) -> None:
        super().__init__()
        self.new_url = location

    def get_headers(self) -> list[tuple[str, str]]:
        return [("Location", self.new_url)]


class _BuildErrorBase(LookupError):
    """Empty: where :mod:`erlen.flask_compat` puts Werkzeug's ``BuildError``.

    A class's bases can change only for bases of the same layout; this one
    lets the Flask alias make erlen's ``BuildError`` pass ``except`` clauses
    for Werkzeug's. With the alias off it does nothing.
    """


class BuildError(_BuildErrorBase):
    """``url_for`` could not build a URL; the message says why and what to try."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


def _compile_template(
    text: str,
    converters: Mapping[str, type[t.Any]],
    url_map: t.Any,
    rule: str,
    fold_case: bool = False,
) -> tuple[Segments, str, dict[str, t.Any]]:
    """Parse ``/user/<int:id>`` (or a host such as ``<name>.example.org``).

    Return the segments to build from, the regex source to match with,
    and the converter of each variable. ``fold_case`` lowercases the static
    parts (host names are case-insensitive).
    """
    segments: Segments = []
    pattern: list[str] = []
    found: dict[str, t.Any] = {}
    pos = 0

    def add_static(static: str) -> None:
        if "<" in static or ">" in static:
            raise ValueError(
                f"URL rule {rule!r} has a malformed variable near {static!r}. "
                "Variables look like <name> or <int:name>, with a name made of "
                "letters, digits and underscores."
            )
        if static:
            if fold_case:
                static = static.lower()
            segments.append(static)
            pattern.append(re.escape(static))

    for match in _VARIABLE_RE.finditer(text):
        add_static(text[pos : match.start()])
        name = match.group("name")
        if name in found:
            raise ValueError(f"URL rule {rule!r} uses the variable {name!r} twice.")
        kind = match.group("converter") or "default"
        if kind not in converters:
            known = ", ".join(sorted(k for k in converters if k != "default"))
            raise LookupError(
                f"URL rule {rule!r} uses the unknown converter {kind!r}. "
                f"Known converters: {known}. Register your own in app.url_map.converters."
            )
        args, kwargs = parse_converter_args(match.group("args") or "")
        cls = converters[kind]
        if not (isinstance(cls, type) and isinstance(getattr(cls, "regex", None), str)):
            raise TypeError(
                f"URL rule {rule!r} uses the converter {kind!r}, and {cls!r} is not a "
                "converter class: register a subclass of erlen.routing.BaseConverter "
                "(with a regex) in app.url_map.converters."
            )
        converter = make_converter(cls, url_map, args, kwargs)
        found[name] = converter
        segments.append((name, converter))
        pattern.append(f"(?P<{name}>{converter.regex})")
        pos = match.end()
    add_static(text[pos:])
    return segments, "".join(pattern), found


class Rule:
    """One URL pattern for one endpoint, such as ``/user/<int:uid>``.

    The options are Werkzeug's: ``defaults`` (values for variables the URL
    does not have), ``subdomain`` or ``host`` (which requests it serves),
    ``strict_slashes`` and ``merge_slashes`` (``None`` takes the map's),
    ``build_only`` (for ``url_for`` only, never matched), ``redirect_to``
    (a URL such as ``"/new/<id>"``, or a callable ``(adapter, **values)``,
    to answer with a 308 to) and ``alias`` (redirect to the endpoint's
    canonical URL).
    """

    __slots__ = (
        "rule",
        "endpoint",
        "methods",
        "defaults",
        "strict_slashes",
        "merge_slashes",
        "provide_automatic_options",
        "websocket",
        "stream_body",
        "subdomain",
        "host",
        "build_only",
        "redirect_to",
        "alias",
        "map",
        "arguments",
        "_variables",
        "_segments",
        "_path_parts",
        "_regex",
        "_converters",
        "_to_python",
        "_weights",
        "_first_segment",
        "_domain",
        "_domain_segments",
        "_domain_regex",
        "_domain_converters",
        "_canonical",
    )

    def __init__(
        self,
        rule: str,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, t.Any] | None = None,
        strict_slashes: bool | None = None,
        provide_automatic_options: bool = True,
        websocket: bool = False,
        stream_body: bool = False,
        *,
        subdomain: str | None = None,
        host: str | None = None,
        build_only: bool = False,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
        merge_slashes: bool | None = None,
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
        self.merge_slashes = merge_slashes
        self.websocket = websocket
        #: Under ASGI, leave the body unread for the view to stream.
        self.stream_body = stream_body
        for name, value in (("subdomain", subdomain), ("host", host)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name}= takes a string, such as 'api', not {value!r}.")
        self.subdomain = subdomain
        self.host = host
        self.build_only = build_only
        if redirect_to is not None and not (isinstance(redirect_to, str) or callable(redirect_to)):
            raise TypeError(
                f"redirect_to= takes a URL such as '/new/<id>' or a function, not {redirect_to!r}."
            )
        self.redirect_to = redirect_to
        self.alias = alias
        #: The URL map the rule was added to.
        self.map: Router | None = None
        #: Every name the rule fills: the variables of its path and domain,
        #: and the keys of its defaults (as Werkzeug counts them).
        self.arguments: set[str] = set(self.defaults)
        self._variables: set[str] = set()
        self._segments: Segments = []
        self._regex: re.Pattern[str] | None = None
        self._converters: dict[str, t.Any] = {}
        self._to_python: tuple[tuple[str, t.Any], ...] = ()
        self._weights: tuple[int, ...] = ()
        self._first_segment: str | None = None
        self._domain: str | None = None
        self._domain_segments: Segments = []
        self._domain_regex: re.Pattern[str] | None = None
        self._domain_converters: dict[str, t.Any] = {}
        self._canonical: tuple[Rule, ...] = ()

    @property
    def _trace(self) -> list[tuple[bool, str]]:
        """The rule as Werkzeug outlines it: ``(is_variable, text)`` pairs.

        Werkzeug's private attribute, which flask-smorest reads to document
        a rule's path variables: the host or subdomain part, ``"|"``, then
        the path, its static text split at each slash. Made when read.
        """
        trace: list[tuple[bool, str]] = []
        for segments in (self._domain_segments, None, self._segments):
            if segments is None:
                trace.append((False, "|"))
                continue
            for segment in segments:
                if isinstance(segment, str):
                    trace.extend((False, part) for part in re.split("(/)", segment) if part)
                else:
                    trace.append((True, segment[0]))
        return trace

    @property
    def is_static(self) -> bool:
        """Whether the path has no variables (the rule matches one path only)."""
        return not self._variables

    def bind(self, converters: Mapping[str, type[t.Any]] | Router) -> None:
        """Compile the rule with a router (or a mapping of its converters)."""
        url_map = None if isinstance(converters, Mapping) else converters
        if url_map is not None:
            self.map = url_map
            converters = url_map.converters
            if self.strict_slashes is None:
                self.strict_slashes = url_map.strict_slashes
            if self.merge_slashes is None:
                self.merge_slashes = url_map.merge_slashes
            host_matching = url_map.host_matching
            default_subdomain = url_map.default_subdomain
        else:
            host_matching = False
            default_subdomain = ""
        if self.strict_slashes is None:
            self.strict_slashes = True
        if self.merge_slashes is None:
            self.merge_slashes = False
        segments, pattern, found = _compile_template(
            self.rule, t.cast("Mapping[str, type[t.Any]]", converters), url_map, self.rule
        )
        self._segments = segments
        # perf: the path's static text, percent-encoded once here, not per build.
        self._path_parts: list[t.Any] = [
            quote(segment, safe=_SAFE_PATH) if isinstance(segment, str) else segment
            for segment in segments
        ]
        self._converters = found
        self._variables = set(found)
        self.arguments |= self._variables
        if self.subdomain is None:
            self.subdomain = default_subdomain
        domain = self.host if host_matching else self.subdomain
        if domain is not None and (host_matching or domain != default_subdomain):
            domain_segments, domain_pattern, domain_found = _compile_template(
                domain,
                t.cast("Mapping[str, type[t.Any]]", converters),
                url_map,
                f"{domain}|{self.rule}",
                fold_case=True,
            )
            both = domain_found.keys() & found.keys()
            if both:
                raise ValueError(
                    f"URL rule {self.rule!r} and its host or subdomain {domain!r} both use "
                    f"the variable {sorted(both)[0]!r}. Give them different names."
                )
            self._domain = domain if domain_found else domain.lower()
            self._domain_segments = domain_segments
            self._domain_converters = domain_found
            if domain_found:
                self._domain_regex = re.compile(domain_pattern, re.DOTALL)
            self.arguments |= set(domain_found)
        self._regex = re.compile(pattern, re.DOTALL)
        self._to_python = tuple(
            (name, conv) for name, conv in found.items() if getattr(conv, "converts", True)
        )
        self._weights = self._compute_weights()
        first = self.rule[1:].split("/", 1)
        if len(first) == 2 and "<" not in first[0]:
            self._first_segment = first[0]

    def _compute_weights(self) -> tuple[int, ...]:
        # One weight per path segment: static 0, else the converter's weight.
        weights = []
        for segment in self.rule.strip("/").split("/"):
            match = _VARIABLE_RE.search(segment)
            if match is None:
                weights.append(0)
            else:
                weights.append(getattr(self._converters[match.group("name")], "weight", 100))
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

    def match_domain(self, domain: str) -> dict[str, t.Any] | None:
        """Return the values of the rule's host or subdomain variables, or ``None``."""
        if self._domain_regex is None:
            return {} if domain == self._domain else None
        found = self._domain_regex.fullmatch(domain)
        if found is None:
            return None
        values: dict[str, t.Any] = found.groupdict()
        try:
            for name, converter in self._domain_converters.items():
                if getattr(converter, "converts", True):
                    values[name] = converter.to_python(values[name])
        except (ValidationError, ValueError):
            return None
        return values

    def build(self, values: Mapping[str, t.Any]) -> str:
        """Return the path for ``values`` (which hold every argument)."""
        parts = self._path_parts
        if len(parts) == 1 and parts[0].__class__ is str:
            return parts[0]  # perf: a path without variables
        built = []
        for part in parts:
            built.append(part if part.__class__ is str else part[1].to_url(values[part[0]]))
        return "".join(built)

    def build_domain(self, values: Mapping[str, t.Any]) -> str | None:
        """Return the rule's subdomain or host for ``values``.

        ``None`` for a rule that serves any host (no ``host=`` under host
        matching).
        """
        if self._domain_segments:
            return _fill(self._domain_segments, values, quote_static=False)
        return self.host if self.map is not None and self.map.host_matching else self.subdomain

    def _redirect(self, values: dict[str, t.Any]) -> None:
        """Raise the redirect a ``redirect_to``, ``alias`` or defaults rule answers with."""
        target = self.redirect_to
        if target is not None:
            if isinstance(target, str):
                location = _VARIABLE_RE.sub(
                    lambda m: (
                        self._converters[m.group("name")].to_url(values[m.group("name")])
                        if m.group("name") in self._converters
                        else m.group(0)
                    ),
                    target,
                )
                if _SCHEME_RE.match(target) is None:
                    # A path: never a protocol-relative //host one, whatever a value held.
                    location = "/" + location.replace("\\", "/").lstrip("/")
            else:
                from .map import MapAdapter

                location = str(target(MapAdapter(t.cast("Router", self.map), ""), **values))
            raise _RedirectTo(location)
        for other in self._canonical:
            if all(values.get(k) == v for k, v in other.defaults.items()):
                raise RequestRedirect(other.build({**values, **other.defaults}))
        if self.alias and self.map is not None:
            rules = self.map._by_endpoint.get(t.cast(str, self.endpoint), ())
            for other in rules:
                if other is self or other.alias or other.build_only:
                    continue
                if other.arguments <= values.keys() | other.defaults.keys():
                    path = other.build({**other.defaults, **values})
                    if path != self.build(values):
                        raise RequestRedirect(path)
                    return

    def __str__(self) -> str:
        # As Werkzeug's: the rule itself (Flask-Limiter's `flask limiter limits` prints it).
        return self.rule

    def __repr__(self) -> str:
        methods = ", ".join(sorted(self.methods - {"HEAD", "OPTIONS"}))
        return f"<Rule {self.rule!r} ({methods}) -> {self.endpoint}>"


class _RedirectingRule(Rule):
    """A rule that answers with a redirect when it matches.

    perf: rules get this class (same slots) only when they have
    ``redirect_to``, ``alias`` or a sibling with defaults to redirect to,
    so matching a plain rule checks nothing more than before.
    """

    __slots__ = ()

    def match(self, path: str) -> dict[str, t.Any] | None:
        values = Rule.match(self, path)
        if values is not None:
            self._redirect(values)
        return values


def _fill(segments: Segments, values: Mapping[str, t.Any], quote_static: bool = True) -> str:
    parts = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(quote(segment, safe=_SAFE_PATH) if quote_static else segment)
        else:
            name, converter = segment
            parts.append(converter.to_url(values[name]))
    return "".join(parts)
