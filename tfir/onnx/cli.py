"""`tfir import-onnx` and `tfir export-onnx` (registered by tfir/cli.py).

```
tfir import-onnx MODEL.onnx -o model.tf [--initializers constants|parameters] [--name ENTRY]
tfir export-onnx FILE.tf [--entry NAME] -o out.onnx [--dim NAME=SIZE]... [--opset N]
```
This module imports `onnx` only when a command runs, so `tfir` works without the extra.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

import tfir

MISSING = "the ONNX commands need the onnx extra: pip install 'tfir[onnx]' (onnx, onnxruntime)"


def add_commands(sub: Any) -> None:
    imp = sub.add_parser("import-onnx", help="translate an ONNX model into a readable .tf program")
    imp.add_argument("model", metavar="MODEL.onnx", help="the ONNX model file")
    imp.add_argument("-o", "--output", metavar="OUT.tf", help="where to write (default: MODEL.tf)")
    imp.add_argument("--initializers", choices=("constants", "parameters"), default="constants",
                     help="initializers as tensor literals, or as parameters with the values in OUT.weights.npz")
    imp.add_argument("--name", help="the entry function's name (default: the graph's)")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export-onnx", help="write a .tf entry's optimized graph as an ONNX model")
    exp.add_argument("file", metavar="FILE.tf", help="the .tf program")
    exp.add_argument("--entry", help="the function to export (default: the last one in the file)")
    exp.add_argument("-o", "--output", metavar="OUT.onnx", help="where to write (default: FILE.onnx)")
    exp.add_argument("--dim", action="append", metavar="NAME=SIZE", help="size of a symbolic dimension")
    exp.add_argument("--opset", type=int, default=18, help="the ONNX opset (17 or later; default 18)")
    exp.set_defaults(func=cmd_export)


def _available() -> bool:
    if importlib.util.find_spec("onnx") is None:
        print(f"error: {MISSING}", file=sys.stderr)
        return False
    return True


def cmd_import(args: argparse.Namespace) -> int:
    if not _available():
        return 1
    from tfir.onnx import OnnxError, StaticInputNeeded, import_source
    out = Path(args.output or Path(args.model).with_suffix(".tf"))
    try:
        imported = import_source(args.model, args.initializers, args.name)
        tfir.compile_source(imported.source, filename=str(out), target="eager")  # checks the program
    except StaticInputNeeded as err:
        print(f"error: {err}; the program is specialized on that value: use tfir.from_onnx, which "
              f"imports it per value", file=sys.stderr)
        return 1
    except OnnxError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out.write_text(imported.source, encoding="utf-8")
    print(f"wrote {out}: fn {imported.entry} ({len(imported.inputs)} inputs, {len(imported.outputs)} outputs)")
    if imported.weights:
        npz = out.with_suffix(".weights.npz")
        np.savez(npz, **imported.weights)
        print(f"wrote {npz}: {len(imported.weights)} initializers (pass them with --input NAME=...)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if not _available():
        return 1
    from tfir.onnx import OnnxError, to_onnx
    dims = {}
    for item in args.dim or []:
        name, _, size = item.partition("=")
        if not name or not size.isdigit():
            print(f"error: --dim must look like NAME=SIZE, got {item!r}", file=sys.stderr)
            return 1
        dims[name] = int(size)
    out = Path(args.output or Path(args.file).with_suffix(".onnx"))
    try:
        model = to_onnx(args.file, args.entry, out, dims=dims, opset=args.opset)
    except (OnnxError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    g = model.graph
    print(f"wrote {out}: graph {g.name}, opset {model.opset_import[0].version}, {len(g.node)} nodes, "
          f"{len(g.input)} inputs, {len(g.output)} outputs")
    return 0
