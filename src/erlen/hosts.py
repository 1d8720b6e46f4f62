"""The old import path of :mod:`erlen.http.hosts`, kept working."""

from .http.hosts import *  # noqa: F403
from .http.hosts import __all__ as __all__
