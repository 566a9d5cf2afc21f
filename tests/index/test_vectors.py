"""The FAISS layer: exact search when small, an inverted-file index past the threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index._vectors import VectorIndex


def _clustered(n: int, dim: int = 32, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, dim))
    x = centers[rng.integers(0, 40, n)] + 0.5 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_small_index_is_exact() -> None:
    x = _clustered(500)
    index = VectorIndex.build(x, 32, approximate_threshold=1000)
    assert index.kind == "flat"
    scores, rows = index.search(x[7], 3)
    assert rows[0] == 7 and abs(scores[0] - 1.0) < 1e-5


def test_past_threshold_an_ivf_index_keeps_recall_and_exact_scores(tmp_path: Path) -> None:
    x = _clustered(8000)
    exact = VectorIndex.build(x, 32, approximate_threshold=10**9)
    approx = VectorIndex.build(x, 32, approximate_threshold=1000)
    assert approx.kind.startswith("ivf")
    approx.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", approx.kind)
    rng = np.random.default_rng(2)
    recalls = []
    for q in x[:100] + 0.1 * rng.normal(size=(100, 32)).astype(np.float32):
        q = q / np.linalg.norm(q)
        truth = set(exact.search(q, 10)[1].tolist())
        recalls.append(len(truth & set(loaded.search(q, 10)[1].tolist())) / 10)
    assert np.mean(recalls) >= 0.98
    rows = np.array([3, 300, 7999])
    assert np.allclose(loaded.scores_for(x[0], rows), x[rows] @ x[0], atol=1e-5)
