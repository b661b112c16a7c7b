"""What compiling one specialization of an entry gives: made by the pipeline
(`build_for_target`), kept per input signature by the API's functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp


@dataclass
class Compiled:
    """One specialization of an entry: its `tf` IR, the lowered IR and the runnable code."""

    tf_module: ModuleOp
    run: Callable[..., tuple[np.ndarray, ...]]
    source: str | None = None  # generated code, for compiled targets
    stages: list[Any] = field(default_factory=list)
