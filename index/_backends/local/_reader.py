"""Searching the local backend: :class:`IndexReader`, and its status without loading it.

:class:`IndexReader` is the served generation of a local index folder: its segments
(each a metadata store, vectors and BM25 postings) with the rows each has deleted,
behind the :class:`~newsqa.index._search.SearchIndex` protocol. A key is a row of the
concatenated segments, valid for the life of the reader.

Segments are immutable, so a reader opened after an update reuses the segments it
already had open (:meth:`IndexReader.open` with ``previous``): a reload after adding
a page opens one small segment, not the whole archive again. Each reader holds a
reference on its segments: closing it (idempotent) closes only the segments no other
open reader shares, so the previous reader can be closed right after a reload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._config import Config
from ..._search import IndexInfo, Keys, Scores
from ..._types import Chunk
from ._bm25 import Bm25
from ._layout import IndexLayout, damaged
from ._segment import OpenSegment, SegmentInfo, read_deleted
from ._settings import IDENTITY

__all__ = ["IndexReader", "local_status"]

logger = logging.getLogger(__name__)


class IndexReader:
    """The served generation of a local index, opened for search (thread-safe)."""

    def __init__(
        self,
        info: IndexInfo,
        manifest: dict[str, Any],
        segments: list[OpenSegment],
        live: list[np.ndarray | None],
    ) -> None:
        self._info = info
        self.manifest = manifest
        self.segments = segments
        self._live = live
        self._offsets = np.zeros(len(segments) + 1, dtype=np.int64)
        np.cumsum([s.vectors.size for s in segments], out=self._offsets[1:])
        self._bm25 = Bm25([(s.postings, m) for s, m in zip(segments, live, strict=True)])
        self._size = sum(
            s.vectors.size if m is None else int(m.sum())
            for s, m in zip(segments, live, strict=True)
        )
        self._closed = False
        self._close_lock = threading.Lock()

    @classmethod
    def open(cls, config: Config, *, previous: IndexReader | None = None) -> IndexReader:
        """Open the generation currently served in ``config.index.dir``.

        Raises :class:`IndexMismatchError` when it was built with another model,
        tokenizer or format version than ``config`` asks for, and a one-line
        :class:`IndexStoreError` when a cheap check finds it damaged (``CURRENT``, the
        manifest's schema, headers of vectors and postings against the manifest, the
        deleted rows). Segments already open in ``previous`` are shared rather than
        opened again.
        """
        layout = IndexLayout(config.index.dir)
        gen = layout.current()
        manifest = layout.read_manifest(gen)
        IDENTITY.check(manifest.get("settings", {}), config.model)
        infos = [SegmentInfo.from_json(s) for s in manifest.get("segments", [])]
        dim = manifest.get("dim")
        shared = {s.info.name: s for s in previous.segments} if previous is not None else {}
        opened: list[OpenSegment] = []
        try:
            for seg in infos:
                reused = shared.get(seg.name)
                if reused is not None and reused.acquire():
                    opened.append(reused)
                else:
                    opened.append(OpenSegment(seg, layout.segments / seg.name, dim))
            deleted = read_deleted(gen, infos)
            counted = manifest.get("counts", {}).get("chunks")
            alive = sum(s.rows - int(deleted[s.name].sum()) for s in infos)
            if counted is not None and counted != alive:
                raise damaged(
                    layout.root,
                    f"generation {gen.name}: {alive} rows are live, the manifest counts {counted}",
                )
        except Exception:
            for seg_open in opened:
                seg_open.release()
            raise
        live = [None if not deleted[s.name].any() else ~deleted[s.name] for s in infos]
        info = _info(layout, gen.name, manifest)
        logger.info("opened index %s (%d chunks, %d segments)", gen.name, info.chunks, len(infos))
        return cls(info, manifest, opened, live)

    def close(self) -> None:
        """Release the segments; those another open reader shares stay open (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        for seg in self.segments:
            seg.release()

    def keys(self) -> Keys:
        """Every live key, ascending."""
        parts = [
            np.arange(s.vectors.size, dtype=np.int64) + self._offsets[i]
            if m is None
            else np.flatnonzero(m).astype(np.int64) + self._offsets[i]
            for i, (s, m) in enumerate(zip(self.segments, self._live, strict=True))
        ]
        return np.concatenate(parts) if parts else _NO_KEYS

    # -- SearchIndex -----------------------------------------------------------------

    @property
    def info(self) -> IndexInfo:
        return self._info

    @property
    def size(self) -> int:
        return self._size

    def _split(self, keys: Sequence[int] | np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """``(segment, positions in keys, local rows)`` for each segment ``keys`` touch."""
        keys = np.asarray(keys, dtype=np.int64)
        which = np.searchsorted(self._offsets, keys, side="right") - 1
        out = []
        for seg in np.unique(which).tolist():
            if 0 <= seg < len(self.segments):
                at = np.flatnonzero(which == seg)
                out.append((seg, at, keys[at] - self._offsets[seg]))
        return out

    def dense_search(self, query: np.ndarray, k: int) -> tuple[Keys, Scores]:
        all_scores, all_keys = [], []
        for i, (seg, live) in enumerate(zip(self.segments, self._live, strict=True)):
            scores, rows = seg.vectors.search(query, k, live)
            all_scores.append(scores)
            all_keys.append(rows + self._offsets[i])
        return _top(
            np.concatenate(all_keys or [_NO_KEYS]), np.concatenate(all_scores or [_NO_SCORES]), k
        )

    def dense_scores(self, query: np.ndarray, keys: Keys) -> Scores:
        out = np.zeros(len(keys), dtype=np.float32)
        for seg, at, rows in self._split(keys):
            out[at] = self.segments[seg].vectors.scores_for(query, rows)
        return out

    def lexical_search(
        self, text: str, tokens: Sequence[str], k: int, *, also: Keys
    ) -> tuple[Keys, Scores, Scores]:
        per_segment, tops = self._bm25.search(tokens, k)
        all_keys, all_scores = [], []
        for i, (scores, rows) in enumerate(zip(per_segment, tops, strict=True)):
            if not len(rows):
                continue
            all_keys.append(rows.astype(np.int64) + self._offsets[i])
            all_scores.append(scores[rows])
        keys, scores = _top(
            np.concatenate(all_keys or [_NO_KEYS]), np.concatenate(all_scores or [_NO_SCORES]), k
        )
        of_also = np.zeros(len(also), dtype=np.float32)
        for seg, at, rows in self._split(also):
            of_also[at] = per_segment[seg][rows]
        return keys, scores, of_also

    def idf(self, tokens: Sequence[str]) -> list[float]:
        return self._bm25.idf(tokens)

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        found: dict[int, Chunk] = {}
        keys_list = [int(k) for k in keys]
        for seg, at, rows in self._split(keys_list):
            by_row = self.segments[seg].store.chunks_by_row(rows.tolist())
            for pos, row in zip(at.tolist(), rows.tolist(), strict=True):
                if row in by_row:
                    found[keys_list[pos]] = by_row[row]
        return [found[k] for k in keys_list if k in found]

    def article_chunks(self, article_id: str) -> list[Chunk]:
        # An article's chunks are rows of one segment (a file's rows are contiguous);
        # after an edit the old rows are deleted, so only live rows count.
        out: list[tuple[tuple[int, int, int], Chunk]] = []
        for i, (seg, live) in enumerate(zip(self.segments, self._live, strict=True)):
            rows = seg.store.article_rows(article_id)
            if live is not None:
                rows = [r for r in rows if r < len(live) and live[r]]
            if not rows:
                continue
            by_row = seg.store.chunks_by_row(rows)
            out.extend(((c.paragraph_index, c.start, i), c) for r in rows if (c := by_row.get(r)))
        out.sort(key=lambda pair: pair[0])
        return [c for _, c in out]


_NO_KEYS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float32)


def _top(keys: np.ndarray, scores: np.ndarray, k: int) -> tuple[Keys, Scores]:
    order = np.lexsort((keys, -scores))[:k]
    return keys[order].astype(np.int64), scores[order].astype(np.float32)


def _info(layout: IndexLayout, generation: str, manifest: dict[str, Any]) -> IndexInfo:
    counts = manifest.get("counts", {})
    model = manifest.get("settings", {}).get("model", {})
    return IndexInfo(
        path=str(layout.root),
        generation=generation,
        articles=int(counts.get("articles", 0)),
        chunks=int(counts.get("chunks", 0)),
        newest_date=str(manifest.get("newest_date", "")),
        built_at=str(manifest.get("built_at", "")),
        model=str(model.get("name", "")),
        vector_index=str(manifest.get("vector_index", "")),
        backend="local",
        segments=len(manifest.get("segments", [])),
        files_unreadable=int(manifest.get("counts", {}).get("files_unreadable", 0)),
    )


def local_status(config: Config) -> IndexInfo:
    """Summary of the served local index without loading it (raises if none was built)."""
    layout = IndexLayout(config.index.dir)
    gen = layout.current()
    return _info(layout, gen.name, layout.read_manifest(gen))
