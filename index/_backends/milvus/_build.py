"""Building the Milvus index: embed and upsert what changed, delete what is gone.

Builds are incremental: only new or changed chunks are embedded and upserted (a
chunk whose passage text is stored already reuses its vector), and chunks no longer
in the corpus are deleted. Milvus applies each upsert and delete batch on its own, so
a build that fails midway leaves the collection partially updated (marked
``building`` in the meta row; the next build finishes the job and recounts document
frequencies) rather than swapped atomically like the local backend.

:func:`build_milvus` is a sequence of named steps: the corpus (:func:`_ingest`,
:meth:`_Passages.of`), why everything is rebuilt if it is (:func:`_rebuild_reason`),
the stored rows (:func:`_previous`), what changed (:func:`_compare`), the vectors
(:func:`_vectors`), the document-frequency change (:func:`_df_change`), the rows and
terms (:func:`_write`, between the meta row marked ``building`` and the one marked
``ready``, :func:`_ready_meta`) and the report (:func:`_report`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._config import Config
from ..._embedding._embedder import Embedder
from ..._embedding._protocol import TextEncoder
from ..._errors import CorpusError, IndexStoreError
from ..._ingest import Corpus, chunk_articles, ingest
from ..._tokens import tokenize
from ..._types import Chunk
from .._guard import removal_guard
from .._passages import content_hash, embed_into, passage_text, to_embed
from .._report import BuildReport, ChangeCounts
from ._client import connect
from ._collections import (
    CHUNK_FIELDS,
    IDENTITY,
    INT_FIELDS,
    LATER_FIELDS,
    PLACEHOLDER,
    Collections,
    chunk_key,
    fit,
    generation_name,
    settings,
)

__all__ = ["build_milvus"]

logger = logging.getLogger(__name__)

_Stored = dict[int, tuple[str, str]]
"""Stored chunks by key: their content hash and row hash."""


@dataclass
class _Passages:
    """The corpus's chunks as Milvus rows see them (row i: chunk i)."""

    chunks: list[Chunk]
    texts: list[str]
    hashes: list[str]
    keys: list[int]
    rhashes: list[str]
    fields: tuple[str, ...] = CHUNK_FIELDS + LATER_FIELDS
    """The chunk fields the collection holds (an older one lacks :data:`LATER_FIELDS`)."""

    @classmethod
    def of(
        cls, chunks: list[Chunk], fields: tuple[str, ...] = CHUNK_FIELDS + LATER_FIELDS
    ) -> _Passages:
        """The passage texts, hashes and keys of ``chunks``; their keys must differ.

        ``fields``: the chunk fields the collection holds (empty: it will hold all).
        """
        texts = [passage_text(c) for c in chunks]
        hashes = [content_hash(t) for t in texts]
        keys = [chunk_key(c.chunk_id) for c in chunks]
        later = tuple(f for f in LATER_FIELDS if f in fields or not fields)
        rhashes = [_row_hash(c, h, later) for c, h in zip(chunks, hashes, strict=True)]
        if len(set(keys)) != len(keys):
            raise IndexStoreError(
                "two chunk ids share a Milvus key: run `newsqa index build --full`"
            )
        return cls(chunks, texts, hashes, keys, rhashes, CHUNK_FIELDS + later)

    def row(self, i: int, vec: Any) -> dict[str, Any]:
        return _row(
            self.chunks[i],
            self.keys[i],
            self.texts[i],
            self.hashes[i],
            self.rhashes[i],
            vec,
            self.fields,
        )


@dataclass
class _Previous:
    """What the build starts from."""

    generation: int
    """The generation being built."""
    stored: _Stored = field(default_factory=dict)
    dirty: bool = True
    """Document frequencies to be counted from scratch."""


@dataclass
class _Plan:
    """What changes: the rows to upsert and the keys to delete."""

    counts: ChangeCounts
    write: list[int]
    """Rows to upsert: new, changed, or with changed metadata."""
    removed: list[int]


def build_milvus(
    config: Config,
    *,
    full: bool = False,
    show_progress: bool = False,
    embedder: TextEncoder | None = None,
    allow_mass_removal: bool = False,
) -> BuildReport:
    """Build or incrementally update the Milvus index of ``config``.

    Only new or changed chunks are embedded and upserted; chunks gone from the corpus
    are deleted. A different model, tokenizer, analyzer, chunk size or vector index
    (or ``full``) drops the collections and rebuilds them.
    """
    started = time.perf_counter()
    corpus, chunks = _ingest(config)
    encoder: TextEncoder = embedder or Embedder(config.model)
    recorded = settings(config, encoder.identity())
    dim = int(encoder.dim)

    client, target = connect(config, create=True)
    try:
        store = Collections(client, config, target)
        meta = store.read_meta()
        reason = _rebuild_reason(meta, recorded, full)
        # a rebuild creates every field; an update adds those an older collection lacks
        passages = _Passages.of(chunks, () if reason else store.add_later_fields())
        previous = _previous(store, meta, reason, dim)
        plan = _compare(passages, previous.stored)
        if not reason:  # an update: refuse one that would empty much of the archive
            share = config.index.max_removal_share
            stored = len(previous.stored)
            removal_guard(plan.counts.removed, stored, share, allow_mass_removal, lambda: 0)
        vectors, embedded = _vectors(
            store, encoder, corpus, passages, previous, plan, show_progress
        )
        delta = Counter[str]() if previous.dirty else _df_change(store, passages, previous, plan)

        # from here on the collections change: a failure leaves them marked "building"
        store.write_meta({**(meta or {}), "settings": recorded, "state": "building"})
        _write(store, passages, previous, plan, vectors, delta)
        store.write_meta(_ready_meta(recorded, previous.generation, dim, corpus, chunks))
    finally:
        with contextlib.suppress(Exception):
            client.close()
    return _report(started, corpus, chunks, previous, plan, reason, embedded)


def _ingest(config: Config) -> tuple[Corpus, list[Chunk]]:
    """Read the corpus (logging its warnings) and chunk it; it must hold an article."""
    corpus = ingest(config.corpus.paths)
    for warning in corpus.warnings:
        logger.warning("%s", warning)
    if not corpus.articles:
        raise CorpusError("no articles found in " + ", ".join(config.corpus.paths))
    return corpus, chunk_articles(corpus.articles, config.index.max_chunk_chars)


def _rebuild_reason(meta: dict[str, Any] | None, recorded: dict[str, Any], full: bool) -> str:
    """Why the collections are rebuilt from scratch (empty: they are updated)."""
    reason = "requested with --full" if full else ""
    if meta is None:
        reason = "no previous index"
    elif not reason:
        reason = IDENTITY.stale_reason(meta.get("settings", {}), recorded)
    if reason and meta is not None:
        logger.warning("full rebuild: %s", reason)
    return reason


def _previous(store: Collections, meta: dict[str, Any] | None, reason: str, dim: int) -> _Previous:
    """Drop and recreate the collections if ``reason``; otherwise read the stored rows."""
    previous = _Previous(generation=0)
    if reason:
        store.recreate(dim)
    else:
        assert meta is not None
        previous.dirty = meta.get("state") != "ready"
        if previous.dirty:
            logger.warning("the previous build did not finish: completing it")
        previous.stored = _stored_hashes(store)
    previous.generation = int(meta.get("generation", 0)) + 1 if meta else 1
    return previous


def _compare(passages: _Passages, stored: _Stored) -> _Plan:
    """Compare the corpus's rows with the stored ones: what to upsert and delete."""
    counts = ChangeCounts()
    counts.compare(
        zip(passages.keys, passages.hashes, strict=True), {k: h for k, (h, _) in stored.items()}
    )
    hashes, rhashes = passages.hashes, passages.rhashes
    write = [i for i, key in enumerate(passages.keys) if stored.get(key) != (hashes[i], rhashes[i])]
    current = set(passages.keys)
    return _Plan(counts, write, [k for k in stored if k not in current])


def _vectors(
    store: Collections,
    encoder: TextEncoder,
    corpus: Corpus,
    passages: _Passages,
    previous: _Previous,
    plan: _Plan,
    show_progress: bool,
) -> tuple[dict[str, Any], int]:
    """The vectors of the rows to write, by hash (stored ones reused); how many embedded."""
    hashes = passages.hashes
    vectors = _stored_vectors(store, previous.stored, {hashes[i] for i in plan.write})
    todo = to_embed(hashes, vectors, plan.write)
    logger.info(
        "%d chunks from %d articles: %d to write, %d to embed, %d to delete",
        len(passages.chunks),
        len(corpus.articles),
        len(plan.write),
        len(todo),
        len(plan.removed),
    )
    embed_into(vectors, encoder, passages.texts, hashes, todo, show_progress=show_progress)
    return vectors, len(todo)


def _write(
    store: Collections,
    passages: _Passages,
    previous: _Previous,
    plan: _Plan,
    vectors: dict[str, Any],
    delta: Counter[str],
) -> None:
    """Upsert and delete the chunk rows, then update the terms (recount if dirty)."""
    rows = (passages.row(i, vectors[passages.hashes[i]]) for i in plan.write)
    store.upsert(store.chunks, rows)
    store.delete(store.chunks, plan.removed)
    if previous.dirty:
        _recount_terms(store, passages.texts)
    else:
        _apply_terms(store, delta)
    store.flush(store.chunks, store.terms)


def _ready_meta(
    recorded: dict[str, Any], generation: int, dim: int, corpus: Corpus, chunks: Sequence[Chunk]
) -> dict[str, Any]:
    """The meta row of a finished build."""
    articles = corpus.articles
    return {
        "settings": recorded,
        "state": "ready",
        "generation": generation,
        "dim": dim,
        "counts": {
            "articles": len(articles),
            "chunks": len(chunks),
            "files": len(corpus.files),
        },
        "newest_date": max((a.date for a in articles if a.date), default=""),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _report(
    started: float,
    corpus: Corpus,
    chunks: Sequence[Chunk],
    previous: _Previous,
    plan: _Plan,
    reason: str,
    embedded: int,
) -> BuildReport:
    return BuildReport(
        generation=generation_name(previous.generation),
        full=bool(reason),
        reason=reason,
        **plan.counts.fields(),
        embedded=embedded,
        articles=len(corpus.articles),
        chunks=len(chunks),
        files=len(corpus.files),
        warnings=tuple(corpus.warnings),
        duplicates_dropped=sum(f.duplicates_dropped for f in corpus.files),
        seconds=time.perf_counter() - started,
        files_read=len(corpus.files),  # Milvus reads every file each build
        files_skipped=sum(f.skipped for f in corpus.files),
        segments=1,
    )


def _row_hash(chunk: Chunk, chash: str, later: tuple[str, ...] = LATER_FIELDS) -> str:
    """A digest of everything stored for a chunk besides its vector.

    The ``later`` fields (those of :data:`LATER_FIELDS` the collection holds) count only
    when one is set, so a row stored before they existed keeps its digest unless the
    corpus now says where it was published (then it is rewritten, its vector reused).
    """
    fields = [str(getattr(chunk, name)) for name in CHUNK_FIELDS]
    extra = [str(getattr(chunk, name)) for name in later]
    if any(extra):
        fields += ["\x1e", *extra]
    return content_hash("\x1f".join([chash, *fields]))


def _row(
    chunk: Chunk,
    key: int,
    text: str,
    chash: str,
    rhash: str,
    vec: Any,
    fields: tuple[str, ...] = CHUNK_FIELDS + LATER_FIELDS,
) -> dict[str, Any]:
    row: dict[str, Any] = {"pk": key}
    for name in fields:
        value = getattr(chunk, name)
        row[name] = int(value) if name in INT_FIELDS else fit(str(value), f"{name} of chunk")
    row["content_hash"] = chash
    row["row_hash"] = rhash
    row["passage"] = fit(text, f"chunk {chunk.chunk_id}")
    row["dense"] = np.asarray(vec, dtype=np.float32).tolist()
    return row


def _term_sets(texts: Iterable[str]) -> Iterator[set[str]]:
    for text in texts:
        yield set(tokenize(text, normalized=True))


def _stored_hashes(store: Collections) -> _Stored:
    """Every stored chunk's key, with its content hash and row hash."""
    store.load()
    return {
        int(row["pk"]): (str(row["content_hash"]), str(row["row_hash"]))
        for row in store.scan(store.chunks, ["pk", "content_hash", "row_hash"])
    }


def _stored_vectors(store: Collections, old: _Stored, wanted: set[str]) -> dict[str, Any]:
    """The stored vectors of the passage texts hashed ``wanted``, by hash."""
    by_hash = {h: k for k, (h, _) in old.items()}
    reuse = {h: by_hash[h] for h in wanted if h in by_hash}
    vectors: dict[str, Any] = {}
    for row in store.get(store.chunks, list(reuse.values()), ["pk", "dense"]):
        vectors[old[int(row["pk"])][0]] = row["dense"]
    return vectors


def _df_change(
    store: Collections, passages: _Passages, previous: _Previous, plan: _Plan
) -> Counter[str]:
    """How the document frequencies change: old texts replaced or removed, new ones."""
    old, keys, hashes = previous.stored, passages.keys, passages.hashes
    delta: Counter[str] = Counter()
    new_text = [i for i in plan.write if keys[i] not in old or old[keys[i]][0] != hashes[i]]
    gone = [*plan.removed, *(keys[i] for i in new_text if keys[i] in old)]
    old_texts = [str(r["passage"]) for r in store.get(store.chunks, gone, ["passage"])]
    for terms in _term_sets(old_texts):
        delta.subtract(terms)
    for terms in _term_sets(passages.texts[i] for i in new_text):
        delta.update(terms)
    return delta


def _recount_terms(store: Collections, texts: Sequence[str]) -> None:
    """Replace the term table by document frequencies counted over ``texts``."""
    df: Counter[str] = Counter()
    for terms in _term_sets(texts):
        df.update(terms)
    stale = [int(r["pk"]) for r in store.scan(store.terms, ["pk"])]
    keep = {chunk_key(t) for t in df}
    store.delete(store.terms, [k for k in stale if k not in keep])
    store.upsert(store.terms, [_term_row(t, n) for t, n in df.items()])


def _apply_terms(store: Collections, delta: Counter[str]) -> None:
    """Add ``delta`` (positive and negative) to the stored document frequencies."""
    delta = Counter({t: n for t, n in delta.items() if n})
    if not delta:
        return
    keyed = {chunk_key(t): t for t in delta}
    current = {
        int(r["pk"]): int(r["df"]) for r in store.get(store.terms, list(keyed), ["pk", "df"])
    }
    upserts, deletes = [], []
    for key, term in keyed.items():
        value = current.get(key, 0) + delta[term]
        if value > 0:
            upserts.append(_term_row(term, value))
        elif key in current:
            deletes.append(key)
    store.upsert(store.terms, upserts)
    store.delete(store.terms, deletes)


def _term_row(term: str, df: int) -> dict[str, Any]:
    return {"pk": chunk_key(term), "term": fit(term, "term"), "df": int(df), "v": PLACEHOLDER}
