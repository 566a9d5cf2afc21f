"""BM25 over per-segment postings: the local backend's lexical index.

Each index segment keeps an inverted file of its own (:class:`Postings`): terms as
sorted 64-bit hashes, and per term the rows holding it with their term frequency,
plus every row's length. Nothing global is baked in, so a segment never changes once
written: :class:`Bm25` scores a question over all segments with collection-wide
statistics (live rows, average length, document frequency) computed at query time,
with deleted rows masked out. The formula is Lucene's BM25 (k1 = 1.2, b = 0.75,
``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``), as bm25s computes it. The arrays are
memory-mapped, so a large archive costs page cache rather than process memory.
Tokens come from :func:`newsqa.index._tokens.tokenize`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..._errors import IndexStoreError

__all__ = ["Bm25", "Postings", "term_hash"]

logger = logging.getLogger(__name__)

K1 = 1.2
B = 0.75

_FILES = ("terms.npy", "indptr.npy", "rows.npy", "tfs.npy", "lengths.npy")


@functools.lru_cache(maxsize=1 << 18)
def term_hash(term: str) -> int:
    """The 64-bit key a term is stored under (collisions are negligible at 2**64)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


class Postings:
    """The inverted file of one segment: for each term, the rows holding it and how often.

    ``terms`` (sorted uint64 hashes), ``indptr`` (term i's entries are
    ``indptr[i]:indptr[i+1]``), ``rows`` (int32, ascending within a term), ``tfs``
    (uint16 term frequencies) and ``lengths`` (int32 tokens per row).
    """

    def __init__(
        self,
        terms: npt.NDArray[np.uint64],
        indptr: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int32],
        tfs: npt.NDArray[np.uint16],
        lengths: npt.NDArray[np.int32],
    ) -> None:
        self.terms = terms
        self.indptr = indptr
        self.rows = rows
        self.tfs = tfs
        self.lengths = lengths
        self.folder: Path | None = None
        """The folder it was loaded from (named in errors)."""

    @property
    def n_rows(self) -> int:
        return len(self.lengths)

    def problems(self, rows: int, *, deep: bool = False) -> list[str]:
        """What is inconsistent in these postings of a segment of ``rows`` rows.

        Cheap by default (dtypes, shapes, the last offset); ``deep`` also reads every
        row id and offset.
        """
        want = (np.uint64, np.int64, np.int32, np.uint16, np.int32)
        for name, array, dtype in zip(_FILES, self._arrays(), want, strict=True):
            if array.dtype != dtype or array.ndim != 1:
                return [f"postings/{name} holds {array.dtype} of {array.ndim} dimensions"]
        if len(self.lengths) != rows:
            return [f"postings/lengths.npy has {len(self.lengths)} rows, the segment {rows}"]
        if len(self.indptr) != len(self.terms) + 1 or len(self.tfs) != len(self.rows):
            return ["postings/ arrays have inconsistent lengths"]
        if int(self.indptr[0]) != 0 or int(self.indptr[-1]) != len(self.rows):
            return ["postings/indptr.npy does not span postings/rows.npy"]
        if deep:
            if len(self.rows) and (int(self.rows.min()) < 0 or int(self.rows.max()) >= rows):
                return ["postings/rows.npy points past the segment's rows"]
            if len(self.indptr) > 1 and bool((np.diff(self.indptr) < 0).any()):
                return ["postings/indptr.npy is not ascending"]
            if bool((np.asarray(self.lengths) < 0).any()):
                return ["postings/lengths.npy holds negative lengths"]
        return []

    def checked_rows(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` of one term, refused when they point outside the segment."""
        if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= self.n_rows):
            from ._layout import damaged

            folder = self.folder
            root = folder.parent.parent.parent if folder is not None else Path(".")
            name = folder.parent.name if folder is not None else "?"
            raise damaged(root, f"segment {name}: postings/rows.npy points past the rows")
        return rows

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]]) -> Postings:
        """Postings of tokenised rows (row ``i`` is the ``i``-th token list)."""
        vocab: dict[str, int] = {}
        id_parts: list[np.ndarray] = []
        lengths: list[int] = []
        batch: list[int] = []
        for doc in docs:
            lengths.append(len(doc))
            batch.extend(vocab.setdefault(t, len(vocab)) for t in doc)
            if len(batch) >= 1 << 20:  # compact as we go: a Python int list costs 8x
                id_parts.append(np.asarray(batch, dtype=np.int32))
                batch = []
        id_parts.append(np.asarray(batch, dtype=np.int32))
        n = len(lengths)
        ids = np.concatenate(id_parts)
        del id_parts, batch
        if not len(ids):
            return cls.empty(n)
        hashes = np.fromiter((term_hash(t) for t in vocab), dtype=np.uint64, count=len(vocab))
        order = np.argsort(hashes, kind="stable")
        rank = np.empty(len(vocab), dtype=np.int64)
        rank[order] = np.arange(len(vocab))
        keys = rank[ids] * n
        del ids
        keys += np.repeat(np.arange(n, dtype=np.int64), np.asarray(lengths, dtype=np.int64))
        keys, tfs = np.unique(keys, return_counts=True)
        return cls._from_pairs(hashes[order], keys // n, keys % n, tfs, np.asarray(lengths))

    @classmethod
    def _from_pairs(
        cls,
        terms: np.ndarray,
        term_index: np.ndarray,
        rows: np.ndarray,
        tfs: np.ndarray,
        lengths: np.ndarray,
    ) -> Postings:
        """From (term index, row, tf) triples sorted by term then row."""
        counts = np.bincount(term_index, minlength=len(terms))
        used = counts > 0
        indptr = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[used], out=indptr[1:])
        return cls(
            np.ascontiguousarray(terms[used], dtype=np.uint64),
            indptr,
            rows.astype(np.int32),
            np.minimum(tfs, np.iinfo(np.uint16).max).astype(np.uint16),
            lengths.astype(np.int32),
        )

    @classmethod
    def empty(cls, n_rows: int = 0) -> Postings:
        return cls(
            np.zeros(0, dtype=np.uint64),
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.uint16),
            np.zeros(n_rows, dtype=np.int32),
        )

    @classmethod
    def merge(cls, parts: Sequence[tuple[Postings, npt.NDArray[np.bool_]]]) -> Postings:
        """One inverted file of the kept rows of several, renumbered in order.

        ``parts`` pairs each segment's postings with a mask of its rows to keep.
        """
        all_terms, all_rows, all_tfs, all_lengths = [], [], [], []
        base = 0
        for postings, keep in parts:
            new_row = np.cumsum(keep) - 1 + base
            term_of = np.repeat(np.arange(len(postings.terms)), np.diff(postings.indptr))
            rows = np.asarray(postings.rows)
            alive = keep[rows]
            all_terms.append(np.asarray(postings.terms)[term_of[alive]])
            all_rows.append(new_row[rows[alive]])
            all_tfs.append(np.asarray(postings.tfs)[alive])
            all_lengths.append(np.asarray(postings.lengths)[keep])
            base += int(keep.sum())
        lengths = np.concatenate(all_lengths) if all_lengths else np.zeros(0, np.int32)
        if not all_terms or not sum(len(t) for t in all_terms):
            return cls.empty(len(lengths))
        term_hashes = np.concatenate(all_terms)
        rows = np.concatenate(all_rows)
        tfs = np.concatenate(all_tfs)
        order = np.lexsort((rows, term_hashes))
        term_hashes, rows, tfs = term_hashes[order], rows[order], tfs[order]
        terms, term_index = np.unique(term_hashes, return_inverse=True)
        return cls._from_pairs(terms, term_index.reshape(-1), rows, tfs, lengths)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in the order of their files (:data:`_FILES`)."""
        return (self.terms, self.indptr, self.rows, self.tfs, self.lengths)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(_FILES, self._arrays(), strict=True):
            np.save(folder / name, array)

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-mapped postings of a segment."""
        try:
            arrays = [np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in _FILES]
        except (OSError, ValueError) as exc:
            raise IndexStoreError(f"cannot read the BM25 postings in {folder}: {exc}") from exc
        postings = cls(*arrays)
        postings.folder = folder
        return postings

    def lookup(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """Term index of each hash, -1 where this segment lacks the term."""
        if not len(self.terms):
            return np.full(len(hashes), -1, dtype=np.int64)
        at = np.searchsorted(self.terms, hashes)
        at = np.minimum(at, len(self.terms) - 1)
        return np.where(self.terms[at] == hashes, at, -1).astype(np.int64)


class Bm25:
    """BM25 over several segments' postings, restricted to their live rows."""

    def __init__(self, parts: Sequence[tuple[Postings, npt.NDArray[np.bool_] | None]]) -> None:
        self._parts = list(parts)
        live_rows = 0
        live_length = 0
        for postings, live in parts:
            lengths = np.asarray(postings.lengths)
            if live is None:
                live_rows += len(lengths)
                live_length += int(lengths.sum(dtype=np.int64))
            else:
                live_rows += int(live.sum())
                live_length += int(lengths[live].sum(dtype=np.int64))
        self.n_docs = live_rows
        self._avg_length = live_length / live_rows if live_rows else 1.0
        # BM25's length normalisation of every row, once (4 bytes a row)
        self._norms = [
            (K1 * (1 - B + B * np.asarray(p.lengths, dtype=np.float32) / self._avg_length)).astype(
                np.float32
            )
            for p, _ in self._parts
        ]

    def _hashes(self, tokens: Sequence[str]) -> npt.NDArray[np.uint64]:
        return np.fromiter((term_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))

    def _postings_of(
        self, hashes: npt.NDArray[np.uint64]
    ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """Per segment, per query term: the (rows, tfs) holding it (live rows only)."""
        out = []
        for postings, live in self._parts:
            found = postings.lookup(hashes)
            per_term = []
            for t in found.tolist():
                if t < 0:
                    per_term.append((np.zeros(0, np.int32), np.zeros(0, np.uint16)))
                    continue
                lo, hi = int(postings.indptr[t]), int(postings.indptr[t + 1])
                rows = postings.checked_rows(np.asarray(postings.rows[lo:hi]))
                tfs = np.asarray(postings.tfs[lo:hi])
                if live is not None:
                    keep = live[rows]
                    rows, tfs = rows[keep], tfs[keep]
                per_term.append((rows, tfs))
            out.append(per_term)
        return out

    def _idf(self, dfs: np.ndarray) -> np.ndarray:
        n = max(self.n_docs, 1)
        return np.log(1.0 + (n - dfs + 0.5) / (dfs + 0.5))

    def idf(self, tokens: Sequence[str]) -> list[float]:
        """Inverse document frequency of each token over the live rows."""
        if not tokens:
            return []
        hits = self._postings_of(self._hashes(tokens))
        dfs = np.zeros(len(tokens), dtype=np.float64)
        for per_term in hits:
            dfs += [len(rows) for rows, _ in per_term]
        return [float(x) for x in self._idf(dfs)]

    def scores(self, tokens: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        """Per segment, the BM25 score of every row (0 for deleted rows and non-matches).

        A token repeated in the question counts once per occurrence, as in bm25s.
        """
        return self.search(tokens, 0)[0]

    def search(
        self, tokens: Sequence[str], k: int
    ) -> tuple[list[npt.NDArray[np.float32]], list[npt.NDArray[np.int64]]]:
        """Per segment: every row's score, and the rows of its ``k`` best (unordered).

        The best rows are found without sorting a million scores: the rows of the
        rarest terms give a lower bound of the k-th best score, and only rows at or
        above it are compared.
        """
        out = [np.zeros(p.n_rows, dtype=np.float32) for p, _ in self._parts]
        tops = [np.zeros(0, dtype=np.int64) for _ in self._parts]
        if not tokens or not self.n_docs:
            return out, tops
        hits = self._postings_of(self._hashes(tokens))
        dfs = np.zeros(len(tokens), dtype=np.float64)
        for per_term in hits:
            dfs += [len(rows) for rows, _ in per_term]
        idf = self._idf(dfs)
        for norms, per_term, scores in zip(self._norms, hits, out, strict=True):
            for (rows, tfs), weight in zip(per_term, idf.astype(np.float32), strict=True):
                if not len(rows):
                    continue
                tf = tfs.astype(np.float32)
                part = tf * weight
                part /= tf + norms[rows]
                scores[rows] += part  # rows are distinct within a term
        if k > 0:
            tops = [
                _top_rows(scores, per_term, k) for scores, per_term in zip(out, hits, strict=True)
            ]
        return out, tops


def _top_rows(
    scores: npt.NDArray[np.float32], per_term: list[tuple[np.ndarray, np.ndarray]], k: int
) -> npt.NDArray[np.int64]:
    """Rows of the ``k`` highest positive ``scores`` (fewer if fewer match), unordered."""
    seed: list[np.ndarray] = []
    count = 0
    for rows, _ in sorted(per_term, key=lambda rt: len(rt[0])):
        if len(rows):
            seed.append(rows)
            count += len(rows)
            if count >= 4 * k:
                break
    if not seed:
        return np.zeros(0, dtype=np.int64)
    seeded = np.unique(np.concatenate(seed))
    if len(seeded) >= k:  # the k-th best seed score bounds the k-th best score from below
        floor = np.partition(scores[seeded], len(seeded) - k)[len(seeded) - k]
        candidates = np.flatnonzero(scores >= floor)
    else:
        candidates = np.flatnonzero(scores)
    if len(candidates) > k:
        candidates = candidates[np.argpartition(scores[candidates], len(candidates) - k)[-k:]]
    return candidates.astype(np.int64)
