"""The source fuzzer: mutated and adversarial `.tf` sources.

`fuzz_source(seed)` is a `FuzzCase`: a source and what a correct compiler
must do with it: `any` (a diagnostic, or compile and run), `error` (a
diagnostic: the mutation made the program invalid, so accepting it is a
bug, and `at` is where the spec puts the error when it is known) or
`compile` (valid, however deep: it must compile). Never a traceback, a hang
or a crash of the process (checked by `check_source` and the campaign).

Strategies, one entry per kind in `STRATEGIES`: token mutations of
generated programs, known-invalid edits of them, deep nesting, odd imports,
odd bytes, huge literals and shapes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from tfir.testing.gen_core import FLOATS, INTS, Settings
from tfir.testing.generator import generate


@dataclass
class FuzzCase:
    source: str
    expect: str  # any | error | compile
    kind: str
    at: tuple[int, int] | None = None  # (line, column) of the expected error


TOKEN = re.compile(r"\d+\.\d*(?:[eE][+-]?\d+)?|\d+|[A-Za-z_]\w*|->|\*\*|[=!<>]=|\S")
VOCAB = ["fn", "let", "return", "import", "use", "(", ")", "[", "]", "{", "}", ",", ";", ":", "=", "->",
         "+", "-", "*", "/", "@", "**", "==", "<", ">=", "f32", "i32", "bool", "f16", "int", "float", "[int]",
         "x", "y", "self", "0", "1", "-1", "2.5", "1e999", "99999999999999999999", "0.0", "true", "false",
         "sum", "exp", "reshape", "axis", "keepdims", "#", '"', ".", "main", "N"]
ODD = ["\x00", "\xff", "\ufeff", "\r", "\t", "\u00e9", "\U0001f600", "\\", "'", "`", "$", "?", "\x0b",
       "\udcff", "\u202e", "\x1b[31m"]


def _tokens(source: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(source)]


def mutate_tokens(rng: random.Random, source: str) -> str:
    """1 to 4 random edits: delete, duplicate, swap or replace tokens, insert odd text."""
    for _ in range(rng.randint(1, 4)):
        toks = _tokens(source)
        if not toks:
            break
        s, e = toks[rng.randrange(len(toks))]
        op = rng.choice(["delete", "dup", "replace", "replace", "insert", "swap", "truncate"])
        if op == "delete":
            source = source[:s] + source[e:]
        elif op == "dup":
            source = source[:e] + " " + source[s:e] + source[e:]
        elif op == "replace":
            source = source[:s] + rng.choice(VOCAB) + source[e:]
        elif op == "insert":
            source = source[:s] + rng.choice(ODD + VOCAB) + source[s:]
        elif op == "swap":
            s2, e2 = toks[rng.randrange(len(toks))]
            if e <= s2:
                source = source[:s] + source[s2:e2] + source[e:s2] + source[s:e] + source[e2:]
        else:
            source = source[:rng.randrange(len(source) + 1)]
    return source


def _program(rng: random.Random) -> tuple[str, object]:
    p = generate(rng.randrange(1 << 30), Settings(max_statements=6, helpers=0.2))
    return p.source, p


# -- known-invalid edits ------------------------------------------------------------------


def _entry_header(source: str) -> re.Match[str]:
    *_, m = re.finditer(r"^fn (\w+)\((.*)\)( -> [^{]*)? \{$", source, re.M)
    return m


def _line_col(source: str, pos: int) -> tuple[int, int]:
    line = source.count("\n", 0, pos) + 1
    return line, pos - (source.rfind("\n", 0, pos) + 1) + 1


def _add_statement(source: str, stmt: str) -> tuple[str, tuple[int, int]]:
    """`stmt` as the first statement of the entry; the position where it starts."""
    m = _entry_header(source)
    pos = m.end() + 1
    text = source[:pos] + "    " + stmt + "\n" + source[pos:]
    return text, _line_col(text, pos + 4)


def invalid_edit(rng: random.Random) -> FuzzCase:
    source, program = _program(rng)
    params = {name: a for name, a in program.inputs.items()}  # type: ignore[attr-defined]
    m = _entry_header(source)
    name = rng.choice(list(params))
    arr = params[name]
    dtype = {"float16": "f16", "float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64",
             "bool": "bool"}[arr.dtype.name]
    edits: list[Callable[[], FuzzCase | None]] = []

    def dup_param() -> FuzzCase:
        pos = m.start(2) + len(m.group(2))
        return FuzzCase(source[:pos] + f", {name}: f32[3]" + source[pos:], "error", "duplicate-param")

    def undefined() -> FuzzCase:
        text, at = _add_statement(source, "let bad = nosuch_name_1 * 2.0;")
        return FuzzCase(text, "error", "undefined-name", (at[0], at[1] + 10))

    def unknown_fn() -> FuzzCase:
        text, at = _add_statement(source, f"let bad = nosuchfn({name});")
        return FuzzCase(text, "error", "unknown-function", (at[0], at[1] + 10))

    def out_of_range() -> FuzzCase | None:
        first = re.search(rf"(?<![\w]){re.escape(name)}: \w+\[([^,\]]+)", m.group(0))
        if arr.ndim == 0 or first is None or not first.group(1).strip().isdigit():
            return None  # a symbolic dim: the index is checked when the call binds it
        index = rng.choice([str(arr.shape[0]), str(-arr.shape[0] - 1), "99999999999999999999",
                            "-99999999999999999999"])
        text, at = _add_statement(source, f"let bad = {name}[{index}];")
        return FuzzCase(text, "error", "index-out-of-range")

    def float_int() -> FuzzCase | None:
        if dtype not in INTS:
            return None
        text, at = _add_statement(source, f"let bad = {name} + 1.5;")
        return FuzzCase(text, "error", "float-literal-int", (at[0], at[1] + 10))

    def int_div() -> FuzzCase | None:
        if dtype not in INTS:
            return None
        text, at = _add_statement(source, f"let bad = {name} / {name};")
        return FuzzCase(text, "error", "int-division", (at[0], at[1] + 10))

    def bool_arith() -> FuzzCase | None:
        if dtype == "bool":
            return None  # `z > z` is the first error then, at its own left operand
        text, at = _add_statement(source, f"let bad = ({name} > {name}) + 1.0;")
        return FuzzCase(text, "error", "bool-arithmetic", (at[0], at[1] + 10))

    def arity() -> FuzzCase:
        text, at = _add_statement(source, f"let bad = exp({name}, {name});")
        return FuzzCase(text, "error", "arity")

    def bad_kw() -> FuzzCase:
        text, at = _add_statement(source, f"let bad = sum({name}, axes=0);")
        return FuzzCase(text, "error", "bad-keyword")

    def axis_range() -> FuzzCase:
        text, at = _add_statement(source, f"let bad = sum({name}, axis={arr.ndim + rng.randint(0, 3)});")
        return FuzzCase(text, "error", "axis-out-of-range")

    def no_return() -> FuzzCase:
        lines = source.rstrip("\n").split("\n")
        ret = max(i for i, line in enumerate(lines) if line.startswith("    return "))
        return FuzzCase("\n".join(lines[:ret] + lines[ret + 1:]) + "\n", "error", "no-return")

    def after_return() -> FuzzCase:
        lines = source.rstrip("\n").split("\n")
        return FuzzCase("\n".join(lines[:-1] + [f"    let late = {name};", "}"]) + "\n", "error", "after-return")

    def recursion() -> FuzzCase:
        return FuzzCase(source + "\nfn loop_a(a) { return loop_b(a); }\nfn loop_b(a) { return loop_a(a); }\n"
                        "fn rec_entry(x: f32[2]) -> f32[2] { return loop_a(x); }\n", "error", "recursion")

    def result_type() -> FuzzCase | None:
        if not m.group(3):
            return None
        types = m.group(3)
        other = rng.choice([d for d in ("f32", "i32", "bool", "f64") if d not in types.split("[")[0]])
        new = re.sub(r"(bool|i32|i64|f16|f32|f64)", other, types, count=1)
        if new == types:
            return None
        return FuzzCase(source[:m.start(3)] + new + source[m.end(3):], "error", "result-dtype")

    def result_dim() -> FuzzCase | None:
        if not m.group(3) or "[" not in m.group(3):
            return None
        types = m.group(3)
        new = re.sub(r"\[([^\]]*)\]", lambda d: "[" + ", ".join(["Q"] + d.group(1).split(", ")[1:]) + "]"
                     if d.group(1) else "[Q]", types, count=1)
        return FuzzCase(source[:m.start(3)] + new + source[m.end(3):], "error", "result-dim-unbound")

    def dup_fn() -> FuzzCase:
        return FuzzCase(source + f"\nfn {m.group(1)}(a: f32) -> f32 {{ return a; }}\n", "error", "duplicate-fn")

    def use_unknown() -> FuzzCase:
        return FuzzCase("use nosuch_dialect;\n" + source, "error", "use-unknown", (1, 1))

    def no_use() -> FuzzCase:
        text, at = _add_statement(source, f"let bad = mylib.swish({name});")
        return FuzzCase(text, "error", "dialect-without-use", (at[0], at[1] + 10))

    def shapes() -> FuzzCase | None:
        last = m.group(2).split(f"{name}: ", 1)[-1].split("]")[0].rsplit(", ", 1)[-1]
        if arr.ndim == 0 or dtype == "bool" or arr.shape[-1] == 1 or not last.isdigit():
            return None  # a size-1 or a symbolic last dim may broadcast
        n = arr.shape[-1] + 1
        lit = "[" + ", ".join(["1.0" if dtype in FLOATS else "1"] * n) + "]"
        text, at = _add_statement(source, f"let bad = {name} + {lit} + {name};")
        return FuzzCase(text, "error", "broadcast-mismatch")

    edits = [dup_param, undefined, unknown_fn, out_of_range, float_int, int_div, bool_arith, arity, bad_kw,
             axis_range, no_return, after_return, recursion, result_type, result_dim, dup_fn, use_unknown,
             no_use, shapes]
    rng.shuffle(edits)
    for edit in edits:
        case = edit()
        if case is not None:
            return case
    raise AssertionError("no edit applies")


# -- deep, odd and huge sources -----------------------------------------------------------


def deep(rng: random.Random) -> FuzzCase:
    n = rng.choice([10, 100, 1000, 1000, 3000, 20000])
    kind = rng.choice(["neg", "sum", "calls", "parens", "pow", "lets", "list", "fn-chain", "index"])
    must = n <= 1000 or (kind in ("sum", "lets") and n <= 20000)
    body = {
        "neg": "-" * n + "x",
        "sum": " + ".join(["x"] * n),
        "calls": "g(" * n + "x" + ")" * n,
        "parens": "(" * n + "x" + ")" * n,
        "pow": " ** ".join(["abs(x)"] * min(n, 3000)),
        "list": "[" * min(n, 200) + "1.0" + "]" * min(n, 200),
        "index": "x" + "[0:2]" * n,
        "lets": "x",
        "fn-chain": "c0(x)",
    }[kind]
    if kind == "list":
        must = False  # NumPy has at most 64 dimensions: a diagnostic is right too
    if kind == "pow":
        must = n <= 1000
    pre = ""
    lets = "".join("    let x = x + 1.0;\n" for _ in range(n)) if kind == "lets" else ""
    if kind == "fn-chain":
        k = min(n, 3000)
        pre = "".join(f"fn c{i}(a) {{ return c{i + 1}(a) * 0.5; }}\n" for i in range(k))
        pre += f"fn c{k}(a) {{ return a; }}\n"
        must = k <= 1000
    src = (f"{pre}fn g(a) {{ return a * 0.5; }}\n\nfn main(x: f32[2]) {{\n{lets}"
           f"    let y = {body};\n    return y;\n}}\n")
    return FuzzCase(src, "compile" if must else "any", f"deep-{kind}-{n}")


IMPORTS = ["/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin", "/proc/self/fd/0", "/", ".", "..",
           "/etc/shadow", "a\x00b.tf", "fifo", "big.tf", "binary.tf", "dir", "self.tf", "missing.tf",
           "lib.tf", "lib.tf", "cycle_a.tf", "/proc/self/mem", "", " ", "\u00e9.tf", "huge_line.tf"]


def odd_import(rng: random.Random) -> FuzzCase:
    path = rng.choice(IMPORTS)
    src = f'import "{path}";\n\nfn main(x: f32[2]) -> f32[2] {{\n    return x * 2.0;\n}}\n'
    expect = "any" if path in ("/dev/null", "lib.tf", "huge_line.tf") else "error"
    return FuzzCase(src, expect, f"import-{path!r}", (1, 1) if expect == "error" else None)


def odd_bytes(rng: random.Random) -> FuzzCase:
    source, _ = _program(rng)
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(source) + 1)
        source = source[:pos] + rng.choice(ODD) + source[pos:]
    return FuzzCase(source, "any", "bytes")


HUGE = ["99999999999999999999", "9223372036854775808", "9223372036854775807", "4294967296", "1e999",
        "-99999999999999999999", "100000000000", "18446744073709551616"]


def huge(rng: random.Random) -> FuzzCase:
    h = rng.choice(HUGE)
    form = rng.choice([
        f"x[{h}]", f"x[0:{h}]", f"x[{h}:]", f"x[::{h}]", f"reshape(x, [{h}, -1])", f"zeros([{h}])",
        f"sum(zeros([{h}, {h}]))", f"broadcast_to(x, [{h}, 2])", f"arange({h})", f"full([{h}], 1.0)",
        f"sum(x, axis={h})", f"x * {h}", f"x + {h}.0", f"ones([{h}, {h}], f32)", f"expand_dims(x, {h})",
        f"transpose(x, perm=[{h}])", f"squeeze(x, {h})", f"concat([x, x], axis={h})",
        "zeros([100000, 100000])", "sum(ones([3000000000]))", f"cast(x, i32) + {h}",
    ])
    param = rng.choice(["f32[2]", f"f32[{h}]", "f32[2]", f"f32[{h}, 0]"])
    src = f"fn main(x: {param}) {{\n    let y = {form};\n    return y;\n}}\n"
    return FuzzCase(src, "any", "huge")


def mutated(rng: random.Random) -> FuzzCase:
    source, _ = _program(rng)
    return FuzzCase(mutate_tokens(rng, source), "any", "mutate")


STRATEGIES: dict[str, tuple[Callable[[random.Random], FuzzCase], float]] = {
    "mutate": (mutated, 5.0),
    "invalid": (invalid_edit, 3.0),
    "deep": (deep, 0.2),
    "import": (odd_import, 0.5),
    "bytes": (odd_bytes, 1.0),
    "huge": (huge, 1.0),
}
"""Each strategy and its weight: add one entry to fuzz a new way."""


def fuzz_source(seed: int, only: str | None = None) -> FuzzCase:
    """The fuzz case of `seed` (the same seed gives the same case)."""
    rng = random.Random(seed)
    names = [only] if only else list(STRATEGIES)
    name = rng.choices(names, [STRATEGIES[n][1] for n in names])[0]
    return STRATEGIES[name][0](rng)
