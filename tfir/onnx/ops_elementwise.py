"""ONNX elementwise ops: arithmetic, comparisons, logic, `Where`, `Cast` and
the activations, as `.tf` operators, builtins and small compositions.

`.tf` has no implicit promotion: where ONNX mixes dtypes (`Pow`'s exponent)
the handler casts; integer `Div` truncates in ONNX and floors in `floordiv`,
so it goes through the `onnx_div_trunc` helper.
"""

from __future__ import annotations

import numpy as np

from tfir.onnx.model import FLOATS, INTS
from tfir.onnx.node import NodeCtx, Rule, rule

ELEMENTWISE: dict[str, Rule] = {}

_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "Equal": "==", "Less": "<", "LessOrEqual": "<=",
          "Greater": ">", "GreaterOrEqual": ">="}


def _need(n: NodeCtx, i: int, allowed: frozenset[str], what: str) -> str:
    dtype = n.dtype(i)
    if dtype not in allowed:
        raise n.error(f"{what}, got {dtype}")
    return dtype


def _bool_type(n: NodeCtx, i: int) -> None:
    _need(n, i, frozenset({"bool"}), "needs bool operands")


@rule(ELEMENTWISE, *_INFIX)
def _infix(n: NodeCtx) -> None:
    if n.op in ("Add", "Sub", "Mul", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"):
        _need(n, 0, FLOATS | INTS, "needs numeric operands")
    n.out(f"{n.x(0)} {_INFIX[n.op]} {n.x(1)}")


@rule(ELEMENTWISE, "Div")
def _div(n: NodeCtx) -> None:
    dtype = _need(n, 0, FLOATS | INTS, "needs numeric operands")
    if dtype in INTS:
        n.out(f"{n.helper('onnx_div_trunc')}({n.x(0)}, {n.x(1)})")
    else:
        n.out(f"{n.x(0)} / {n.x(1)}")


@rule(ELEMENTWISE, "Mod", attrs="fmod")
def _mod(n: NodeCtx) -> None:
    dtype = _need(n, 0, FLOATS | INTS, "needs numeric operands")
    if n.attr("fmod", 0) and dtype in ("f16", "f32"):
        # mod's remainder shifted by the divisor rounds at the divisor's scale: do it in f64
        n.out(f"cast({n.helper('onnx_fmod')}(cast({n.x(0)}, f64), cast({n.x(1)}, f64)), {dtype})")
    elif n.attr("fmod", 0):
        n.out(f"{n.helper('onnx_fmod')}({n.x(0)}, {n.x(1)})")
    else:  # the sign of the divisor, as NumPy (opset 28 allows it on floats)
        n.out(f"mod({n.x(0)}, {n.x(1)})")


@rule(ELEMENTWISE, "Pow")
def _pow(n: NodeCtx) -> None:
    base, exp = n.dtype(0), n.dtype(1)
    for d in (base, exp):
        if d not in FLOATS | INTS:
            raise n.error(f"needs numeric operands, got {d}")
    if base == exp:
        n.out(f"pow({n.x(0)}, {n.x(1)})")
    elif base in FLOATS:
        n.out(f"pow({n.x(0)}, cast({n.x(1)}, {base}))")
    else:  # ONNX computes an integer base to a float power in floating point, then truncates
        wide = "f64"
        n.out(f"cast(pow(cast({n.x(0)}, {wide}), cast({n.x(1)}, {wide})), {base})")


@rule(ELEMENTWISE, "Max", "Min", "Sum", "Mean")
def _variadic(n: NodeCtx) -> None:
    xs = n.xs()
    dtype = _need(n, 0, FLOATS | INTS, "needs numeric operands")
    if n.op == "Mean" and dtype not in FLOATS:
        raise n.error(f"Mean of {dtype} tensors is not supported (tfir's mean needs floats)")
    if n.op in ("Max", "Min"):
        fn = "maximum" if n.op == "Max" else "minimum"
        expr = xs[0]
        for x in xs[1:]:
            expr = f"{fn}({expr}, {x})"
    else:
        expr = " + ".join(xs)
        if n.op == "Mean" and len(xs) > 1:
            expr = f"({expr}) / {float(len(xs))}"
    n.out(expr)


@rule(ELEMENTWISE, "And", "Or", "Xor")
def _logic(n: NodeCtx) -> None:
    _bool_type(n, 0)
    fn = {"And": "logical_and", "Or": "logical_or"}.get(n.op)
    n.out(f"{fn}({n.x(0)}, {n.x(1)})" if fn else f"{n.x(0)} != {n.x(1)}")


@rule(ELEMENTWISE, "Not")
def _not(n: NodeCtx) -> None:
    _bool_type(n, 0)
    n.out(f"logical_not({n.x(0)})")


@rule(ELEMENTWISE, "Where")
def _where(n: NodeCtx) -> None:
    n.out(f"where({n.x(0)}, {n.x(1)}, {n.x(2)})")


@rule(ELEMENTWISE, "Cast", attrs="to saturate round_mode")
def _cast(n: NodeCtx) -> None:
    to = n.out_dtype(0)
    n.out(n.x(0) if to == n.dtype(0) else f"cast({n.x(0)}, {to})")


@rule(ELEMENTWISE, "CastLike", attrs="saturate round_mode")
def _cast_like(n: NodeCtx) -> None:
    to = n.dtype(1)
    n.out(n.x(0) if to == n.dtype(0) else f"cast({n.x(0)}, {to})")


@rule(ELEMENTWISE, "Identity")
def _identity(n: NodeCtx) -> None:
    n.out(n.x(0))


_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Erf": "erf", "Exp": "exp", "Log": "log",
          "Sqrt": "sqrt", "Neg": "neg", "Abs": "abs", "Floor": "floor", "Ceil": "ceil", "Sign": "sign",
          "Sin": "sin", "Cos": "cos", "Tan": "tan", "Atan": "atan", "Softplus": "softplus"}
_NUMERIC_UNARY = frozenset({"Relu", "Neg", "Abs", "Sign"})


@rule(ELEMENTWISE, *_UNARY)
def _unary(n: NodeCtx) -> None:
    allowed = FLOATS | INTS if n.op in _NUMERIC_UNARY else FLOATS
    _need(n, 0, allowed, "needs a float operand" if allowed == FLOATS else "needs a numeric operand")
    n.out(f"{_UNARY[n.op]}({n.x(0)})")


@rule(ELEMENTWISE, "Reciprocal")
def _reciprocal(n: NodeCtx) -> None:
    _need(n, 0, FLOATS, "needs a float operand")
    n.out(f"1.0 / {n.x(0)}")


def _float_unary(n: NodeCtx) -> str:
    _need(n, 0, FLOATS, "needs a float operand")
    return n.x(0)


@rule(ELEMENTWISE, "HardSigmoid", attrs="alpha beta")
def _hard_sigmoid(n: NodeCtx) -> None:
    x = _float_unary(n)
    alpha, beta = n.attr("alpha", 0.2), n.attr("beta", 0.5)
    n.out(f"maximum(minimum({float_attr(alpha)} * {x} + {float_attr(beta)}, 1.0), 0.0)")


@rule(ELEMENTWISE, "HardSwish")
def _hard_swish(n: NodeCtx) -> None:
    x = _float_unary(n)
    n.out(f"{x} * maximum(minimum({float_attr(1 / 6)} * {x} + 0.5, 1.0), 0.0)")


@rule(ELEMENTWISE, "Selu", attrs="alpha gamma")
def _selu(n: NodeCtx) -> None:
    x = _float_unary(n)
    alpha, gamma = n.attr("alpha", 1.67326319217681884765625), n.attr("gamma", 1.05070102214813232421875)
    n.out(f"where({x} > 0.0, {x}, exp({x}) * {float_attr(alpha)} - {float_attr(alpha)}) * {float_attr(gamma)}")


@rule(ELEMENTWISE, "Celu", attrs="alpha")
def _celu(n: NodeCtx) -> None:
    x = _float_unary(n)
    alpha = float_attr(n.attr("alpha", 1.0))
    n.out(f"maximum({x}, 0.0) + minimum({alpha} * (exp({x} / {alpha}) - 1.0), 0.0)")


@rule(ELEMENTWISE, "Softsign")
def _softsign(n: NodeCtx) -> None:
    x = _float_unary(n)
    n.out(f"{x} / (1.0 + abs({x}))")


@rule(ELEMENTWISE, "ThresholdedRelu", attrs="alpha")
def _thresholded_relu(n: NodeCtx) -> None:
    x = _float_unary(n)
    n.out(f"where({x} > {float_attr(n.attr('alpha', 1.0))}, {x}, 0.0)")


@rule(ELEMENTWISE, "Shrink", attrs="bias lambd")
def _shrink(n: NodeCtx) -> None:
    x = _float_unary(n)
    bias, lambd = float_attr(n.attr("bias", 0.0)), float_attr(n.attr("lambd", 0.5))
    n.out(f"where({x} < -{lambd}, {x} + {bias}, where({x} > {lambd}, {x} - {bias}, 0.0))")


@rule(ELEMENTWISE, "Mish")
def _mish(n: NodeCtx) -> None:
    x = _float_unary(n)
    # softplus(x) = log(1 + exp(x)); where exp overflows, tanh(inf) is 1 and the result x, as it should be
    n.out(f"{x} * tanh(log(1.0 + exp({x})))")


@rule(ELEMENTWISE, "Swish", attrs="alpha")
def _swish(n: NodeCtx) -> None:
    x = _float_unary(n)
    alpha = n.attr("alpha", 1.0)
    n.out(f"{x} * sigmoid({x})" if alpha == 1.0 else f"{x} * sigmoid({float_attr(alpha)} * {x})")


@rule(ELEMENTWISE, "PRelu")
def _prelu(n: NodeCtx) -> None:
    _need(n, 0, FLOATS | INTS, "needs a numeric operand")
    n.out(f"where({n.x(0)} < 0, {n.x(1)} * {n.x(0)}, {n.x(0)})")


@rule(ELEMENTWISE, "Gelu", attrs="approximate")
def _gelu(n: NodeCtx) -> None:
    x = _float_unary(n)
    approximate = n.attr("approximate", "none")
    if approximate == "tanh":
        n.out(f"gelu({x})")
    elif approximate == "none":
        n.out(f"0.5 * {x} * (1.0 + erf({x} * {float_attr(2 ** -0.5)}))")
    else:
        raise n.error(f"approximate='{approximate}' is not supported (expected none or tanh)")


@rule(ELEMENTWISE, "Clip")
def _clip(n: NodeCtx) -> None:
    _need(n, 0, FLOATS | INTS, "needs a numeric operand")
    x, lo, hi = n.x(0), n.has(1), n.has(2)
    if lo and hi:  # numpy.clip: where min > max, every value is max, as ONNX says
        n.out(f"clip({x}, {n.x(1)}, {n.x(2)})")
    elif lo:
        n.out(f"maximum({x}, {n.x(1)})")
    elif hi:
        n.out(f"minimum({x}, {n.x(2)})")
    else:
        n.out(x)


@rule(ELEMENTWISE, "LeakyRelu", attrs="alpha")
def _leaky_relu(n: NodeCtx) -> None:
    x = _float_unary(n)  # ONNX and leaky_relu both keep x >= 0
    n.out(f"leaky_relu({x}, alpha={float_attr(n.attr('alpha', 0.01))})")


@rule(ELEMENTWISE, "Elu", attrs="alpha")
def _elu(n: NodeCtx) -> None:
    x = _float_unary(n)
    alpha = float(n.attr("alpha", 1.0))
    n.out(f"elu({x})" if alpha == 1.0 else f"elu({x}, alpha={float_attr(alpha)})")


@rule(ELEMENTWISE, "IsNaN")
def _isnan(n: NodeCtx) -> None:
    n.out(f"isnan({_float_unary(n)})")


@rule(ELEMENTWISE, "IsInf", attrs="detect_negative detect_positive")
def _isinf(n: NodeCtx) -> None:
    x = _float_unary(n)
    neg, pos = int(n.attr("detect_negative", 1)), int(n.attr("detect_positive", 1))
    if neg and pos:
        n.out(f"isinf({x})")
    elif neg or pos:
        n.out(f"logical_and(isinf({x}), {x} {'<' if neg else '>'} 0.0)")
    else:
        n.out(f"isinf({x}) != isinf({x})")  # nothing detected: all false, of x's shape


# Inverse and hyperbolic trigonometry, which `.tf` composes from its builtins:
# written so that they keep their precision near 0 and +-1 and do not overflow
# early (above 1e10, asinh and acosh use log(2 |x|), exact to float precision).
_TRIG = {
    "Sinh": "(expm1({x}) - expm1(-{x})) * 0.5",
    "Cosh": "(exp({x}) + exp(-{x})) * 0.5",
    "Asin": "atan2({x}, sqrt((1.0 - {x}) * (1.0 + {x})))",
    "Acos": "atan2(sqrt((1.0 - {x}) * (1.0 + {x})), {x})",
    "Atanh": "0.5 * (log1p({x}) - log1p(-{x}))",
    "Asinh": "sign({x}) * where(abs({x}) > 1e10, log(abs({x})) + 0.6931471805599453, "
             "log1p(abs({x}) + {x} * {x} / (1.0 + sqrt(1.0 + {x} * {x}))))",
    "Acosh": "where({x} > 1e10, log({x}) + 0.6931471805599453, log({x} + sqrt({x} - 1.0) * sqrt({x} + 1.0)))",
}


@rule(ELEMENTWISE, *_TRIG)
def _trig(n: NodeCtx) -> None:
    n.out(_TRIG[n.op].format(x=_float_unary(n)))


@rule(ELEMENTWISE, "Round")
def _round(n: NodeCtx) -> None:
    """Halves to even, as ONNX (and NumPy) round: floor, then up above one half,
    and at one half exactly up only from an odd floor."""
    x = _float_unary(n)
    f = n.tmp(f"floor({x})", "floor")
    d = n.tmp(f"{x} - {f}", "fraction")  # exact: x and its floor are close
    half = f"where({d} > 0.5, {f} + 1.0, where({d} < 0.5, {f}, {f} + mod({f}, 2.0)))"
    n.out(f"where(isinf({x}), {x}, {half})")


def float_attr(value: float) -> str:
    """A float attribute as a literal: ONNX attributes are f32, printed as the f32 they hold."""
    from tfir.onnx.emit_tf import float_text
    text = float_text(float(np.float32(value)), "f32")
    return f"({text})" if text.startswith("-") else text


__all__ = ["ELEMENTWISE"]
