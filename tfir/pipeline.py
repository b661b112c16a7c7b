"""The one ordered pipeline: every tool (`tfir lower`, dumps, timings, the
HTML report, the compiler) reads `PIPELINE`, never a copy of it.

A step is `(stage, pass name, targets)`: the stage groups the passes that
lead to one level of the IR (docs/ir-levels.md), the targets are the
backends that run it. Every rewrite of the IR is a step: the backends only
print what the last pass of their target left. `PASSES` is the explicit
table of pass classes by name: each tfir pass is one module (or package)
of `tfir.lowering` named after it, defining one xDSL `ModulePass`; the
passes of xDSL itself (`cse`, `dce`) are reused as they are, and may run in
several stages. Plugins add passes with `register_pass`.

With `verify_each` (TFIR_VERIFY_EACH=1, as the tests run) the IR is verified
after every pass and the contract of each stage (lowering/utils/contracts.py)
is checked after its last pass.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from tfir.dialects.context import make_context
from tfir.errors import CompileError, InternalError
from tfir.lowering.batch_loop_accumulations import BatchLoopAccumulationsPass
from tfir.lowering.bufferize import BufferizePass
from tfir.lowering.canonicalize_tf import CanonicalizeTfPass
from tfir.lowering.convert_linalg_to_scalar_loops import ConvertLinalgToScalarLoopsPass
from tfir.lowering.convert_loops_to_device import ConvertLoopsToDevicePass
from tfir.lowering.convert_tf_to_linalg import ConvertTfToLinalg
from tfir.lowering.decompose_tf_ops import DecomposeTfOps
from tfir.lowering.differentiate import DifferentiatePass
from tfir.lowering.drop_overwritten_stores import DropOverwrittenStoresPass
from tfir.lowering.drop_unused_globals import DropUnusedGlobalsPass
from tfir.lowering.elide_tape_inits import ElideTapeInitsPass
from tfir.lowering.expand_custom_ops import ExpandCustomOps
from tfir.lowering.fold_constants import FoldConstantsPass
from tfir.lowering.fold_transposes import FoldTransposesPass
from tfir.lowering.fuse_elementwise import FuseElementwise
from tfir.lowering.hoist_loop_invariants import HoistLoopInvariantsPass
from tfir.lowering.inline_calls import InlineCallsPass
from tfir.lowering.inline_scalar_constants import InlineScalarConstantsPass
from tfir.lowering.merge_tile_pieces import MergeTilePiecesPass
from tfir.lowering.narrow_broadcast_loads import NarrowBroadcastLoadsPass
from tfir.lowering.numpy_elide_fills import NumpyElideFillsPass
from tfir.lowering.numpy_gather_views import NumpyGatherViewsPass
from tfir.lowering.numpy_native_kernels import NumpyNativeKernelsPass
from tfir.lowering.numpy_row_groups import NumpyRowGroupsPass
from tfir.lowering.numpy_schedule import NumpySchedulePass
from tfir.lowering.numpy_split_contractions import NumpySplitContractionsPass
from tfir.lowering.numpy_threads import NumpyThreadsPass
from tfir.lowering.plan_buffers import PlanBuffersPass
from tfir.lowering.prune_kernel_args import PruneKernelArgsPass
from tfir.lowering.split_batch import SplitBatchPass
from tfir.lowering.tile_linalg import TileLinalgPass
from tfir.lowering.untile_loops import UntileLoopsPass
from tfir.lowering.utils.contracts import CONTRACTS, check_uses

COMPILED = frozenset({"numpy", "triton", "mlir"})
EVERY_TARGET = COMPILED | {"eager"}
NUMPY = frozenset({"numpy"})
TRITON = frozenset({"triton"})

PASSES: dict[str, type[ModulePass]] = {cls.name: cls for cls in (
    InlineCallsPass, DifferentiatePass, ExpandCustomOps, DecomposeTfOps, CanonicalizeTfPass, FoldConstantsPass,
    HoistLoopInvariantsPass, BatchLoopAccumulationsPass,
    CommonSubexpressionElimination, DeadCodeElimination,
    ConvertTfToLinalg, ElideTapeInitsPass, FuseElementwise,
    BufferizePass, PlanBuffersPass,
    TileLinalgPass, ConvertLinalgToScalarLoopsPass,
    NumpyNativeKernelsPass, NumpyRowGroupsPass, NumpySchedulePass, NumpyElideFillsPass, NumpySplitContractionsPass,
    NumpyGatherViewsPass, NumpyThreadsPass,
    UntileLoopsPass, MergeTilePiecesPass, FoldTransposesPass, ConvertLoopsToDevicePass,
    InlineScalarConstantsPass, DropOverwrittenStoresPass, NarrowBroadcastLoadsPass,
    PruneKernelArgsPass, DropUnusedGlobalsPass, SplitBatchPass,
)}
"""Every pass of tfir, by name (plugins' passes: `register_pass`): those of
`PIPELINE` and those run on demand (`ON_DEMAND`)."""

ON_DEMAND = frozenset({"split-batch"})
"""Passes that are not steps of `PIPELINE`: `split-batch` (run by
`Function.on_dask` and `tfir lower --batch` after the `tf` stage)."""

XDSL_PASSES = frozenset({"cse", "dce"})
"""The passes of `PASSES` that xDSL provides (reused, not rewritten)."""


@dataclass(frozen=True)
class Step:
    stage: str
    pass_name: str
    targets: frozenset[str] = COMPILED
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    def runs_for(self, target: str) -> bool:
        return target in self.targets


PIPELINE: list[Step] = [
    Step("tf", "inline-calls"),
    # Before any graph optimization, so the gradient program is optimized like
    # any other; eager runs it too (the gradient program op by op, the reference).
    Step("tf", "differentiate", EVERY_TARGET),
    Step("tf", "expand-custom-ops"),
    Step("tf", "decompose-tf-ops"),
    Step("tf", "canonicalize-tf"),
    Step("tf", "fold-constants"),
    Step("tf", "hoist-loop-invariants"),
    Step("tf", "cse"),
    # After cse, which makes the reads of one row one value: weight gradients
    # summed over a reverse loop become one product of tapes after it.
    Step("tf", "batch-loop-accumulations"),
    Step("tf", "dce"),
    Step("linalg", "convert-tf-to-linalg"),
    Step("linalg", "elide-tape-inits"),
    Step("linalg", "fuse-elementwise"),
    Step("buffers", "bufferize"),
    # A transposed operand of a matmul is read as it lies (BLAS takes either
    # layout): no copy of it (attention's k^T).
    Step("buffers", "fold-transposes", NUMPY, {"contractions_only": True}),
    # Buffers that die at an elementwise op take its result (in place) on numpy.
    Step("buffers", "plan-buffers", NUMPY, {"in_place": True}),
    Step("buffers", "plan-buffers", COMPILED - NUMPY),
    # 1 MiB tiles (the L2 of a core): long elementwise chains then run ~3x faster
    # in NumPy than with 128 KiB ones (fewer calls per element); the triton
    # target undoes the CPU tiling anyway.
    Step("loops", "tile-linalg", NUMPY | TRITON, {"max_tile_bytes": 1 << 20}),
    Step("scalar-loops", "convert-linalg-to-scalar-loops", frozenset({"mlir"})),
    # How the NumPy code runs the loops, decided in the IR (the code generator
    # prints it): row groups, whole / chunked / tiled loops, fills a matmul
    # overwrites, loops on the thread pool.
    Step("schedule", "numpy-native-kernels", NUMPY),
    Step("schedule", "numpy-row-groups", NUMPY),
    Step("schedule", "numpy-schedule", NUMPY),
    Step("schedule", "numpy-elide-fills", NUMPY),
    Step("schedule", "numpy-split-contractions", NUMPY),
    Step("schedule", "numpy-gather-views", NUMPY),
    Step("schedule", "numpy-threads", NUMPY),
    # Loops to kernels: the CPU tiling undone, the lowering, then clean-ups of
    # the kernels (shared index arithmetic, dead stores and loads, literals).
    Step("device", "untile-loops", TRITON),
    Step("device", "merge-tile-pieces", TRITON),
    Step("device", "fold-transposes", TRITON),
    Step("device", "convert-loops-to-device", TRITON),
    Step("device", "inline-scalar-constants", TRITON),
    Step("device", "cse", TRITON),
    Step("device", "drop-overwritten-stores", TRITON),  # after cse: equal offsets are one value
    Step("device", "narrow-broadcast-loads", TRITON),
    Step("device", "dce", TRITON),
    Step("device", "prune-kernel-args", TRITON),
    Step("device", "drop-unused-globals", TRITON),
]

STAGES: tuple[str, ...] = tuple(dict.fromkeys(s.stage for s in PIPELINE))

# Passes that plugins add with `register_pass`, by name.
_REGISTERED_PASSES: dict[str, type[ModulePass]] = {}


def pass_class(name: str) -> type[ModulePass]:
    """The ModulePass class of a pipeline pass (tfir's, xDSL's or a plugin's)."""
    if name in _REGISTERED_PASSES:
        return _REGISTERED_PASSES[name]
    if name not in PASSES:
        raise LookupError(f"no pass named {name!r}")
    return PASSES[name]


def pass_names() -> list[str]:
    """Every pass the pipeline may run, in pipeline order."""
    return list(dict.fromkeys(s.pass_name for s in PIPELINE))


def register_pass(pass_cls: type[ModulePass], *, after: str | None = None, before: str | None = None,
                  targets: Iterable[str] | None = None, options: dict[str, object] | None = None) -> Step:
    """Inserts a plugin's pass into `PIPELINE` right after (or before) the step
    of the named pass; the new step has that step's stage and, unless given,
    its targets. Registering a pass of the same name again replaces its class
    and keeps its one step, so loading a plugin twice is harmless."""
    name = getattr(pass_cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{pass_cls.__name__} has no pass `name`")
    if (after is None) == (before is None):
        raise ValueError(f"register_pass({name!r}): give exactly one of after= or before=")
    anchor = after if after is not None else before
    existing = next((s for s in PIPELINE if s.pass_name == name), None)
    if existing is not None:
        if name not in _REGISTERED_PASSES:
            raise ValueError(f"pass {name!r} is already a tfir pass")
        _REGISTERED_PASSES[name] = pass_cls
        return existing
    index = next((i for i, s in enumerate(PIPELINE) if s.pass_name == anchor), None)
    if index is None:
        names = [s.pass_name for s in PIPELINE]
        raise ValueError(f"register_pass({name!r}): no pipeline step {anchor!r}; steps are {', '.join(names)}")
    ref = PIPELINE[index]
    step = Step(ref.stage, name, frozenset(targets) if targets is not None else ref.targets, dict(options or {}))
    _REGISTERED_PASSES[name] = pass_cls
    PIPELINE.insert(index + 1 if after is not None else index, step)
    return step


def steps_for(target: str) -> list[Step]:
    return [s for s in PIPELINE if s.runs_for(target)]


# -- running the pipeline -------------------------------------------------------

StepObserver = Callable[[Step, ModuleOp, float], None]
PassOptions = Mapping[str, Mapping[str, object]]

# Verifying after every pass costs about a quarter of compile time: programs
# compiled through the API verify the final IR only, unless TFIR_VERIFY_EACH=1
# (the test suite sets it) or the option verify_each=True asks for it.
VERIFY_EACH = os.environ.get("TFIR_VERIFY_EACH", "0") not in ("0", "", "false", "no")


class PassFailed(InternalError):
    """A pass raised, or left IR that does not verify: a compiler bug, named by pass."""

    def __init__(self, step: Step, cause: BaseException):
        super().__init__(f"pass '{step.pass_name}' (stage {step.stage}) failed: {cause}")
        self.step = step


def make_pass(step: Step, overrides: PassOptions | None = None, target: str | None = None) -> ModulePass:
    """The pass of `step`; a pass with a `target` option is told the target it runs for."""
    options = {**step.options, **(overrides or {}).get(step.pass_name, {})}
    cls = pass_class(step.pass_name)
    if target is not None and "target" in getattr(cls, "__dataclass_fields__", {}):
        options.setdefault("target", target)
    return cls(**options)


def _ends_stage(steps: list[Step], i: int, skipped: set[str]) -> bool:
    """Whether no step after `steps[i]` that runs belongs to its stage."""
    return not any(s.stage == steps[i].stage for s in steps[i + 1:] if s.pass_name not in skipped)


def run_pipeline(module: ModuleOp, target: str, *, disable: Iterable[str] = (),
                 pass_options: PassOptions | None = None, verify_each: bool = True,
                 stop_after: str | Step | None = None, observer: StepObserver | None = None) -> ModuleOp:
    """Runs the steps of `target` in order on `module` (in place), up to the
    step `stop_after` (or the first step of that name)."""
    ctx = make_context()
    skipped = set(disable)
    steps = steps_for(target)
    for i, step in enumerate(steps):
        if step.pass_name in skipped:
            continue
        start = time.perf_counter()
        try:
            make_pass(step, pass_options, target).apply(ctx, module)
            if verify_each:
                module.verify()
                check_uses(module)
                if step.stage in CONTRACTS and _ends_stage(steps, i, skipped):
                    CONTRACTS[step.stage](module)
        except CompileError:
            raise  # a user's error found by a pass (a custom op with no lowering for the target)
        except Exception as err:  # noqa: BLE001 - reported with the pass that broke the IR
            raise PassFailed(step, err) from err
        if observer is not None:
            observer(step, module, time.perf_counter() - start)
        if step == stop_after or step.pass_name == stop_after:
            break
    return module


__all__ = ["COMPILED", "ON_DEMAND", "PASSES", "PIPELINE", "STAGES", "PassFailed", "Step", "make_context", "make_pass",
           "pass_class", "register_pass", "run_pipeline", "steps_for"]
