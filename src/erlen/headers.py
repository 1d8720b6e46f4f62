"""The old import path of :mod:`erlen.http.headers`, kept working."""

from .http.headers import *  # noqa: F403
from .http.headers import __all__ as __all__
