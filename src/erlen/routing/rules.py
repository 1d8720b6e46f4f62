"""Rules: one URL pattern (and host or subdomain) each, compiled to match and build.

:class:`Rule` parses ``/user/<int:uid>`` once, with the URL map's
converters, into a regex to match paths with and segments to build them
from. A rule tied to a subdomain or host compiles that part the same way.
"""

from __future__ import annotations

import importlib
import re
import typing as t
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

from ..http.converters import PathConverter, ValidationError, make_converter, parse_converter_args
from ..http.exceptions import HTTPException
from .segments import Chain, chain_parts, may_backtrack

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
        _check_regex(kind, converter.regex, rule)
        found[name] = converter
        segments.append((name, converter))
        pattern.append(f"(?P<{name}>{converter.regex})")
        pos = match.end()
    add_static(text[pos:])
    spanning = [name for name, conv in found.items() if _spans_slashes(conv)]
    if len(spanning) > 1:
        first, second = spanning[:2]
        raise ValueError(
            f"URL rule {rule!r} has two variables that can hold slashes, {first!r} and "
            f"{second!r} (path converters). Where one ends and the next begins is "
            "ambiguous, and trying every split takes time that grows with the square of "
            "the URL's length or faster, so a long URL could stall the server. Use one "
            f"<path:...> variable and split its value in the view (for example "
            f"'<path:{first}>' and {first}.rsplit('/', 1))."
        )
    return segments, "".join(pattern), found


def _spans_slashes(converter: t.Any) -> bool:
    """Whether ``converter`` may match any run of characters, slashes included."""
    regex = converter.regex
    return isinstance(converter, PathConverter) or ".*" in regex or ".+" in regex


_REPEATS = frozenset(("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))


def _nested_repeat(items: t.Any, outer: bool) -> bool:
    """Whether a parsed regex has a variable-width repeat inside a repeat."""
    for op, av in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = av
            if outer and low != high:
                return True
            if _nested_repeat(body, outer or high > 1):
                return True
        elif name == "SUBPATTERN":
            if _nested_repeat(av[-1], outer):
                return True
        elif name == "BRANCH":
            if any(_nested_repeat(branch, outer) for branch in av[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            if _nested_repeat(av[-1] if name != "ATOMIC_GROUP" else av, outer):
                return True
        elif name == "GROUPREF_EXISTS":
            if any(p is not None and _nested_repeat(p, outer) for p in av[1:]):
                return True
    return False


def _check_regex(kind: str, regex: str, rule: str) -> None:
    """Refuse a converter regex that can take exponential time to fail (ReDoS)."""
    if "*" not in regex and "+" not in regex and "{" not in regex:
        return  # perf: no repeat at all, nothing to parse
    try:
        parser: t.Any = importlib.import_module("re._parser")  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        parser = importlib.import_module("sre_parse")
    try:
        parsed = parser.parse(regex)
    except re.error as error:
        raise ValueError(
            f"The {kind!r} converter's regex {regex!r} (in URL rule {rule!r}) is not a "
            f"valid regular expression: {error}."
        ) from None
    if _nested_repeat(parsed, False):
        raise ValueError(
            f"The {kind!r} converter's regex {regex!r} (in URL rule {rule!r}) has a "
            "repeat inside a repeat, such as (?:,[^/]+)* around [^/]+. Python's regular "
            "expressions try every way to share a URL between the two, so a URL that "
            "almost matches takes time exponential in its length, and one request can "
            "stall the server. Use one flat repeat, such as regex = '[^/]+', and split "
            "or check the value in to_python (raise ValidationError there to refuse it)."
        )


def _in_one_segment(converter: t.Any) -> bool:
    """Whether ``converter``'s regex never matches a slash."""
    if getattr(converter, "part_isolating", False):
        return True
    # A custom converter that sets regex = "[^/]+" is not part_isolating by
    # Werkzeug's rule (its regex names a slash); read the regex to know.
    parts = chain_parts(converter.regex)
    return parts is not None and not any(
        "/" in "".join(part[1]) if part[0] == 1 else part[1].match("/") for part in parts
    )


def _split_segments(segments: Segments) -> list[list[t.Any]]:
    """The rule's items per path segment: text, and variables ``(name, converter)``."""
    templates: list[list[t.Any]] = [[]]
    for segment in segments:
        if isinstance(segment, str):
            first, *rest = segment.split("/")
            if first:
                templates[-1].append(first)
            for piece in rest:
                templates.append([piece] if piece else [])
        else:
            templates[-1].append(segment)
    return templates


def _by_segment(segments: Segments, rule: str) -> bool:
    """Whether the rule is matched a segment at a time (see :class:`_BySegment`).

    So it is when variables share a segment, or a converter's regex could
    backtrack over its segment, and at most one variable of the rule may
    hold slashes; other rules keep one regex, which fails or matches them
    in linear time.
    """
    spanning = 0
    shared: list[list[t.Any]] = []
    backtracks = False
    for items in _split_segments(segments):
        variables = [item for item in items if not isinstance(item, str)]
        if len(variables) > 1:
            shared.append(items)
        elif variables and _backtracks(items):
            backtracks = True
        spanning += sum(1 for _, converter in variables if not _in_one_segment(converter))
    if spanning > 1:
        for items in shared:  # refuse a regex no matcher can read there
            _chain(items, rule, re.compile(""))
    return bool(shared or backtracks) and spanning <= 1


def _backtracks(items: list[t.Any]) -> bool:
    """Whether one regex of a segment's ``items`` may take more than linear time to miss.

    So one converter's own regex can, such as ``\\w+\\d+`` (see
    :func:`~erlen.routing.segments.may_backtrack`); a regex the chain
    cannot read is left to the registration checks.
    """
    parts: list[t.Any] = []
    for item in items:
        if isinstance(item, str):
            parts.append((1, (item,)))
            continue
        found = chain_parts(item[1].regex)
        if found is None:
            return False
        parts.extend(found)
    return may_backtrack(parts)


class _BySegment:
    """A rule matched one path segment at a time, where variables share one.

    Every variable but one at most stays within a segment, so the path
    has the rule's number of slashes, or more for that one variable (a
    ``<path:>``), which then takes the extra slashes: the path is cut into
    the rule's segments at once. Each is matched alone: first its fixed
    text at either end (``.json`` in ``<a>.<b>.json``), by string
    comparison, then the variables between, by a regex for one variable
    or short text, by a :class:`~erlen.routing.segments.Chain` for longer
    text. One regex over the whole path would try every split of every
    segment each time a later part failed: time quadratic in the path's
    length, or worse with more variables.
    """

    __slots__ = ("parts", "slashes", "spanning")

    def __init__(self, segments: Segments, rule: str) -> None:
        templates = _split_segments(segments)
        self.slashes = len(templates) - 1
        #: The segment of the variable that may hold slashes, or -1.
        self.spanning = -1
        #: Per segment: (text it starts with, text it ends with, regex of the
        #: variables between or None when the segment is all text, and the
        #: longest text for that regex), then, where several variables share
        #: the segment, the Chain that matches longer text in linear time.
        self.parts: list[tuple[str, str, re.Pattern[str] | None, int, Chain | None]] = []
        for index, items in enumerate(templates):
            head = items.pop(0) if items and isinstance(items[0], str) else ""
            tail = items.pop() if items and isinstance(items[-1], str) else ""
            if not items:
                self.parts.append((head + tail, "", None, 0, None))
                continue
            variables = [item for item in items if not isinstance(item, str)]
            if any(not _in_one_segment(converter) for _, converter in variables):
                self.spanning = index
            pattern = "".join(
                re.escape(item) if isinstance(item, str) else f"(?P<{item[0]}>{item[1].regex})"
                for item in items
            )
            regex = re.compile(pattern, re.DOTALL)
            if len(variables) > 1 or _backtracks(items):
                chain = _chain(items, rule, regex)
                self.parts.append((head, tail, regex, chain.short, chain))
            else:
                self.parts.append((head, tail, regex, -1, None))

    def fullmatch(self, path: str) -> _Found | None:
        pieces = path.split("/")
        extra = len(pieces) - 1 - self.slashes
        if extra:
            if extra < 0 or self.spanning < 0:
                return None
            # perf: the one variable that holds slashes takes the extra ones.
            index = self.spanning
            pieces[index : index + extra + 1] = ["/".join(pieces[index : index + extra + 1])]
        values: dict[str, t.Any] = {}
        for piece, (head, tail, regex, short, chain) in zip(pieces, self.parts, strict=True):
            if regex is None:
                if piece != head:
                    return None
                continue
            end = len(piece) - len(tail)
            if end < len(head) or not piece.startswith(head) or not piece.endswith(tail):
                return None
            if chain is not None and end - len(head) > short:
                chained = chain.scan(piece[len(head) : end])
                if chained is None:
                    return None
                values.update(chained)
                continue
            found = regex.fullmatch(piece, len(head), end)
            if found is None:
                return None
            values.update(found.groupdict())
        return _Found(values)


def _chain(items: list[t.Any], rule: str, regex: re.Pattern[str]) -> Chain:
    """A :class:`Chain` for a segment's variables and text, or a ValueError saying why not."""
    chained: list[t.Any] = []
    for item in items:
        if isinstance(item, str):
            chained.append(item)
            continue
        name, converter = item
        parts = chain_parts(converter.regex)
        if parts is None:
            raise ValueError(
                f"URL rule {rule!r} puts the variable {name!r} in a path segment with other "
                f"variables, and its converter's regex {converter.regex!r} is not one erlen "
                "can match there in time linear in the URL. One regex over such a segment "
                "tries every split of it between the variables, so a long URL that almost "
                "matches takes time that grows with the square of its length or faster. "
                "Give the variable a segment of its own (as in '/<a>/<b>'), or write the "
                "regex with one-character classes, their repeats and fixed words only (such "
                "as '[a-z]+-[0-9]{4}' or '(?:jpg|png)'), and check the rest in to_python."
            )
        chained.append((name, parts))
    return Chain(chained, regex)


#: The helper group of _PathThenTail's pattern, left out of the values.
_SPAN = "_erlen_span"


def _path_then_tail(segments: Segments) -> str | None:
    """The pattern for a rule whose ``<path:>`` has slash-free text after it, else None.

    In ``/<path:p>.<ext>`` the path variable is lazy, ``[^/].*?``, and the
    regex tries ``.<ext>`` after each of its characters, each try reading on
    to the next slash: time quadratic in a long segment. The text after
    it has no slash, so the variable holds every slash of the rest of the
    path: this pattern takes them at once (a lookahead, so never given
    back), then only the last segment is shared lazily, as before. Used
    where the path variable shares its segment with one variable after it
    and no other segment is shared: more variables take a Chain.
    """
    shared = [items for items in _split_segments(segments) if _count_variables(items) > 1]
    if len(shared) != 1 or _count_variables(shared[0]) != 2:
        return None
    first = next(item for item in shared[0] if not isinstance(item, str))
    if not isinstance(first[1], PathConverter):
        return None
    spans = [i for i, s in enumerate(segments) if not isinstance(s, str) and _spans_slashes(s[1])]
    if len(spans) != 1 or not isinstance(segments[spans[0]][1], PathConverter):
        return None
    index = spans[0]
    after = segments[index + 1 :]
    if not after:
        return None  # nothing after it: the lazy regex meets the end at once
    for segment in after:
        if isinstance(segment, str):
            if "/" in segment:
                return None  # "/edit" after it: each try is a quick comparison
        elif not getattr(segment[1], "part_isolating", False):
            return None
    name = segments[index][0]
    span = f"(?P<{name}>(?:(?=(?P<{_SPAN}>[^/].*/))(?P={_SPAN})[^/]*?|(?![^/]*/)[^/]+?))"
    return "".join(
        re.escape(s) if isinstance(s, str) else span if i == index else f"(?P<{s[0]}>{s[1].regex})"
        for i, s in enumerate(segments)
    )


class _PathThenTail:
    """A rule's regex from :func:`_path_then_tail`, read without its helper group."""

    __slots__ = ("regex",)

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern, re.DOTALL)

    def fullmatch(self, path: str) -> _Found | None:
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        values = found.groupdict()
        del values[_SPAN]
        return _Found(values)


def _count_variables(items: list[t.Any]) -> int:
    return sum(1 for item in items if not isinstance(item, str))


class _ChainMatch:
    """A :class:`Chain` read as a compiled regex is (a host with several variables)."""

    __slots__ = ("chain",)

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def fullmatch(self, text: str) -> _Found | None:
        values = self.chain.fullmatch(text)
        return None if values is None else _Found(values)


class _Found:
    """What :meth:`_BySegment.fullmatch` found, read as a regex match is."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, t.Any]) -> None:
        self.values = values

    def groupdict(self) -> dict[str, t.Any]:
        return self.values


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
                domain_regex = re.compile(domain_pattern, re.DOTALL)
                self._domain_regex = domain_regex
                if len(domain_found) > 1:  # <sub>.<zone>.example.org: a shared segment
                    chain = _chain(domain_segments, f"{domain}|{self.rule}", domain_regex)
                    self._domain_regex = t.cast("re.Pattern[str]", _ChainMatch(chain))
            self.arguments |= set(domain_found)
        self._regex = re.compile(pattern, re.DOTALL)
        tail_pattern = _path_then_tail(segments)
        if tail_pattern is not None:  # <path:p>.<ext>: see _path_then_tail
            self._regex = t.cast("re.Pattern[str]", _PathThenTail(tail_pattern))
        elif _by_segment(segments, self.rule):
            # Variables share a segment (<name>.<ext>, <a>.<b>.<int:c>): one
            # regex over the path would take time quadratic in it (or worse)
            # to miss. See _BySegment.
            self._regex = t.cast("re.Pattern[str]", _BySegment(segments, self.rule))
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
        path = "".join(built)
        if path[1:2] in _SLASHES:
            return _on_this_host(path)
        return path

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


_SLASHES = ("/", "\\")


def _on_this_host(path: str) -> str:
    """Return ``path`` without the ``//`` or ``/\\`` start a value gave it.

    A browser reads ``//evil.example`` and ``/\\evil.example`` as another
    host, so a value such as ``"/evil.example"`` in ``/<path:page>`` must not
    make one: the slashes after the first are dropped, as Flask does, and a
    backslash a custom converter left raw is percent-encoded.
    """
    rest = path.lstrip("/")
    if rest.startswith("\\"):
        rest = "%5C" + rest[1:]
    return "/" + rest


def _fill(segments: Segments, values: Mapping[str, t.Any], quote_static: bool = True) -> str:
    parts = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(quote(segment, safe=_SAFE_PATH) if quote_static else segment)
        else:
            name, converter = segment
            parts.append(converter.to_url(values[name]))
    return "".join(parts)
