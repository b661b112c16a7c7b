"""Hand-written target implementations of `mylib.cumsum`, destination-passing:
`fn(x, out)` writes the running sum of `x` over its last axis into `out`."""

from __future__ import annotations

import numpy as np


def cumsum_numpy(x: np.ndarray, out: np.ndarray) -> None:
    """The numpy target's implementation: NumPy's own scan."""
    np.cumsum(x, axis=-1, dtype=out.dtype, out=out)


def cumsum_triton(x, out) -> None:
    """The triton target's implementation: one program per row, `tl.cumsum`
    over a block holding the whole row. `x` and `out` are the triton
    backend's buffers (CUDA tensors, or NumPy arrays under the interpreter)."""
    import triton

    shape = tuple(x.size())
    n = shape[-1] if shape else 1
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    if n == 0 or rows == 0:
        return
    block = triton.next_power_of_2(n)
    _cumsum_kernel()[(rows,)](x, out, n, BLOCK=block)


_KERNEL = None


def _cumsum_kernel():
    """The `@triton.jit` kernel, defined on first use so that importing the
    plugin does not need Triton."""
    global _KERNEL
    if _KERNEL is None:
        import triton
        import triton.language as tl

        @triton.jit
        def cumsum_rows(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
            row = tl.program_id(0)
            cols = tl.arange(0, BLOCK)
            mask = cols < n
            v = tl.load(x_ptr + row * n + cols, mask=mask, other=0)
            tl.store(out_ptr + row * n + cols, tl.cumsum(v, axis=0), mask=mask)

        _KERNEL = cumsum_rows
    return _KERNEL
