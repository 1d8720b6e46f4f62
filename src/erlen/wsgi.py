"""The old import path of :mod:`erlen.serving.wsgi`, kept working."""

from .serving.wsgi import *  # noqa: F403
from .serving.wsgi import __all__ as __all__
