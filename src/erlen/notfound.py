"""The old import path of :mod:`erlen.dev.notfound`, kept working."""

from .dev.notfound import *  # noqa: F403
from .dev.notfound import __all__ as __all__
