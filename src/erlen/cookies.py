"""The old import path of :mod:`erlen.http.cookies`, kept working."""

from .http.cookies import *  # noqa: F403
from .http.cookies import __all__ as __all__
