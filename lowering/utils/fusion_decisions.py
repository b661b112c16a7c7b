"""The fusion decisions `fuse-elementwise` records, and how they read.

With its option `explain`, `fuse-elementwise` records, for each producer
and consumer (two linalg ops, the consumer reading the producer's result)
left unfused when it is done, why it did not fuse them, as the attribute
`tfir.fusion` of the function: an array of dictionaries {producer,
consumer, reason, detail}. `tfir lower FILE --explain-fusion` and the HTML
report print them (`take_decisions`, which also takes the attribute off,
so that later passes never see it). `REASONS` says what each reason code
means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FileLineColLoc, ModuleOp, StringAttr
from xdsl.ir import Operation

ATTR = "tfir.fusion"

REASONS = {
    "reduction": "a reduction in between: the producer reduces, and the consumer needs the "
                 "reduced value, complete, before its own loop starts",
    "not-generic": "the producer is not an elementwise linalg.generic (a named op, a copy, a fill)",
    "contraction": "target rule: a contraction (a matmul) is one BLAS call (or tl.dot), which "
                   "reads its operands from memory and writes its whole result there: nothing "
                   "fuses into it or out of it",
    "other-use": "the producer's result has another use that cannot take it (a function "
                 "result, an op in another block or loop, an output operand)",
    "recompute": "a broadcast or several consumers would recompute the producer, and it is "
                 "not cheap (a division or a math function)",
    "target-recompute": "target rule (numpy without native kernels): each scalar op of a fused "
                        "body is a NumPy pass over memory, so computing a producer twice never pays",
    "size-limit": "size limit: the fused body would pass fuse-elementwise's MAX_BODY_OPS "
                  "(512 scalar ops)",
    "invalid": "the fused op would not be a valid linalg.generic (a loop no operand indexes, "
               "or a linalg.index of the producer that is no loop of the consumer)",
}
"""Reason code -> what it means (docs/performance.md, "Fusion decisions")."""


@dataclass(frozen=True)
class Decision:
    """One producer/consumer pair left unfused, described for a reader."""

    function: str
    producer: str
    consumer: str
    reason: str
    detail: str

    @property
    def explanation(self) -> str:
        """The reason in words, and the detail of this pair."""
        return REASONS.get(self.reason, self.reason) + (f" ({self.detail})" if self.detail else "")

    def places(self) -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
        """(file name, line) of the producer and of the consumer, where known."""
        found = [_AT.search(text) for text in (self.producer, self.consumer)]
        return tuple((m.group(1), int(m.group(2))) if m else None for m in found)  # type: ignore[return-value]


_AT = re.compile(r" at (\S+):(\d+)$")


def describe(op: Operation) -> str:
    """`%name = linalg.generic {ops} : shape at file:line`, short."""
    res = op.results[0] if op.results else None
    name = f"%{res.name_hint}" if res is not None and res.name_hint else "%_"
    kind = op.name
    if op.name == "linalg.generic":
        iters = [it.data.value for it in op.iterator_types]  # type: ignore[attr-defined]
        kind = "reduction" if "reduction" in iters else "elementwise"
        body = [o.name.split(".", 1)[1] for o in op.regions[0].block.ops
                if o.name not in ("linalg.yield", "arith.constant", "linalg.index")]
        kind += f" {{{', '.join(body[:6])}{', ...' if len(body) > 6 else ''}}}"
    shape = ""
    if res is not None and hasattr(res.type, "get_shape"):
        shape = " : " + "x".join(str(d) for d in res.type.get_shape())  # type: ignore[attr-defined]
    loc = op.location
    where = f" at {loc.filename.data.rsplit('/', 1)[-1]}:{loc.line.data}" if isinstance(loc, FileLineColLoc) else ""
    return f"{name} = {kind}{shape}{where}"


def record(fn: func.FuncOp, pairs: list[tuple[Operation, Operation, str, str]]) -> None:
    """Attaches the decisions to `fn` (replacing any earlier)."""
    fn.attributes[ATTR] = ArrayAttr([DictionaryAttr({
        "producer": StringAttr(describe(p)), "consumer": StringAttr(describe(c)),
        "reason": StringAttr(reason), "detail": StringAttr(detail)}) for p, c, reason, detail in pairs])


def has_decisions(module: ModuleOp) -> bool:
    """Whether `fuse-elementwise{explain=true}` recorded decisions in `module`."""
    return any(isinstance(fn, func.FuncOp) and ATTR in fn.attributes for fn in module.ops)


def take_decisions(module: ModuleOp) -> list[Decision]:
    """The decisions recorded in `module`, taken off its functions (later
    passes and printed IR never see them)."""
    out = read_decisions(module)
    for fn in module.ops:
        if isinstance(fn, func.FuncOp):
            fn.attributes.pop(ATTR, None)
    return out


def read_decisions(module: ModuleOp) -> list[Decision]:
    """The decisions recorded in `module` (after `fuse-elementwise{explain=true}`)."""
    out: list[Decision] = []
    for fn in module.ops:
        attr = fn.attributes.get(ATTR) if isinstance(fn, func.FuncOp) else None
        if not isinstance(attr, ArrayAttr):
            continue
        for entry in attr.data:
            assert isinstance(entry, DictionaryAttr)
            text = {k: v.data for k, v in entry.data.items() if isinstance(v, StringAttr)}
            out.append(Decision(fn.sym_name.data, text["producer"], text["consumer"],  # type: ignore[union-attr]
                                text["reason"], text.get("detail", "")))
    return out
