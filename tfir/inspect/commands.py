"""The inspection subcommands of `tfir`: `lower`, `compile`, `passes`, `graph`
and `explain`. `tfir.cli` calls `add_commands` to register them.

User mistakes raise `InputError` (printed by `tfir.cli.main` as `error: ...`);
a pass that breaks the IR is a compiler bug and is reported naming the pass.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tfir import crash, progress
from tfir.api import compile_file
from tfir.compiler import COMPILED_TARGETS, LOWERING_TARGETS, TARGETS
from tfir.errors import InputError
from tfir.frontend import ast
from tfir.inspect import graph, text
from tfir.inspect.report import build_report
from tfir.inspect.trace import (
    FRONTEND,
    FUSE,
    CodegenFailed,
    Stage,
    Trace,
    check_pass_name,
    entry_name,
    generate_code,
    load,
    parse_static,
    pass_spec,
    plan,
    signature,
    stage_output,
    trace,
)
from tfir.pipeline import STAGES, steps_for
from tfir.plugin import load_plugin
from tfir.split import SplitEntry

LOWER_TARGETS = LOWERING_TARGETS
CODE_TARGETS = tuple(t for t in COMPILED_TARGETS if t in TARGETS)  # compiled and runnable: generated code


def add_commands(sub: Any) -> None:
    """Adds lower, compile, passes, graph and explain to `tfir`'s subparsers."""
    lower = sub.add_parser("lower", help="print the IR at a stage of the pipeline, dumps and timings")
    _program_args(lower, LOWER_TARGETS)
    lower.add_argument("--emit", choices=STAGES, metavar="STAGE",
                       help=f"print the IR at the end of STAGE ({', '.join(STAGES)}); "
                            "default: the last IR before code generation")
    lower.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    lower.add_argument("--print-ir-before", action="append", metavar="PASS", default=[],
                       help="print the IR before PASS (repeatable)")
    lower.add_argument("--print-ir-after", action="append", metavar="PASS", default=[],
                       help="print the IR after PASS (repeatable)")
    lower.add_argument("--print-ir-after-change", action="store_true",
                       help="print the IR after every pass that changed it")
    lower.add_argument("--stop-after", metavar="PASS", help="stop the pipeline after PASS")
    lower.add_argument("--explain-fusion", action="store_true",
                       help="instead of the IR, list each producer/consumer pair that fuse-elementwise "
                            "left unfused and why (docs/inspecting.md)")
    lower.add_argument("--timing", action="store_true", help="a table of time and op counts per pass and stage")
    lower.add_argument("--dump-dir", metavar="DIR", help="write the IR after every pass to DIR/NN-PASS.mlir")
    lower.add_argument("--debuginfo", action="store_true", help='print locations: loc("file.tf":LINE:COL)')
    lower.add_argument("--batch", metavar="DIM",
                       help="print the entry split along dimension DIM as Function.on_dask runs it (pass "
                            "split-batch): the function per chunk of rows, the combine and finalize functions")
    lower.add_argument("--rows", type=int, metavar="N",
                       help="with --batch: the rows of a chunk (default: half the batch, rounded up)")
    lower.set_defaults(func=cmd_lower)

    comp = sub.add_parser("compile", help="print or write the generated code of an entry")
    _program_args(comp, CODE_TARGETS)
    comp.add_argument("-o", "--output", metavar="OUT.py", help="write the code here (default: print it)")
    comp.set_defaults(func=cmd_compile)

    passes = sub.add_parser("passes", help="list the stages and passes of the pipeline, in order")
    passes.add_argument("--target", choices=LOWER_TARGETS, help="only the passes that run for TARGET")
    passes.add_argument("--plugin", action="append", metavar="MODULE", help="load a dialect plugin first")
    passes.add_argument("--markdown", action="store_true",
                        help="print the whole pipeline as a Markdown table (docs/architecture.md)")
    passes.set_defaults(func=cmd_passes)

    graph = sub.add_parser("graph", help="draw the dataflow graph of an entry (SVG, PNG or DOT)")
    _program_args(graph, LOWER_TARGETS)
    graph.add_argument("--stage", choices=STAGES, default="tf", metavar="STAGE",
                       help="the IR to draw: tf (default) or linalg (fused groups as clusters)")
    graph.add_argument("-o", "--output", metavar="GRAPH.svg|GRAPH.png|GRAPH.dot",
                       help="the picture, its format named by the suffix (default: print DOT text)")
    graph.set_defaults(func=cmd_graph)

    explain = sub.add_parser("explain", help="one self-contained HTML page: source, graph, every stage, code")
    _program_args(explain, CODE_TARGETS)
    explain.add_argument("-o", "--output", metavar="REPORT.html",
                         help="where to write the page (default: FILE's name with .html, here)")
    explain.set_defaults(func=cmd_explain)


def _program_args(parser: argparse.ArgumentParser, targets: tuple[str, ...]) -> None:
    parser.add_argument("file", help="the .tf program")
    parser.add_argument("--entry", help="the function (default: the last one in the file)")
    parser.add_argument("--target", choices=targets, default="numpy",
                        help=f"the pipeline to follow: {', '.join(targets)} (default: numpy)")
    parser.add_argument("--dim", action="append", metavar="NAME=SIZE", default=[],
                        help=f"size of a symbolic dim (default {4}, with a note)")
    parser.add_argument("--input", action="append", metavar="NAME=FILE.npy", default=[],
                        help="an array for a parameter (fixes its shape); NAME=VALUE for a static parameter")
    parser.add_argument("--verify-each", action=argparse.BooleanOptionalAction, default=True,
                        help="verify the IR after every pass (default: on)")
    parser.add_argument("--plugin", action="append", metavar="MODULE", help="load a dialect plugin first")


# -- shared ---------------------------------------------------------------------


def _key_value(item: str, what: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise InputError(f"{what} must look like NAME=VALUE, got {item!r}")
    return name, value


def _dims(args: argparse.Namespace) -> dict[str, int]:
    dims = {}
    for item in args.dim:
        name, size = _key_value(item, "--dim")
        if not size.isdigit():
            raise InputError(f"--dim {name} needs a size >= 0, got {size!r}")
        dims[name] = int(size)
    return dims


def _inputs(args: argparse.Namespace, fn: ast.FnDef) -> dict[str, Any]:
    params = {p.name: p for p in fn.params}
    given: dict[str, Any] = {}
    for item in args.input:
        name, value = _key_value(item, "--input")
        if name in params and params[name].is_static:
            given[name] = parse_static(value)
            continue
        try:
            given[name] = np.load(value, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot load --input {name}={value}: {err}") from None
    return given


def _run(args: argparse.Namespace, **kwargs: Any) -> Trace:
    prog = load(args.file, args.plugin or ())
    entry = entry_name(prog, args.entry)
    with progress.phase(f"lowering {entry} for {args.target}"):  # a bar only past a second, on a terminal
        result = trace(prog, entry, args.target, dims=_dims(args), inputs=_inputs(args, prog[entry].fn),
                       verify_each=args.verify_each, **kwargs)
    _warn(result)
    return result


def _warn(result: Trace) -> None:
    for note in result.notes:
        print(note, file=sys.stderr)
    for why in result.missing.values():
        print(f"warning: {why}: skipped", file=sys.stderr)


def _write_reproducer(result: Trace, args: argparse.Namespace, err: BaseException) -> None:
    """The reproducer folder of a compiler fault (see tfir/crash.py), named on one more line."""
    try:
        types, statics, _ = signature(result.program[result.entry].fn, _dims(args),
                                      _inputs(args, result.program[result.entry].fn))
        rep = result.program[result.entry].reproducer(types, statics)
        rep.target, rep.plugins = result.target, list(args.plugin or [])
        crash.internal(err, rep, "tfir")
        folder = crash.write(err)
    except Exception as why:  # noqa: BLE001 - the report above stands without it
        print(f"  (no reproducer written: {type(why).__name__}: {why})", file=sys.stderr)
        return
    if folder is not None:
        print(f"  reproducer written to {folder}; shrink it with tfir reduce {folder / 'program.tf'} --crash",
              file=sys.stderr)


def _report_failure(result: Trace, args: argparse.Namespace) -> int:
    err = result.failure
    assert err is not None
    print(f"error: compiler bug: {err}", file=sys.stderr)
    flags = [f"--dim {d}" for d in args.dim] + [f"--input {i}" for i in args.input]
    flags += [f"--plugin {p}" for p in args.plugin or []]
    show = (["--no-verify-each", "--dump-dir", "DIR"] if err.step.pass_name == FRONTEND
            else [f"--print-ir-before={err.step.pass_name}"])
    what = "the IR the frontend built" if err.step.pass_name == FRONTEND else "the IR it was given"
    print(f"  {what}: tfir lower {result.filename} --entry {result.entry} --target {result.target} "
          f"{' '.join([*flags, *show])}", file=sys.stderr)
    _write_reproducer(result, args, err)
    return 1


def _out(path: str | None, content: str, what: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(content if content.endswith("\n") else content + "\n")
        return
    try:
        Path(path).write_text(content, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror or err}") from None
    print(f"wrote {what} to {path}", file=sys.stderr)


# -- lower ------------------------------------------------------------------------


def cmd_lower(args: argparse.Namespace) -> int:
    for plugin in args.plugin or []:
        load_plugin(plugin)  # first: a plugin's passes may be named below
    if args.batch is not None:
        return _lower_batch(args)
    if args.rows is not None:
        raise InputError("--rows is the chunk size of --batch: give --batch DIM too")
    for name in [*args.print_ir_before, *args.print_ir_after]:
        check_pass_name(args.target, name, "--print-ir-before/--print-ir-after")
    check_pass_name(args.target, args.stop_after, "--stop-after")
    stop_after = args.stop_after
    if args.emit and stop_after is None:
        in_stage = [s.pass_name for s in steps_for(args.target) if s.stage == args.emit]
        stop_after = in_stage[-1] if in_stage else None
    runnable, _ = plan(args.target, stop_after)
    dump_dir = Path(args.dump_dir) if args.dump_dir else None
    if dump_dir is not None:
        try:
            text.clear_dump_dir(dump_dir)
        except OSError as err:
            raise InputError(f"cannot use --dump-dir {dump_dir}: {err.strerror or err}") from None
    dumping = (args.print_ir_after_all or args.print_ir_after_change or args.print_ir_before
               or args.print_ir_after or args.timing or dump_dir is not None)
    if args.explain_fusion:
        stop_after = _fusion_stop(args, stop_after, dumping)
    printer = _StagePrinter(args, runnable, dump_dir)
    result = _run(args, stop_after=stop_after, on_stage=printer, explain_fusion=args.explain_fusion)
    if result.failure is not None:
        return _report_failure(result, args)
    if args.explain_fusion:
        print(text.fusion_listing(result))
    elif args.emit or not dumping:
        final = stage_output(result.stages, args.emit) if args.emit else result.stages[-1]
        print(final.ir_with_locations if args.debuginfo else final.ir)
    if args.timing:
        print(text.timing_table(result))
    if dump_dir is not None:
        print(f"wrote {len(result.stages)} files to {dump_dir}/", file=sys.stderr)
    return 0


def _fusion_stop(args: argparse.Namespace, stop_after: str | None, dumping: bool) -> str | None:
    """Where `--explain-fusion` stops: at fuse-elementwise, unless dumps or
    --stop-after ask for more; an error where the pass does not run."""
    names = [s.pass_name for s in steps_for(args.target)]
    if FUSE not in names:
        raise InputError(f"--explain-fusion: the {args.target} pipeline has no pass {FUSE}")
    if args.emit:
        raise InputError("--explain-fusion prints the fusion decisions instead of the IR: drop --emit")
    if stop_after is not None and names.index(stop_after) < names.index(FUSE):
        raise InputError(f"--explain-fusion: --stop-after {stop_after} stops before {FUSE}")
    return stop_after if stop_after is not None or dumping else FUSE


def _lower_batch(args: argparse.Namespace) -> int:
    """`tfir lower --batch DIM`: the `tf` IR of the entry split by `split-batch`."""
    others = {"--emit": args.emit, "--print-ir-after-all": args.print_ir_after_all,
              "--print-ir-before": args.print_ir_before, "--print-ir-after": args.print_ir_after,
              "--print-ir-after-change": args.print_ir_after_change, "--stop-after": args.stop_after,
              "--timing": args.timing, "--dump-dir": args.dump_dir, "--explain-fusion": args.explain_fusion}
    given = [flag for flag, value in others.items() if value]
    if given:
        raise InputError(f"--batch prints the split `tf` IR; {', '.join(given)} cannot go with it")
    prog = compile_file(args.file, target=args.target if args.target in TARGETS else "numpy")
    entry = entry_name(prog, args.entry)
    types, statics, notes = signature(prog[entry].fn, _dims(args), _inputs(args, prog[entry].fn))
    for note in notes:
        print(note, file=sys.stderr)
    split = SplitEntry(prog[entry], args.batch, types, statics)
    rows = args.rows if args.rows is not None else max(1, -(-split.size // 2))
    if not 0 < rows <= max(split.size, 1):
        raise InputError(f"--rows {rows}: a chunk has 1 to {split.size} rows (the batch {args.batch})")
    print(split.plan(rows).module)
    return 0


class _StagePrinter:
    """Prints and writes the dumps asked for as each pass finishes, so that
    they are there even when a later pass fails."""

    def __init__(self, args: argparse.Namespace, runnable: list, dump_dir: Path | None):
        self.args = args
        self.runnable = runnable
        self.dump_dir = dump_dir

    def __call__(self, stage: Stage) -> None:
        args, loc = self.args, self.args.debuginfo
        if self.dump_dir is not None:
            text.write_dump(self.dump_dir, stage, loc)
        is_pass = stage.pass_name != FRONTEND
        if is_pass and (args.print_ir_after_all or stage.pass_name in args.print_ir_after
                        or (args.print_ir_after_change and stage.changed)):
            print(text.dump(stage, loc))
        if stage.index < len(self.runnable):
            step = self.runnable[stage.index]
            if step.pass_name in args.print_ir_before:
                print(text.dump_before(stage, pass_spec(step, args.target)[1], step.stage, loc))
        sys.stdout.flush()


# -- compile ------------------------------------------------------------------------


def cmd_compile(args: argparse.Namespace) -> int:
    result = _run(args)
    if result.failure is not None:
        return _report_failure(result, args)
    try:
        code = generate_code(result)
    except CodegenFailed as err:
        print(f"error: compiler bug: {err}", file=sys.stderr)
        return 1
    _out(args.output, code, f"{args.target} code")
    return 0


# -- passes, graph, explain -----------------------------------------------------------


def cmd_passes(args: argparse.Namespace) -> int:
    for plugin in args.plugin or []:
        load_plugin(plugin)
    print(text.passes_table() if args.markdown else text.passes_listing(args.target))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    stage_passes = [s.pass_name for s in steps_for(args.target) if s.stage == args.stage]
    if args.stage != "tf" and not stage_passes:
        raise InputError(f"the {args.target} pipeline has no stage '{args.stage}'")
    result = _run(args, stop_after=stage_passes[-1] if stage_passes else None)
    if result.failure is not None:
        return _report_failure(result, args)
    stage = stage_output(result.stages, args.stage)
    assert result.module is not None
    title = f"{Path(result.filename).name}: {result.entry} after {stage.pass_name} (stage {stage.stage})"
    dot, _ = graph.dataflow_dot(result.module, result.entry, title, result.filename)
    out = args.output
    if out is None or out.endswith(".dot") or out == "-":
        _out(out, dot, "DOT")
        return 0
    fmt = Path(out).suffix.lstrip(".").lower()
    if fmt not in graph.FORMATS:
        raise InputError(f"cannot tell which picture {out} should be: name it GRAPH.svg, GRAPH.png or GRAPH.dot")
    try:
        picture = graph.render(dot, fmt)
    except graph.NoRenderer as err:  # never another format under the name asked for
        raise InputError(f"cannot write {out}: {err}; or write the DOT text: -o "
                         f"{Path(out).with_suffix('.dot')}") from None
    except (RuntimeError, OSError) as err:
        raise InputError(f"cannot draw the graph: {err}") from None
    try:
        Path(out).write_bytes(picture)
    except OSError as err:
        raise InputError(f"cannot write {out}: {err.strerror or err}") from None
    print(f"wrote {fmt.upper()} to {out}", file=sys.stderr)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    result = _run(args, explain_fusion=True)
    out = args.output or Path(args.file).with_suffix(".html").name
    _out(out, build_report(result), "the report")
    if result.failure is not None:
        return _report_failure(result, args)
    return 0
