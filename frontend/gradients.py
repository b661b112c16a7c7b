"""What the checker adds for `gradients(y, [x1, ..., xn])` beyond the typing of
its registry entry (dialects/gradients.py): each `xi` is a name bound in the
function, as the spec asks, so that the gradient is taken with respect to that
value (a bare expression would be a new value that `y` cannot depend on)."""

from __future__ import annotations

from tfir.frontend import ast
from tfir.frontend.calls import CheckError

NAME = "gradients"


def check_call(e: ast.Call) -> None:
    """Raises a CheckError unless the `xs` argument is a list of names."""
    xs = e.args[1] if len(e.args) > 1 else next((kw.value for kw in e.kwargs if kw.name == "xs"), None)
    if xs is None:
        return  # binding reports the missing argument
    if not isinstance(xs, ast.ListLit):
        raise CheckError("'gradients' takes a list of names to differentiate by, like [w, b]", xs.span)
    for item in xs.items:
        if not isinstance(item, ast.Name):
            raise CheckError("'gradients' differentiates with respect to names bound in the function "
                             "(a parameter or a `let`); bind this expression with `let` first", item.span)
