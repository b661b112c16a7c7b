"""Compiling and loading the C kernels of a generated NumPy module.

`kernels(source, names)` compiles `source` (backends/numpy/native_c.py) with
the system's C compiler into a shared library, loads it with `ctypes` (whose
calls release the GIL, so kernels of a tile loop run in parallel on the
pool) and returns it with the argument types of `names` set; or None where
native code is off (`TFIR_NATIVE=0`) or no compiler works here: the module
then runs its NumPy version. Libraries are kept by the hash of their source
and flags in `$TFIR_CACHE_DIR/native` (default `~/.cache/tfir/native`;
`TFIR_CACHE=0`: a temporary folder), and once per process in memory.

Flags: `-O3 -march=native` with vectorized loops (`-fopenmp-simd`) and
glibc's vector math (`-lmvec`, the `TFIR_MVEC` declarations), calls between
kernels inlined (`-fno-semantic-interposition`), no `-ffast-math` and no
contraction of `a * b + c` into an FMA (`-ffp-contract=off`; GCC contracts by
default): a kernel rounds each operation as NumPy does, so a value it computes
equals the same expression recomputed elsewhere (the gradient of `max` finds
the maximum among its operands by `==`); where that fails to build, the same
without libmvec, then a plain `-O2` build. The exception is the math
functions (`tanh`, `exp`, ...): a vectorized loop calls libmvec's version in
its vector lanes and glibc's scalar one in its remainder, which can differ by
an ulp, so equal inputs can give values an ulp apart (and a tie of `max` a
different split; found by `tfir fuzz --gradients` at kinks, seed 41001688).
Without libmvec such loops are not vectorized at all.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

FLAG_SETS: tuple[tuple[str, ...], ...] = (
    ("-O3", "-march=native", "-mprefer-vector-width=512", "-fopenmp-simd", "-fno-math-errno", "-ffp-contract=off",
     "-fno-semantic-interposition", "-DTFIR_MVEC", "-lmvec", "-lm"),
    ("-O3", "-march=native", "-fopenmp-simd", "-fno-math-errno", "-ffp-contract=off", "-fno-semantic-interposition",
     "-DTFIR_MVEC", "-lmvec", "-lm"),
    ("-O3", "-march=native", "-fopenmp-simd", "-fno-math-errno", "-ffp-contract=off", "-lm"),
    ("-O2", "-ffp-contract=off", "-lm"),
)
"""Tried in order until one builds. `-fno-semantic-interposition`: a loop
kernel's calls of the op kernels are inlined (without it, every step is a
call through the PLT: loop-tiny 26.3 against 12.0 us, measured)."""

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL] = {}
last_error: str | None = None
"""Why the last build failed (every flag set), for diagnostics."""


def enabled() -> bool:
    return os.environ.get("TFIR_NATIVE", "1").lower() not in ("0", "false", "no", "off")


def compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc and shutil.which(cc.split()[0]):
        return cc
    return next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)


def _cache_root() -> Path:
    if os.environ.get("TFIR_CACHE", "1").lower() in ("0", "false", "no", "off"):
        return Path(tempfile.gettempdir()) / f"tfir-native-{os.getpid()}"
    root = os.environ.get("TFIR_CACHE_DIR") or Path.home() / ".cache" / "tfir"
    return Path(root) / "native"


def _build(source: str, cc: str, flags: Sequence[str], target: Path) -> str | None:
    """Builds `target`; the compiler's complaint when it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tfir-native-") as tmp:
        c_file, so_file = Path(tmp) / "kernels.c", Path(tmp) / "kernels.so"
        c_file.write_text(source, encoding="utf-8")
        compile_flags = [f for f in flags if not f.startswith("-l")]
        libs = [f for f in flags if f.startswith("-l")]
        cmd = [*cc.split(), *compile_flags, "-shared", "-fPIC", str(c_file), "-o", str(so_file), *libs]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            return proc.stderr[-2000:] or f"{cc} exited with {proc.returncode}"
        os.replace(so_file, target)  # atomic: another process may build the same one
    return None


def _library(source: str) -> ctypes.CDLL | None:
    global last_error
    cc = compiler()
    if cc is None:
        last_error = "no C compiler (cc, gcc, clang) on PATH"
        return None
    errors = []
    for flags in FLAG_SETS:
        key = hashlib.sha256("\0".join([cc, *flags, source]).encode()).hexdigest()[:32]
        if key in _loaded:
            return _loaded[key]
        target = _cache_root() / f"{key}.so"
        if not target.exists():
            problem = _build(source, cc, flags, target)
            if problem is not None:
                errors.append(f"{' '.join(flags)}: {problem}")
                continue
        try:
            lib = ctypes.CDLL(str(target))
        except OSError as err:
            errors.append(f"{' '.join(flags)}: {err}")
            continue
        _loaded[key] = lib
        return lib
    last_error = "\n".join(errors)
    return None


def kernels(source: str, arity: dict[str, int]) -> ctypes.CDLL | None:
    """The compiled kernels of `source`, each name of `arity` with that many
    pointer arguments, or None (see the module's doc)."""
    if not enabled():
        return None
    with _lock:
        lib = _library(source)
    if lib is None:
        return None
    for name, count in arity.items():
        fn = getattr(lib, name)
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p] * count  # addresses, passed as ints
    return lib
