"""Checking gradients against central finite differences in float64.

`GradCase(expr, inputs, wrt)` names a `.tf` expression of the inputs; the
program built from it has three generic entries: `out` (the expression),
`value` (`sum(out * r)`, a random cotangent `r` so every output element
counts) and `grad` (the `gradients` of `value`). The gradient a target
computes must match the central difference of `value` (run by the eager
target) at every element of every input differentiated by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import tfir


@dataclass
class GradCase:
    expr: str
    inputs: dict[str, np.ndarray]
    wrt: Sequence[str] = ()
    rtol: float = 1e-6
    atol: float = 1e-8
    eps: float = 1e-6
    body: str = ""  # statements before `return expr` (loops, branches)
    order: int = 1  # 2: the gradient of (the gradient . r2), a Hessian-vector product
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.wrt:
            self.wrt = [n for n, a in self.inputs.items() if a.dtype.kind == "f"]

    def source(self) -> str:
        params = ", ".join([*self.inputs, *self.extra])
        gs = ", ".join(f"g_{n}" for n in self.wrt)
        wrt = ", ".join(self.wrt)
        first = (f"fn value(r, {params}) {{ {self.body} return sum(({self.expr}) * r); }}\n"
                 f"fn out({params}) {{ {self.body} return {self.expr}; }}\n")
        if self.order == 1:
            return first + (f"fn grad(r, {params}) {{ let {gs} = gradients(value(r, {params}), [{wrt}]);"
                            f" return {gs}; }}\n")
        # Second order: value2 = sum_i <grad_i, r2_i>, differentiated again.
        r2 = ", ".join(f"r2_{n}" for n in self.wrt)
        dot = " + ".join(f"sum(g_{n} * r2_{n})" for n in self.wrt)
        hs = ", ".join(f"h_{n}" for n in self.wrt)
        return first + (
            f"fn value2(r, {r2}, {params}) {{ let {gs} = gradients(value(r, {params}), [{wrt}]);"
            f" return {dot}; }}\n"
            f"fn grad(r, {r2}, {params}) {{ let {hs} = gradients(value2(r, {r2}, {params}), [{wrt}]);"
            f" return {hs}; }}\n")


def finite_differences(fn, args: list[np.ndarray], index: int, eps: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    """The central difference of scalar `fn(*args)` along every element of `args[index]`."""
    x = args[index]
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        h = eps * max(1.0, abs(float(x[i])))
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        hi = float(fn(*args[:index], plus, *args[index + 1:]))
        lo = float(fn(*args[:index], minus, *args[index + 1:]))
        out[i] = (hi - lo) / (2 * h)
    return out


def check(case: GradCase, target: str = "eager", seed: int = 0, **options: object) -> list[np.ndarray]:
    """Asserts the gradients `target` computes (compiled with `options`) match
    finite differences; returns them."""
    rng = np.random.default_rng(seed)
    text = case.source()
    eager = tfir.compile_source(text, "<gradcheck>", target="eager")
    program = eager if target == "eager" and not options else \
        tfir.compile_source(text, "<gradcheck>", target=target, **options)
    arrays = [*case.inputs.values(), *case.extra.values()]
    shape = np.shape(eager.out(*arrays))
    r = np.asarray(rng.normal(size=shape))
    names = list(case.inputs) + list(case.extra)
    if case.order == 1:
        got = _tuple(program.grad(r, *arrays))
        lead = [r]
        fd_fn = eager.value
    else:
        r2 = [rng.normal(size=case.inputs[n].shape) for n in case.wrt]
        got = _tuple(program.grad(r, *r2, *arrays))
        lead = [r, *r2]
        fd_fn = eager.value2
    for name, g in zip(case.wrt, got, strict=True):
        index = len(lead) + names.index(name)
        want = finite_differences(fd_fn, [*lead, *arrays], index, case.eps)
        assert g.shape == case.inputs[name].shape and g.dtype == case.inputs[name].dtype
        np.testing.assert_allclose(g, want, rtol=case.rtol, atol=case.atol,
                                   err_msg=f"d/d{name} of {case.expr} on {target}")
    return got


def _tuple(value: object) -> tuple[np.ndarray, ...]:
    return value if isinstance(value, tuple) else (value,)  # type: ignore[return-value]
