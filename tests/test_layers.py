"""The package imports only downward (docs/ARCHITECTURE.md), with no cycles.

Imports are read with ``ast`` (imports under ``if TYPE_CHECKING:`` are for annotations only and
are not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scenarios", "agents", "sim")

#: Layers from the bottom; a layer may import only the layers before it (and itself).
LAYERS: tuple[str, ...] = (
    "scenarios",
    "sim.config",
    "agents",
    "sim.core",
    "sim.runs",
    "sim.analysis",
    "sim.figures",
    "sim.hydra",
    "sim.explorer",
    "sim.cli",
)

#: Third-party libraries each layer may not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "scenarios": ("hydra", "omegaconf", "matplotlib", "mesa"),
    "sim.config": ("hydra", "omegaconf", "matplotlib", "mesa"),
    "agents": ("hydra", "omegaconf", "matplotlib"),
    "sim.core": ("hydra", "omegaconf", "matplotlib"),
    "sim.runs": ("hydra", "omegaconf", "matplotlib"),
    "sim.analysis": ("hydra", "omegaconf", "matplotlib"),
    "sim.figures": ("hydra", "omegaconf"),
    "sim.explorer": ("hydra", "omegaconf", "matplotlib"),
    "sim.cli": ("hydra", "omegaconf", "matplotlib"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """Modules imported by ``path`` at run time (anywhere in the file, lazy imports included)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _layer(module: str) -> str | None:
    """The layer of a module of the project (the longest matching prefix), or None."""
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


MODULES = _modules()


def _project_imports(module: str) -> set[str]:
    """Project modules that ``module`` imports (names that are modules, not their members)."""
    return {name for name in _imports(MODULES[module]) if name in MODULES and name != module}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m)))
def test_imports_go_only_downward(module):
    layer = _layer(module)
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    upward = sorted(
        name
        for name in _project_imports(module)
        if name not in ("sim", "agents", "scenarios") and _layer(name) not in allowed
    )
    assert not upward, f"{module} ({layer}) imports a layer above it: {upward}"
    banned = FORBIDDEN.get(layer, ())
    libraries = sorted(
        name for name in _imports(MODULES[module]) if name.split(".")[0] in banned
    )
    assert not libraries, f"{module} ({layer}) imports {libraries}"


def test_only_sim_hydra_imports_hydra_and_private_hydra_only_in_one_module():
    for module, path in MODULES.items():
        names = _imports(path)
        if any(n.split(".")[0] in ("hydra", "omegaconf") for n in names):
            assert module.startswith("sim.hydra"), module
        if any(n.startswith("hydra._internal") for n in names):
            assert module == "sim.hydra.private", module


def test_no_import_cycles():
    graph = {module: _project_imports(module) for module in MODULES}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for name in sorted(graph[module]):
            if state.get(name) == 1:
                cycle = [*stack[stack.index(name) :], name]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if name not in state:
                visit(name)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


#: Libraries of the web explorer (the optional extra ``explorer``) and its browser test.
UI_LIBRARIES = ("solara", "reacton", "ipywidgets", "ipyvuetify", "playwright", "mesa.visualization")


def test_only_sim_explorer_imports_the_ui():
    """The core and every other layer stay free of UI imports (the extra is optional)."""
    for module, path in MODULES.items():
        names = _imports(path)
        ui = sorted(n for n in names if any(n == u or n.startswith(u + ".") for u in UI_LIBRARIES))
        if ui:
            assert module.startswith("sim.explorer."), f"{module} imports {ui}"
