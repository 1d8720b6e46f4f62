"""The old import path of :mod:`erlen.dev.http11`, kept working."""

from .dev.http11 import *  # noqa: F403
from .dev.http11 import __all__ as __all__
