"""`tfir fuzz`, `tfir reduce` and `tfir bisect` (docs/testing.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfir.errors import TfirError
from tfir.plugin import load_plugin
from tfir.testing import bisect as bisect_mod
from tfir.testing.campaign import CampaignSpec, run_campaign
from tfir.testing.oracle import Oracle, from_reproducer
from tfir.testing.reduce import reduce_source

TARGETS = ("numpy", "triton", "mlir")
FUZZ_TARGETS = (*TARGETS, "numpy-stress")  # numpy with every size threshold low (stress.py)

EXAMPLES = {
    "fuzz": """examples:
  tfir fuzz --count 200                           # 200 random programs, eager vs numpy
  tfir fuzz --targets numpy,triton,mlir --count 10000 --jobs 2 --out fuzz-out
  tfir fuzz --sources --count 100000 --jobs 2     # mutated and adversarial sources
  tfir fuzz --seed 1374 --count 1 --targets numpy # one case again, by its seed""",
    "reduce": """examples:
  tfir reduce /tmp/tfir-crash-x1/program.tf --crash    # the reproducer of an internal error
  tfir reduce prog.tf --mismatch triton -o small.tf
  tfir reduce prog.tf --error "out of range"
  tfir reduce prog.tf --test 'grep -q matmul {} && tfir run {} --target numpy'""",
    "bisect": """examples:
  tfir bisect prog.tf --target numpy               # the first pass after which results differ
  tfir bisect prog.tf --target triton --dim N=3 --input x=x.npy""",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    fuzz = sub.add_parser("fuzz", help="differential testing: random programs on every target, fuzzed sources",
                          description="Generates random well-typed programs (or fuzzed sources) and checks "
                                      "that every target gives eager's results (or a diagnostic): never a "
                                      "traceback, a hang or a wrong answer.")
    fuzz.add_argument("--sources", action="store_true", help="fuzz sources instead of generating programs")
    fuzz.add_argument("--gradients", action="store_true",
                      help="differentiate random programs: eager's gradients against finite differences "
                           "and jax.grad (with jax installed), also at kinks; every target against eager")
    fuzz.add_argument("--targets", default="numpy", help="compiled targets, comma-separated (numpy, triton, "
                                                         "mlir, numpy-stress; default numpy)")
    fuzz.add_argument("--count", type=int, default=100, help="how many cases (default 100)")
    fuzz.add_argument("--seconds", type=float, help="stop starting cases after this many seconds")
    fuzz.add_argument("--seed", type=int, default=0, help="the first case's seed (default 0)")
    fuzz.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    fuzz.add_argument("--timeout", type=float, default=300, help="seconds a case may take (default 300)")
    fuzz.add_argument("--out", metavar="DIR", help="write each failing case here (.tf, .npz, .txt)")
    fuzz.add_argument("--option", action="append", metavar="NAME=VALUE",
                      help="a generator setting (max_statements=6, special_values=0.5, exclude=matmul,...)")
    fuzz.set_defaults(func=cmd_fuzz)

    red = sub.add_parser("reduce", help="shrink a program while a test keeps holding",
                         description="Shrinks FILE.tf on its syntax tree while the test holds; writes the "
                                     "result to -o or prints it.")
    red.add_argument("file", help="the .tf program")
    test = red.add_mutually_exclusive_group(required=True)
    test.add_argument("--test", metavar="CMD", help="a shell command; {} is the candidate's path; "
                                                    "interesting when it exits 0")
    test.add_argument("--crash", action="store_true", help="an internal compiler error (the same place)")
    test.add_argument("--mismatch", metavar="TARGET", choices=FUZZ_TARGETS,
                      help="differs from eager on TARGET")
    test.add_argument("--error", metavar="TEXT", help="a diagnostic containing TEXT")
    red.add_argument("-o", "--output", metavar="OUT.tf", help="write the result here (default: print it)")
    _common(red, FUZZ_TARGETS)
    red.set_defaults(func=cmd_reduce)

    bis = sub.add_parser("bisect", help="the first pass after which results differ from eager",
                         description="Runs the program on the same inputs after every pass of the target "
                                     "and names the first pass after which the results differ from eager, "
                                     "with the IR before and after it; also checks that the IR verifies "
                                     "and keeps its stage's contract after every pass.")
    bis.add_argument("file", help="the .tf program")
    bis.add_argument("--input", action="append", metavar="NAME=PATH.npy", help="an input array (repeatable)")
    bis.add_argument("--dump-dir", metavar="DIR", help="also write the IR before and after to DIR")
    _common(bis)
    bis.set_defaults(func=cmd_bisect)
    for name, parser in (("fuzz", fuzz), ("reduce", red), ("bisect", bis)):
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = EXAMPLES[name]


def _common(p: argparse.ArgumentParser, targets: tuple[str, ...] = TARGETS) -> None:
    p.add_argument("--entry", help="the function (default: the last one in the file)")
    p.add_argument("--target", choices=targets, help="the target (default numpy)")
    p.add_argument("--dim", action="append", metavar="NAME=SIZE", help="size of a symbolic dim (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--plugin", action="append", metavar="MODULE", help="load a plugin first (repeatable)")
    p.add_argument("--timeout", type=float, default=120, help="seconds one test may take (default 120)")


def cmd_fuzz(args: argparse.Namespace) -> int:
    options = {k: _option(v) for k, v in key_values(args.option or [], "--option").items()}
    targets = tuple(args.targets.split(","))
    unknown = [t for t in targets if t not in (*FUZZ_TARGETS, "eager")]
    if unknown:
        raise TfirError(f"unknown target {unknown[0]!r} (choose from {', '.join(FUZZ_TARGETS)})")
    mode = "sources" if args.sources else "gradients" if args.gradients else "programs"
    spec = CampaignSpec(mode, targets, args.seed,
                        args.count, args.seconds, args.jobs, args.timeout, args.out, options)
    result = run_campaign(spec)
    print(result.summary())
    if result.failures and args.out:
        print(f"failing cases written to {args.out}")
    return 1 if result.failures else 0


def _option(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.split("+") if "+" in text else text


def cmd_reduce(args: argparse.Namespace) -> int:
    for plugin in args.plugin or []:
        load_plugin(plugin)
    path = Path(args.file)
    kind = "command" if args.test else "crash" if args.crash else "mismatch" if args.mismatch else "error"
    oracle = Oracle(kind, command=args.test, target=args.mismatch or args.target or "numpy", text=args.error,
                    entry=args.entry, dims=_dims(args), seed=args.seed, timeout=args.timeout)
    if (path.parent / "signature.json").exists() and kind != "command":
        from_reproducer(path.parent, oracle)
        if args.mismatch:
            oracle.target = args.mismatch
    source = path.read_text()
    try:
        done = reduce_source(source, str(path), oracle, log=lambda m: print(f"  {m}", file=sys.stderr))
    except ValueError as err:
        raise TfirError(str(err)) from None
    before, after = source.count("\n"), done.source.count("\n")
    print(f"reduced {path} from {before} to {after} lines ({done.kept} edits kept, {done.tests} tests; "
          f"{oracle.describe()})", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(done.source)
    else:
        sys.stdout.write(done.source)
    return 0


def cmd_bisect(args: argparse.Namespace) -> int:
    for plugin in args.plugin or []:
        load_plugin(plugin)
    report = bisect_mod.bisect_file(args.file, args.target or "numpy", entry=args.entry, dims=_dims(args),
                                    inputs=key_values(args.input or [], "--input"), seed=args.seed)
    print(report.text())
    if args.dump_dir:
        report.dump(Path(args.dump_dir))
    return 1 if report.culprit is not None else 0


def key_values(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise TfirError(f"{flag} must look like NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def _dims(args: argparse.Namespace) -> dict[str, int]:
    out = {}
    for name, size in key_values(args.dim or [], "--dim").items():
        if not size.isdigit():
            raise TfirError(f"--dim {name} needs a size >= 0, got {size!r}")
        out[name] = int(size)
    return out
