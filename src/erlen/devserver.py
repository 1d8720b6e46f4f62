"""The old import path of :mod:`erlen.dev.server`, kept working."""

from .dev.server import *  # noqa: F403
from .dev.server import __all__ as __all__
