"""The package's shape: imports point one way down the layers, no module imports another
in a loop, deprecated shims serve outside users only, every module stays short.

The layers, top first; a module may import from its own layer (without a loop) and from
the layers below it, never from a layer above (function-level imports count too;
``if TYPE_CHECKING:`` blocks do not).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "afzender"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("afzender",),                                        # the public face, re-exports
    ("afzender.cli",),
    ("afzender.training", "afzender.evaluation", "afzender.audit",
     "afzender.mapping", "afzender.spark", "afzender.sklearn"),
    ("afzender.classifier", "afzender.card"),
    ("afzender.backends",),
    ("afzender.modelfile",),
    ("afzender.features", "afzender.calibration", "afzender.label_mix"),
    ("afzender.text",),
    ("afzender.inputs", "afzender.outputs", "afzender.labels", "afzender.errors",
     "afzender._once", "afzender._version", "afzender._deprecated"),
)
#: Old paths kept for one release: each forwards lazily (no import at load time) and
#: nothing inside the package uses them.
SHIMS = ("afzender.io", "afzender.data", "afzender.splits", "afzender.linear",
         "afzender.explain", "afzender.plots", "afzender.auditing", "afzender.reports",
         "afzender._legacy", "afzender.ensemble", "afzender.transformer",
         *(f"afzender.transformer.{name}" for name in ("e5convert", "e5embed", "engine", "hub",
                                                        "model", "tiny", "tokenizer_check",
                                                        "train")))
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree)
               if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
               for node in ast.walk(block)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            candidates = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES and c != name
                  and not name.startswith(c + ".")}  # a package's own face, e.g. _fastcore
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    best, index = -1, None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    assert index is not None, f"{module} is in no layer: add it to LAYERS"
    return index


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_point_down_the_layers():
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                    if module not in SHIMS for target in targets
                    if target not in SHIMS and layer_of(target) < layer_of(module))
    assert upward == []


def test_every_module_has_a_layer():
    for module in MODULES:
        if module not in SHIMS:
            layer_of(module)


def test_shims_are_not_used_inside_the_package():
    users = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                   for target in targets if target in SHIMS and module not in SHIMS)
    assert users == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_short(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines < MAX_LINES, f"{module} has {lines} lines"
