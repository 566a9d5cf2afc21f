"""Index segments: writing one, merging several, and opening one for search.

A segment is a folder written once and never changed (see :mod:`._layout`)::

    meta.sqlite     articles and chunks (row = position in the arrays below)
    vectors.npy     float32 unit vectors, one per row
    ann.faiss       IVF-SQ8 index, only for segments past ``approximate_threshold``
    postings/       the BM25 inverted file (:class:`newsqa.index._backends.local._bm25.Postings`)
    checksums.json  size and SHA-256 of each file above (segments written since checksums)

Opening a segment checks, cheaply, that its parts agree (rows and dimension from the
headers, the store's row range): a damaged one is refused in one line, never used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..._types import Article, Chunk
from ._bm25 import Postings
from ._checksums import write_checksums
from ._layout import DELETED, META, POSTINGS, damaged
from ._store import MetaStore
from ._vectors import SegmentVectors, build_ann

__all__ = [
    "OpenSegment",
    "SegmentInfo",
    "merge_segments",
    "read_deleted",
    "segment_problems",
    "write_segment",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A segment as a manifest lists it."""

    name: str
    rows: int
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "kind": self.kind}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentInfo:
        return cls(str(data["name"]), int(data["rows"]), str(data.get("kind", "flat")))


def _ann_for(vectors: np.ndarray, threshold: int, like: Any) -> Any:
    return build_ann(vectors, like) if len(vectors) > threshold else None


def write_segment(
    folder: Path,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    hashes: Sequence[str],
    vectors: npt.NDArray[np.float32],
    tokens: Iterable[Sequence[str]],
    *,
    approximate_threshold: int,
) -> SegmentInfo:
    """Write a segment of ``chunks`` (row ``i`` is ``chunks[i]``)."""
    store = MetaStore.create(folder / META)
    try:
        store.write(
            articles, ((i, c, h) for i, (c, h) in enumerate(zip(chunks, hashes, strict=True)))
        )
        store.finish()
    finally:
        store.close()
    ann = _ann_for(vectors, approximate_threshold, None)
    SegmentVectors.save(folder, vectors, ann)
    Postings.build(tokens).save(folder / POSTINGS)
    write_checksums(folder)
    kind = SegmentVectors(vectors, ann).kind
    return SegmentInfo(folder.name, len(chunks), kind)


def merge_segments(
    folder: Path,
    parts: Sequence[tuple[Path, npt.NDArray[np.bool_]]],
    *,
    approximate_threshold: int,
) -> tuple[SegmentInfo, list[npt.NDArray[np.int64]]]:
    """Write one segment of the kept rows of ``parts`` (segment folder, keep mask).

    Returns the new segment and, per part, the new row of each old row (-1 if dropped).
    An inverted-file index is trained afresh only when no part has one of a similar
    size to reuse.
    """
    store = MetaStore.create(folder / META)
    vectors_parts = []
    postings_parts = []
    remaps = []
    like = None
    like_rows = 0
    base = 0
    try:
        for seg, keep in parts:
            kept = np.flatnonzero(keep)
            store.copy_from(seg / META, kept.tolist(), base)
            vecs = SegmentVectors.load(seg)
            vectors_parts.append(np.asarray(vecs.vectors[kept], dtype=np.float32))
            postings_parts.append((Postings.load(seg / POSTINGS), keep))
            remap = np.full(len(keep), -1, dtype=np.int64)
            remap[kept] = np.arange(base, base + len(kept))
            remaps.append(remap)
            if vecs.ann is not None and vecs.size > like_rows:
                like, like_rows = vecs.ann, vecs.size
            base += len(kept)
        store.finish()
    finally:
        store.close()
    dim = vectors_parts[0].shape[1] if vectors_parts else 0
    vectors = np.concatenate(vectors_parts) if vectors_parts else np.zeros((0, dim), np.float32)
    del vectors_parts
    if like is not None and len(vectors) > 2 * like_rows:
        like = None  # the archive doubled since that training: train for the new size
    ann = _ann_for(vectors, approximate_threshold, like)
    SegmentVectors.save(folder, vectors, ann)
    Postings.merge(postings_parts).save(folder / POSTINGS)
    write_checksums(folder)
    kind = SegmentVectors(vectors, ann).kind
    logger.info("merged %d segments into %s (%d rows, %s)", len(parts), folder.name, base, kind)
    return SegmentInfo(folder.name, base, kind), remaps


def read_deleted(gen: Path, segments: Sequence[SegmentInfo]) -> dict[str, np.ndarray]:
    """Per segment, a mask of its rows deleted in generation ``gen``.

    A deleted-rows file must be a 1-D integer array of rows of its segment; anything
    else is refused in one line (:func:`deleted_problem`).
    """
    out = {}
    for seg in segments:
        mask = np.zeros(seg.rows, dtype=bool)
        path = gen / DELETED / f"{seg.name}.npy"
        if path.is_file():
            rows, problem = _load_deleted(path, seg.rows)
            if problem:
                raise damaged(gen.parent.parent, f"generation {gen.name}: {problem}")
            mask[rows] = True
        out[seg.name] = mask
    return out


def _load_deleted(path: Path, rows: int) -> tuple[np.ndarray, str]:
    """The rows of a deleted-rows file, or what is wrong with it."""
    name = f"{DELETED}/{path.name}"
    try:
        found = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        return _NO_ROWS, f"{name} is not a plain array of rows ({str(exc).splitlines()[0]})"
    if not isinstance(found, np.ndarray) or found.ndim != 1 or found.dtype.kind not in "iu":
        kind = getattr(found, "dtype", type(found).__name__)
        return _NO_ROWS, f"{name} holds {kind}, not a list of row numbers"
    if len(found) and (int(found.min()) < 0 or int(found.max()) >= rows):
        return _NO_ROWS, f"{name} names rows outside its segment of {rows} rows"
    return found.astype(np.int64), ""


_NO_ROWS = np.zeros(0, dtype=np.int64)


def segment_problems(
    segment: OpenSegment | None, info: SegmentInfo, folder: Path, dim: int | None
) -> list[str]:
    """What the headers of a segment's parts show wrong (cheap: no array is read).

    ``segment`` is the opened segment, or None to open its parts here (closed after).
    """
    if segment is not None:
        return _problems(segment.store, segment.vectors, segment.postings, info, dim)
    store = MetaStore.open(folder / META)
    try:
        vectors = SegmentVectors.load(folder)
        postings = Postings.load(folder / POSTINGS)
        return _problems(store, vectors, postings, info, dim)
    finally:
        store.close()


def _problems(
    store: MetaStore,
    vectors: SegmentVectors,
    postings: Postings,
    info: SegmentInfo,
    dim: int | None,
) -> list[str]:
    out = vectors.problems(info.rows, dim)
    out += postings.problems(info.rows)
    lo, hi = store.row_range()
    if (lo, hi) != (0, info.rows - 1):
        out.append(f"{META} holds rows {lo}..{hi}, the segment 0..{info.rows - 1}")
    return out


class OpenSegment:
    """A segment opened for search: its store, vectors and postings (immutable).

    Readers of successive generations share an open segment; each holds one
    reference (:meth:`acquire`, :meth:`release`) and the last release closes it.
    """

    def __init__(self, info: SegmentInfo, folder: Path, dim: int | None = None) -> None:
        self.info = info
        self.folder = folder
        self.store = MetaStore.open(folder / META)
        try:
            self.vectors = SegmentVectors.load(folder)
            self.postings = Postings.load(folder / POSTINGS)
            problems = segment_problems(self, info, folder, dim)
            if problems:
                raise damaged(folder.parent.parent, f"segment {info.name}: {problems[0]}")
        except Exception:
            self.store.close()
            raise
        self._refs = 1  # the reader that opened it
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        """Take one more reference; False if the segment was closed already."""
        with self._lock:
            if self._refs <= 0:
                return False
            self._refs += 1
            return True

    def release(self) -> None:
        """Drop one reference; the last one closes the segment."""
        with self._lock:
            if self._refs <= 0:
                return
            self._refs -= 1
            last = self._refs == 0
        if last:
            self.store.close()

    @property
    def closed(self) -> bool:
        return self._refs <= 0
