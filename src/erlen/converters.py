"""The old import path of :mod:`erlen.http.converters`, kept working."""

from .http.converters import *  # noqa: F403
from .http.converters import __all__ as __all__
