"""The `tfir` command: run, check and compile `.tf` programs, and inspect the
lowering pipeline (`lower`, `passes`, `graph`, `explain` live in
tfir/inspect/ and register themselves here)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from tfir.api import TARGETS, Program, compile_file
from tfir.backends.triton_runtime import TritonUnavailable
from tfir.dialects.dtypes import element_type, from_numpy
from tfir.errors import CompileError, InputError, PluginError
from tfir.frontend import ast
from tfir.frontend.dims import eval_dim
from tfir.inspect import commands
from tfir.inspect.trace import entry_name
from tfir.plugin import load_plugin


class UsageError(Exception):
    """A command-line mistake: printed as `error: ...`, exit status 1."""


def _key_value(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise UsageError(f"{what} must look like NAME=VALUE, got {text!r}")
    return name, value


def load_program(args: argparse.Namespace, target: str | None = None) -> Program:
    for plugin in getattr(args, "plugin", None) or []:
        load_plugin(plugin)
    return compile_file(args.file, target=target or getattr(args, "target", "numpy") or "numpy")


def random_inputs(fn: ast.FnDef, given: dict[str, np.ndarray], dims: dict[str, int], seed: int) -> dict[str, Any]:
    """Seeded random arrays for the tensor inputs not given, of their declared shapes."""
    rng = np.random.default_rng(seed)
    bound = dict(dims)
    for p in fn.params:
        if p.name in given and isinstance(p.type, ast.TensorTypeExpr):
            for d, size in zip(p.type.dims, given[p.name].shape, strict=False):
                if isinstance(d, str):
                    bound.setdefault(d, size)
    statics = {p.name: p.default.value for p in fn.params
               if isinstance(p.type, ast.StaticType) and isinstance(p.default, ast.IntLit)}
    statics.update({n: v for n, v in given.items() if isinstance(v, int)})
    out: dict[str, Any] = dict(given)
    for p in fn.params:
        if p.name in given or p.is_static:
            continue
        if p.type is None:
            raise UsageError(f"parameter '{p.name}' has no declared type: pass --input {p.name}=FILE.npy")
        shape = []
        for d in p.type.dims:
            names = [d] if isinstance(d, str) else d.names() if isinstance(d, ast.DimBinary) else []
            missing = [n for n in names if n not in bound and n not in statics]
            if missing:
                raise UsageError(f"the size of dimension {missing[0]} (parameter '{p.name}') is unknown: "
                                 f"pass --dim {missing[0]}=SIZE")
            size = eval_dim(d, lambda n: bound.get(n, statics.get(n)))
            if not isinstance(size, int) or size < 0:
                raise UsageError(f"dimension {d} of parameter '{p.name}' has no size >= 0 ({size})")
            shape.append(size)
        out[p.name] = _random(rng, p.type.dtype, tuple(shape))
    return out


def _random(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    elem = element_type(dtype)
    if elem.kind == "bool":
        return rng.random(shape) < 0.5
    if elem.kind == "int":
        return rng.integers(-10, 10, shape).astype(elem.numpy)
    return rng.standard_normal(shape).astype(elem.numpy)


def summarize(name: str, value: np.ndarray) -> str:
    arr = np.asarray(value)
    head = f"{name}: {from_numpy(arr.dtype) or arr.dtype}{list(arr.shape)}"
    if arr.size == 0:
        return head + "  (empty)"
    if arr.dtype.kind == "b":
        return head + f"  true={int(arr.sum())} of {arr.size}"
    flat = arr.astype(np.float64).ravel()
    stats = f"  min={flat.min():.6g} max={flat.max():.6g} mean={flat.mean():.6g}"
    with np.printoptions(precision=4, suppress=True, threshold=8, edgeitems=3, linewidth=100):
        return head + stats + "\n    " + np.array2string(arr).replace("\n", "\n    ")


def cmd_run(args: argparse.Namespace) -> int:
    prog = load_program(args)
    entry = entry_name(prog, args.entry)
    given: dict[str, np.ndarray] = {}
    for item in args.input or []:
        name, path = _key_value(item, "--input")
        try:
            given[name] = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise UsageError(f"cannot load --input {name}={path}: {err}") from None
    dims = {}
    for item in args.dim or []:
        name, size = _key_value(item, "--dim")
        if not size.isdigit():
            raise UsageError(f"--dim {name} needs a size >= 0, got {size!r}")
        dims[name] = int(size)
    fn = prog[entry]
    unknown = set(given) - {p.name for p in fn.params}
    if unknown:
        raise UsageError(f"'{entry}' has no input {', '.join(sorted(unknown))}")
    inputs = random_inputs(fn.fn, given, dims, args.seed)
    result = fn(**inputs)
    results = result if isinstance(result, tuple) else (result,)
    print(f"{entry} ({prog.target}):")
    for i, r in enumerate(results):
        print(summarize(f"  result {i}", r))
    if args.save:
        np.savez(args.save, **{f"result{i}": r for i, r in enumerate(results)})
        print(f"saved {len(results)} result{'s' * (len(results) != 1)} to {args.save}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    load_program(args, target="eager")
    print("ok")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfir", description="An MLIR-style compiler for .tf tensor programs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run an entry function on given or seeded random inputs")
    run.add_argument("file")
    run.add_argument("--entry", help="the function to run (default: the last one in the file)")
    run.add_argument("--input", action="append", metavar="NAME=PATH.npy")
    run.add_argument("--dim", action="append", metavar="NAME=SIZE")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--target", choices=TARGETS, default="numpy")
    run.add_argument("--save", metavar="OUT.npz")
    run.add_argument("--plugin", action="append", metavar="MODULE", help="load a dialect plugin first")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="check a program: its diagnostics, or ok")
    check.add_argument("file")
    check.add_argument("--plugin", action="append", metavar="MODULE")
    check.set_defaults(func=cmd_check)

    commands.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CompileError as err:
        print(err, file=sys.stderr)
    except (InputError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - a missing target or a failing plugin: named, no traceback
        if not isinstance(err, PluginError | TritonUnavailable):
            raise
        print(f"error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    except BrokenPipeError:
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
