"""A linalg op marked `tfir.native` (lowering/utils/native_ops.py) as a C
function: the loop nest of its iteration space with its body in C, one
pass over memory where NumPy makes one per scalar op.

`void kN(float *p0, float *p1, ...)`: one pointer per memref operand, the
address of the view the NumPy code passes (its offset); shapes and strides
are constants of the function. An elementwise op loops over its dims in the
order of its output's axes, the innermost one vectorized (`omp simd`); a row
sum keeps one accumulator per output element, summed over the reduced dim
in vectorized blocks of `BLOCK` (the blocks' sums then added in order: the
rounding error grows like that of NumPy's pairwise sums, not with the row's
length). Math functions are glibc's, vectorized through `libmvec` where the
compiler supports it (`TFIR_MVEC`: `omp declare simd` declarations); the
kernels are compiled with `-fno-math-errno` and without `-ffast-math`, so
IEEE semantics (NaN, infinities, signed zeros of the arithmetic) hold.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith
from xdsl.dialects.builtin import Float32Type, FloatAttr, IntegerAttr
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Operation, SSAValue

from tfir.backends.numpy.body import linear
from tfir.lowering.utils.fills import filled_with
from tfir.lowering.utils.native_ops import FLOAT_BINARY, FLOAT_UNARY, native_form, strides

BLOCK = 256
"""Elements of a row summed in one vectorized block."""

_MATH = {
    "math.exp": "exp", "math.exp2": "exp2", "math.expm1": "expm1", "math.log": "log",
    "math.log2": "log2", "math.log10": "log10", "math.log1p": "log1p", "math.tanh": "tanh",
    "math.sinh": "sinh", "math.cosh": "cosh", "math.sin": "sin", "math.cos": "cos",
    "math.tan": "tan", "math.asin": "asin", "math.acos": "acos", "math.atan": "atan",
    "math.erf": "erf", "math.sqrt": "sqrt", "math.absf": "fabs", "math.floor": "floor",
    "math.ceil": "ceil", "math.trunc": "trunc", "math.cbrt": "cbrt", "math.powf": "pow",
    "math.copysign": "copysign", "math.atan2": "atan2",
}
"""libm's name of each math op (float: with an `f` suffix)."""

VECTOR_MATH = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sinh", "cosh",
               "sin", "cos", "tan", "asin", "acos", "atan", "erf", "cbrt")
"""The unary functions libmvec has vector versions of (glibc 2.35)."""

def prelude(kernels: str) -> str:
    """The head of a native module: libm, the vector declarations of the math
    functions the kernels call."""
    lines = ["#include <math.h>", "#include <stdint.h>"]
    simd = []
    for f in (*VECTOR_MATH, "pow"):
        arity = "float, float" if f == "pow" else "float"
        if f"{f}f(" in kernels:
            simd.append(f"#pragma omp declare simd notinbranch\nfloat {f}f({arity});")
        if f"{f}(" in kernels.replace(f"{f}f(", ""):
            simd.append(f"#pragma omp declare simd notinbranch\ndouble {f}({arity.replace('float', 'double')});")
    if simd:
        lines += ["#ifdef TFIR_MVEC  /* glibc's vector math (libmvec) */", *simd, "#endif"]
    return "\n".join(lines) + "\n"

_CMP = {
    "oeq": "({0} == {1})", "ogt": "({0} > {1})", "oge": "({0} >= {1})", "olt": "({0} < {1})",
    "ole": "({0} <= {1})", "one": "({0} < {1} || {0} > {1})", "ord": "({0} == {0} && {1} == {1})",
    "ueq": "!({0} < {1} || {0} > {1})", "ugt": "!({0} <= {1})", "uge": "!({0} < {1})",
    "ult": "!({0} >= {1})", "ule": "!({0} > {1})", "une": "({0} != {1})",
    "uno": "({0} != {0} || {1} != {1})", "false": "0", "true": "1",
}


def ctype(t: Attribute) -> str:
    if isinstance(t, Float32Type):
        return "float"
    if isinstance(t, IntegerAttr | FloatAttr):
        return ctype(t.type)
    name = str(t)
    return {"f64": "double", "i1": "int", "index": "int64_t"}.get(name, "double")


def float_literal(value: float, t: Attribute) -> str:
    """An exact C literal (hexadecimal), `f`-suffixed for float."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = float(value).hex()
    return f"({text}f)" if isinstance(t, Float32Type) else f"({text})"


class KernelPrinter:
    """One native op as a C function (see the module's doc)."""

    def __init__(self, op: linalg.GenericOp, name: str, row: int | None = None):
        form = native_form(op)
        if form is None:
            raise ValueError(f"{op.name} is not a native op")
        self.op, self.name, self.form = op, name, form
        self.maps = [m.data for m in op.indexing_maps]
        self.sizes = list(op.get_static_loop_ranges())
        self.n = len(self.sizes)
        self.lines: list[str] = []
        self.names: dict[SSAValue, str] = {}
        # Row mode (backends/numpy/native_rows.py): dim `row` is the argument
        # `row` of a `static inline` function that does one row.
        self.row = row
        self.fixed = {} if row is None else {row: "row"}

    # -- addresses --------------------------------------------------------------------

    def address(self, k: int, fixed: dict[int, str]) -> str:
        """`p{k}[offset]` of operand k at the loop indices `i{d}` (`fixed`: dims held to an expression)."""
        const, terms = self._terms(k)
        fixed = {**self.fixed, **fixed}
        parts = [f"{c} * {fixed.get(d, f'i{d}')}" if c != 1 else fixed.get(d, f"i{d}")
                 for d, c in sorted(terms.items())]
        if const:
            parts.append(str(const))
        return f"p{k}[{' + '.join(parts) or '0'}]"

    def _terms(self, k: int) -> tuple[int, dict[int, int]]:
        """The element offset of operand k: a constant and a coefficient per loop dim."""
        value = self.op.operands[k]
        found = strides(value.type)
        assert found is not None
        const, terms = 0, {}
        for stride, expr in zip(found, self.maps[k].results, strict=True):
            start, coeffs = linear(expr, self.n)
            const += stride * start
            for d, c in enumerate(coeffs):
                if c:
                    terms[d] = terms.get(d, 0) + stride * c
        return const, {d: c for d, c in terms.items() if c}

    def hoist_invariant(self) -> None:
        """Row mode: the inputs read at one place per row, loaded once before
        the loops (inlined into the run's row loop, GCC vectorizes a loop
        that reads them only so)."""
        if self.row is None:
            return
        for k, arg in enumerate(self.op.body.block.args[:len(self.op.inputs)]):
            if arg.uses and set(self._terms(k)[1]) <= {self.row}:
                self.lines.append(f"    const {ctype(arg.type)} a{k} = {self.address(k, {})};")
                self.names[arg] = f"a{k}"

    # -- the body ---------------------------------------------------------------------

    def body(self, skip: set[Operation], indent: str, fixed: dict[int, str]) -> None:
        """C statements of the body's ops (but `skip`), loading the inputs it reads."""
        block = self.op.body.block
        n_in = len(self.op.inputs)
        for k, arg in enumerate(block.args):
            if arg in self.names:  # hoisted
                continue
            # an output's running value is read only where a kept op reads it
            if arg.uses if k < n_in else any(use.operation not in skip for use in arg.uses):
                name = f"a{k}"
                self.lines.append(f"{indent}{ctype(arg.type)} {name} = {self.address(k, fixed)};")
                self.names[arg] = name
        for inner in block.ops:
            if inner in skip or isinstance(inner, linalg.YieldOp):
                continue
            res = inner.results[0]
            name = f"v{len(self.names)}"
            self.lines.append(f"{indent}{ctype(res.type)} {name} = {self.expr(inner)};")
            self.names[res] = name

    def expr(self, op: Operation) -> str:
        args = [self.names[v] for v in op.operands]
        suffix = "f" if isinstance(op.results[0].type, Float32Type) else ""
        name = op.name
        if isinstance(op, arith.ConstantOp):
            value = op.value
            if isinstance(value, FloatAttr):
                return float_literal(value.value.data, value.type)
            assert isinstance(value, IntegerAttr)
            return str(int(value.value.data))
        simple = {"arith.addf": "({0} + {1})", "arith.subf": "({0} - {1})", "arith.mulf": "({0} * {1})",
                  "arith.divf": "({0} / {1})", "arith.negf": "(-{0})",
                  # NumPy's maximum / minimum: NaN wins, else the second of equals
                  # (maximum(-0.0, 0.0) is 0.0, maximum(0.0, -0.0) is -0.0).
                  "arith.maximumf": "(({0} > {1} || {0} != {0}) ? {0} : {1})",
                  "arith.minimumf": "(({0} < {1} || {0} != {0}) ? {0} : {1})",
                  "arith.maxnumf": "fmax{s}({0}, {1})", "arith.minnumf": "fmin{s}({0}, {1})",
                  "arith.select": "({0} ? {1} : {2})", "math.rsqrt": "(1 / sqrt{s}({0}))"}
        if name in simple:
            return simple[name].format(*args, s=suffix)
        if name == "arith.cmpf":
            pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]  # type: ignore[attr-defined]
            return _CMP[pred].format(*args)
        if name in ("arith.extf", "arith.truncf"):
            return f"(({ctype(op.results[0].type)}){args[0]})"
        if name in FLOAT_UNARY or name in FLOAT_BINARY:
            return f"{_MATH[name]}{suffix}({', '.join(args)})"
        raise NotImplementedError(f"native kernels: no C for {name}")

    # -- the loops --------------------------------------------------------------------

    def source(self) -> str:
        params = ", ".join(f"{ctype(v.type.get_element_type())} *p{k}"  # type: ignore[attr-defined]
                           for k, v in enumerate(self.op.operands))
        if self.row is None:
            self.lines = [f"void {self.name}({params}) {{"]
        else:
            self.lines = [f"static inline void {self.name}({params}, int64_t row) {{"]
        self.hoist_invariant()
        if self.form == "elementwise":
            self.elementwise()
        elif self.form == "row-sum":
            self.row_sum()
        else:
            self.row_extreme(self.form.removeprefix("row-"))
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def _output_order(self) -> list[int]:
        """The dims in the order of the output's axes (the last one innermost)."""
        out = self.maps[-1]
        order = [r.position for r in out.results if hasattr(r, "position")]
        return [d for d in order + [d for d in range(self.n) if d not in order] if d != self.row]

    def _open(self, dims: list[int], indent: str, simd_last: bool) -> str:
        for j, d in enumerate(dims):
            if simd_last and j == len(dims) - 1:
                self.lines.append(f"{indent}#pragma omp simd")
            self.lines.append(f"{indent}for (int64_t i{d} = 0; i{d} < {self.sizes[d]}; i{d}++) {{")
            indent += "    "
        return indent

    def _close(self, count: int, indent: str) -> None:
        for _ in range(count):
            indent = indent[:-4]
            self.lines.append(f"{indent}}}")

    def elementwise(self) -> None:
        dims = self._output_order()
        indent = self._open(dims, "    ", simd_last=True)
        self.body(set(), indent, {})
        value = self.op.body.block.last_op.operands[0]  # type: ignore[union-attr]
        out = len(self.op.inputs)
        self.lines.append(f"{indent}{self.address(out, {})} = {self.names[value]};")
        self._close(len(dims), indent)

    def _reduce_setup(self, identity: float) -> tuple[int, list[int], str, str, SSAValue, Operation, str]:
        """The reduced dim, the outer dims, the element type, the indent inside
        the outer loops, the folded value, the combiner and the accumulator's
        start: the identity where the output was just filled with it (or its
        fill erased), else what the output holds."""
        red = [d for d in range(self.n) if d not in self._parallel()][0]
        outer = [d for d in self._output_order() if d != red]
        indent = self._open(outer, "    ", simd_last=False)
        out_k = len(self.op.inputs)
        t = ctype(self.op.outputs[0].type.get_element_type())  # type: ignore[attr-defined]
        comb = self.op.body.block.last_op.operands[0].owner  # type: ignore[union-attr]
        assert isinstance(comb, Operation)
        value = next(v for v in comb.operands if v is not self.op.body.block.args[out_k])
        fresh = filled_with(self.op, self.op.outputs[0]) == identity
        text = "-0.0" if identity == 0 else "INFINITY" if identity > 0 else "(-INFINITY)"
        start = text if fresh else self.address(out_k, {red: "0"})
        return red, outer, t, indent, value, comb, start

    def row_sum(self) -> None:
        red, outer, t, indent, value, comb, start = self._reduce_setup(0)
        size = self.sizes[red]
        inner = indent + "    "
        self.lines += [f"{indent}{t} acc = {start};",
                       f"{indent}for (int64_t b = 0; b < {size}; b += {BLOCK}) {{",
                       f"{inner}int64_t e = b + {BLOCK} < {size} ? b + {BLOCK} : {size};",
                       f"{inner}{t} part = -0.0;",
                       f"{inner}#pragma omp simd reduction(+:part)",
                       f"{inner}for (int64_t i{red} = b; i{red} < e; i{red}++) {{"]
        self.body({comb}, inner + "    ", {})
        self.lines += [f"{inner}    part += {self.names[value]};", f"{inner}}}",
                       f"{inner}acc += part;", f"{indent}}}",
                       f"{indent}{self.address(len(self.op.inputs), {red: '0'})} = acc;"]
        self._close(len(outer), indent)

    def row_extreme(self, kind: str) -> None:
        """max / min over the reduced dim, NaN-propagating (NumPy's maximum / minimum).

        The compiler's own `max` / `min` reduction over the non-NaN values
        (one vector instruction per block of the row) and, beside it, an
        or-reduction of "a NaN was seen": 20-25% faster than a combiner that
        tests for NaN in every lane (a row max of 4096 x 1024, measured)."""
        red, outer, t, indent, value, comb, start = self._reduce_setup(-math.inf if kind == "max" else math.inf)
        cmp = ">" if kind == "max" else "<"
        self.lines += [f"{indent}{t} acc = {start};",
                       f"{indent}int nan = acc != acc;",
                       f"{indent}#pragma omp simd reduction({kind}:acc) reduction(|:nan)",
                       f"{indent}for (int64_t i{red} = 0; i{red} < {self.sizes[red]}; i{red}++) {{"]
        self.body({comb}, indent + "    ", {})
        v = self.names[value]
        self.lines += [f"{indent}    acc = {v} {cmp} acc ? {v} : acc;", f"{indent}    nan |= {v} != {v};",
                       f"{indent}}}",
                       f"{indent}{self.address(len(self.op.inputs), {red: '0'})} = nan ? NAN : acc;"]
        self._close(len(outer), indent)

    def _parallel(self) -> list[int]:
        return [d for d, it in enumerate(self.op.iterator_types) if it.data.value == "parallel"]
