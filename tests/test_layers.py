"""The package's shape, drawn from its imports: no cycle between modules, no import going up.

Every ``import``/``from … import`` in ``bordereau/**/*.py`` counts, wherever it is written
(module top, inside a function, under ``TYPE_CHECKING``): a cycle hidden in a function is
still a cycle for a reader of the code. The layer order is the one of
``docs/architecture.md``; keep both in step.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bordereau"

# Bottom to top. A module may import its own package and the layers below its own; modules
# of two packages on the same layer do not import each other.
LAYERS: list[set[str]] = [
    {"errors", "heldout", "corpora", "templates", "logs", "clock"},
    {"files"},
    {"forms"},
    {"home"},
    {"ocr"},
    {"base"},
    {"review", "export"},
    {"establishment"},
    {"cli", "simulate"},
    {"training"},
]
# Modules that make one unit with another: the command line is cli.py and its helpers.
SAME_UNIT = {"cli_support": "cli", "commands": "cli", "demo": "cli"}
RANK = {unit: n for n, layer in enumerate(LAYERS) for unit in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The layer unit of a module: its top-level package or module under ``bordereau``."""
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 else ""
    return SAME_UNIT.get(unit, unit)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports (``from a.b import c`` counts ``a.b.c`` when
    ``c`` is a module, else ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            names = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules
                     else origin for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != here and name != "bordereau":
                found.add(name)
    return found


@cache  # the package does not change during a run: parsed once, not once per test
def import_graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1 on the path being explored, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_the_imports() -> None:
    """A sanity check on the parser itself: known edges are found."""
    graph = import_graph()
    assert "bordereau.forms.manifest" in graph["bordereau.home"]
    assert "bordereau.ocr.pipeline" in graph["bordereau.base.ingest"]
    assert "bordereau.establishment" in graph["bordereau.commands.scan"]


def test_every_module_has_a_layer() -> None:
    units = {unit_of(module) for module in import_graph()} - {""}
    assert units <= set(RANK), f"no layer for {sorted(units - set(RANK))}: add it to LAYERS"


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("layer", range(len(LAYERS)))
def test_no_import_goes_up_or_sideways(layer: int) -> None:
    wrong = []
    for module, targets in import_graph().items():
        unit = unit_of(module)
        if RANK.get(unit) != layer:
            continue
        for target in sorted(targets):
            other = unit_of(target)
            if other != unit and other and RANK[other] >= layer:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_the_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


# Third-party packages that are extras (pyproject.toml), and the units allowed to use them.
EXTRAS = {
    "psycopg": set(),  # [postgresql]: SQLAlchemy loads it from the URL, nothing imports it
    "mlxtend": {"simulate", "training"},  # [simulate], [train]
    "sklearn": {"simulate", "training"},
    "torch": set(),  # [train]: only scripts/train_*.py
    "pdfplumber": set(),
}


def test_run_time_code_imports_no_extra() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        unit = unit_of(module_name(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in EXTRAS and unit not in EXTRAS[top]:
                    wrong.append(f"{module_name(path)} imports {name}")
    assert not wrong, "\n".join(wrong)
