"""The shape of the code base: one import namespace, dependencies one way, packages listed.

These are lint rules a reader can rely on when reading the tree:

* every module is imported as ``newsqa.<layer>...`` (or relatively inside its package),
  never by a bare ``index``/``retrieval``/``bot`` name, so no module is ever loaded twice;
* ``index`` imports neither ``retrieval`` nor ``bot``, and ``retrieval`` never ``bot``;
* ``bot`` reaches the search stack only through ``newsqa.retrieval`` and the public
  names of ``newsqa.index``: never FAISS, jieba or a private module of another layer;
* the packages ``pyproject.toml`` installs are exactly the folders holding an
  ``__init__.py``.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("index", "retrieval", "bot")
_SKIP = {"node_modules", ".venv", "build", "__pycache__"}


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not _SKIP.intersection(path.relative_to(ROOT).parts):
                yield path


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] in LAYERS:
        parts.insert(0, "newsqa")
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, absolute module)`` of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # ``from pkg import submodule``
                yield node.lineno, f"{name}.{alias.name}"


ALL_FILES = list(_python_files(*LAYERS, "tests", "benchmarks"))


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_bare_layer_imports(path: Path) -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for line, name in _imports(path)
        if name.split(".")[0] in LAYERS
    ]
    assert not bare, "import newsqa.<layer>, not the bare name: " + "; ".join(bare)


def _violations(layer: str, banned: tuple[str, ...]) -> list[str]:
    found = []
    for path in _python_files(layer):
        for line, name in _imports(path):
            if name.startswith(banned):
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return found


def test_index_depends_on_nothing_above_it() -> None:
    assert not _violations("index", ("newsqa.retrieval", "newsqa.bot"))


def test_retrieval_does_not_depend_on_the_front_ends() -> None:
    assert not _violations("retrieval", ("newsqa.bot",))


def test_front_ends_use_only_public_names_below_them() -> None:
    found = _violations("bot", ("faiss", "jieba", "bm25s", "pymilvus", "sentence_transformers"))
    for path in _python_files("bot"):
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[:2] in (["newsqa", "index"], ["newsqa", "retrieval"]) and any(
                p.startswith("_") for p in parts[2:3]
            ):
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not found


def test_pyproject_installs_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = {_module(init) for init in _python_files(*LAYERS) if init.name == "__init__.py"}
    assert listed == found
    assert setuptools["package-dir"] == {f"newsqa.{layer}": layer for layer in LAYERS}
