"""The old import path of :mod:`erlen.http.forms`, kept working."""

from .http.forms import *  # noqa: F403
from .http.forms import __all__ as __all__
