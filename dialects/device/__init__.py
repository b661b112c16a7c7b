"""The `device` dialect: GPU kernels over blocks of values, modelled on Triton's `tt`.

A `device.kernel` is one GPU program: a grid of program instances, each
working on blocks (static-shaped `tensor<...>` values held in registers).
Kernel arguments are the global buffers it reads and writes (`memref`s with
identity layout: a base pointer); every access is a masked `device.load` /
`device.store` of a block of element offsets from that base. Elementwise math
on blocks reuses `arith` / `math` ops on tensor-typed values, as `tt` does,
except where xDSL 0.74 accepts scalars only (comparisons, integer casts,
select): those are `device.cmp`, `device.cast` and `device.select`.

```mlir
"device.kernel"() <{sym_name = "tf_add_0", grid = array<i64: 8>, block_sizes = {BLOCK = 1024 : i64}, num_warps = 4 : i64}> ({
^bb0(%a: memref<8000xf32>, %out: memref<8000xf32>):
  %pid = device.program_id 0 : i32
  %r = device.arange 0 to 1024 {block = "BLOCK"} : tensor<1024xi32>
  ...
  %x = device.load %a[%idx], %mask : memref<8000xf32>, tensor<1024xi32>, tensor<1024xi1> -> tensor<1024xf32>
  device.store %out[%idx], %y, %mask : memref<8000xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
  device.return
}) : () -> ()
func.func @f(%a: memref<8000xf32>) -> memref<8000xf32> {
  %out = memref.alloc() : memref<8000xf32>
  device.launch @tf_add_0(%a, %out) : memref<8000xf32>, memref<8000xf32>
  func.return %out : memref<8000xf32>
}
```

One module per family: `kernels.py` (kernel, return, launch, program_id),
`blocks.py` (arange, splat, expand_dims, broadcast, load, store),
`compute.py` (reduce, dot, select, cmp, cast); constants and helpers in
`base.py`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from tfir.dialects.device.base import CMP_PREDICATES, REDUCE_KINDS, block_type, element_of, shape_of
from tfir.dialects.device.blocks import (
    ArangeOp,
    AtomicAddOp,
    BroadcastOp,
    ExpandDimsOp,
    LoadOp,
    SplatOp,
    StoreOp,
)
from tfir.dialects.device.compute import (
    SCAN_KINDS,
    CastOp,
    CmpOp,
    DotOp,
    ReduceOp,
    ScanOp,
    SelectOp,
)
from tfir.dialects.device.kernels import CheckFlagOp, KernelOp, LaunchOp, ProgramIdOp, ReturnOp

DEVICE = Dialect(
    "device",
    [
        KernelOp,
        ReturnOp,
        LaunchOp,
        ProgramIdOp,
        ArangeOp,
        SplatOp,
        ExpandDimsOp,
        BroadcastOp,
        LoadOp,
        StoreOp,
        ReduceOp,
        ScanOp,
        AtomicAddOp,
        CheckFlagOp,
        DotOp,
        SelectOp,
        CmpOp,
        CastOp,
    ],
)

__all__ = ["CMP_PREDICATES", "DEVICE", "REDUCE_KINDS", "SCAN_KINDS", "AtomicAddOp", "CheckFlagOp", "ScanOp", "ArangeOp", "BroadcastOp", "CastOp", "CmpOp", "DotOp",
           "ExpandDimsOp", "KernelOp", "LaunchOp", "LoadOp", "ProgramIdOp", "ReduceOp", "ReturnOp", "SelectOp",
           "SplatOp", "StoreOp", "block_type", "element_of", "shape_of"]
