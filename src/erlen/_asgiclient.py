"""The old import path of :mod:`erlen.testing.asgi`, kept working."""

from .testing.asgi import *  # noqa: F403
from .testing.asgi import __all__ as __all__
