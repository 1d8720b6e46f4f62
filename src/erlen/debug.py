"""The old import path of :mod:`erlen.dev.debug`, kept working."""

from .dev.debug import *  # noqa: F403
from .dev.debug import __all__ as __all__
