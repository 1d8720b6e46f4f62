"""The old import path of :mod:`erlen.http.exceptions`, kept working."""

from .http.exceptions import *  # noqa: F403
from .http.exceptions import __all__ as __all__
