"""The dense side of a segment: exact search when small, IVF-SQ8 past the threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newsqa.index._backends.local._vectors import SegmentVectors, build_ann


def _clustered(n: int, dim: int = 32, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, dim))
    x: np.ndarray = centers[rng.integers(0, 40, n)] + 0.5 * rng.normal(size=(n, dim))
    out: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def test_small_segment_is_exact_and_skips_deleted_rows(tmp_path: Path) -> None:
    x = _clustered(500)
    SegmentVectors.save(tmp_path, x)
    vecs = SegmentVectors.load(tmp_path)
    assert vecs.kind == "flat"
    scores, rows = vecs.search(x[7], 3)
    assert rows[0] == 7 and abs(scores[0] - 1.0) < 1e-5
    live = np.ones(500, dtype=bool)
    live[7] = False
    _, rows = vecs.search(x[7], 3, live)
    assert 7 not in rows.tolist() and len(rows) == 3


def test_ivf_sq8_keeps_recall_exact_scores_and_deletions(tmp_path: Path) -> None:
    x = _clustered(8000)
    exact = SegmentVectors(x)
    SegmentVectors.save(tmp_path, x, build_ann(x))
    approx = SegmentVectors.load(tmp_path)
    assert approx.kind.startswith("ivf") and approx.kind.endswith("sq8")
    rng = np.random.default_rng(2)
    recalls = []
    for q in x[:100] + 0.1 * rng.normal(size=(100, 32)).astype(np.float32):
        q = q / np.linalg.norm(q)
        truth = set(exact.search(q, 10)[1].tolist())
        recalls.append(len(truth & set(approx.search(q, 10)[1].tolist())) / 10)
    assert np.mean(recalls) >= 0.98
    rows = np.array([3, 300, 7999])
    assert np.allclose(approx.scores_for(x[0], rows), x[rows] @ x[0], atol=1e-5)
    scores, _ = approx.search(x[0], 5)
    assert np.all(np.diff(scores) <= 1e-6)  # exact scores, best first
    live = np.ones(8000, dtype=bool)
    nearest = approx.search(x[0], 20)[1]
    live[nearest[:10]] = False
    after = approx.search(x[0], 10, live)[1]
    assert not set(after.tolist()) & set(nearest[:10].tolist()) and len(after) == 10
