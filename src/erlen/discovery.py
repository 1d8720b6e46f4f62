"""The old import path of :mod:`erlen.cli.discovery`, kept working."""

from .cli.discovery import *  # noqa: F403
from .cli.discovery import __all__ as __all__
