"""URL rules, matching and building.

:class:`Router` (``app.url_map``) keeps static rules in a dict (one
lookup), and dynamic rules in buckets keyed by their first path segment,
each tried in specificity order with one compiled regex.
:meth:`Router.match` returns the rule and its converted arguments or
raises 404, 405 (with the allowed methods) or a 308 to the canonical URL
with a trailing slash. :meth:`Router.build` is the engine behind
``url_for``.

Rules may also be tied to a subdomain (``subdomain="api"``, or
``"<user>"``) or, with ``host_matching``, to a whole host. Such rules live
in tables of their own, one per domain, that plain requests never look at:
an app without them routes exactly as if they did not exist.

The names are Werkzeug's where the thing is (``Map``, ``MapAdapter``,
``Rule``, ``BaseConverter``, ``ValidationError``), so code written for
``werkzeug.routing`` finds them here.
"""

from __future__ import annotations

from ..http.converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from .map import Map, MapAdapter, Router
from .rules import _VARIABLE_RE as _VARIABLE_RE  # the debug 404 page reads rules with it
from .rules import BuildError, RequestRedirect, Rule

__all__ = [
    "Rule",
    "Router",
    "Map",
    "MapAdapter",
    "BuildError",
    "RequestRedirect",
    "BaseConverter",
    "ValidationError",
    "UnicodeConverter",
    "PathConverter",
    "IntegerConverter",
    "FloatConverter",
    "UUIDConverter",
    "AnyConverter",
]
