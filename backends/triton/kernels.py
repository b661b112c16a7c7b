"""Python source for Triton from the `device` level: the kernels.

One `@triton.jit` function per `device.kernel` (one statement per op, block
sizes as `tl.constexpr` parameters, every load and store masked, a
`# file.tf:LINE  text` comment above the code of each source line) and its
`KERNELS` table entry (signature, constexprs, grid and num_warps: what
`triton.compile` needs). The host function and the module around them are
printed by triton_host.py.

It reads as hand-written Triton: buffers are `NAME_ptr` parameters (NAME from
the IR, else the host's name for the launched buffer) and a load from one is
`NAME`; splat constants are literals (`tl.zeros` / `tl.full` where a block is
needed); block sizes appear by name (`pid * BLOCK_M`, `range(0, K, BLOCK_K)`);
a loop-carried value is updated in place (`acc = tl.dot(a, b, acc)`); an
arange, an `x[:, None]` or a product used once is printed inside its user.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue

from tfir.backends.common.emitter import PYTHON_NAMES, PyEmitter, SourceLine
from tfir.dialects import device
from tfir.dialects.device import element_of, shape_of
from tfir.dialects.dtypes import ElementType, of_element
from tfir.errors import InternalError
from tfir.lowering.utils.constants import splat_element


class TritonCodegenError(InternalError):
    """An op of the device level the Triton backend cannot print: a compiler bug."""


def _element(elem: Attribute) -> ElementType:
    try:
        return of_element(elem)
    except ValueError:
        raise TritonCodegenError(f"no Triton dtype for {elem}") from None


def tl_dtype(elem: Attribute) -> str:
    d = _element(elem)
    return f"tl.float{d.bits}" if d.kind == "float" else f"tl.int{d.bits}"


def pointer_signature(elem: Attribute) -> str:
    """`triton.compile` signature entry of a pointer to `elem`."""
    d = _element(elem)
    return f"*fp{d.bits}" if d.kind == "float" else f"*i{d.bits}"


def _literal(value: float | int | bool, elem: Attribute) -> str:
    if isinstance(elem, IntegerType):
        return str(bool(value)) if elem.width.data == 1 else str(int(value))
    value = float(value)
    if math.isnan(value):
        return "(INF - INF)"  # a NaN global would fail Triton's constexpr equality check
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if isinstance(elem, Float16Type | Float32Type):
        # the shortest text that rounds to the same value (0.05, not 0.05000000074505806)
        narrow = np.float16 if isinstance(elem, Float16Type) else np.float32
        short = repr(float(str(narrow(value))))
        if narrow(float(short)) == narrow(value):
            return short
    return repr(value)


_INFIX = {"arith.addf": "+", "arith.addi": "+", "arith.subf": "-", "arith.subi": "-",
          "arith.mulf": "*", "arith.muli": "*", "arith.divf": "/", "arith.divsi": "//",
          "arith.remsi": "%", "arith.remf": "%", "arith.andi": "&", "arith.ori": "|",
          "arith.xori": "^", "arith.shli": "<<", "arith.shrsi": ">>"}
_CALLS = {"arith.maxsi": "tl.maximum", "arith.minsi": "tl.minimum",
          "arith.maxnumf": "tl.maximum", "arith.minnumf": "tl.minimum",
          "math.exp": "tl.exp", "math.exp2": "tl.exp2", "math.log": "tl.log",
          "math.log2": "tl.log2", "math.sqrt": "tl.sqrt_rn", "math.rsqrt": "tl.rsqrt",
          "math.absf": "tl.abs", "math.absi": "tl.abs", "math.floor": "tl.floor",
          "math.ceil": "tl.ceil", "math.sin": "tl.sin", "math.cos": "tl.cos",
          "math.erf": "tl.erf", "math.fma": "tl.fma", "math.tanh": "_tanh",
          "arith.floordivsi": "_floordiv", "math.powf": "_powf", "math.ipowi": "_ipow",
          "math.log1p": "_log1p", "math.expm1": "_expm1", "math.tan": "_tan", "math.atan": "_atan",
          "math.atan2": "_atan2"}
# helpers that call other helpers
HELPER_NEEDS = {"_atan2": ("_atan", "_k"), "_atan": ("_k",)}
_NAN_CALLS = {"arith.maximumf": "tl.maximum", "arith.minimumf": "tl.minimum"}
# Triton's math functions take fp32 and fp64 only (sqrt_rn: fp32 only): f16
# operands are computed in f32 and rounded back, as NumPy computes them.
_F32_ONLY = {"tl.sqrt_rn": "tl.sqrt"}
_FLOAT_MATH = frozenset({"tl.exp", "tl.exp2", "tl.log", "tl.log2", "tl.sqrt_rn", "tl.rsqrt", "tl.floor",
                         "tl.ceil", "tl.sin", "tl.cos", "tl.erf", "tl.fma", "_tanh", "_powf",
                         "_log1p", "_expm1", "_tan", "_atan", "_atan2"})
_CMP = {"eq": "{a} == {b}", "ne": "{a} != {b}", "lt": "{a} < {b}", "le": "{a} <= {b}",
        "gt": "{a} > {b}", "ge": "{a} >= {b}", "one": "({a} < {b}) | ({a} > {b})",
        "ueq": "~(({a} < {b}) | ({a} > {b}))", "ult": "~({a} >= {b})", "ule": "~({a} > {b})",
        "ugt": "~({a} <= {b})", "uge": "~({a} < {b})", "ord": "({a} == {a}) & ({b} == {b})",
        "uno": "({a} != {a}) | ({b} != {b})"}
_REDUCE = {"sum": "tl.sum", "max": "tl.max", "min": "tl.min", "argmax": "tl.argmax",
           "argmin": "tl.argmin"}

MODULE_NAMES = ("tl", "triton", "INF", "rt", "KERNELS", "base64")
"""Module-level names of a generated Triton module (besides kernels and helpers)."""

HELPERS = {
    "_tanh": '''@triton.jit
def _tanh(x):
    # tanh from exp (no libdevice under the interpreter): odd series near 0,
    # (1 - e) / (1 + e) with e = exp(-2|x|) elsewhere, so nothing overflows
    ax = tl.abs(x)
    x2 = x * x
    series = x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))))
    e = tl.exp(-2.0 * ax)
    t = (1.0 - e) / (1.0 + e)
    return tl.where(ax < 0.125, series, tl.where(x < 0, -t, t))''',
    "_floordiv": '''@triton.jit
def _floordiv(a, b):
    # Python's floor division from C's truncating one
    q = a // b
    return tl.where((a % b != 0) & ((a < 0) != (b < 0)), q - 1, q)''',
    "_powf": '''@triton.jit
def _powf(a, b):
    # a ** b as exp2(b * log2|a|); a negative finite base needs an integral exponent;
    # IEEE's pow(1, b) and pow(-1, +-inf) are 1 whatever b, pow(a, 0) is 1 whatever a
    b = tl.where(a == a, b, b)  # a literal operand as a block of the other's shape: the
    a = tl.where(b == b, a, a)  # interpreter cannot combine 0-d values with `&`
    r = tl.exp2(b * tl.log2(tl.abs(a)))
    integral = tl.floor(b) == b
    odd = integral & (tl.floor(b * 0.5) * 2.0 != b)
    negative = (a < 0) | ((a == 0) & (1.0 / a < 0))
    nan = (a < 0) & (a != -INF) & ~integral  # -inf and -0.0 to a fraction: |a| ** b
    r = tl.where(negative & odd, -r, r)
    r = tl.where(nan, INF - INF, r)
    one = (b == 0) | (a == 1.0) | ((a == -1.0) & (tl.abs(b) == INF))
    return tl.where(one, 1.0, r)''',
    "_ipow": '''@triton.jit
def _ipow(a, b):
    # integer a ** b, b >= 0, by squaring; 64 rounds cover every exponent
    base = a + b * 0  # both operands as blocks of one shape and type (one may be a literal)
    e = b + a * 0
    result = base * 0 + 1
    for _ in range(64):
        result = tl.where((e & 1) != 0, result * base, result)
        base = base * base
        e = e >> 1
    return result''',
    "_mul": '''@triton.jit
def _mul(a, b):
    return a * b''',
    "_nanmax": '''@triton.jit
def _nanmax(a, b):
    # NumPy's max: a NaN wins
    return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)''',
    "_nanmin": '''@triton.jit
def _nanmin(a, b):
    return tl.minimum(a, b, propagate_nan=tl.PropagateNan.ALL)''',
    "_argmax": '''@triton.jit
def _argmax(x, axis: tl.constexpr):
    # NumPy's argmax: the first NaN if there is one, else the first maximum
    nan = (x != x).to(tl.int32)
    first_nan = tl.argmax(nan, axis=axis, tie_break_left=True)
    plain = tl.argmax(tl.where(nan > 0, -INF, x), axis=axis, tie_break_left=True)
    return tl.where(tl.max(nan, axis=axis) > 0, first_nan, plain)''',
    "_argmin": '''@triton.jit
def _argmin(x, axis: tl.constexpr):
    # NumPy's argmin: the first NaN if there is one, else the first minimum
    nan = (x != x).to(tl.int32)
    first_nan = tl.argmax(nan, axis=axis, tie_break_left=True)
    plain = tl.argmin(tl.where(nan > 0, INF, x), axis=axis, tie_break_left=True)
    return tl.where(tl.max(nan, axis=axis) > 0, first_nan, plain)''',
    "_log1p": '''@triton.jit
def _log1p(x):
    # log(1 + x) to full precision near 0 (Kahan): log(u) * x / (u - 1), u = 1 + x
    u = 1.0 + x
    d = u - 1.0
    r = tl.where(d == 0.0, x, tl.log(u) * (x / d))
    return tl.where(u == INF, u, r)''',
    "_expm1": '''@triton.jit
def _expm1(x):
    # exp(x) - 1 to full precision near 0 (Kahan): (u - 1) * x / log(u), u = exp(x)
    u = tl.exp(x)
    d = u - 1.0
    r = tl.where(u == 1.0, x, tl.where(d == -1.0, -1.0, d * (x / tl.log(u))))
    return tl.where(u == INF, u, r)''',
    "_tan": '''@triton.jit
def _tan(x):
    return tl.sin(x) / tl.cos(x)''',
    "_atan": '''@triton.jit
def _atan(x):
    # Cephes' atan: reduce |x| to [0, 0.66], a rational approximation there
    ax = tl.abs(x)
    big = ax > 2.414213562373095
    mid = ax > 0.66
    t = tl.where(big, -1.0 / ax, tl.where(mid, (ax - 1.0) / (ax + 1.0), ax))
    y0 = tl.where(big, _k(1.5707963267948966, x), tl.where(mid, _k(0.7853981633974483, x), _k(0.0, x)))
    z = t * t
    p = (((-8.750608600031904e-1 * z - 1.615753718733365e1) * z - 7.500855792314705e1) * z
         - 1.2288666844901362e2) * z - 6.485021904942025e1
    q = ((((z + 2.485846490142306e1) * z + 1.650270098316988e2) * z + 4.328810604912903e2) * z
         + 4.853903996359137e2) * z + 1.9455065714826139e2
    r = y0 + (t * (z * p / q) + t) + tl.where(big, _k(6.123233995736766e-17, x),
                                              tl.where(mid, _k(3.061616997868383e-17, x), _k(0.0, x)))
    r = tl.where(x < 0, -r, r)
    return tl.where(ax == 0.0, x, r)''',
    "_atan2": '''@triton.jit
def _atan2(y, x):
    # numpy.arctan2 from atan(|y| / |x|), with its signed zeros and infinities
    y = tl.where(x == x, y, y)  # a literal operand as a block of the other's shape
    x = tl.where(y == y, x, x)
    ax = tl.abs(x)
    ay = tl.abs(y)
    a = _atan(ay / ax)
    a = tl.where((ax == INF) & (ay == INF), _k(0.7853981633974483, a), a)
    a = tl.where((ax == 0.0) & (ay == 0.0), _k(0.0, a), a)
    a = tl.where((x < 0) | ((x == 0.0) & (1.0 / x < 0)), _k(3.141592653589793, a) - a, a)
    return tl.where((y < 0) | ((y == 0.0) & (1.0 / y < 0)), -a, a)''',
    "_k": '''@triton.jit
def _k(value: tl.constexpr, like):
    # the constant in `like`'s float type, rounded once (a float in tl.where is an fp32 constant)
    return tl.full([], value, tl.float64).to(like.dtype)''',

}


def _math_call(call: str, args: list[str], elem: Attribute) -> str:
    """`call(args)` for an element type Triton's math functions may not take."""
    if call in _FLOAT_MATH and isinstance(elem, Float16Type):
        wide = ", ".join(f"{a}.to(tl.float32)" if not _is_number(a) else a for a in args)
        return f"{call}({wide}).to(tl.float16)"
    if call in _F32_ONLY and not isinstance(elem, Float32Type):
        call = _F32_ONLY[call]
    if isinstance(elem, Float64Type):
        # A float literal passed to a function is an fp32 scalar (`_powf(1.5, x)`
        # then computes log2(1.5) in f32): an f64 constant instead.
        args = [f"tl.full([], {a}, tl.float64)" if _is_number(a) else a for a in args]
    return f"{call}({', '.join(args)})"


def _scalar_root(value: SSAValue) -> bool:
    """Whether `value` is a scalar splat or broadcast, which the kernel prints as the scalar."""
    while isinstance(value.owner, device.SplatOp | device.BroadcastOp):
        value = value.owner.operands[0]
    return not isinstance(value.type, TensorType)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _splat_value(op: Operation) -> float | int | None:
    """The value of a scalar or splat `arith.constant`, else None."""
    if not isinstance(op, arith.ConstantOp):
        return None
    value = op.value
    if isinstance(value, IntegerAttr | FloatAttr):
        return value.value.data
    if isinstance(value, DenseIntOrFPElementsAttr):
        return splat_element(value)  # bits: a NaN splat is one, [0.0, -0.0] is not
    return None


class KernelPrinter:
    """Prints one `device.kernel` as a `@triton.jit` function."""

    def __init__(self, kernel: device.KernelOp, source_line: SourceLine | None, helpers: set[str],
                 arg_names: Sequence[str | None] = ()):
        self.kernel = kernel
        self.em = PyEmitter(source_line=source_line)
        self.em.reserve(*MODULE_NAMES, *HELPERS, *PYTHON_NAMES)  # module-level names kernels use
        self.names: dict[SSAValue, str] = {}
        # a value yielded to a loop-carried variable is bound to it directly
        self.preset: dict[SSAValue, str] = {}
        # what a load from each pointer parameter is called (`x` for `x_ptr`)
        self.stems: dict[SSAValue, str] = {}
        self.params = self._params(arg_names)
        # Triton broadcasts operands of elementwise ops itself, so a broadcast
        # is printed only where a shape must be exact (load/store offsets,
        # reductions, dots, loop values); `short` holds the shape a printed
        # expression really has where it is smaller than its type's
        self.short: dict[SSAValue, tuple[int, ...]] = {}
        self.helpers = helpers
        blocks = kernel.blocks()
        self.block_names = {size: name for name, size in blocks.items()
                            if list(blocks.values()).count(size) == 1}

    def _params(self, arg_names: Sequence[str | None]) -> list[str]:
        """`NAME_ptr` per buffer, NAME from the IR's hint, else the launch's."""
        args = self.kernel.body.block.args
        hints = list(arg_names) + [None] * (len(args) - len(arg_names))
        params = []
        for i, (arg, hint) in enumerate(zip(args, hints, strict=True)):
            written = any(isinstance(u.operation, device.StoreOp) for u in arg.uses)
            stem = arg.name_hint or hint or ("out" if written else f"in{i}")
            self.stems[arg] = stem
            params.append(self.em.fresh(stem + "_ptr"))
            self.names[arg] = params[-1]
        return params

    def ref(self, value: SSAValue) -> str:
        if value in self.names:
            return self.names[value]
        owner = value.owner
        literal = _splat_value(owner) if isinstance(owner, Operation) else None
        if literal is None:
            raise TritonCodegenError(f"value used before it is defined: {value}")
        return _literal(literal, element_of(value.type))

    def printed_shape(self, value: SSAValue) -> tuple[int, ...]:
        """The shape the printed expression of `value` has (literals are scalars)."""
        if value in self.short:
            return self.short[value]
        return shape_of(value.type) if value in self.names else ()

    def full(self, value: SSAValue) -> str:
        """The value as an expression of exactly its type's shape."""
        owner = value.owner
        literal = _splat_value(owner) if isinstance(owner, Operation) else None
        if literal is not None and value not in self.names:
            return self.splat_block(literal, value)
        expr = self.ref(value)
        if value not in self.short:
            return expr
        was = self.short.pop(value)
        elem = tl_dtype(element_of(value.type))
        name = self.em.fresh((value.name_hint or "v") + "_b")
        if was:
            self.em.line(f"{name} = tl.broadcast_to({expr}, {self.shape(value)})")
        else:
            self.em.line(f"{name} = tl.full({self.shape(value)}, {expr}, {elem})")
        self.names[value] = name
        return name

    def shape(self, value: SSAValue, names: Sequence[str] = ()) -> str:
        """The shape in block-size names where they tell (`names` first)."""
        blocks = self.kernel.blocks()
        shape = shape_of(value.type)
        owner = value.owner
        if not names and len(shape) == 2 and isinstance(owner, Operation) and \
                not isinstance(owner.parent_op(), scf.ForOp):
            names = ("BLOCK_M", "BLOCK_N")  # outside a dot's K loop, tiles are M x N
        given = [n if blocks.get(n) == d else None for n, d in zip(names, shape, strict=False)]
        given += [None] * (len(shape) - len(given))
        dims = [g or self.block_names.get(d, str(d)) for g, d in zip(given, shape, strict=True)]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def bind(self, value: SSAValue, expr: str, hint: str = "v") -> None:
        name = self.preset.pop(value, None) or self.em.fresh(value.name_hint or hint)
        self.names[value] = name
        self.em.line(f"{name} = {expr}")

    def print(self) -> str:
        args = self.params + [f"{n}: tl.constexpr" for n in self.kernel.blocks()]
        for name in self.kernel.blocks():
            self.em.fresh(name)
        self.em.line("@triton.jit")
        with self.em.block(f"def {self.kernel.sym_name.data}({', '.join(args)})"):
            self.ops(self.kernel.body.block.ops)
        return self.em.text()

    def ops(self, ops) -> None:
        for op in ops:
            if isinstance(op, device.ReturnOp | scf.YieldOp):
                continue
            if isinstance(op, arith.ConstantOp) and self._inline(op):
                continue
            if not self._silent(op):  # a comment only above code
                self.em.source_comment(op)
            self.op(op)

    @staticmethod
    def _silent(op: Operation) -> bool:
        """Ops printed inline in their users, not as statements: `r[:, None]`
        and `start + tl.arange(0, BLOCK)` read best inline."""
        if isinstance(op, device.ArangeOp | arith.MuliOp):  # `a * b + c` needs no parentheses
            return op.results[0].has_one_use() and \
                isinstance(next(iter(op.results[0].uses)).operation, arith.AddiOp)
        return isinstance(op, device.SplatOp | device.BroadcastOp | device.ExpandDimsOp)

    @staticmethod
    def _inline(op: arith.ConstantOp) -> bool:
        """Splat constants are printed where they are used: a literal in
        elementwise ops and loop bounds, `tl.zeros` / `tl.full` elsewhere."""
        return _splat_value(op) is not None

    def literal_ref(self, value: SSAValue) -> str:
        """A splat constant as its literal (Triton broadcasts scalars), else `ref`."""
        owner = value.owner
        literal = _splat_value(owner) if isinstance(owner, Operation) else None
        if literal is None:
            return self.ref(value)
        return _literal(literal, element_of(value.type))

    def operand_shape(self, value: SSAValue) -> tuple[int, ...]:
        owner = value.owner
        if isinstance(owner, Operation) and _splat_value(owner) is not None:
            return ()
        return self.printed_shape(value)

    def _elementwise(self, op: Operation) -> bool:
        return op.name in _INFIX or op.name in _CALLS or op.name in _NAN_CALLS or \
            op.name == "arith.negf" or isinstance(op, device.CmpOp | device.SelectOp |
                                                  device.CastOp)

    def op(self, op: Operation) -> None:
        if isinstance(op, scf.ForOp):
            self.loop(op)
            return
        elementwise = self._elementwise(op)
        if elementwise:
            r = self._typed_literals(op, [self.literal_ref(o) for o in op.operands])

        elif isinstance(op, device.BroadcastOp | device.SplatOp):
            r = [self.ref(o) for o in op.operands]
        else:
            r = [self.full(o) for o in op.operands]
        self._op(op, r)
        if elementwise:  # its printed shape is the broadcast of its operands'
            shapes = [self.operand_shape(o) for o in op.operands]
            rank = len(shape_of(op.results[0].type))
            got = tuple(max((sh[i] for sh in shapes if len(sh) == rank), default=1)
                        for i in range(rank)) if any(shapes) else ()
            if got != shape_of(op.results[0].type):
                self.short[op.results[0]] = got

    def _typed_literals(self, op: Operation, r: list[str]) -> list[str]:
        """Triton types a bare literal int32 (or fp32): where only literals give an
        i64 (f64) result its value (`tl.where(m, 1, -1)` of a 64-bit `sign`),
        the first one is made a scalar of the result's type."""
        elem = element_of(op.results[0].type) if op.results else None
        wide = isinstance(elem, IntegerType) and elem.width.data == 64 or isinstance(elem, Float64Type)
        first = 1 if isinstance(op, device.SelectOp) else 0
        values = list(op.operands)[first:]
        if not wide or isinstance(op, device.CmpOp | device.CastOp) or not values:
            return r
        if all(isinstance(v.owner, Operation) and _splat_value(v.owner) is not None for v in values):
            r = list(r)
            r[first] = f"tl.full([], {r[first]}, {tl_dtype(elem)})"
        return r

    def _op(self, op: Operation, r: list[str]) -> None:
        if isinstance(op, arith.ConstantOp):  # splat ones are printed where they are used
            raise TritonCodegenError("only splat constants can live in a kernel")
        if op.name in _INFIX:
            if isinstance(op, arith.MuliOp):  # `pid * BLOCK`, not `pid * 1024`
                r = [self._block_ref(o, op.results[0]) or x for o, x in zip(op.operands, r,
                                                                           strict=True)]
            expr = f"{r[0]} {_INFIX[op.name]} {r[1]}"
            if op.name in ("arith.addf", "arith.addi") and r[1].startswith("-") and \
                    self.operand_shape(op.operands[1]) == () and \
                    op.operands[1] not in self.names:  # `x - 1.5` for `x + -1.5`: the same value
                expr = f"{r[0]} - {r[1][1:]}"
            if self._silent(op):
                self.names[op.results[0]] = expr
            else:
                self.bind(op.results[0], expr)
        elif op.name in _CALLS:
            call = _CALLS[op.name]
            if call == "tl.sqrt_rn" and isinstance(element_of(op.results[0].type), Float64Type):
                call = "tl.sqrt"  # sqrt_rn is f32 only; f64 sqrt is correctly rounded
            if call.startswith("_"):
                self.helpers.update((call, *HELPER_NEEDS.get(call, ())))
            self.bind(op.results[0], _math_call(call, r, element_of(op.results[0].type)))
        elif op.name in _NAN_CALLS:
            self.bind(op.results[0], f"{_NAN_CALLS[op.name]}({r[0]}, {r[1]}, "
                                     "propagate_nan=tl.PropagateNan.ALL)")
        elif op.name == "arith.negf":
            self.bind(op.results[0], f"-{r[0]}")
        elif op.name.startswith("device."):
            self.device_op(op, r)
        else:
            raise TritonCodegenError(f"the Triton backend cannot print {op.name}")

    def device_op(self, op: Operation, r: list[str]) -> None:
        if isinstance(op, device.ProgramIdOp):
            self.bind(op.result, f"tl.program_id({op.axis.value.data})", "pid")
        elif isinstance(op, device.ArangeOp):
            end = op.block.data if op.block is not None else str(op.end.value.data)
            expr = f"tl.arange({op.start.value.data}, {end})"
            if self._silent(op):
                self.names[op.result] = expr
            else:
                self.bind(op.result, expr, "r")
        elif isinstance(op, device.SplatOp):  # the scalar, until a shape is needed
            self.names[op.result] = r[0]
            self.short[op.result] = ()
        elif isinstance(op, device.ExpandDimsOp):
            index = [":"] * len(shape_of(op.input.type))
            index.insert(op.axis.value.data, "None")
            expr = f"{r[0]}[{', '.join(index)}]"
            self.names[op.result] = expr  # `r[:, None]` reads best where it is used
        elif isinstance(op, device.BroadcastOp):  # the operand, until a shape is needed
            self.names[op.result] = r[0]
            self.short[op.result] = self.printed_shape(op.input)
        elif isinstance(op, device.LoadOp):
            other = f", other={self._other(op)}" if op.other is not None else ""
            self.bind(op.result, f"tl.load({r[0]} + {r[1]}, mask={r[2]}{other})",
                      self.stems.get(op.base, "x"))
        elif isinstance(op, device.StoreOp):
            self.em.line(f"tl.store({r[0]} + {r[1]}, {r[2]}, mask={r[3]})")
        elif isinstance(op, device.AtomicAddOp):
            self.em.line(f"tl.atomic_add({r[0]} + {r[1]}, {r[2]}, mask={r[3]})")
        elif isinstance(op, device.ReduceOp):
            self.reduce(op, r[0])
        elif isinstance(op, device.ScanOp):
            call = "tl.cumsum" if op.kind.data == "sum" else "tl.cumprod"
            self.bind(op.result, f"{call}({r[0]}, axis={op.axis.value.data})", "scan")
        elif isinstance(op, device.DotOp):
            self.bind(op.result, f"tl.dot({r[0]}, {r[1]}, {r[2]}, "
                                 f"input_precision=\"{op.input_precision.data}\")", "acc")
        elif isinstance(op, device.SelectOp):
            self.bind(op.result, f"tl.where({r[0]}, {r[1]}, {r[2]})")
        elif isinstance(op, device.CmpOp):
            self.bind(op.result, _CMP[op.predicate.data].format(a=r[0], b=r[1]), "m")
        elif isinstance(op, device.CastOp):
            to = element_of(op.result.type)
            owner = op.input.owner
            literal = _splat_value(owner) if isinstance(owner, Operation) else None
            if literal is not None and op.input not in self.names:  # `7.to(...)` is no Python
                value = float(literal) if isinstance(to, AnyFloat) else int(literal)
                shape = self.shape(op.result) if shape_of(op.result.type) else "()"
                self.bind(op.result, f"tl.full({shape}, {_literal(value, to)}, {tl_dtype(to)})")
            elif _scalar_root(op.input):
                # a scalar printed as itself (a loop's counter is a Python int under the interpreter: no `.to`)
                self.bind(op.result, f"tl.cast({r[0]}, {tl_dtype(to)})")
            else:
                self.bind(op.result, f"{r[0]}.to({tl_dtype(to)})")
        else:
            raise TritonCodegenError(f"the Triton backend cannot print {op.name}")

    def _block_ref(self, size: SSAValue, start: SSAValue) -> str | None:
        """The block-size name `size` stands for when `start` is where a
        block of that size begins (`start + tl.arange(0, BLOCK)`)."""
        owner = size.owner
        value = _splat_value(owner) if isinstance(owner, Operation) else None
        if value is None or shape_of(size.type):
            return None
        for use in start.uses:
            splat = use.operation
            if not isinstance(splat, device.SplatOp):
                continue
            for add in [u.operation for u in splat.result.uses]:
                if not isinstance(add, arith.AddiOp):
                    continue
                for other in add.operands:
                    rng = other.owner
                    if isinstance(rng, device.ArangeOp) and rng.block is not None and \
                            rng.end.value.data - rng.start.value.data == value:
                        return rng.block.data
        return None

    def _other(self, op: device.LoadOp) -> str:
        assert op.other is not None
        return _literal(op.other.value.data, element_of(op.result.type))

    def reduce(self, op: device.ReduceOp, x: str) -> None:
        kind, axis = op.kind.data, op.axis.value.data
        floats = isinstance(element_of(op.input.type), Float16Type | Float32Type | Float64Type)
        if kind == "prod":
            self.helpers.add("_mul")
            self.bind(op.result, f"tl.reduce({x}, {axis}, _mul)")
        elif floats and kind in ("max", "min"):  # NaN propagates, as in NumPy
            self.helpers.add(f"_nan{kind}")
            self.bind(op.result, f"tl.reduce({x}, {axis}, _nan{kind})")
        elif floats and kind.startswith("arg"):  # the first NaN wins, as in NumPy
            self.helpers.add(f"_{kind}")
            self.bind(op.result, f"_{kind}({x}, {axis})")
        elif kind.startswith("arg"):
            self.bind(op.result, f"{_REDUCE[kind]}({x}, axis={axis}, tie_break_left=True)")
        else:
            self.bind(op.result, f"{_REDUCE[kind]}({x}, axis={axis})")

    def loop(self, op: scf.ForOp) -> None:
        body = op.body.block
        yielded = list(body.last_op.operands)  # type: ignore[union-attr]
        carried = []
        for init, arg, res, value in zip(op.iter_args, body.args[1:], op.results, yielded,
                                         strict=True):
            name = self._loop_init(init, res, isinstance(value.owner, device.DotOp))
            self.names[arg] = self.names[res] = name
            carried.append(name)
            if self._updates_in_place(body, arg, value):
                self.preset[value] = name
        iv = body.args[0]
        self.names[iv] = self.em.fresh(iv.name_hint or "k")
        step = self._block_ref(op.step, iv) or self.ref(op.step)
        with self.em.block(f"for {self.names[iv]} in range({self.ref(op.lb)}, "
                           f"{self.ref(op.ub)}, {step})"):
            self.ops(body.ops)
            for name, value in zip(carried, yielded, strict=True):
                if self.full(value) != name:
                    self.em.line(f"{name} = {self.full(value)}")

    def splat_block(self, literal: float | int, value: SSAValue, dot: bool = False) -> str:
        """A splat constant as an expression of its type's shape."""
        elem = element_of(value.type)
        if not shape_of(value.type):
            return _literal(literal, elem)
        shape = self.shape(value, ("BLOCK_M", "BLOCK_N") if dot else ())
        if literal == 0 and math.copysign(1.0, literal) > 0:  # not -0.0
            return f"tl.zeros({shape}, dtype={tl_dtype(elem)})"
        return f"tl.full({shape}, {_literal(literal, elem)}, {tl_dtype(elem)})"

    def _loop_init(self, init: SSAValue, res: SSAValue, dot: bool) -> str:
        """The loop-carried variable, set to its initial value."""
        owner = init.owner
        literal = _splat_value(owner) if isinstance(owner, Operation) else None
        if literal is not None and init not in self.names:
            name = self.em.fresh(res.name_hint or "acc")
            # a dot's accumulator is BLOCK_M x BLOCK_N even where BLOCK_K is as large
            self.em.line(f"{name} = {self.splat_block(literal, init, dot)}")
            return name
        start = self.full(init)
        if init.has_one_use():  # nothing else reads the initial value: carry it in its name
            return start
        name = self.em.fresh(res.name_hint or "acc")
        self.em.line(f"{name} = {start}")
        return name

    @staticmethod
    def _updates_in_place(body, arg: SSAValue, value: SSAValue) -> bool:
        """Whether `value` may be bound straight to the variable carrying
        `arg`: it is made in the loop body after the last read of `arg`."""
        owner = value.owner
        if not isinstance(owner, Operation) or owner.parent_block() is not body or \
                not value.has_one_use():
            return False
        order = {op: i for i, op in enumerate(body.ops)}
        reads = list(arg.uses)
        while reads:
            user = reads.pop().operation
            if KernelPrinter._silent(user):
                reads += user.results[0].uses  # printed inline where they are used
            while user is not None and user.parent_block() is not body:
                user = user.parent_op()
            if user is None or order[user] > order[owner]:
                return False
        return True


def print_kernel(kernel: device.KernelOp, source_line: SourceLine | None,
                 helpers: set[str], arg_names: Sequence[str | None] = ()) -> str:
    return KernelPrinter(kernel, source_line, helpers, arg_names).print()


def kernel_table_entry(kernel: device.KernelOp, arg_names: Sequence[str | None] = ()) -> str:
    args = kernel.body.block.args
    params = KernelPrinter(kernel, None, set(), arg_names).params  # the names the kernel has
    sig = {p: pointer_signature(element_of(a.type)) for p, a in zip(params, args, strict=True)}
    blocks = kernel.blocks()
    sig.update({n: "constexpr" for n in blocks})
    return (f"    {kernel.sym_name.data!r}: dict(fn={kernel.sym_name.data}, signature={sig!r}, "
            f"constexprs={blocks!r}, grid={kernel.grid_sizes()!r}, "
            f"num_warps={kernel.num_warps.value.data}),")
