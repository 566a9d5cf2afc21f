"""``import newsqa.index`` stays light: the heavy modules load only when used."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

_HEAVY = ("numpy", "torch", "faiss", "jieba", "opencc", "tqdm", "pymilvus")


def test_import_loads_no_heavy_module() -> None:
    code = f"import sys, newsqa.index; print(sorted(m for m in {_HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve() -> None:
    import newsqa.index as index

    assert index.Embedder.__name__ == "Embedder"
    assert index.IndexReader.__name__ == "IndexReader"
    assert index.TextEncoder.__name__ == "TextEncoder"
    assert set(index.__all__) <= set(dir(index)) | {"Embedder", "IndexReader", "TextEncoder"}
