"""The old import path of :mod:`erlen.http.datastructures`, kept working."""

from .http.datastructures import *  # noqa: F403
from .http.datastructures import __all__ as __all__
