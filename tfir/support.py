"""`tfir support`: how every op is handled at each stage, for each target, and
which calls of a program cannot reach which target, before anything is compiled.

Nothing here is a hand-kept list. The ops are the op registry's entries (the
builtin primitives and every plugin op), and the prelude's composite functions.
For each primitive, the `tf` op it builds is found by calling its registry
`build`, and what `convert-tf-to-linalg` makes of that op by running the
pass's pattern on it (types from the entry's own shape rule). A plugin op's
handling comes from the lowerings it registered (`CustomOp.lowering_for`); a
composite is decomposed into its callees and reaches a target when all of
them do.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from typing import Any

from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.traits import ConstantLike

from tfir.api import compile_file
from tfir.compiler import COMPILED_TARGETS, LOWERING_TARGETS
from tfir.dialects import registry as R
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.dtypes import tensor_type
from tfir.dialects.plugins import CUSTOM_OPS
from tfir.errors import Diagnostic, Span
from tfir.frontend import ast
from tfir.frontend.expressions import OPERATORS
from tfir.frontend.loader import load_prelude
from tfir.pipeline import make_context, pass_class
from tfir.plugin import load_plugin

PRIMITIVE, DECOMPOSED, LINALG, KERNEL, UNSUPPORTED = (
    "primitive", "decomposed", "lowered to linalg", "hand-written kernel", "unsupported")
TARGETS = LOWERING_TARGETS
COMPILED = COMPILED_TARGETS
INTERPRETED = tuple(t for t in TARGETS if t not in COMPILED)  # run the `tf` IR: eager


@dataclass(frozen=True)
class Handling:
    how: str          # one of the five words above
    detail: str = ""  # the op it becomes, its callees, why not

    def __str__(self) -> str:
        return f"{self.how} ({self.detail})" if self.detail else self.how


@dataclass
class OpSupport:
    name: str                          # as `.tf` calls it
    origin: str                        # builtin, prelude, or the plugin's dialect
    tf: Handling                       # stage tf (every target)
    linalg: Handling                   # stage linalg (the compiled targets)
    targets: dict[str, Handling] = field(default_factory=dict)

    def reaches(self, target: str) -> bool:
        return self.targets[target].how != UNSUPPORTED


# -- primitives: probing the registry and the linalg patterns -------------------------


class _Probe:
    """A `CallInfo` for an entry's shape rule, on small example operands."""

    def __init__(self, name: str, tensors: list[R.TType], attrs: dict[str, Any]):
        self.name, self.tensors, self.attrs = name, tensors, attrs

    def error(self, message: str, at: str | None = None) -> Exception:
        return ValueError(message)


_SAMPLE = {R.INT: 0, R.FLOAT: 1.0, R.BOOL: False, R.INTS: [1, 0], R.AXES: None, R.DTYPE: "i32",
           R.NUMBER: 1, R.STRING: "ij->ji", R.PAIRS: [[1, 0], [0, 1]]}
# Then the same with window sizes (a kernel of 1 x 1) for pooling.
_SAMPLES = (_SAMPLE, {**_SAMPLE, R.INTS: [1, 1]})
# Example operand shapes, and sizes for a SHAPE attribute, tried in order; a size-1
# dim first, so that squeeze and broadcast_to do something.
_SHAPES = [((1, 3),) * 3, ((2, 3),) * 3, ((2, 3), (3, 2), (2, 3)),
           ((2, 2, 5), (2, 2, 3)), ((1, 2, 5, 5), (2, 2, 3, 3)), ((),)]  # conv1d, conv2d, a seed
_SIZES = [[3, 1], [4, 1, 3], [3, 2]]


def _example_call(entry: R.OpEntry) -> _Probe | None:
    """Operand types and attributes that the entry's shape rule accepts, if any do."""
    tensors = [p for p in entry.params if p.is_tensor]
    for samples, dtype, shapes, sizes in product(_SAMPLES, ("f32", "bool", "i32"), _SHAPES, _SIZES):
        attrs = {p.name: (p.default if p.default is not R.REQUIRED else sizes if p.kind == R.SHAPE
                          else samples.get(p.kind)) for p in entry.params if not p.is_tensor}
        types: list[R.TType] = []
        for p, shape in zip(tensors, shapes, strict=False):
            types += [R.TType(dtype, shape)] * (2 if p.kind == R.TENSORS else 1)
        call = _Probe(entry.name, types, attrs)
        try:
            call.results = entry.infer(call)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - not a valid example: try the next
            continue
        return call
    return None


def _describe(ops: Iterable[Operation]) -> tuple[str, ...]:
    """Ops by name, a region's compute ops in parentheses: `linalg.generic(math.exp)`."""
    out = []
    for op in ops:
        if op.name in ("func.return", "tensor.empty"):  # tensor.empty: only a destination
            continue
        body = [o.name for r in op.regions for b in r.blocks for o in b.ops
                if o.name != "linalg.yield" and not o.has_trait(ConstantLike)]
        out.append(f"{op.name}({', '.join(dict.fromkeys(body))})" if body else op.name)
    return tuple(dict.fromkeys(out))


def _tensor(t: R.TType) -> Any:
    return tensor_type(t.dtype, tuple(int(d) for d in t.shape))  # type: ignore[arg-type]


@cache
def _lowered(entry_name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(the ops a call of `entry_name` builds, the ops convert-tf-to-linalg turns them
    into), found on an example call; None when no example could be built."""


    entry = R.REGISTRY.lookup(entry_name)
    call = _example_call(entry) if entry is not None else None
    if entry is None or call is None:
        return None
    results = [_tensor(t) for t in call.results]  # type: ignore[attr-defined]
    fn = func.FuncOp("probe", ([_tensor(t) for t in call.tensors], results))
    try:
        with ImplicitBuilder(fn.body):
            built = entry.build(list(fn.body.block.args), call.attrs, results)
            ops = built if isinstance(built, list) else [built]
            func.ReturnOp(*ops[-1].results)
        for op in ops:
            if op.parent is None:
                fn.body.block.insert_op_before(op, fn.body.block.last_op)
        tf_ops = tuple(dict.fromkeys(op.name for op in ops))
        module = ModuleOp([fn])
        pass_class("differentiate")().apply(make_context(), module)  # `gradients`: its backward program
        pass_class("decompose-tf-ops")().apply(make_context(), module)  # e.g. einsum into transposes and matmuls
        pass_class("convert-tf-to-linalg")().apply(make_context(), module)
    except Exception:  # noqa: BLE001 - an example the build or pattern rejects: not derivable
        return None
    return tf_ops, _describe(fn.body.block.ops)


def _primitive(entry: R.OpEntry) -> OpSupport:
    found = _lowered(entry.name)
    tf_ops, linalg_ops = found if found is not None else (entry.op_names, ())
    tf = Handling(PRIMITIVE, ", ".join(tf_ops))
    left = [name for name in linalg_ops if name.startswith("tf.")]
    if found is not None and not linalg_ops:
        linalg_ops = ("nothing: a no-op on the example",)
    if found is None:
        linalg = Handling(UNSUPPORTED, "no example call could be lowered")
    elif left:
        linalg = Handling(UNSUPPORTED, f"no convert-tf-to-linalg pattern for {', '.join(left)}")
    else:
        linalg = Handling(LINALG, ", ".join(linalg_ops))
    targets = {t: Handling(PRIMITIVE, "NumPy, op by op") for t in INTERPRETED}
    for target in COMPILED:
        targets[target] = Handling(LINALG) if linalg.how == LINALG else Handling(UNSUPPORTED, linalg.detail)
    return OpSupport(entry.name, "builtin", tf, linalg, targets)


def _plugin(custom: Any) -> OpSupport:
    targets = {t: Handling(PRIMITIVE, "its NumPy reference") for t in INTERPRETED}
    for target in COMPILED:
        how = custom.lowering_for(target)
        if how == "impl":
            targets[target] = Handling(KERNEL, f"its {target} implementation")
        elif how == "linalg":
            targets[target] = Handling(LINALG, "its linalg lowering")
        elif how == "decompose":
            targets[target] = Handling(DECOMPOSED, f"{custom.decomposition_kind} decomposition")
        else:
            has = ", ".join(custom.lowerings()) or "no lowering"
            targets[target] = Handling(UNSUPPORTED, f"it has {has}")
    if custom.decomposition is not None:
        tf = Handling(DECOMPOSED, f"expand-custom-ops, {custom.decomposition_kind}, where no "
                                  "kernel or linalg lowering is taken")
    else:
        tf = Handling(PRIMITIVE, custom.qualname)
    linalg = Handling(LINALG, "its linalg lowering") if custom.linalg is not None else \
        Handling(KERNEL, "external call") if custom.impls else tf
    return OpSupport(custom.qualname, f"plugin {custom.dialect}", tf, linalg, targets)


# -- composites and the whole table ---------------------------------------------------


def _calls(node: Any) -> Iterator[Any]:
    """Every call and operator under an AST node, in source order."""

    return (n for n in ast.walk(node) if isinstance(n, ast.Call | ast.Binary))


def _callee(node: Any) -> tuple[str, Span]:

    if isinstance(node, ast.Binary):
        return OPERATORS.get(node.op, node.op), node.span
    return node.callee, node.callee_span


def _composite(name: str, fn: Any, table: dict[str, OpSupport]) -> OpSupport:
    callees = list(dict.fromkeys(_callee(c)[0] for c in _calls(fn.body)))
    known = [table[c] for c in callees if c in table]
    targets = {}
    for target in TARGETS:
        missing = [op.name for op in known if not op.reaches(target)]
        targets[target] = (Handling(UNSUPPORTED, f"needs {', '.join(missing)}") if missing
                           else Handling(DECOMPOSED))
    tf = Handling(DECOMPOSED, f"inline-calls: {', '.join(callees)}")
    return OpSupport(name, "prelude", tf, Handling(DECOMPOSED, "into its callees"), targets)


def support_table() -> list[OpSupport]:
    """Every op `.tf` can call: builtins, plugin ops, then the prelude's composites."""

    table: dict[str, OpSupport] = {}
    for name in R.REGISTRY.names():
        entry = R.REGISTRY.lookup(name)
        if name in INTERNAL or entry is None:
            continue
        table[name] = _plugin(CUSTOM_OPS[name]) if name in CUSTOM_OPS else _primitive(entry)
    for name, fn in load_prelude().functions.items():
        table[name] = _composite(name, fn, table)
    return list(table.values())


def unreachable_calls(path: str) -> tuple[list[Diagnostic], int]:
    """The calls (and operators) of a program, and of the files it imports, that cannot
    reach some target, as diagnostics; and how many calls there are. Only the frontend runs."""

    program = compile_file(path, target="eager").frontend  # parse and check: nothing is lowered
    table = {op.name: op for op in support_table()}
    out: list[Diagnostic] = []
    count = 0
    for file in program.files.values():
        for fn in file.functions.values():
            for node in _calls(fn.body):
                name, span = _callee(node)
                op = table.get(name)
                count += 1
                if op is None:
                    continue  # a function of the program: its own calls are listed
                for target in TARGETS:
                    if not op.reaches(target):
                        out.append(Diagnostic(f"'{name}' cannot reach target {target}: {op.targets[target].detail}",
                                              span, source_text=file.source.text))
    return out, count


# -- the command ------------------------------------------------------------------------

_SHORT = {PRIMITIVE: "primitive", DECOMPOSED: "decomposed", LINALG: "linalg", KERNEL: "kernel",
          UNSUPPORTED: "NO"}


def _cell(h: Handling) -> str:
    """The op a primitive is or becomes, else how it is handled."""
    return h.detail if h.how in (PRIMITIVE, LINALG) and h.detail else str(h)


def format_table(ops: list[OpSupport]) -> str:
    head = ["op", "from", "stage tf", "stage linalg", *TARGETS]
    rows = [[op.name, op.origin, _cell(op.tf), _cell(op.linalg), *(_SHORT[op.targets[t].how] for t in TARGETS)]
            for op in ops]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    legend = ("primitive: an op of the stage's own dialect, run as it is (eager: NumPy);  decomposed: "
              "rewritten into other ops first;\nlinalg: lowered to linalg, then loops and generated code;  "
              "kernel: a hand-written implementation;  NO: unsupported")
    bad = [f"  {op.name} on {t}: {op.targets[t].detail}" for op in ops for t in TARGETS if not op.reaches(t)]
    return "\n".join([*lines, "", legend, *(["", "unsupported:", *bad] if bad else [])])


def cmd_support(args: argparse.Namespace) -> int:
    for plugin in args.plugin or []:
        load_plugin(plugin)
    if args.file is None:
        print(format_table(support_table()))
        return 0
    problems, count = unreachable_calls(args.file)
    for d in problems:
        print(d.format())
    name = os.path.basename(args.file)
    for target in TARGETS:
        bad = sum(1 for d in problems if d.message.split(": ", 1)[0].endswith(f"target {target}"))
        print(f"{target:7} {'every call reaches it' if not bad else f'{bad} of {count} calls cannot reach it'}")
    print(f"({count} calls and operators in {name} and its imports; nothing was compiled)")
    return 0


def add_command(sub: Any) -> None:
    support = sub.add_parser("support", help="which ops reach which stage and target; which calls of a file cannot",
                             description="Without FILE: a table of every op (builtin, plugin, prelude "
                                         "composite) by stage and target, saying how each is handled there. "
                                         "With FILE: its calls that cannot reach a target, found by checking "
                                         "the program only (nothing is compiled).")
    support.add_argument("file", nargs="?", help="a .tf program to check against every target")
    support.add_argument("--plugin", action="append", metavar="MODULE",
                         help="import Python module MODULE first, which registers its dialects (repeatable)")
    support.set_defaults(func=cmd_support)
