"""The dense side of the index: FAISS inner-product search over L2-normalised vectors.

Exact search (``IndexFlatIP``) while the index is small; past a configurable number
of vectors an HNSW graph is built instead, trading a little recall for speed. Scores
are cosine similarities (higher is better).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from index._errors import IndexError_

__all__ = ["VectorIndex"]

logger = logging.getLogger(__name__)

_HNSW_M = 32
_HNSW_EF_CONSTRUCTION = 80
_HNSW_EF_SEARCH = 128


class VectorIndex:
    """A FAISS index whose row ``i`` is chunk row ``i`` of the store."""

    def __init__(self, index: Any, kind: str) -> None:
        self._index = index
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, dim: int, approximate_threshold: int) -> VectorIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        index: Any
        if len(vectors) > approximate_threshold:
            index = faiss.IndexHNSWFlat(dim, _HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = _HNSW_EF_SEARCH
            kind = f"hnsw{_HNSW_M}"
            logger.info("%d vectors: building an approximate HNSW index", len(vectors))
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        index.add(vectors)
        return cls(index, kind)

    def save(self, path: Path) -> None:
        import faiss

        try:
            faiss.write_index(self._index, str(path))
        except RuntimeError as exc:
            raise IndexError_(f"cannot write the vector index {path}: {exc}") from exc

    @classmethod
    def load(cls, path: Path, kind: str) -> VectorIndex:
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexError_(f"cannot read the vector index {path}: {exc}") from exc
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = _HNSW_EF_SEARCH
        return cls(index, kind)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)`` of the ``k`` nearest rows, best first; rows -1 are padding."""
        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        scores, rows = self._index.search(q, min(k, self.size))
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the vectors at ``rows``."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        stored = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return np.asarray(
            stored @ np.asarray(query, dtype=np.float32).reshape(-1), dtype=np.float32
        )
