"""The sync and async request cycles take the same steps in the same order.

``RequestCycle.handle`` (WSGI, and ``def`` views under ASGI) and
``RequestCycle.handle_async`` (``async def`` views on the event loop) are
one skeleton written twice, for speed. This test reads both from the
source and compares their syntax trees once the differences that are
meant to be there are taken out: ``await x`` in one is ``_drive(x)`` or
``_run_coroutine(x)`` in the other, and the ``on_loop`` flag they pass is
``True`` in one and ``False`` in the other. Anything else that differs (a
step added to one twin only, two steps swapped, another condition) fails.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from erlen.cycle import RequestCycle

#: Calls that run a coroutine from sync code: the sync twin's ``await``.
SYNC_AWAITS = {"_drive", "_run_coroutine"}


class _Normalize(ast.NodeTransformer):
    """Take out the intended differences between the two twins."""

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in SYNC_AWAITS and len(node.args) == 1:
            return self.visit(node.args[0])
        self.generic_visit(node)
        node.args = [
            ast.Name("ON_LOOP", ast.Load())
            if isinstance(arg, ast.Constant) and isinstance(arg.value, bool)
            else arg
            for arg in node.args
        ]
        return node


def _skeleton(source: str) -> str:
    """The normalized syntax tree of a function's body, docstring left out."""
    definition = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef))
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    module = ast.Module(body=[_Normalize().visit(node) for node in body], type_ignores=[])
    return ast.dump(module, include_attributes=False)


SYNC_SOURCE = inspect.getsource(RequestCycle.handle)
ASYNC_SOURCE = inspect.getsource(RequestCycle.handle_async)


def test_handle_and_handle_async_take_the_same_steps() -> None:
    assert _skeleton(SYNC_SOURCE) == _skeleton(ASYNC_SOURCE), (
        "RequestCycle.handle and handle_async have drifted apart. Make the same change "
        "to both (await in one is _drive()/_run_coroutine() in the other)."
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # an after_request step left out of the sync twin
        (
            "response = _drive(self._process_response(response, context))\n            return response",
            "return response",
        ),
        # a different condition
        ('request.method == "OPTIONS"', 'request.method == "HEAD"'),
        # the view's coroutine not run
        ("value = _run_coroutine(value)", "value = value.send(None)"),
        # another hook table consulted
        (
            "if self.before_request_funcs or self.url_value_preprocessors",
            "if self.after_request_funcs or self.url_value_preprocessors",
        ),
        # the hooks not given a chance to answer a routing miss
        ("except _ROUTING_MISSES:", "except (NotFound, MethodNotAllowed):"),
    ],
)
def test_the_comparison_sees_a_drift(old: str, new: str) -> None:
    assert old in SYNC_SOURCE
    drifted = SYNC_SOURCE.replace(old, new, 1)
    assert _skeleton(drifted) != _skeleton(ASYNC_SOURCE)
