"""The old import path of :mod:`erlen.dev.reloader`, kept working."""

from .dev.reloader import *  # noqa: F403
from .dev.reloader import __all__ as __all__
