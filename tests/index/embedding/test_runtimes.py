"""The runtimes: devices without a real model; ONNX Runtime and OpenVINO against torch.

The device tests need no model. The backend tests (slow) use the real default model
and skip cleanly when their extra (``newsqa[onnx]``, ``newsqa[openvino]``) is not
installed; the ONNX export is made once into the default model cache and reused.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from newsqa.index import Config, ConfigError, Embedder, ModelConfig, load_config
from newsqa.index._embedding._runtimes import resolve_device

# --------------------------------------------------------------------------- devices


def _has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.mark.skipif(_has_gpu(), reason="this machine has a GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_a_gpu_is_one_clear_error(device: str) -> None:
    with pytest.raises(ConfigError, match=f"^{device} requested but torch .* sees no GPU$"):
        resolve_device(device, "torch")
    with pytest.raises(ConfigError, match="sees no GPU"):  # before any model is loaded
        Embedder(ModelConfig(device=device, cache_dir="/nonexistent")).encode_query("问")


def test_auto_and_cpu_devices() -> None:
    assert resolve_device("cpu", "torch") == "cpu"
    assert resolve_device("auto", "torch") in {"cpu", "cuda", "mps"}
    assert resolve_device("auto", "openvino") == "cpu"
    with pytest.raises(ConfigError, match="openvino backend runs on the cpu only"):
        resolve_device("cuda", "openvino")


def test_onnx_on_cuda_needs_its_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    import newsqa.index._embedding._runtimes as backends

    monkeypatch.setattr(backends, "_ort_has_cuda", lambda: False)
    with pytest.raises(ConfigError, match="onnxruntime has no CUDA provider"):
        resolve_device("cuda", "onnx")
    assert resolve_device("auto", "onnx") == "cpu"


def test_cli_device_flag_reaches_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsqa.bot.cli import _model_flags, _parser, main

    args = _parser().parse_args(["index", "build", "--device", "auto", "--model-backend", "onnx"])
    model = _model_flags(args, load_config(environ={})).model
    assert (model.device, model.backend, model.quantize) == ("auto", "onnx", "")
    args = _parser().parse_args(["eval", "--queries", "q", "--quantize", "none"])
    assert _model_flags(args, load_config(environ={})).model == ModelConfig()
    for command in (["ask", "x"], ["bot"]):
        assert (
            _parser().parse_args([*command[:1], "--device", "cuda", *command[1:]]).device == "cuda"
        )
    assert main(["ask", "--model-backend", "torch", "--quantize", "int8", "问"]) == 1
    # torch has no int8: one line
    assert "needs model.backend = onnx" in capsys.readouterr().err
    if not _has_gpu():
        index = str(tmp_path / "index")
        corpus = str(Path(__file__).resolve().parents[3] / "index" / "sample_corpus")
        assert (
            main(["index", "build", "--device", "cuda", "--index", index, "--corpus", corpus]) == 1
        )
        err = capsys.readouterr().err.strip()
        assert err.startswith("newsqa: error: cuda requested") and "\n" not in err


# --------------------------------------------------------------------------- backends

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


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_float32_backend_gives_torch_vectors(
    backend: str, real_embedder: Embedder, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    _needs("onnx", "onnxruntime" if backend == "onnx" else "openvino")
    emb = Embedder(Config().with_section("model", backend=backend).model)
    _check(emb, torch_vectors, atol=1e-4)
    assert emb.identity() == real_embedder.identity()  # an index serves with either


@pytest.mark.slow
def test_onnx_int8_is_close_and_recorded(
    real_embedder: Embedder, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    _needs("onnx", "onnxruntime")
    emb = Embedder(Config().with_section("model", backend="onnx", quantize="int8").model)
    # int8 scales its activations per run: each text runs alone, so alone == batched
    _check(emb, torch_vectors, atol=0.05, alone=1e-6)
    batched = emb.encode_passages(PASSAGES)
    cos = (batched * torch_vectors[0]).sum(axis=1)
    assert cos.min() > 0.98
    alone = np.stack([emb.encode_passages([p, "短"])[0] for p in PASSAGES])
    np.testing.assert_array_equal(alone, batched)  # a vector never depends on its batch
    reordered = emb.encode_passages(PASSAGES[::-1])[::-1]
    np.testing.assert_array_equal(reordered, batched)
    assert emb.identity() == {**real_embedder.identity(), "quantized": "onnx-int8"}
    assert emb.compatible_with(real_embedder.identity()) != ""


# --------------------------------------------------------------------------- row by row


def _fake_onnx(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A fake onnxruntime whose sessions record their thread count and embed by text."""
    import sys
    from types import SimpleNamespace

    from newsqa.index._embedding import _runtimes

    threads: list[int] = []

    class Options:
        intra_op_num_threads = 0

        def add_session_config_entry(self, key: str, value: str) -> None:
            pass

    class Session:
        def __init__(self, path: str, opts: Options, providers: object) -> None:
            threads.append(opts.intra_op_num_threads)

        def run(self, names: list[str], feeds: dict[str, list[str]]) -> list[np.ndarray]:
            [text] = feeds["texts"]  # row by row: always one text
            if "坏" in text:
                raise RuntimeError("onnxruntime failed")
            return [np.array([[len(text), ord(text[0])]], dtype=np.float32)]

    fake = SimpleNamespace(
        SessionOptions=Options,
        GraphOptimizationLevel=SimpleNamespace(ORT_ENABLE_ALL=99),
        InferenceSession=Session,
    )
    monkeypatch.setitem(sys.modules, "onnxruntime", fake)
    monkeypatch.setattr(
        _runtimes,
        "_Tokens",
        lambda folder, meta: SimpleNamespace(
            max_length=8,
            batch=lambda texts: {"texts": list(texts)},
            lengths=lambda texts: [len(t) for t in texts],
        ),
    )
    return threads


def test_row_by_row_keeps_the_order_on_one_thread_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsqa.index._embedding._runtimes import OnnxEncoder

    threads = _fake_onnx(monkeypatch)
    enc = OnnxEncoder(tmp_path / "m.onnx", threads_hint=4, meta={"dim": 2}, row_by_row=True)
    texts = ["甲", "乙乙", "丙丙丙", "丁", "戊戊"] * 5
    want = np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)
    for n in (4, 2, 1, 3):  # a pool per thread count, made again when it changes
        np.testing.assert_array_equal(enc.encode(texts, n), want)
    np.testing.assert_array_equal(enc.encode(["乙乙"], 4), want[1:2])
    enc.release_other_threads(2)
    np.testing.assert_array_equal(enc.encode(texts, 2), want)
    assert set(threads) == {1}  # every run, a question's too, on a one-thread session
    with pytest.raises(RuntimeError, match="onnxruntime failed"):  # out of the pool as is
        enc.encode(["甲", "坏", "乙"], 2)


def test_embedder_turns_a_worker_failure_into_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsqa.index import ModelError
    from newsqa.index._embedding._runtimes import OnnxEncoder

    _fake_onnx(monkeypatch)
    enc = OnnxEncoder(tmp_path / "m.onnx", threads_hint=2, meta={"dim": 2}, row_by_row=True)
    monkeypatch.setattr(Embedder, "_open", lambda self: enc)
    emb = Embedder(ModelConfig(backend="onnx", quantize="int8", threads=2))
    with pytest.raises(ModelError, match="onnxruntime failed"):
        emb.encode_passages(["甲", "坏", "乙"])
