"""The layers of tfir and the imports they may make, read from the source.

    tfir.errors                      the bottom layer: imports nothing from tfir
    tfir.dialects   -> errors
    tfir.frontend   -> errors, dialects
    tfir.lowering   -> errors, dialects          (tfir.lowering.utils: no pass module)
    tfir.backends   -> errors, dialects, lowering.utils
    tfir (API, CLI, pipeline, plugins, inspection): on top, may import any layer

A pass module (`tfir.lowering.<pass>`, and the modules of a pass package) is
imported only by tfir/pipeline.py, whose explicit table `PASSES` names every
pass class, and within its own package: shared code lives in lowering/utils/.

Every module under tfir/, frontend/, dialects/, lowering/ and backends/ is
parsed; its imports (module-level and inside functions) are checked against
these rules. The imports that run must not form a cycle. Imports inside
functions are allowed only of the optional dependencies in `OPTIONAL`, and
private names (`_x`) only where `PRIVATE_EXCEPTIONS` says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Source folder -> the package it is installed as (pyproject's package-dir).
PACKAGES = {"tfir": "tfir", "frontend": "tfir.frontend", "dialects": "tfir.dialects",
            "lowering": "tfir.lowering", "backends": "tfir.backends"}

# Layer -> the layers it may import, besides its own. Checked by longest prefix.
ALLOWED: dict[str, set[str]] = {
    "tfir.errors": set(),
    "tfir.dialects": {"tfir.errors"},
    "tfir.frontend": {"tfir.errors", "tfir.dialects"},
    "tfir.lowering.utils": {"tfir.errors", "tfir.dialects"},
    "tfir.lowering": {"tfir.errors", "tfir.dialects", "tfir.lowering.utils"},
    "tfir.backends": {"tfir.errors", "tfir.dialects", "tfir.lowering.utils"},
}
TOP = "tfir"  # everything else under tfir/: may import every layer

# Imports inside a function body, allowed only of these optional dependencies.
OPTIONAL = {
    "torch": "only the Triton backend on a GPU uses it; not a dependency of tfir",
    "triton": "the optional extra `.[triton]`; only generated Triton code needs it",
    "onnx": "the optional extra `.[onnx]`; only tfir.onnx needs it",
    "onnxruntime": "as onnx",
    "tfir.onnx": "its modules import onnx: `import tfir` and the CLI must work without it",
    "importlib": "tfir's module __getattr__ loads tfir.onnx on first use, for the same reason",
    "jax": "the `dev` and `bench` extras; only the JAX reference of tfir.testing (and the benchmarks) use it",
}


def _optional(target: str) -> bool:
    return any(target == name or target.startswith(name + ".") for name in OPTIONAL)

# Imports of tfir modules inside a function, allowed where a module-level one would
# make a cycle by design: (importer, imported) -> why.
LATE = {
    ("tfir.api", "tfir.inspect.graph"): "Function.graph() for notebooks: inspection sits on top "
                                        "of the API and imports it",
    ("tfir.api", "tfir.inspect.report"): "Function.explain(), as Function.graph()",
    ("tfir.api", "tfir.dask"): "Function.on_dask(): tfir.dask imports Dask (the optional extra `.[dask]`) "
                               "and sits on top of the API",
}

# Private names imported from another module, by name.
PRIVATE_EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    importer: str      # module name
    target: str        # the imported module (a submodule when `from pkg import submodule`)
    name: str | None   # the imported name, for `from m import name`
    line: int
    in_function: bool
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs

    def where(self) -> str:
        return f"{self.importer}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    top, rest = PACKAGES[parts[0]], parts[1:]
    if rest and rest[-1] == "__init__":
        rest = rest[:-1]
    return ".".join([top, *rest])


def _modules() -> dict[str, Path]:
    out = {}
    for folder in PACKAGES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(importer: str, path: Path) -> Iterator[Import]:
    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            fn = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            tc = type_checking or (isinstance(child, ast.If) and _is_type_checking(child))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(importer, alias.name, None, child.lineno, fn, tc)
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(importer, path, child)
                for alias in child.names:
                    sub = f"{module}.{alias.name}"
                    target = sub if sub in MODULES else module
                    yield Import(importer, target, alias.name, child.lineno, fn, tc)
            else:
                yield from visit(child, fn, tc)

    yield from visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports(name, path)]
TFIR_IMPORTS = [imp for imp in IMPORTS if imp.target == "tfir" or imp.target.startswith("tfir.")]


def layer(module: str) -> str:
    found = [lay for lay in ALLOWED if module == lay or module.startswith(lay + ".")]
    return max(found, key=len) if found else TOP


def _wrong_direction(imports: list[Import], rule: str | None = None) -> list[str]:
    bad = []
    for imp in imports:
        src, dst = layer(imp.importer), layer(imp.target)
        if src == TOP or dst == src:
            continue
        allowed = ALLOWED[src]
        ok = any(dst == a or dst.startswith(a + ".") for a in allowed)
        if src == "tfir.backends" and dst.startswith("tfir.lowering"):
            ok = rule == "backends-any-lowering" or dst.startswith("tfir.lowering.utils")
        if not ok:
            bad.append(f"{imp.where()}: {src} imports {imp.target} (layer {dst})")
    return bad


def test_the_source_is_read() -> None:
    """The rules below see every package and both kinds of imports."""
    assert {layer(m) for m in MODULES} >= {"tfir.errors", "tfir.dialects", "tfir.frontend",
                                           "tfir.lowering", "tfir.backends", TOP}
    assert "tfir.dialects.tf" in MODULES and "tfir.frontend.driver" in MODULES
    assert any(imp.in_function for imp in IMPORTS)  # e.g. triton_runtime's `import torch`
    assert len(TFIR_IMPORTS) > 200


def test_layers_import_only_downwards() -> None:
    assert _wrong_direction(TFIR_IMPORTS, "backends-any-lowering") == []


def test_backends_import_lowering_utils_only() -> None:
    assert _wrong_direction(TFIR_IMPORTS) == []


def test_no_import_cycle() -> None:
    """The imports that run (module-level ones, and any left inside a function)
    form no cycle; those under `if TYPE_CHECKING:` never run."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in TFIR_IMPORTS:
        if not imp.type_checking and imp.target in MODULES and (imp.importer, imp.target) not in LATE:
            graph[imp.importer].add(imp.target)
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def test_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


PIPELINE_MODULE = "tfir.pipeline"


def pass_of(module: str) -> str | None:
    """The pass module (or pass package) that `module` is part of, if any."""
    parts = module.split(".")
    if len(parts) < 3 or parts[:2] != ["tfir", "lowering"] or parts[2] == "utils":
        return None
    return ".".join(parts[:3])


STRESS_MODULE = "tfir.testing.stress"  # the numpy-stress campaign target: sets module constants of passes


def _pass_imports(imports: list[Import]) -> list[str]:
    bad = []
    for imp in imports:
        owner = pass_of(imp.target)
        if owner is None or imp.importer == PIPELINE_MODULE or pass_of(imp.importer) == owner:
            continue
        if imp.importer == STRESS_MODULE:
            continue  # it lowers the passes' size thresholds for a campaign (its docstring)
        bad.append(f"{imp.where()}: imports {imp.target}{f' ({imp.name})' if imp.name else ''}")
    return bad


def test_only_the_pipeline_imports_pass_modules() -> None:
    """No module borrows from a pass: what passes share is in lowering/utils/."""
    assert _pass_imports(TFIR_IMPORTS) == []


def test_pass_import_rule_catches_a_borrowing_module() -> None:
    probes = [Import("tfir.plugin", "tfir.lowering.inline_calls", "InlineCallsPass", 1, False, False),
              Import("tfir.lowering.expand_custom_ops", "tfir.lowering.convert_tf_to_linalg",
                     "LINALG_LOWERINGS", 1, False, False),
              Import("tfir.backends.numpy.codegen", "tfir.lowering.bufferize.chains", None, 1, False, False)]
    assert len(_pass_imports(probes)) == len(probes)
    assert _pass_imports([Import("tfir.lowering.bufferize", "tfir.lowering.bufferize.chains", None, 1, False,
                                 False),
                          Import("tfir.pipeline", "tfir.lowering.tile_linalg", "TileLinalgPass", 1, False,
                                 False)]) == []


def test_function_level_imports_are_of_optional_dependencies_only() -> None:
    bad = [f"{imp.where()}: imports {imp.target} inside a function"
           for imp in IMPORTS if imp.in_function and not _optional(imp.target)
           and (imp.importer, imp.target) not in LATE]
    assert bad == []


def test_no_private_name_is_imported_from_another_module() -> None:
    bad = [f"{imp.where()}: imports {imp.name} from {imp.target}" for imp in TFIR_IMPORTS
           if imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
           and imp.target != imp.importer and imp.name not in PRIVATE_EXCEPTIONS]
    assert bad == []


def test_rules_catch_a_wrong_import() -> None:
    """The direction check is not vacuous: a pass importing a backend, the
    frontend importing the API, or a dialect importing a pass is reported."""
    probes = [Import("tfir.lowering.fold_constants", "tfir.backends.eager", "run_op", 1, False, False),
              Import("tfir.frontend.expressions", "tfir.plugin", "PluginError", 1, True, False),
              Import("tfir.dialects.plugins", "tfir.pipeline", "PIPELINE", 1, False, False),
              Import("tfir.lowering.utils.x", "tfir.lowering.tile_linalg", None, 1, False, False),
              Import("tfir.backends.numpy_rows", "tfir.lowering.tile_linalg", None, 1, False, False)]
    assert len(_wrong_direction(probes)) == len(probes)
    assert _wrong_direction([Import("tfir.backends.numpy.rows", "tfir.lowering.utils.tiles", None, 1,
                                    False, False)]) == []
