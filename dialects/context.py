"""The xDSL context of tfir: every dialect a tfir module may hold at any
stage (upstream ones, `tf`, `linalgx`, `device` and the dialects of loaded plugins)."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, bufferization, builtin, cf, func, linalg, math, memref, scf, tensor

from tfir.dialects import xdsl_fixes  # noqa: F401 - fixes xDSL before any IR is built
from tfir.dialects.device import DEVICE
from tfir.dialects.linalgx import LINALGX
from tfir.dialects.plugins import loaded_dialects
from tfir.dialects.tf import TF


def make_context() -> Context:
    """A context with every dialect a tfir module may hold at any stage."""
    ctx = Context(allow_unregistered=False)
    for dialect in (builtin.Builtin, func.Func, arith.Arith, cf.Cf, math.Math, linalg.Linalg,
                    tensor.Tensor, bufferization.Bufferization, memref.MemRef, scf.Scf, TF, LINALGX, DEVICE,
                    *loaded_dialects()):
        ctx.load_dialect(dialect)
    return ctx
