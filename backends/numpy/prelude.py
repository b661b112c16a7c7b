"""Helper functions copied into a generated NumPy module when its code needs
them, so that the module stays standalone (NumPy and the standard library).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tfir.backends.common.helpers import Helper

# NumPy has no erf. W. J. Cody's rational Chebyshev approximations (SPECFUN
# CALERF, Math. Comp. 23, 1969) in float64: within a few ulps of math.erf
# over the whole line (checked in tests/backends/numpy/test_codegen.py).
ERF = '''
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)


def _erf(x, out=None):
    """erf(x), elementwise: Cody's rational approximations, computed in float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    r = np.empty_like(y)
    small = y <= 0.46875
    z = x[small] ** 2
    num, den = _ERF_A[4] * z, z
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num, den = (num + a) * z, (den + b) * z
    r[small] = x[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])
    mid = ~small & (y <= 4.0)
    t = y[mid]
    num, den = _ERF_C[8] * t, t
    for c, d in zip(_ERF_C[:7], _ERF_D[:7]):
        num, den = (num + c) * t, (den + d) * t
    r[mid] = _erfc_scale(t, (num + _ERF_C[7]) / (den + _ERF_D[7]))
    big = ~small & ~mid
    t = np.minimum(y[big], 27.0)
    z = 1.0 / (t * t)
    num, den = _ERF_P[5] * z, z
    for p, q in zip(_ERF_P[:4], _ERF_Q[:4]):
        num, den = (num + p) * z, (den + q) * z
    r[big] = _erfc_scale(t, (0.5641895835477563 - z * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / t)
    np.copysign(r, x, out=r)
    if out is None:
        return r
    np.copyto(out, r, casting="unsafe")
    return out


def _erfc_scale(t, r):
    """1 - exp(-t*t) * r, with exp(-t*t) split as Cody does to keep its accuracy."""
    s = np.trunc(t * 16.0) / 16.0
    return 1.0 - np.exp(-s * s) * np.exp(-(t - s) * (t + s)) * r
'''

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def shared_pool(workers: int) -> ThreadPoolExecutor:
    """The thread pool every generated module of this process runs its tiles
    on (its threads, and the buffers they keep, exist once, not per module)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tfir-numpy")
        return _POOL


# Tiles of one scf.parallel run on one shared pool; NumPy releases the GIL
# inside its loops, so the tiles really run at the same time.
PARALLEL = '''
_workers = os.cpu_count() or 1
try:  # one pool for every module tfir generates in this process
    from tfir.backends.numpy.prelude import shared_pool as _shared_pool
    _pool = _shared_pool(_workers)
except ImportError:  # the module run on its own: a pool of its own
    _pool = ThreadPoolExecutor(max_workers=_workers, thread_name_prefix="tfir-numpy")


def _parallel(tile, *ranges):
    """Run the tiles of an scf.parallel on the pool: each worker, the calling
    thread first, runs `tile(indices)` on one shared iterator of the tile
    indices (ints for one range, tuples for several) and takes the next tile
    until none is left, so a worker that the OS runs late gets less work
    instead of holding the others up; one not started by then is cancelled."""
    indices = iter(ranges[0]) if len(ranges) == 1 else itertools.product(*ranges)
    pending = [_pool.submit(tile, indices) for _ in range(_workers - 1)]
    tile(indices)
    for done in pending:
        if not done.cancel():
            done.result()
'''

# A function with contractions runs with the BLAS on one thread and shares its
# large contractions out over the pool (backends/numpy/blas_threads.py).
BLAS = '''
try:  # one count of the calls holding the BLAS to one thread, for every module of the process
    from tfir.backends.numpy.blas_threads import blas_threaded as _blas_threaded
    from tfir.backends.numpy.blas_threads import blas_threads_unless_busy as _blas_threads_unless_busy
    from tfir.backends.numpy.blas_threads import one_blas_thread as _one_blas_thread
except ImportError:  # the module run on its own: the BLAS keeps its threads
    def _one_blas_thread():
        return contextlib.nullcontext(False)

    def _blas_threaded():
        return True

    def _blas_threads_unless_busy():
        return contextlib.nullcontext(False)


def _parallel_blas(tile, *ranges):
    """`_parallel` for tiles that call the BLAS: on the pool while the BLAS runs
    on one thread, else (its thread count cannot be set) in turn in this
    thread, each call threaded by the BLAS itself."""
    with _one_blas_thread() as one:
        if one:
            _parallel(tile, *ranges)
        else:
            _in_turn(tile, ranges)


def _blas_or_parallel(tile, *ranges):
    """The contraction tiles of a function that keeps the BLAS's threads: in
    turn, each call threaded by the BLAS; on the pool where the BLAS runs on
    one thread anyway (OPENBLAS_NUM_THREADS=1, another call holding it)."""
    if _blas_threaded():
        _in_turn(tile, ranges)
    else:
        _parallel(tile, *ranges)


def _in_turn(tile, ranges):
    tile(iter(ranges[0]) if len(ranges) == 1 else itertools.product(*ranges))
'''

# C kernels of the ops marked tfir.native, compiled at load (backends/numpy/native.py).
NATIVE = '''
try:
    from tfir.backends.numpy.native import kernels as _native_kernels
except ImportError:  # the module run on its own: its NumPy version
    def _native_kernels(source, arity):
        return None
'''

# Large intermediate buffers are kept between calls, one set per thread: a
# fresh `np.empty` of megabytes costs its page faults again on every call.
BUFFERS = '''
_local = threading.local()


def _buffer(site, shape, dtype):
    """The calling thread's buffer for one allocation site of this module, as
    left by its last call (the site's value is never returned to the caller)."""
    store = _local.__dict__
    key = (site, shape, dtype)
    buf = store.get(key)
    if buf is None:
        buf = store[key] = np.empty(shape, dtype=dtype)
    return buf
'''

# Index checks (v2): tfir's error where tfir is installed, else a RuntimeError
# of the same text, so that the module still runs on its own.
CHECK = '''
try:
    from tfir.errors import index_error
except ImportError:
    def index_error(location, what, index, size, axis, negative=True):
        valid = f"-{size} to {size - 1}" if negative else f"0 to {size - 1}"
        return RuntimeError(f"{location}: error: {what}: index {index} is out of range for axis {axis} "
                            f"of size {size} (valid indices are {valid})")


def _check_index(idx, size, axis, negative, location, what):
    """Raises the error of the first index outside [-size, size) ([0, size) if not negative)."""
    lo = -size if negative else 0
    if idx.size and (idx.min() < lo or idx.max() >= size):
        bad = idx[(idx < lo) | (idx >= size)].flat[0]
        raise index_error(location, what, int(bad), size, axis, negative)
'''

HELPERS = {
    "erf": Helper(ERF, (), ("_erf", "_erfc_scale")),
    "parallel": Helper(PARALLEL, ("import itertools", "import os",
                                  "from concurrent.futures import ThreadPoolExecutor"),
                       ("_parallel", "_pool", "_workers", "_shared_pool", "itertools", "os",
                        "ThreadPoolExecutor")),
    "blas": Helper(BLAS, ("import contextlib",), ("_one_blas_thread", "_blas_threaded", "_blas_threads_unless_busy",
                                                     "_parallel_blas", "_blas_or_parallel", "_in_turn",
                                                     "contextlib")),
    "native": Helper(NATIVE, (), ("_native_kernels", "_nk", "_NATIVE_C")),
    "buffers": Helper(BUFFERS, ("import threading",), ("_buffer", "_local", "threading")),
    "check": Helper(CHECK, (), ("index_error", "_check_index")),
}
"""The helpers by key: what `use_helper(key)` puts into a generated module."""

MODULE_NAMES = ("base64",)
"""Other module-level names of generated modules (constants in base64)."""
