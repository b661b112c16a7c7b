"""The one ordered pipeline: every tool (`tfir lower`, dumps, timings, the
HTML report, the backends) reads `PIPELINE`, never a copy of it.

A step is `(stage, pass name, targets)`: the stage is the level of the IR the
pass produces, the targets are the backends that run it. A pass is one file
in `lowering/` whose name is the pass name with `_` for `-`, defining one
xDSL `ModulePass`; passes from xDSL itself (`cse`, `dce`) are reused as they
are.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects import (
    arith,
    bufferization,
    builtin,
    func,
    linalg,
    math,
    memref,
    scf,
    tensor,
)
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from tfir import cache
from tfir.compiled import Compiled
from tfir.dialects import xdsl_fixes  # noqa: F401  (patches xDSL before any IR is built)
from tfir.dialects.device import DEVICE
from tfir.dialects.plugins import loaded_dialects
from tfir.dialects.tf import TF
from tfir.errors import CompileError, InternalError

SourceLine = Callable[[str, int], str]

COMPILED = frozenset({"numpy", "triton", "mlir"})
EVERY_TARGET = COMPILED | {"eager"}


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
    Step("tf", "canonicalize-tf"),
    Step("tf", "fold-constants"),
    Step("tf", "cse"),
    Step("tf", "dce"),
    Step("linalg", "convert-tf-to-linalg"),
    Step("linalg", "fuse-elementwise"),
    Step("buffers", "bufferize"),
    Step("buffers", "plan-buffers"),
    # 1 MiB tiles (the L2 of a core): long elementwise chains then run ~3x faster
    # in NumPy than with 128 KiB ones (fewer calls per element); the triton
    # target undoes the CPU tiling anyway.
    Step("loops", "tile-linalg", frozenset({"numpy", "triton"}), {"max_tile_bytes": 1 << 20}),
    Step("scalar-loops", "convert-linalg-to-scalar-loops", frozenset({"mlir"})),
    Step("device", "convert-loops-to-device", frozenset({"triton"})),
]

STAGES: tuple[str, ...] = tuple(dict.fromkeys(s.stage for s in PIPELINE))

# Passes that xDSL provides: reused, not rewritten.
_XDSL_PASSES = {
    "cse": "xdsl.transforms.common_subexpression_elimination:CommonSubexpressionElimination",
    "dce": "xdsl.transforms.dead_code_elimination:DeadCodeElimination",
}


# Passes that plugins add with `register_pass`, by name.
_REGISTERED_PASSES: dict[str, type[ModulePass]] = {}


def pass_class(name: str) -> type[ModulePass]:
    """The ModulePass class of a pipeline pass, imported on first use."""
    if name in _REGISTERED_PASSES:
        return _REGISTERED_PASSES[name]
    where = _XDSL_PASSES.get(name) or f"tfir.lowering.{name.replace('-', '_')}"
    module_name, _, attr = where.partition(":")
    module = importlib.import_module(module_name)
    if attr:
        return getattr(module, attr)
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ModulePass) and getattr(value, "name", None) == name:
            return value
    raise LookupError(f"no ModulePass named {name!r} in {module_name}")


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


def make_context() -> Context:
    """A context with every dialect a tfir module may hold at any stage."""
    ctx = Context(allow_unregistered=False)
    for dialect in (builtin.Builtin, func.Func, arith.Arith, math.Math, linalg.Linalg,
                    tensor.Tensor, bufferization.Bufferization, memref.MemRef, scf.Scf, TF, DEVICE):
        ctx.load_dialect(dialect)
    for dialect in loaded_dialects():
        ctx.load_dialect(dialect)
    return ctx


# -- running the pipeline -------------------------------------------------------

BACKENDS: dict[str, str] = {
    "eager": "tfir.backends.eager",
    "numpy": "tfir.backends.numpy_backend",
    "triton": "tfir.backends.triton_backend",
}

StepObserver = Callable[[Step, ModuleOp, float], None]

# Verifying after every pass costs about a quarter of compile time: programs
# compiled through the API verify the final IR only, unless TFIR_VERIFY_EACH=1
# (the test suite sets it) or the option verify_each=True asks for it.
VERIFY_EACH = os.environ.get("TFIR_VERIFY_EACH", "0") not in ("0", "", "false", "no")


class PassFailed(InternalError):
    """A pass raised, or left IR that does not verify: a compiler bug, named by pass."""

    def __init__(self, step: Step, cause: BaseException):
        super().__init__(f"pass '{step.pass_name}' (stage {step.stage}) failed: {cause}")
        self.step = step


def make_pass(step: Step, overrides: dict[str, dict[str, object]] | None = None,
              target: str | None = None) -> ModulePass:
    """The pass of `step`; a pass with a `target` option is told the target it runs for."""
    options = {**step.options, **(overrides or {}).get(step.pass_name, {})}
    cls = pass_class(step.pass_name)
    if target is not None and "target" in getattr(cls, "__dataclass_fields__", {}):
        options.setdefault("target", target)
    return cls(**options)


def run_pipeline(module: ModuleOp, target: str, *, disable: Iterable[str] = (),
                 pass_options: dict[str, dict[str, object]] | None = None, verify_each: bool = True,
                 stop_after: str | None = None, observer: StepObserver | None = None) -> ModuleOp:
    """Runs the steps of `target` in order on `module` (in place)."""
    ctx = make_context()
    skipped = set(disable)
    for step in steps_for(target):
        if step.pass_name in skipped:
            continue
        start = time.perf_counter()
        try:
            make_pass(step, pass_options, target).apply(ctx, module)
            if verify_each:
                module.verify()
        except CompileError:
            raise  # a user's error found by a pass (a custom op with no lowering for the target)
        except Exception as err:  # noqa: BLE001 - reported with the pass that broke the IR
            raise PassFailed(step, err) from err
        if observer is not None:
            observer(step, module, time.perf_counter() - start)
        if step.pass_name == stop_after:
            break
    return module


def build_for_target(module: ModuleOp, entry: str, target: str, source_line: SourceLine,
                     options: dict[str, Any], cache_key: str | None = None) -> Any:
    """Lowers a `tf` module for `target` and loads its code: a `Compiled`.

    With a `cache_key`, generated code is taken from (and put in) the disk cache."""
    backend = importlib.import_module(BACKENDS[target])
    if target == "eager":
        tf_module = module.clone()
        run_pipeline(module, target, disable=options.get("disable", ()),
                     pass_options=options.get("pass_options"), verify_each=options.get("verify_each", VERIFY_EACH))
        return Compiled(tf_module, backend.compile_module(module, entry))
    name = f"<tfir-{target}:{entry}>"
    if cache_key is not None:
        source = cache.load(cache_key)
        if source is not None:
            try:
                return Compiled(module, backend.load(source, entry, name), source)
            except Exception:  # noqa: BLE001 - a corrupt entry is ignored and rebuilt
                cache.discard(cache_key)
    tf_module = module.clone()
    run_pipeline(module, target, disable=options.get("disable", ()),
                 pass_options=options.get("pass_options"), verify_each=options.get("verify_each", VERIFY_EACH))
    if not options.get("verify_each", VERIFY_EACH):
        try:
            module.verify()  # once at the end; per pass under TFIR_VERIFY_EACH=1 (the tests)
        except Exception as err:  # noqa: BLE001 - a compiler bug, named as such
            raise PassFailed(steps_for(target)[-1], err) from err
    source = backend.generate(module, entry, source_line, **options.get("codegen", {}))
    run = backend.load(source, entry, name)
    if cache_key is not None:
        cache.store(cache_key, source)
    return Compiled(tf_module, run, source)
