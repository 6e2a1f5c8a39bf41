"""Imports run one way: the project package and the organisation at the bottom, the security controls right above
the organisation, then the catalogue, the nominations, the reviews. Every import counts, those inside functions
included, and no two modules import each other, directly or round a circle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"incentives": 0, "organisation": 1, "security": 2, "measures": 3, "evaluation": 4, "nominations": 5,
          "reviews": 6, "api": 7}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported module of the project, line) for every import statement anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from pkg import module` imports the module; `from module import name` imports the module.
            candidates = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                          for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate.split(".")[0] in LAYERS:
                targets.append((candidate, node.lineno))
    return targets


def _graph() -> dict[str, list[tuple[str, int]]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_graph_is_read_from_the_real_files():
    graph = _graph()
    assert {"nominations.services", "organisation.audit", "reviews.services"} <= graph.keys()
    assert "organisation.audit" in {target for target, _line in graph["nominations.services"]}
    assert "nominations.locks" in {target for target, _line in graph["reviews.services.decisions"]}


def test_no_module_imports_from_a_higher_app():
    upward = []
    for name, targets in _graph().items():
        layer = LAYERS[name.split(".")[0]]
        for target, line in targets:
            if LAYERS[target.split(".")[0]] > layer:
                upward.append(f"{name}:{line} imports {target}")
    assert upward == []


def test_no_import_cycle():
    graph = {name: {target for target, _line in targets if target != name} for name, targets in _graph().items()}
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []
