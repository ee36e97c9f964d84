#!/usr/bin/env python3
"""Print the import structure of `xeroflow_core`: modules, levels, circles, upward imports and
imports placed inside functions, so a change to the layout can be measured before and after.

A module's level is 0 when it imports nothing of the package, else one more than the highest
level it imports (members of a circle share one level). Each module also belongs to a declared
layer (LAYERS below, the layout of docs/ARCHITECTURE.md); an upward import goes from a module to
one of a higher layer. Packages count as their modules:
`import xeroflow_core.sync.engine` is an edge to `sync.engine`; `from xeroflow_core.sync import
engine` too. The sandbox is left out (its own package).

Usage: python scripts/import_layers.py [--detail] [--exclude PREFIX ...]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "xeroflow_core"

# Declared layers, bottom first: a module belongs to the first layer with a matching prefix.
# Features may use each other as long as no circle forms. Earlier module names (matching,
# client_*, reports, eom_cli, sync.worker) stay listed so older trees can be measured too.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("storage and values", ("settings", "db", "money", "models", "text", "exports")),
    ("who acts", ("actor", "audit", "users", "signin", "installation")),
    ("ledger", ("ledger",)),
    ("xero", ("xero",)),
    ("work queue", ("work",)),
    (
        "features",
        (
            "sync",
            "clients",
            "profitability",
            "eom",
            "matching",
            "suggestions",
            "client_",
            "reports",
        ),
    ),
    ("top: worker, CLI, benchmarks", ("worker", "__main__", "bench", "eom_cli", "sync.worker")),
    ("ui", ("ui",)),
]


def layer_of(name: str) -> int:
    """The declared layer of a module (the most specific matching prefix wins)."""
    best, best_len = len(LAYERS), -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            hit = name == p or name.startswith(p + ".") or (p.endswith("_") and name.startswith(p))
            if hit and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def module_name(path: Path) -> str:
    """`xeroflow_core/sync/engine.py` -> `sync.engine`; a package's `__init__` is the package."""
    parts = list(path.relative_to(ROOT / PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def collect(exclude: list[str]) -> dict[str, Path]:
    """Every module of the package, minus the excluded prefixes."""
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        name = module_name(path)
        if any(name == e or name.startswith(e + ".") for e in exclude):
            continue
        found[name] = path
    return found


def resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name inside the package refers to (the longest known prefix)."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for each import of the package."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith(PACKAGE + "."):
                        target = resolve(alias.name[len(PACKAGE) + 1 :], modules)
                        if target:
                            out.append((target, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    prefix = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    mod = ".".join([*prefix, *(child.module.split(".") if child.module else [])])
                elif child.module and (
                    child.module == PACKAGE or child.module.startswith(PACKAGE + ".")
                ):
                    mod = child.module[len(PACKAGE) + 1 :]
                else:
                    mod = None
                if mod is not None:
                    for alias in child.names:
                        target = resolve(f"{mod}.{alias.name}" if mod else alias.name, modules)
                        target = target or resolve(mod, modules)
                        if target and target != name:
                            out.append((target, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return out


def _has_reason(path: Path, line: int) -> bool:
    """An import inside a function says why: a comment on its line, or above its group of
    imports."""
    lines = path.read_text().splitlines()
    if "#" in lines[line - 1]:
        return True
    above = line - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (each a list of module names)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detail", action="store_true", help="list every module and import")
    parser.add_argument("--exclude", nargs="*", default=["sandbox"])
    args = parser.parse_args()

    modules = collect(args.exclude)
    edges = {name: imports_of(name, path, modules) for name, path in modules.items()}
    graph = {name: {t for t, _, _ in found} for name, found in edges.items()}
    components = strongly_connected(graph)
    comp_of = {m: i for i, comp in enumerate(components) for m in comp}
    level: dict[int, int] = {}
    for i, comp in enumerate(components):  # Tarjan yields components in reverse topological order
        deps = {comp_of[t] for m in comp for t in graph[m]} - {i}
        level[i] = 1 + max((level[d] for d in deps), default=-1)
    circles = [c for c in components if len(c) > 1]
    upward = [
        (m, t, line)
        for m, found in edges.items()
        for t, line, _ in found
        if layer_of(t) > layer_of(m)
    ]
    # One entry per import statement (a statement naming several modules counts once).
    in_function = sorted(
        {(m, line) for m, found in edges.items() for _, line, inside in found if inside}
    )

    print(f"modules: {len(modules)}")
    print(f"levels: {1 + max(level.values(), default=-1)}")
    print(f"circles: {len(circles)}")
    for c in circles:
        print("  " + " <-> ".join(c))
    print(f"upward imports: {len(upward)}")
    for m, t, line in sorted(set(upward)):
        print(f"  {m}:{line} -> {t}")
    unexplained = [(m, line) for m, line in in_function if not _has_reason(modules[m], line)]
    print(f"imports inside functions: {len(in_function)} ({len(unexplained)} without a comment)")
    if args.detail:
        for m, line in in_function:
            print(f"  {m}:{line}")
        for lvl in range(1 + max(level.values(), default=-1)):
            names = sorted(m for m in modules if level[comp_of[m]] == lvl)
            print(f"level {lvl}: {' '.join(names)}")
    sizes = sorted(((len(p.read_text().splitlines()), n) for n, p in modules.items()), reverse=True)
    print("largest modules: " + ", ".join(f"{n} {lines}" for lines, n in sizes[:5]))


if __name__ == "__main__":
    main()
