"""Compiling one specialized entry for a target: the pipeline of the target,
its backend's code, the disk cache. `tfir.api` calls `build`; `tfir.pipeline`
knows nothing of backends, caches or programs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from tfir import cache, pipeline
from tfir.backends.base import Backend
from tfir.backends.common.emitter import SourceLine
from tfir.backends.registry import BACKENDS, runs_tf_ir
from tfir.errors import did_you_mean
from tfir.options import CompileOptions, backend_options_of

TARGETS = tuple(BACKENDS)
"""The targets a program can run on (`target=` of the API and the CLI)."""
LOWERING_TARGETS = tuple(dict.fromkeys([*BACKENDS, *sorted(pipeline.COMPILED)]))
"""Every target the pipeline lowers for: the runnable ones, and `mlir`, which only lowers."""
COMPILED_TARGETS = tuple(t for t in LOWERING_TARGETS if not runs_tf_ir(t))
"""The targets whose programs are lowered by passes (all but those that run the `tf` IR)."""


@dataclass
class Compiled:
    """One specialization of an entry: its `tf` IR, the lowered IR and the runnable code."""

    tf_module: ModuleOp
    run: Callable[..., tuple[np.ndarray, ...]]
    source: str | None = None  # generated code
    stages: list[Any] = field(default_factory=list)


def backend_for(target: str) -> Backend:
    """The backend of `target`; ValueError naming the targets for an unknown one."""
    if target not in BACKENDS:
        raise ValueError(f"unknown target {target!r}{did_you_mean(target, BACKENDS)}; "
                         f"expected one of {', '.join(BACKENDS)}")
    return BACKENDS[target]


def check_options(options: CompileOptions, target: str) -> Any:
    """Checks the pass names and options of `options`; returns the target's
    own options. A name that is not one raises ValueError naming the closest."""
    names = pipeline.pass_names()
    for name in [*options.disable, *options.pass_options]:
        if name not in names:
            raise ValueError(f"no pass {name!r} in the pipeline{did_you_mean(name, names)} "
                             "(`tfir passes` lists them)")
    for name, opts in options.pass_options.items():
        fields = list(getattr(pipeline.pass_class(name), "__dataclass_fields__", {}))
        for opt in opts:
            if opt not in fields:
                raise ValueError(f"pass {name!r} has no option {opt!r}{did_you_mean(opt, fields)} "
                                 f"(its options: {', '.join(fields) or 'none'})")
    backend = backend_for(target)
    return backend_options_of(options, target, backend.options_type)


def pass_options_of(options: CompileOptions, target: str, target_options: Any) -> dict[str, dict[str, object]]:
    """The options of the pipeline's passes: the target's (from its own
    options), then `options.pass_options` over them."""
    merged = backend_for(target).pass_options(target_options)
    for name, opts in options.pass_options.items():
        merged[name] = {**merged.get(name, {}), **opts}
    return merged


def build(module: ModuleOp, entry: str, target: str, source_line: SourceLine, options: CompileOptions,
          cache_key: str | None = None) -> Compiled:
    """Lowers a `tf` module for `target` and loads its code. With a
    `cache_key`, generated code is taken from (and put in) the disk cache."""
    backend = backend_for(target)
    target_options = check_options(options, target)
    name = f"<tfir-{target}:{entry}>"
    if cache_key is not None and backend.cacheable:
        source = cache.load(cache_key)
        if source is not None:
            try:
                return Compiled(module, backend.load(source, entry, name), source)
            except Exception:  # noqa: BLE001 - a corrupt entry is ignored and rebuilt
                cache.discard(cache_key)
    tf_module = module.clone()
    verify_each = pipeline.VERIFY_EACH if options.verify_each is None else options.verify_each
    pipeline.run_pipeline(module, target, disable=options.disable, verify_each=verify_each,
                          pass_options=pass_options_of(options, target, target_options))
    if not verify_each:
        try:
            module.verify()  # once at the end; per pass under TFIR_VERIFY_EACH=1 (the tests)
        except Exception as err:  # noqa: BLE001 - a compiler bug, named as such
            steps = pipeline.steps_for(target)
            raise pipeline.PassFailed(steps[-1] if steps else pipeline.Step("tf", "frontend"), err) from err
    run, source = backend.compile(module, entry, source_line, target_options, name)
    if cache_key is not None and backend.cacheable:
        cache.store(cache_key, source)
    return Compiled(tf_module, run, source)
