"""The old import path of :mod:`erlen.json.tag`, kept working."""

from .json.tag import *  # noqa: F403
from .json.tag import __all__ as __all__
