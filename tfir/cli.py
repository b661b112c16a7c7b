"""The `tfir` command: run, check and compile `.tf` programs, and inspect the
lowering pipeline (`lower`, `passes`, `graph`, `explain` live in
tfir/inspect/ and register themselves here)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

from tfir import crash, progress, support
from tfir.api import TARGETS, Program, compile_file
from tfir.dialects.dtypes import from_numpy
from tfir.errors import CompileError, InternalError, TfirError
from tfir.inputs import random_inputs
from tfir.inspect import commands
from tfir.inspect.trace import entry_name
from tfir.onnx import cli as onnx_cli
from tfir.plugin import load_plugin
from tfir.testing import cli as testing_cli
from tfir.version import __version__


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


def summarize(name: str, value: np.ndarray) -> str:
    """`name: f32[2, 3]` and the array as NumPy prints it (its print options apply)."""
    arr = np.asarray(value)
    return f"{name}: {from_numpy(arr.dtype) or arr.dtype}{list(arr.shape)}\n{arr}"


def _parse_run_args(args: argparse.Namespace, prog: Program, entry: str) -> dict[str, Any]:
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
    return random_inputs(fn.fn, given, dims, args.seed)


def cmd_run(args: argparse.Namespace) -> int:

    prog = load_program(args)
    entry = entry_name(prog, args.entry)
    fn = prog[entry]
    inputs = _parse_run_args(args, prog, entry)
    arrays, statics = fn.bind_inputs((), inputs)
    with progress.phase(f"compiling {entry} for {prog.target}"):
        compiled = fn.specialize(arrays, statics)
    with progress.phase(f"running {entry} on {prog.target}"):  # the triton target keeps its interpreter quiet
        results = fn.run_compiled(compiled.run, [arrays[p.name] for p in fn.params if p.name in arrays])
    print(f"{entry} ({prog.target}):")
    for i, r in enumerate(results):
        print(summarize(f"result {i}", r))
    if args.save:
        np.savez(args.save, **{f"result{i}": r for i, r in enumerate(results)})
        print(f"saved {len(results)} result{'s' * (len(results) != 1)} to {args.save}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    load_program(args, target="eager")
    print("ok")
    return 0


EXAMPLES = {
    "run": """examples:
  tfir run examples/mlp.tf                        # seeded random inputs, NumPy target
  tfir run examples/mlp.tf --target eager --seed 1
  tfir run model.tf --entry step --dim B=32 --input x=x.npy --save out.npz""",
    "check": """examples:
  tfir check examples/mlp.tf                      # prints ok, or the diagnostics (exit 1)""",
    "lower": """examples:
  tfir lower examples/mlp.tf --emit linalg        # the IR at the end of stage linalg
  tfir lower examples/mlp.tf --print-ir-after=fuse-elementwise
  tfir lower examples/mlp.tf --timing --dump-dir dumps""",
    "compile": """examples:
  tfir compile examples/mlp.tf -o mlp_numpy.py
  tfir compile examples/attention.tf --target triton""",
    "passes": """examples:
  tfir passes                                     # every stage and pass, in order
  tfir passes --target triton
  tfir passes --markdown                          # the table of docs/architecture.md""",
    "graph": """examples:
  tfir graph examples/mlp.tf -o mlp.svg           # SVG (also .png); .dot or no -o: DOT text
  tfir graph examples/mlp.tf --stage linalg -o mlp-fused.svg""",
    "explain": """examples:
  tfir explain examples/mlp.tf -o mlp.html        # one self-contained page""",
    "import-onnx": """examples:
  tfir import-onnx model.onnx -o model.tf         # then: tfir run model.tf
  tfir import-onnx model.onnx --initializers parameters""",
    "export-onnx": """examples:
  tfir export-onnx examples/mlp.tf -o mlp.onnx
  tfir export-onnx model.tf --entry step --dim B=32 --opset 18 -o step.onnx""",
    "support": """examples:
  tfir support                                    # every op x stage x target
  tfir support examples/mlp.tf                    # which calls of a file reach which target
  tfir support prog.tf --plugin mylib             # with a plugin's ops""",
}


def _finish_help(sub: argparse._SubParsersAction) -> None:
    """An example at the end of every command's help, kept as written."""
    for name, command in sub.choices.items():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        if name in EXAMPLES:
            command.epilog = EXAMPLES[name]


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="tfir", description="An MLIR-style compiler for .tf tensor programs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  tfir run examples/mlp.tf\n  tfir explain examples/mlp.tf -o mlp.html\n"
               "  tfir COMMAND --help                             # a command's options")
    parser.add_argument("--version", action="version", version=f"tfir {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run an entry function on given or seeded random inputs",
                         description="Runs an entry function and prints each result as NumPy prints it.")
    run.add_argument("file", help="the .tf program")
    run.add_argument("--entry", help="the function to run (default: the last one in the file)")
    run.add_argument("--input", action="append", metavar="NAME=PATH.npy",
                     help="an array for parameter NAME from a .npy file (repeatable); "
                          "the others get seeded random values of their declared shapes")
    run.add_argument("--dim", action="append", metavar="NAME=SIZE",
                     help="the size of symbolic dimension NAME when no input fixes it (repeatable)")
    run.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default: 0)")
    run.add_argument("--target", choices=TARGETS, default="numpy",
                     help="eager (op by op), numpy (generated NumPy, the default) or triton")
    run.add_argument("--save", metavar="OUT.npz", help="also write the results to OUT.npz as result0, result1, ...")
    run.add_argument("--plugin", action="append", metavar="MODULE",
                     help="import Python module MODULE first, which registers its dialects (repeatable)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="check a program: its diagnostics, or ok",
                           description="Checks a program without running it.")
    check.add_argument("file", help="the .tf program")
    check.add_argument("--plugin", action="append", metavar="MODULE",
                       help="import Python module MODULE first, which registers its dialects (repeatable)")
    check.set_defaults(func=cmd_check)

    commands.add_commands(sub)
    testing_cli.add_commands(sub)  # fuzz, reduce, bisect
    support.add_command(sub)
    onnx_cli.add_commands(sub)  # import-onnx, export-onnx (onnx itself loads when they run)
    _finish_help(sub)
    return parser


def _quiet_closed_pipe() -> int:
    """stdout's reader went away (`tfir run ... | head -1`): as Python's docs advise
    (signal module, "Note on SIGPIPE"), point stdout at devnull so that the flush at
    exit does not fail again, and exit 1, as Python does on EPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    show_stack = "--traceback" in argv  # anywhere on the line: the Python stack of an internal error
    args = build_parser().parse_args([a for a in argv if a != "--traceback"])
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return status
    except BrokenPipeError:
        return _quiet_closed_pipe()
    except CompileError as err:
        print(err, file=sys.stderr)
    except InternalError as err:
        _note_plugins(err, args)
        crash.report(err, show_stack)
    except (TfirError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
    except MemoryError as err:  # a program that needs more memory than there is: no traceback
        print(f"error: out of memory{': ' + str(err) if str(err) else ''}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - a fault of tfir outside a compile: one line, no dump
        crash.report(InternalError(f"{type(err).__name__}: {err}").with_traceback(err.__traceback__), show_stack)
    return 1


def _note_plugins(err: InternalError, args: argparse.Namespace) -> None:
    rep = getattr(err, "reproducer", None)
    if isinstance(rep, crash.Reproducer):
        rep.plugins = list(getattr(args, "plugin", None) or [])


if __name__ == "__main__":
    sys.exit(main())
