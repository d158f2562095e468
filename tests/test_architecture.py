"""The house rules of the code base, checked on every module (see docs/architecture.md).

- No module imports a ``_private`` name (or a ``_private`` module) from another module.
- No import cycle between modules (imports inside functions count: they are still dependencies).
- The layer order holds: a module imports only from its own layer or the layers below it.
- No module is over 600 lines (the limit the project keeps to stay readable).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "perfsim"

# lowest first; a module may import from its own layer and the layers below
LAYERS = [
    {
        "perfsim.metric_registry",
        "perfsim.ahp",
        "perfsim.fastreduce",
        "perfsim.results.names",
        "perfsim.model_revision",
        "perfsim.phrases",
        "perfsim.lazy",
        "perfsim.interrupts",
    },
    {"perfsim.scenario"},
    {
        "perfsim.io",
        "perfsim.outfile",
        "perfsim.csvsafe",
        "perfsim.workbook",
        "perfsim.rules",
        "perfsim.ranks",
        "perfsim.world",
        "perfsim.scoring",
        "perfsim.budget",
        "perfsim.tables",
        "perfsim.plotting",
        "perfsim.i18n",
    },
    {"perfsim.metrics"},
    {"perfsim.engine"},
    {"perfsim.simulation", "perfsim.experiments", "perfsim.empirical", "perfsim.verify"},
    {"perfsim.results"},
    {"perfsim.report"},
    {"perfsim.cli", "perfsim", "perfsim.__main__", "perfsim.launch"},
]
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, imported names) for every import statement in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("perfsim")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("perfsim"):
                found.append((target, [a.name for a in node.names]))
    return found


def _resolve(target: str, names: list[str]) -> list[str]:
    """The modules an import depends on (``from pkg import mod`` depends on ``pkg.mod``)."""
    submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
    if submodules and len(submodules) == len(names):
        return submodules
    return [target, *submodules]


def _layer(module: str) -> int:
    best, depth = None, -1
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > depth:
                best, depth = i, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)"
    return best


def test_no_private_names_across_modules():
    bad = []
    for name, path in MODULES.items():
        for target, names in _imports(name, path):
            if target == name:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if any(
                part.startswith("_") and not part.startswith("__") for part in target.split(".")
            ):
                private.append(target)
            bad += [f"{name} imports {target}:{n}" for n in private]
    assert bad == []


def test_layer_order():
    bad = []
    for name, path in MODULES.items():
        own = _layer(name)
        for target, names in _imports(name, path):
            for dep in _resolve(target, names):
                if dep == "perfsim" and name != "perfsim":
                    if names == ["__version__"]:
                        continue  # the version lives in the package root
                    bad.append(f"{name} imports the package root")
                    continue
                if _layer(dep) > own:
                    bad.append(f"{name} (layer {own}) imports {dep} (layer {_layer(dep)})")
    assert bad == []


def test_no_import_cycles():
    graph = {
        name: {
            d
            for target, names in _imports(name, path)
            for d in _resolve(target, names)
            if d in MODULES and d != name and d != "perfsim"
        }
        for name, path in MODULES.items()
    }
    # packages depend on what their __init__ re-exports; a cycle through an __init__ that only
    # re-exports its own submodules is not a real cycle, so leave package → own-submodule edges out
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines (limit {MAX_LINES}): split it"


MAX_FUNCTION_LINES = 80


def test_function_size():
    """No function body over 80 lines of code (the docstring and signature do not count)."""
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = node.body[0]
            doc = (
                first.end_lineno - first.lineno + 1
                if isinstance(first, ast.Expr)
                and isinstance(getattr(first, "value", None), ast.Constant)
                and isinstance(first.value.value, str)
                else 0
            )
            lines = node.end_lineno - first.lineno + 1 - doc
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


def test_cited_documents_are_in_the_repository():
    """Every document a module cites (``docs/*.md``, ``README.md``, ``NAME.md``, a path in code quotes
    under a folder of the repository) exists in the repository (the project carries its docs;
    ``tests/test_docs.py`` checks the documents themselves)."""
    from helpers import missing_citations

    missing = [m for path in MODULES.values() for m in missing_citations(path)]
    assert missing == []
