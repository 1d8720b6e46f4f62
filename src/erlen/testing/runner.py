"""The CLI runner: the app's ``erlen`` commands invoked in-process, for tests."""

from __future__ import annotations

import typing as t
from collections.abc import Mapping, Sequence

import click
from click.testing import CliRunner, Result

from ..cli import ScriptInfo

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = ["ErlenCliRunner"]


class ErlenCliRunner(CliRunner):
    """Invoke the app's commands in-process, for tests: ``app.test_cli_runner()``.

    ::

        result = app.test_cli_runner().invoke(args=["hello"])
        assert result.output == "Hello\\n"
    """

    def __init__(self, app: Erlen, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self,
        cli: click.Command | None = None,
        args: str | Sequence[str] | None = None,
        input: str | bytes | t.IO[t.Any] | None = None,
        env: Mapping[str, str | None] | None = None,
        catch_exceptions: bool | None = None,
        color: bool = False,
        **extra: t.Any,
    ) -> Result:
        """Run ``cli`` (default: ``app.cli``) with ``args``; the app is loaded already."""
        extra.setdefault("obj", ScriptInfo(app=self.app))
        return super().invoke(
            self.app.cli if cli is None else cli,
            args,
            input=input,
            env=env,
            catch_exceptions=catch_exceptions,
            color=color,
            **extra,
        )
