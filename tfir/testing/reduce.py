"""`tfir reduce`: shrinks a program while an interestingness test (oracle.py)
keeps holding, as C-Reduce and llvm-reduce do, on the syntax tree.

Edits, coarse first, each tried on a copy of the tree: drop a function, a
statement, a returned value or the result type; replace an expression by
one of its operands or by a name in scope (a parameter or an earlier
`let`); drop a keyword argument; drop a parameter no one reads (and its
argument at each call); shrink a dimension of a parameter's type or an
integer literal. A candidate that does not pass the checker is skipped
without running the test, unless the test looks for a diagnostic (`--error`).
The first interesting candidate is kept and the edits start over, until no
edit is interesting (a fixpoint: every edit of the result was tried).
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from tfir import api
from tfir.errors import CompileError, TfirError
from tfir.frontend import ast
from tfir.frontend.parser import parse
from tfir.testing.oracle import Oracle
from tfir.testing.printer import Unprintable, print_source

Edit = Callable[[ast.SourceFile], bool]  # changes the tree in place; False: nothing to do


@dataclass
class Slot:
    """Where an expression sits: `getattr(owner, name)` or `getattr(owner, name)[index]`."""

    owner: object
    name: str
    index: int | None

    def get(self) -> object:
        value = getattr(self.owner, self.name)
        return value if self.index is None else value[self.index]

    def set(self, new: object) -> None:
        if self.index is None:
            setattr(self.owner, self.name, new)
        else:
            getattr(self.owner, self.name)[self.index] = new


def _is_expr(x: object) -> bool:
    return isinstance(x, ast.Node) and not isinstance(x, ast.Slice | ast.KwArg | ast.Param | ast.FnDef |
                                                      ast.Let | ast.Return | ast.TensorTypeExpr |
                                                      ast.StaticType | ast.Import | ast.Use | ast.NoneIndex |
                                                      ast.DimBinary | ast.For | ast.While | ast.If)


def _children(node: object) -> Iterator[tuple[str, int | None, object]]:
    if not isinstance(node, ast.Node):
        return
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield f.name, i, item
        else:
            yield f.name, None, value


def slots(root: object) -> list[tuple[Slot, ast.FnDef | None, int]]:
    """Every expression slot under `root`, outer ones first, with its function and statement index."""
    out: list[tuple[Slot, ast.FnDef | None, int]] = []
    stack: list[tuple[object, ast.FnDef | None, int]] = [(root, None, -1)]
    while stack:
        node, fn, stmt = stack.pop(0)
        if isinstance(node, ast.SourceFile):
            stack += [(f, f, -1) for f in node.functions]
            continue
        for name, index, child in _children(node):
            s = stmt
            if isinstance(node, ast.FnDef) and name == "body" and index is not None:
                s = index
            if _is_expr(child):
                out.append((Slot(node, name, index), fn, s))
            if isinstance(child, ast.Node):
                stack.append((child, fn, s))
    return out


def _names_in_scope(fn: ast.FnDef, stmt: int) -> list[str]:
    names = [p.name for p in fn.params if not p.is_static]
    for s in fn.body[:max(stmt, 0)]:
        if isinstance(s, ast.Let):
            names += [n for n, _ in s.names]
    return list(dict.fromkeys(reversed(names)))


def _operands(e: object) -> list[object]:
    out = []
    for _, _, child in _children(e):
        if _is_expr(child):
            out.append(child)
        elif isinstance(child, ast.KwArg):
            out.append(child.value)
    return out


def _used_names(fn: ast.FnDef) -> set[str]:
    return {n.id for n in ast.walk(fn.body) if isinstance(n, ast.Name)} | \
        {d for t in fn.results or [] for d in t.dims if isinstance(d, str)}


# -- the edits ---------------------------------------------------------------------------


def edits(tree: ast.SourceFile, entry: str) -> Iterator[tuple[str, Edit]]:
    """Every edit of `tree`, coarse first; each applies to a fresh copy."""
    for i, fn in enumerate(tree.functions):
        if fn.name != entry:
            yield f"drop function {fn.name}", lambda t, i=i: bool(t.functions.pop(i))
    yield from _statement_edits(tree)
    for k, (slot, fn, stmt) in enumerate(slots(tree)):
        e = slot.get()
        for j, _ in enumerate(_operands(e)):
            yield f"operand {j} of {type(e).__name__}", lambda t, k=k, j=j: _to_operand(t, k, j)
        if not isinstance(e, ast.Name) and fn is not None:
            for name in _names_in_scope(fn, stmt):
                yield f"{type(e).__name__} -> {name}", lambda t, k=k, name=name: _to_name(t, k, name)
        if isinstance(e, ast.Call) and _inlinable(tree, e) is not None:
            yield f"inline the call of {e.callee}", lambda t, k=k: _inline_call(t, k)
        if isinstance(e, ast.Call):
            for j in range(len(e.kwargs)):
                yield f"drop keyword {e.kwargs[j].name}", lambda t, k=k, j=j: bool(slots(t)[k][0].get().kwargs.pop(j))
        if isinstance(e, ast.IntLit) and abs(e.value) > 1:
            yield f"literal {e.value} -> 1", lambda t, k=k: _set_int(t, k)
        if isinstance(e, ast.Subscript):
            for j, index in enumerate(e.indices):
                if len(e.indices) > 1:
                    yield f"drop index {j}", lambda t, k=k, j=j: bool(slots(t)[k][0].get().indices.pop(j))
                if isinstance(index, ast.Slice):
                    for part in ("start", "stop", "step"):
                        if getattr(index, part) is not None:
                            yield (f"drop the slice {part}",
                                   lambda t, k=k, j=j, part=part: _clear(slots(t)[k][0].get().indices[j], part))
    yield from _signature_edits(tree, entry)


def _bodies(fn: ast.FnDef) -> list[tuple[object, str]]:
    """Every statement list of `fn`: its body, and those of its loops and branches."""
    out: list[tuple[object, str]] = [(fn, "body")]
    for node in ast.walk(fn.body):
        if isinstance(node, ast.For | ast.While):
            out.append((node, "body"))
        elif isinstance(node, ast.If):
            out += [(node, "then")] + ([(node, "orelse")] if node.orelse is not None else [])
    return out


def _body_list(t: ast.SourceFile, i: int, b: int) -> list:
    owner, attr = _bodies(t.functions[i])[b]
    return getattr(owner, attr)


def _unwrap(t: ast.SourceFile, i: int, b: int, j: int) -> bool:
    """A loop or a branch replaced by the statements of its (first) body."""
    body = _body_list(t, i, b)
    block = body[j]
    body[j:j + 1] = block.then if isinstance(block, ast.If) else block.body
    return True


def _statement_edits(tree: ast.SourceFile) -> Iterator[tuple[str, Edit]]:
    for i, fn in enumerate(tree.functions):
        for b, (owner, attr) in enumerate(_bodies(fn)):
            body = getattr(owner, attr)
            for j in reversed(range(len(body))):
                if not isinstance(body[j], ast.Return):
                    yield (f"drop statement {j + 1} of a body of {fn.name}",
                           lambda t, i=i, b=b, j=j: bool(_body_list(t, i, b).pop(j)))
                if isinstance(body[j], ast.BLOCK_STATEMENTS):
                    yield f"unwrap a block of {fn.name}", lambda t, i=i, b=b, j=j: _unwrap(t, i, b, j)
        for j, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Let) and len(stmt.names) == 1:
                yield f"inline statement {j + 1} of {fn.name}", lambda t, i=i, j=j: _inline(t.functions[i], j)
        ret = next((s for s in fn.body if isinstance(s, ast.Return)), None)
        if ret is not None and len(ret.values) > 1:
            for k in range(len(ret.values)):
                yield f"drop result {k} of {fn.name}", lambda t, i=i, k=k: _drop_result(t.functions[i], k)
        if fn.results:
            yield f"drop the result type of {fn.name}", lambda t, i=i: _drop_results_type(t.functions[i])


def _signature_edits(tree: ast.SourceFile, entry: str) -> Iterator[tuple[str, Edit]]:
    for i, fn in enumerate(tree.functions):
        used = _used_names(fn)
        for k, p in enumerate(fn.params):
            if p.name not in used:
                yield f"drop parameter {p.name} of {fn.name}", lambda t, i=i, k=k: _drop_param(t, i, k)
        for k, p in enumerate(fn.params):
            if isinstance(p.type, ast.TensorTypeExpr):
                for d, size in enumerate(p.type.dims):
                    if isinstance(size, int) and size > 1:
                        for new in dict.fromkeys((1, size // 2, size - 1)):
                            if 1 <= new < size:
                                yield (f"dim {d} of {p.name}: {size} -> {new}",
                                       lambda t, i=i, k=k, d=d, new=new: _set_dim(t.functions[i].params[k], d, new))
    for k in range(len(tree.imports)):
        yield "drop an import", lambda t, k=k: bool(t.imports.pop(k))
    for k in range(len(tree.uses)):
        yield "drop a use", lambda t, k=k: bool(t.uses.pop(k))


def _inlinable(tree: ast.SourceFile, call: ast.Call) -> ast.FnDef | None:
    """The function `call` calls when its body is one `return` of one value."""
    fn = next((f for f in tree.functions if f.name == call.callee), None)
    if fn is None or len(fn.body) != 1 or not isinstance(fn.body[0], ast.Return) or len(fn.body[0].values) != 1:
        return None
    return fn


def _inline_call(t: ast.SourceFile, k: int) -> bool:
    """`f(a, b)` -> the expression `f` returns, its parameters replaced by the arguments."""
    slot = slots(t)[k][0]
    call = slot.get()
    assert isinstance(call, ast.Call)
    fn = _inlinable(t, call)
    assert fn is not None
    given = dict(zip([p.name for p in fn.params], call.args, strict=False))
    given.update({kw.name: kw.value for kw in call.kwargs})
    for p in fn.params:
        if p.name not in given:
            assert p.default is not None
            given[p.name] = p.default
    body = copy.deepcopy(fn.body[0].values[0])  # type: ignore[union-attr]
    wrapper = ast.Return(body.span, [body])
    for inner, _, _ in slots(wrapper):
        value = inner.get()
        if isinstance(value, ast.Name) and value.id in given:
            inner.set(copy.deepcopy(given[value.id]))
    slot.set(wrapper.values[0])
    return True


def _clear(node: object, part: str) -> bool:
    setattr(node, part, None)
    return True


def _inline(fn: ast.FnDef, j: int) -> bool:
    """Drops `let x = e;` and writes `e` where the statements after it read `x`
    (until `x` is bound again)."""
    stmt = fn.body.pop(j)
    assert isinstance(stmt, ast.Let)
    name = stmt.names[0][0]
    for later in fn.body[j:]:
        for slot, _, _ in slots(later):
            value = slot.get()
            if isinstance(value, ast.Name) and value.id == name:
                slot.set(copy.deepcopy(stmt.value))
        if isinstance(later, ast.Let) and name in [n for n, _ in later.names]:
            break
    return True


def _to_operand(t: ast.SourceFile, k: int, j: int) -> bool:
    slot = slots(t)[k][0]
    slot.set(_operands(slot.get())[j])
    return True


def _to_name(t: ast.SourceFile, k: int, name: str) -> bool:
    slot = slots(t)[k][0]
    old = slot.get()
    slot.set(ast.Name(old.span, name))  # type: ignore[attr-defined]
    return True


def _set_int(t: ast.SourceFile, k: int) -> bool:
    lit = slots(t)[k][0].get()
    lit.value = 1  # type: ignore[attr-defined]
    return True


def _drop_result(fn: ast.FnDef, k: int) -> bool:
    ret = next(s for s in fn.body if isinstance(s, ast.Return))
    ret.values.pop(k)
    if fn.results and len(fn.results) > k:
        fn.results.pop(k)
    return True


def _drop_results_type(fn: ast.FnDef) -> bool:
    fn.results = None
    return True


def _set_dim(p: ast.Param, d: int, new: int) -> bool:
    assert isinstance(p.type, ast.TensorTypeExpr)
    p.type.dims[d] = new
    return True


def _drop_param(t: ast.SourceFile, i: int, k: int) -> bool:
    fn = t.functions[i]
    p = fn.params.pop(k)
    for call in [n for n in ast.walk(t.functions) if isinstance(n, ast.Call) and n.callee == fn.name]:
        if k < len(call.args):
            call.args.pop(k)
        call.kwargs = [kw for kw in call.kwargs if kw.name != p.name]
    return True


# -- the search --------------------------------------------------------------------------


@dataclass
class Reduction:
    source: str
    tests: int = 0
    kept: int = 0


def reduce_source(source: str, filename: str, oracle: Oracle, max_tests: int = 5000,
                  log: Callable[[str], None] | None = None) -> Reduction:
    """The smallest program the edits reach from `source` for which `oracle` holds.
    Raises ValueError when the original program is not interesting."""
    folder = Path(filename).resolve().parent
    with tempfile.TemporaryDirectory(prefix=".tfir-reduce-", dir=folder if _imports(source) else None) as tmp:
        path = Path(tmp) / Path(filename).name
        if not oracle.interesting(source, path):
            raise ValueError(f"the test is not interesting on {filename} ({oracle.describe()} does not hold)")
        tree = parse(source, str(path))
        entry = oracle.entry or tree.functions[-1].name
        best, text = tree, print_source(tree)
        result = Reduction(text)
        seen = {text}
        progress = True
        while progress and result.tests < max_tests:
            progress = False
            for what, edit in edits(best, entry):
                candidate = copy.deepcopy(best)
                try:
                    if not edit(candidate):
                        continue
                    cand_text = print_source(candidate)
                except (Unprintable, IndexError, AttributeError, AssertionError):
                    continue
                if cand_text in seen:
                    continue
                seen.add(cand_text)
                if oracle.needs_valid and not _valid(cand_text, path, entry):
                    continue
                result.tests += 1
                if oracle.interesting(cand_text, path):
                    best, result.source, progress = candidate, cand_text, True
                    result.kept += 1
                    if log:
                        log(f"{what}: {cand_text.count(chr(10))} lines")
                    break
                if result.tests >= max_tests:
                    break
        return result


def _imports(source: str) -> bool:
    return "import" in source


def _valid(text: str, path: Path, entry: str) -> bool:
    path.write_text(text)
    try:
        prog = api.compile_source(text, str(path), target="eager", cache=False)
    except (CompileError, TfirError):
        return False
    return entry in prog.entries
