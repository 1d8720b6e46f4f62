"""The URL map: rules by domain and path, matched and built; adapters bound to a host.

:class:`Router` keeps static rules in a dict (one lookup), and dynamic rules
in buckets keyed by their first path segment, each tried in specificity
order with one compiled regex. Rules tied to a subdomain or a host live in
tables of their own, one per domain, that plain requests never look at.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from urllib.parse import quote, urlencode

from ..http.converters import DEFAULT_CONVERTERS
from ..http.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    UpgradeRequired,
)
from ..http.hosts import environ_host, parse_host, shown_host
from .rules import _SAFE_PATH, BuildError, RequestRedirect, Rule, _RedirectingRule, _RedirectTo

__all__ = ["Router", "Map", "MapAdapter"]


class _RuleTable:
    """The rules of one domain: a dict of static paths, buckets of dynamic ones."""

    def __init__(self) -> None:
        # perf: path -> {method -> rule}; most requests end at this dict.
        self._static: dict[str, dict[str, Rule]] = {}
        self._buckets: dict[str, list[Rule]] = {}
        self._wild: list[Rule] = []

    def _insert(self, rule: Rule) -> None:
        if rule.is_static and rule.__class__ is Rule:
            by_method = self._static.setdefault(rule.rule, {})
            for method in rule.methods:
                by_method.setdefault(method, rule)
            return
        if rule._first_segment is not None:
            bucket = self._buckets.setdefault(rule._first_segment, [])
        else:
            bucket = self._wild
        bucket.append(rule)
        bucket.sort(key=lambda r: r._weights)  # stable: ties keep their order

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
                    values = Rule.match(rule, path)  # no redirects while explaining a miss
                    if values is not None:
                        yield rule, values
        for rule in self._wild:
            values = Rule.match(rule, path)
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
        return self._explain_miss(method, path, websocket)

    def _explain_miss(
        self, method: str, path: str, websocket: bool
    ) -> tuple[Rule, dict[str, t.Any]]:
        allowed: set[str] = set()
        other_kind = False
        for rule, values in self._candidates(path):
            if rule.websocket is not websocket:
                other_kind = True
                continue
            if method in rule.methods:
                return _matched(rule, values)
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
                        return _matched(rule, values)
        elif len(path) > 1:
            # strict_slashes=False: "/docs/" also reaches the rule "/docs".
            for rule, values in self._candidates(path[:-1]):
                if not rule.strict_slashes and rule.websocket is websocket:
                    if method in rule.methods:
                        return _matched(rule, values)
        if "//" in path and not path.startswith("//"):
            # merge_slashes: "/a//b" is redirected to "/a/b" when that matches.
            merged = re.sub("/{2,}", "/", path)
            for rule, _ in self._candidates(merged):
                if rule.merge_slashes and rule.websocket is websocket and method in rule.methods:
                    raise RequestRedirect(merged)
        raise NotFound()

    def allowed_methods(self, path: str) -> set[str]:
        """Return every method some rule accepts at ``path``."""
        allowed: set[str] = set()
        for rule, _ in self._candidates(path):
            allowed |= rule.methods
        return allowed


def _matched(rule: Rule, values: dict[str, t.Any]) -> tuple[Rule, dict[str, t.Any]]:
    if rule.__class__ is not Rule:
        rule._redirect(values)
    return rule, values


class _Domain:
    """The rules of one subdomain or host pattern, and how to recognise it."""

    def __init__(self, first: Rule) -> None:
        self.first = first  # the rule whose compiled domain pattern stands for all
        self.table = _RuleTable()


class Router(_RuleTable):
    """The URL map: ``app.url_map``. Add rules, match requests, build URLs.

    Settings read when a rule is added (as Werkzeug's ``Map``):
    ``strict_slashes`` and ``merge_slashes`` are the defaults of rules
    that do not set their own (``merge_slashes`` is off unless turned on:
    "/a//b" is a 404, not a redirect to "/a/b", and a decoded ``%2F``
    keeps its meaning); ``default_subdomain`` is the subdomain of
    rules without one; ``host_matching`` ties rules to ``host=`` instead
    of ``subdomain=``.
    """

    def __init__(
        self,
        rules: Iterable[Rule] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = False,
        host_matching: bool = False,
    ) -> None:
        super().__init__()
        self.converters: dict[str, type[t.Any]] = dict(DEFAULT_CONVERTERS)
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self._host_matching = host_matching
        self._subdomain_matching = False
        #: Whether a request's host takes part in matching; set from
        #: ``host_matching`` and ``subdomain_matching``.
        self.host_aware = host_matching
        #: Whether some rule has a subdomain or host of its own, so that
        #: ``url_for`` may have to name a host.
        self.has_domains = False
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._domains: dict[str, _Domain] = {}  # literal domain -> its rules
        self._domain_patterns: list[_Domain] = []  # domains with variables
        for rule in rules or ():
            self.add(rule)

    @property
    def host_matching(self) -> bool:
        """Whether rules match whole hosts (``host=``) rather than subdomains."""
        return self._host_matching

    @host_matching.setter
    def host_matching(self, value: bool) -> None:
        if self._rules and bool(value) != self._host_matching:
            raise RuntimeError(
                "url_map.host_matching must be set before any rule is added; pass "
                "host_matching=True to Erlen(...) instead."
            )
        self._host_matching = bool(value)
        self.host_aware = self._host_matching or self._subdomain_matching

    @property
    def subdomain_matching(self) -> bool:
        """Whether rules match the subdomain of ``SERVER_NAME`` a request is for."""
        return self._subdomain_matching

    @subdomain_matching.setter
    def subdomain_matching(self, value: bool) -> None:
        self._subdomain_matching = bool(value)
        self.host_aware = self._host_matching or self._subdomain_matching

    def add(self, rule: Rule) -> None:
        """Compile ``rule`` and add it to the map."""
        rule.bind(self)
        self._rules.append(rule)
        rules = self._by_endpoint.setdefault(t.cast(str, rule.endpoint), [])
        rules.append(rule)
        # url_for tries the rules that use the most values first; among
        # those, rules with defaults (which fit only those exact values);
        # aliases last.
        rules.sort(key=lambda r: (r.alias, -len(r.arguments), -len(r.defaults)))
        if rule.redirect_to is not None or rule.alias:
            rule.__class__ = _RedirectingRule
        self._link_defaults(rules)
        if rule.build_only:
            return
        if rule._domain is None:
            # perf: the common case; the rule joins the tables plain requests use.
            self._insert(rule)
            return
        self.has_domains = True
        if rule._domain_regex is None:
            domain = self._domains.get(rule._domain)
            if domain is None:
                domain = self._domains[rule._domain] = _Domain(rule)
        else:
            for domain in self._domain_patterns:
                if domain.first._domain == rule._domain:
                    break
            else:
                domain = _Domain(rule)
                self._domain_patterns.append(domain)
        domain.table._insert(rule)

    def _link_defaults(self, rules: list[Rule]) -> None:
        # As Werkzeug's redirect_defaults: "/page/1" redirects to "/page/"
        # when "/page/" serves the endpoint with the default page=1.
        for index, rule in enumerate(rules):
            if rule.is_static or rule.build_only:
                continue
            canonical = tuple(
                other
                for other in rules[:index]
                if other.defaults
                and not other.build_only
                and other.arguments == rule.arguments
                and other._domain == rule._domain
            )
            if canonical != rule._canonical:
                rule._canonical = canonical
                if canonical and rule.__class__ is Rule:
                    rule.__class__ = _RedirectingRule

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """The rules, in the order they were added; only ``endpoint``'s if given."""
        if endpoint is not None:
            return iter(self._by_endpoint.get(endpoint, ()))
        return iter(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return self.iter_rules()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._rules)} rules>"

    #: The converters every map starts with, by name (Werkzeug's ``Map`` has it).
    default_converters: t.ClassVar[Mapping[str, type[t.Any]]] = MappingProxyType(DEFAULT_CONVERTERS)

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Whether some rule of ``endpoint`` fills all of ``arguments``.

        As Werkzeug's ``Map``: Flask-Admin asks it before adding a value
        to the URLs it builds.
        """
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._by_endpoint.get(endpoint, ()))

    def update(self) -> None:
        """Nothing to do: a rule is ready to match once added (Werkzeug sorts here)."""

    def __getattr__(self, name: str) -> t.Any:
        # Only reached for a name the router lacks: no cost to anything it has.
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"erlen's URL map (app.url_map, an erlen.routing.Router) has no {name!r}. "
            "It gives the parts of Werkzeug's Map that Flask apps and extensions use; "
            "see docs/flask.md#flasks-names-that-differ for what it leaves out.",
            name=name,
            obj=self,
        )

    # -- hosts and subdomains ----------------------------------------------

    def _tables(self, domain: str | None) -> list[tuple[_RuleTable, dict[str, t.Any]]]:
        """The tables a request for ``domain`` may match, most specific first."""
        if domain is None:
            return []
        tables: list[tuple[_RuleTable, dict[str, t.Any]]] = []
        literal = self._domains.get(domain)
        if literal is not None:
            tables.append((literal.table, {}))
        for pattern in self._domain_patterns:
            values = pattern.first.match_domain(domain)
            if values is not None:
                tables.append((pattern.table, values))
        if self._host_matching or domain == self.default_subdomain:
            tables.append((self, {}))
        return tables

    def match_domain(
        self, domain: str | None, method: str, path: str, websocket: bool = False
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Like ``match()``, for a request on ``domain``.

        ``domain`` is the request's subdomain (``""`` for ``SERVER_NAME``
        itself), or its whole host under host matching; ``None`` is a host
        the app does not serve, and finds nothing.
        """
        errors: list[HTTPException] = []
        for table, domain_values in self._tables(domain):
            try:
                rule, values = _RuleTable.match(table, method, path, websocket)
            except (NotFound, MethodNotAllowed, RequestRedirect, UpgradeRequired) as miss:
                errors.append(miss)
                continue
            if domain_values:
                values = {**domain_values, **values}
            return rule, values
        allowed: set[str] = set()
        for found in errors:
            if isinstance(found, MethodNotAllowed):
                allowed |= set(found.valid_methods or ())
        if allowed:
            raise MethodNotAllowed(allowed)
        for kind in (RequestRedirect, UpgradeRequired):
            for found in errors:
                if isinstance(found, kind):
                    raise found
        if domain is None:
            raise NotFound(
                "The requested host is not served here: it is neither SERVER_NAME nor "
                "a subdomain of it."
            )
        raise NotFound()

    def request_domain(self, host: str, scheme: str, server_name: str | None) -> str | None:
        """Return what rules match a request's host against.

        Under host matching, the host itself (lowercase, without the
        scheme's default port). Under subdomain matching, the part of the
        host before ``server_name`` (``""`` for ``server_name`` itself, or
        when it is unset), or ``None`` when the host is not under it.
        Raises :class:`~erlen.exceptions.BadRequest` for a Host header that is not a host.
        """
        name = _normal_host(host, scheme)
        if name is None:
            raise BadRequest(
                f"The Host header {shown_host(host)!r} is not a valid host name, so no route can be "
                "chosen for it. Send the name of the site, such as 'example.com' or "
                "'example.com:8080'."
            )
        if self._host_matching:
            return name
        if not self._subdomain_matching:
            return self.default_subdomain
        if not server_name:
            return ""
        return _subdomain_of(name, _normal_host(server_name, scheme) or server_name.lower())

    def match_request(
        self, request: t.Any, server_name: str | None, websocket: bool = False
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Match a request by its host too (apps with host or subdomain matching)."""
        domain = self.request_domain(request.host, request.scheme, server_name)
        return self.match_domain(domain, request.method, request.path, websocket)

    def allowed_methods_for(self, request: t.Any, server_name: str | None) -> set[str]:
        """Return every method some rule accepts for the request's host and path."""
        domain = self.request_domain(request.host, request.scheme, server_name)
        allowed: set[str] = set()
        for table, _ in self._tables(domain):
            allowed |= _RuleTable.allowed_methods(table, request.path)
        return allowed

    # -- building ------------------------------------------------------------

    def build(
        self,
        endpoint: str,
        values: Mapping[str, t.Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> str:
        """Return the URL path (and query string) of ``endpoint``.

        Values that are not arguments of the rule go to the query string;
        ``None`` values are dropped.
        """
        return self._build(endpoint, values, method, append_unknown)[1]

    def _build(
        self,
        endpoint: str,
        values: Mapping[str, t.Any] | None,
        method: str | None,
        append_unknown: bool = True,
    ) -> tuple[Rule, str]:
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, self._unknown_endpoint_message(endpoint))
        if len(rules) == 1 and method is None:
            # perf: the usual url_for: one rule, no defaults, exactly its values.
            rule = rules[0]
            if not rule.defaults and (
                (not values and not rule.arguments)
                or (values and values.keys() == rule.arguments and None not in values.values())
            ):
                try:
                    return rule, rule.build(values or {})
                except (ValueError, TypeError):
                    pass  # the general path below explains it
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
            if append_unknown:
                extra = {k: v for k, v in given.items() if k not in rule.arguments}
                if extra:
                    path += "?" + urlencode(_query_items(extra))
            return rule, path
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

    def build_with_domain(
        self,
        endpoint: str,
        values: Mapping[str, t.Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> tuple[str | None, str]:
        """Return ``(domain, path)``: the rule's subdomain or host, and the path.

        The domain is ``None`` for a rule that serves any host.
        """
        rule, path = self._build(endpoint, values, method, append_unknown)
        given = {k: v for k, v in values.items() if v is not None} if values else {}
        try:
            domain = rule.build_domain({**rule.defaults, **given})
        except (ValueError, TypeError) as error:
            raise BuildError(
                endpoint,
                f"Could not build a URL for endpoint {endpoint!r}: a value does not fit "
                f"the host or subdomain of the rule {rule.rule!r}: {error}",
            ) from error
        return domain, path

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

    # -- adapters (Werkzeug's Map.bind) --------------------------------------

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: Mapping[str, t.Any] | str | None = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` to match and build URLs for one host.

        As Werkzeug's ``Map.bind``: ``url_map.bind("example.com").match("/")``
        gives ``(endpoint, values)``.
        """
        if subdomain is None:
            subdomain = self.default_subdomain
        return MapAdapter(
            self,
            server_name.lower(),
            script_name or "/",
            subdomain,
            url_scheme,
            default_method,
            path_info or "/",
            query_args,
        )

    def bind_to_environ(
        self,
        environ: t.Any,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for a WSGI environ (or a request).

        Without ``subdomain``, it is worked out from the request's host and
        ``server_name``, as Werkzeug does.
        """
        environ = getattr(environ, "environ", environ)
        scheme = environ.get("wsgi.url_scheme", "http")
        return self.bind_request(
            environ_host(environ, scheme),  # "a, b" from two Host lines: 400, as request.host
            scheme,
            environ.get("SCRIPT_NAME", ""),
            server_name,
            subdomain,
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO") or "/",
            environ.get("QUERY_STRING", ""),
        )

    def bind_request(
        self,
        host: str,
        scheme: str,
        script_name: str,
        server_name: str | None = None,
        subdomain: str | None = None,
        method: str = "GET",
        path: str = "/",
        query_string: str = "",
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for a request to ``host``."""
        current = _normal_host(host, scheme) or host.lower()
        if server_name is None:
            server_name = current
        else:
            server_name = _normal_host(server_name, scheme) or server_name.lower()
        resolved: str | None = subdomain
        if subdomain is None and not self._host_matching:
            resolved = _subdomain_of(current, server_name)
        return MapAdapter(
            self,
            server_name,
            script_name or "/",
            resolved,
            scheme,
            method,
            path,
            query_string,
        )


#: Werkzeug's name for the URL map.
Map = Router


class MapAdapter:
    """A URL map bound to one host: match paths and build URLs there.

    What ``url_map.bind(...)`` and ``app.create_url_adapter(request)``
    return, as in Werkzeug. ``subdomain`` is ``None`` when the host is not
    under ``server_name`` (nothing with a subdomain then matches).
    """

    def __init__(
        self,
        url_map: Router,
        server_name: str,
        script_name: str = "/",
        subdomain: str | None = "",
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str = "/",
        query_args: Mapping[str, t.Any] | str | None = None,
    ) -> None:
        self.map = url_map
        self.server_name = server_name
        self.script_name = script_name if script_name.endswith("/") else script_name + "/"
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.default_method = default_method
        self.path_info = path_info
        self.query_args = query_args

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Mapping[str, t.Any] | str | None = None,
        websocket: bool = False,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """Return ``(endpoint, values)`` (``(rule, values)`` with ``return_rule``).

        Raises ``NotFound``, ``MethodNotAllowed`` or ``RequestRedirect`` as
        a request would meet them.
        """
        path = path_info if path_info is not None else self.path_info
        path = "/" + path.lstrip("/")
        method = (method or self.default_method).upper()
        url_map = self.map
        if url_map.has_domains or url_map.host_matching:
            domain = self.server_name if url_map.host_matching else self.subdomain
            rule, values = url_map.match_domain(domain, method, path, websocket)
        else:
            rule, values = url_map.match(method, path, websocket)
        return (rule if return_rule else rule.endpoint), values

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether a rule would match (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except (RequestRedirect, _RedirectTo):
            return True
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """The methods some rule accepts at ``path_info``."""
        path = path_info if path_info is not None else self.path_info
        url_map = self.map
        if not (url_map.has_domains or url_map.host_matching):
            return sorted(url_map.allowed_methods(path))
        domain = self.server_name if url_map.host_matching else self.subdomain
        allowed: set[str] = set()
        for table, _ in url_map._tables(domain):
            allowed |= _RuleTable.allowed_methods(table, path)
        return sorted(allowed)

    def get_host(self, domain_part: str | None) -> str:
        """The host for a rule's subdomain (or host, under host matching)."""
        if self.map.host_matching:
            return domain_part if domain_part is not None else self.server_name
        subdomain = domain_part if domain_part is not None else self.subdomain
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def build(
        self,
        endpoint: str,
        values: Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """Return the URL of ``endpoint``: a path, or an absolute URL when needed.

        The URL is absolute with ``force_external``, or when the rule's
        host or subdomain is not the one this adapter is bound to.
        """
        domain, path = self.map.build_with_domain(endpoint, values, method, append_unknown)
        host = self.get_host(domain)
        root = quote(self.script_name.rstrip("/"), safe=_SAFE_PATH)
        if not force_external and (
            (self.map.host_matching and host == self.server_name)
            or (not self.map.host_matching and domain == self.subdomain)
        ):
            return root + path
        if not host:
            raise BuildError(
                endpoint,
                f"Could not build an external URL for {endpoint!r}: no host is known. Set "
                "app.config['SERVER_NAME'] (such as 'example.com').",
            )
        return f"{url_scheme or self.url_scheme}://{host}{root}{path}"


def _normal_host(host: str, scheme: str) -> str | None:
    """Return ``host`` lowercase, without a trailing dot or its scheme's default port."""
    parsed = parse_host(host)
    if parsed is None:
        return None
    name, port = parsed
    name = name.lower().rstrip(".")
    if port is None or port == (443 if scheme in ("https", "wss") else 80):
        return name
    return f"{name}:{port}"


def _subdomain_of(host: str, server_name: str) -> str | None:
    if host == server_name:
        return ""
    if host.endswith("." + server_name):
        return host[: -len(server_name) - 1]
    return None


def _query_items(values: Mapping[str, t.Any]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            items.extend((key, str(v)) for v in value if v is not None)
        else:
            items.append((key, str(value)))
    return items
