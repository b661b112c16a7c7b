"""Python source for Triton from the `device` level: the kernels.

One `@triton.jit` function per `device.kernel` (one statement per op, block
sizes as `tl.constexpr` parameters, every load and store masked, a
`# file.tf:LINE  text` comment above the code of each source line) and its
`KERNELS` table entry (signature, constexprs, grid and num_warps: what
`triton.compile` needs). The host function and the module around them are
printed by triton_host.py.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
)
from xdsl.ir import Attribute, Operation, SSAValue

from tfir.backends.pyemit import PyEmitter, SourceLine
from tfir.dialects import device
from tfir.dialects.device import element_of, shape_of


class TritonCodegenError(Exception):
    """An op of the device level the Triton backend cannot print."""


def tl_dtype(elem: Attribute) -> str:
    if isinstance(elem, Float16Type | Float32Type | Float64Type):
        return f"tl.float{elem.bitwidth}"
    if isinstance(elem, IntegerType):
        return "tl.int1" if elem.width.data == 1 else f"tl.int{elem.width.data}"
    raise TritonCodegenError(f"no Triton dtype for {elem}")


def np_dtype(elem: Attribute) -> str:
    if isinstance(elem, Float16Type | Float32Type | Float64Type):
        return f"np.float{elem.bitwidth}"
    if isinstance(elem, IntegerType):
        return "np.bool_" if elem.width.data == 1 else f"np.int{elem.width.data}"
    raise TritonCodegenError(f"no NumPy dtype for {elem}")


def pointer_signature(elem: Attribute) -> str:
    """`triton.compile` signature entry of a pointer to `elem`."""
    if isinstance(elem, Float16Type | Float32Type | Float64Type):
        return f"*fp{elem.bitwidth}"
    return f"*i{elem.width.data}"  # type: ignore[attr-defined]


def _literal(value: float | int | bool, elem: Attribute) -> str:
    if isinstance(elem, IntegerType):
        return str(bool(value)) if elem.width.data == 1 else str(int(value))
    value = float(value)
    if math.isnan(value):
        return "(INF - INF)"  # a NaN global would fail Triton's constexpr equality check
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
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
          "arith.floordivsi": "_floordiv", "math.powf": "_powf"}
_NAN_CALLS = {"arith.maximumf": "tl.maximum", "arith.minimumf": "tl.minimum"}
_CMP = {"eq": "{a} == {b}", "ne": "{a} != {b}", "lt": "{a} < {b}", "le": "{a} <= {b}",
        "gt": "{a} > {b}", "ge": "{a} >= {b}", "one": "({a} < {b}) | ({a} > {b})",
        "ueq": "~(({a} < {b}) | ({a} > {b}))", "ult": "~({a} >= {b})", "ule": "~({a} > {b})",
        "ugt": "~({a} <= {b})", "uge": "~({a} < {b})", "ord": "({a} == {a}) & ({b} == {b})",
        "uno": "({a} != {a}) | ({b} != {b})"}
_REDUCE = {"sum": "tl.sum", "max": "tl.max", "min": "tl.min", "argmax": "tl.argmax",
           "argmin": "tl.argmin"}

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
    # a ** b as exp2(b * log2|a|); a negative base needs an integral exponent
    r = tl.exp2(b * tl.log2(tl.abs(a)))
    integral = tl.floor(b) == b
    odd = integral & (tl.floor(b * 0.5) * 2.0 != b)
    r = tl.where(a < 0, tl.where(integral, tl.where(odd, -r, r), INF - INF), r)
    return tl.where(b == 0, 1.0, r)''',
    "_mul": '''@triton.jit
def _mul(a, b):
    return a * b''',
}


def _splat_value(op: Operation) -> float | int | None:
    """The value of a scalar or splat `arith.constant`, else None."""
    if not isinstance(op, arith.ConstantOp):
        return None
    value = op.value
    if isinstance(value, IntegerAttr | FloatAttr):
        return value.value.data
    if isinstance(value, DenseIntOrFPElementsAttr):
        values = value.get_values()
        if len(set(values)) == 1:
            return values[0]
    return None


_INLINE_USERS = ("arith.", "math.", "device.cmp", "device.select")


class KernelPrinter:
    """Prints one `device.kernel` as a `@triton.jit` function."""

    def __init__(self, kernel: device.KernelOp, source_line: SourceLine | None, helpers: set[str]):
        self.kernel = kernel
        self.em = PyEmitter(source_line=source_line)
        for taken in ("tl", "triton", "INF", "rt", *HELPERS):  # module-level names kernels use
            self.em.fresh(taken)
        self.names: dict[SSAValue, str] = {}
        # Triton broadcasts operands of elementwise ops itself, so a broadcast
        # is printed only where a shape must be exact (load/store offsets,
        # reductions, dots, loop values); `short` holds the shape a printed
        # expression really has where it is smaller than its type's
        self.short: dict[SSAValue, tuple[int, ...]] = {}
        self.helpers = helpers
        blocks = kernel.blocks()
        self.block_names = {size: name for name, size in blocks.items()
                            if list(blocks.values()).count(size) == 1}

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

    def shape(self, value: SSAValue) -> str:
        dims = [self.block_names.get(d, str(d)) for d in shape_of(value.type)]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def bind(self, value: SSAValue, expr: str, hint: str = "v") -> None:
        name = self.em.fresh(value.name_hint or hint)
        self.names[value] = name
        self.em.line(f"{name} = {expr}")

    def print(self) -> str:
        args = []
        for arg in self.kernel.body.block.args:
            self.names[arg] = self.em.fresh(arg.name_hint or "buf")
            args.append(self.names[arg])
        args += [f"{n}: tl.constexpr" for n in self.kernel.blocks()]
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
        """Ops printed inline in their users, not as statements."""
        return isinstance(op, device.SplatOp | device.BroadcastOp) or (
            isinstance(op, device.ExpandDimsOp) and op.result.has_one_use())

    def _inline(self, op: arith.ConstantOp) -> bool:
        return _splat_value(op) is not None and all(
            use.operation.name.startswith(_INLINE_USERS) or isinstance(use.operation, scf.ForOp)
            and use.index < 3 for use in op.result.uses)

    def _elementwise(self, op: Operation) -> bool:
        return op.name in _INFIX or op.name in _CALLS or op.name in _NAN_CALLS or \
            op.name == "arith.negf" or isinstance(op, device.CmpOp | device.SelectOp |
                                                  device.CastOp)

    def op(self, op: Operation) -> None:
        if isinstance(op, scf.ForOp):
            self.loop(op)
            return
        elementwise = self._elementwise(op)
        if elementwise or isinstance(op, device.BroadcastOp | device.SplatOp):
            r = [self.ref(o) for o in op.operands]
        else:
            r = [self.full(o) for o in op.operands]
        self._op(op, r)
        if elementwise:  # its printed shape is the broadcast of its operands'
            shapes = [self.printed_shape(o) for o in op.operands]
            rank = len(shape_of(op.results[0].type))
            got = tuple(max((sh[i] for sh in shapes if len(sh) == rank), default=1)
                        for i in range(rank)) if any(shapes) else ()
            if got != shape_of(op.results[0].type):
                self.short[op.results[0]] = got

    def _op(self, op: Operation, r: list[str]) -> None:
        if isinstance(op, arith.ConstantOp):
            value = _splat_value(op)
            if value is None:
                raise TritonCodegenError("only splat constants can live in a kernel")
            elem = element_of(op.result.type)
            if shape_of(op.result.type):
                self.bind(op.result, f"tl.full({self.shape(op.result)}, "
                                     f"{_literal(value, elem)}, {tl_dtype(elem)})", "c")
            else:
                self.bind(op.result, _literal(value, elem), "c")
        elif op.name in _INFIX:
            self.bind(op.results[0], f"{r[0]} {_INFIX[op.name]} {r[1]}")
        elif op.name in _CALLS:
            call = _CALLS[op.name]
            if call.startswith("_"):
                self.helpers.add(call)
            self.bind(op.results[0], f"{call}({', '.join(r)})")
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
            self.bind(op.result, f"tl.arange({op.start.value.data}, {end})", "r")
        elif isinstance(op, device.SplatOp):  # the scalar, until a shape is needed
            self.names[op.result] = r[0]
            self.short[op.result] = ()
        elif isinstance(op, device.ExpandDimsOp):
            index = [":"] * len(shape_of(op.input.type))
            index.insert(op.axis.value.data, "None")
            expr = f"{r[0]}[{', '.join(index)}]"
            if op.result.has_one_use():  # `r[:, None]` reads best inline
                self.names[op.result] = expr
            else:
                self.bind(op.result, expr)
        elif isinstance(op, device.BroadcastOp):  # the operand, until a shape is needed
            self.names[op.result] = r[0]
            self.short[op.result] = self.printed_shape(op.input)
        elif isinstance(op, device.LoadOp):
            other = f", other={self._other(op)}" if op.other is not None else ""
            self.bind(op.result, f"tl.load({r[0]} + {r[1]}, mask={r[2]}{other})", "x")
        elif isinstance(op, device.StoreOp):
            self.em.line(f"tl.store({r[0]} + {r[1]}, {r[2]}, mask={r[3]})")
        elif isinstance(op, device.ReduceOp):
            self.reduce(op, r[0])
        elif isinstance(op, device.DotOp):
            self.bind(op.result, f"tl.dot({r[0]}, {r[1]}, {r[2]}, "
                                 f"input_precision=\"{op.input_precision.data}\")", "acc")
        elif isinstance(op, device.SelectOp):
            self.bind(op.result, f"tl.where({r[0]}, {r[1]}, {r[2]})")
        elif isinstance(op, device.CmpOp):
            self.bind(op.result, _CMP[op.predicate.data].format(a=r[0], b=r[1]), "m")
        elif isinstance(op, device.CastOp):
            self.bind(op.result, f"{r[0]}.to({tl_dtype(element_of(op.result.type))})")
        else:
            raise TritonCodegenError(f"the Triton backend cannot print {op.name}")

    def _other(self, op: device.LoadOp) -> str:
        assert op.other is not None
        return _literal(op.other.value.data, element_of(op.result.type))

    def reduce(self, op: device.ReduceOp, x: str) -> None:
        kind, axis = op.kind.data, op.axis.value.data
        if kind == "prod":
            self.helpers.add("_mul")
            self.bind(op.result, f"tl.reduce({x}, {axis}, _mul)")
        elif kind.startswith("arg"):
            self.bind(op.result, f"{_REDUCE[kind]}({x}, axis={axis}, tie_break_left=True)")
        else:
            self.bind(op.result, f"{_REDUCE[kind]}({x}, axis={axis})")

    def loop(self, op: scf.ForOp) -> None:
        body = op.body.block
        carried = []
        for init, arg, res in zip(op.iter_args, body.args[1:], op.results, strict=True):
            name = self.em.fresh(res.name_hint or "acc")
            start = self.full(init)
            self.names[arg] = self.names[res] = name
            carried.append(name)
            self.em.line(f"{name} = {start}")
        self.names[body.args[0]] = self.em.fresh(body.args[0].name_hint or "k")
        header = (f"for {self.names[body.args[0]]} in range({self.ref(op.lb)}, "
                  f"{self.ref(op.ub)}, {self.ref(op.step)})")
        with self.em.block(header):
            self.ops(body.ops)
            for name, value in zip(carried, body.last_op.operands, strict=True):  # type: ignore[union-attr]
                if self.full(value) != name:
                    self.em.line(f"{name} = {self.full(value)}")


def print_kernel(kernel: device.KernelOp, source_line: SourceLine | None,
                 helpers: set[str]) -> str:
    return KernelPrinter(kernel, source_line, helpers).print()


def kernel_table_entry(kernel: device.KernelOp) -> str:
    args = kernel.body.block.args
    sig = {a.name_hint or f"arg{i}": pointer_signature(element_of(a.type))
           for i, a in enumerate(args)}
    names = KernelPrinter(kernel, None, set())
    for arg in args:  # the same names the printer gives
        names.names[arg] = names.em.fresh(arg.name_hint or "buf")
    sig = {names.names[a]: pointer_signature(element_of(a.type)) for a in args}
    blocks = kernel.blocks()
    sig.update({n: "constexpr" for n in blocks})
    return (f"    {kernel.sym_name.data!r}: dict(fn={kernel.sym_name.data}, signature={sig!r}, "
            f"constexprs={blocks!r}, grid={kernel.grid_sizes()!r}, "
            f"num_warps={kernel.num_warps.value.data}),")
