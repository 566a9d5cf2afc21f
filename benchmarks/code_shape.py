"""The shape of a checkout: modules per package, the longest functions, import cycles.

Not a test: it prints figures (used for the redesign's before/after)::

    python -m benchmarks.code_shape            # this checkout
    python -m benchmarks.code_shape OTHER_DIR  # another checkout, e.g. a git worktree

Cycles are searched over every import between the project's modules, those inside
functions included, except a module importing its own package's ``__init__``.
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
from pathlib import Path

LAYERS = ("index", "retrieval", "bot")


def _modules(root: Path) -> dict[str, Path]:
    out = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    def known(name: str) -> str | None:
        parts = name.split(".")
        if parts[0] == "newsqa":
            parts = parts[1:]
        while parts and ".".join(parts) not in mods:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = collections.defaultdict(set)
    for mod, path in mods.items():
        package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package[: len(package) - node.level + 1]
                    base = ".".join(head + ([node.module] if node.module else []))
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            for name in names:
                target = known(name)
                own_package = mods.get(target or "", path).name == "__init__.py" and (
                    mod.startswith(f"{target}.")
                )
                if target and target != mod and not own_package:
                    graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in nodes:
        if v not in index:
            visit(v)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default=".", help="the checkout (default: .)")
    root = Path(parser.parse_args().root).resolve()
    mods = _modules(root)
    per_package: collections.Counter[str] = collections.Counter()
    functions: list[tuple[int, str]] = []
    for mod, path in mods.items():
        if path.name != "__init__.py":
            per_package[mod.rsplit(".", 1)[0]] += 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{mod}.{node.name}"))
    print(f"{sum(per_package.values())} modules in {len(per_package)} packages:")
    for package, count in sorted(per_package.items()):
        print(f"  {package:<28} {count}")
    functions.sort(reverse=True)
    print("longest functions: " + ", ".join(f"{name} ({n} lines)" for n, name in functions[:5]))
    cycles = _cycles(_graph(mods), list(mods))
    print("import cycles: " + ("; ".join(" <-> ".join(c) for c in cycles) or "none"))


if __name__ == "__main__":
    main()
