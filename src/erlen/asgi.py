"""The old import path of :mod:`erlen.serving.asgi`, kept working."""

from .serving.asgi import *  # noqa: F403
from .serving.asgi import __all__ as __all__
