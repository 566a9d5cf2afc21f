"""Building the index: ingest, chunk, embed what is new, write a generation, swap it in.

Builds are incremental: a chunk whose embedded text is unchanged since the served
generation reuses its vector and BM25 tokens, so only new or changed chunks are
embedded. A different model, tokenizer, chunk size or format version forces a full
rebuild, reported in one line. See :mod:`index._layout` for the atomic swap.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from index._config import Config
from index._embed import Embedder
from index._errors import CorpusError
from index._ingest import chunk_articles, ingest
from index._layout import BM25, FAISS, FORMAT_VERSION, META, VECTORS, IndexLayout
from index._lexical import TOKENIZER_ID, Bm25Index, tokenize
from index._store import ChunkRecord, MetaStore
from index._text import normalize
from index._types import Chunk
from index._vectors import VectorIndex

__all__ = ["BuildReport", "build_index", "passage_text"]

logger = logging.getLogger(__name__)

_FAULT_ENV = "NEWSQA_TEST_KILL_AT"
"""Test hook: SIGKILL the build at a named stage (proves the swap is atomic)."""


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did. Counts are chunks compared with the previously served index."""

    generation: str
    full: bool
    reason: str
    added: int
    changed: int
    removed: int
    unchanged: int
    embedded: int
    articles: int
    chunks: int
    files: int
    warnings: tuple[str, ...]
    duplicates_dropped: int
    seconds: float


def passage_text(chunk: Chunk) -> str:
    """What represents a chunk for matching: its normalised title and text."""
    return normalize(chunk.title) + "\n" + normalize(chunk.text)


def _content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _fault(stage: str) -> None:
    if os.environ.get(_FAULT_ENV) == stage:
        logger.warning("test hook: killing the build at stage %r", stage)
        os.kill(os.getpid(), signal.SIGKILL)


def _settings(config: Config, model: dict[str, Any]) -> dict[str, Any]:
    """Everything that, when it changes, makes the stored vectors or tokens stale."""
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "tokenizer": TOKENIZER_ID,
        "max_chunk_chars": config.index.max_chunk_chars,
    }


def build_index(
    config: Config,
    *,
    full: bool = False,
    show_progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build or incrementally update the index in ``config.index.dir``.

    Raises :class:`~index.CorpusError` when the corpus holds no article, and
    :class:`~index.IndexError_` when the folder cannot be written; in both cases the
    previously served index is untouched.
    """
    started = time.perf_counter()
    layout = IndexLayout(config.index.dir)
    with layout.lock():
        layout.prune(keep_previous=config.index.keep_generations)
        corpus = ingest(config.corpus.paths)
        for warning in corpus.warnings:
            logger.warning("%s", warning)
        articles = corpus.articles
        if not articles:
            raise CorpusError("no articles found in " + ", ".join(config.corpus.paths))
        chunks = chunk_articles(articles, config.index.max_chunk_chars)
        embedder = embedder or Embedder(config.model)
        settings = _settings(config, embedder.identity())

        old_by_id: dict[str, ChunkRecord] = {}
        old_vectors: dict[str, np.ndarray] = {}
        old_tokens: dict[str, tuple[str, ...]] = {}
        reason = "requested with --full" if full else ""
        prev = layout.current_or_none()
        if prev is not None and not full:
            manifest = layout.read_manifest(prev)
            reason = _stale_reason(manifest.get("settings", {}), settings)
            if not reason:
                store = MetaStore.open(prev / META)
                try:
                    vectors = np.load(prev / VECTORS, mmap_mode="r")
                    for rec in store.records():
                        old_by_id[rec.chunk.chunk_id] = rec
                        old_vectors[rec.content_hash] = vectors[rec.row]
                        old_tokens[rec.content_hash] = rec.tokens
                finally:
                    store.close()
        elif prev is None:
            reason = "no previous index"
        if reason and prev is not None:
            logger.warning("full rebuild: %s", reason)

        texts = [passage_text(c) for c in chunks]
        hashes = [_content_hash(t) for t in texts]
        added = changed = unchanged = 0
        for chunk, h in zip(chunks, hashes, strict=True):
            old = old_by_id.get(chunk.chunk_id)
            if old is None:
                added += 1
            elif old.content_hash != h:
                changed += 1
            else:
                unchanged += 1
        current_ids = {c.chunk_id for c in chunks}
        removed = sum(1 for cid in old_by_id if cid not in current_ids)

        todo: list[int] = []  # first chunk of each text not embedded before
        seen = set(old_vectors)
        for i, h in enumerate(hashes):
            if h not in seen:
                seen.add(h)
                todo.append(i)
        logger.info(
            "%d chunks from %d articles: %d to embed", len(chunks), len(articles), len(todo)
        )
        fresh = embedder.encode_passages([texts[i] for i in todo], show_progress=show_progress)
        fresh_by_hash = {hashes[i]: fresh[j] for j, i in enumerate(todo)}
        _fault("embedded")

        dim = int(embedder.dim)
        matrix = np.zeros((len(chunks), dim), dtype=np.float32)
        records: list[ChunkRecord] = []
        iterator: Sequence[int] | Any = range(len(chunks))
        if show_progress:
            iterator = tqdm(iterator, desc="indexing", unit="chunk")
        for row in iterator:
            h = hashes[row]
            matrix[row] = fresh_by_hash[h] if h in fresh_by_hash else old_vectors[h]
            toks = old_tokens.get(h)
            if toks is None:
                toks = tuple(tokenize(texts[row], normalized=True))
                old_tokens[h] = toks
            records.append(ChunkRecord(row=row, chunk=chunks[row], content_hash=h, tokens=toks))

        gen = layout.new_generation()
        store = MetaStore.create(gen / META)
        try:
            store.write(articles, records)
        finally:
            store.close()
        np.save(gen / VECTORS, matrix)
        vindex = VectorIndex.build(matrix, dim, config.index.approximate_threshold)
        vindex.save(gen / FAISS)
        (gen / BM25).mkdir()
        Bm25Index.build([r.tokens for r in records]).save(gen / BM25)
        _fault("written")

        n_articles = len(articles)
        newest = max((a.date for a in articles if a.date), default="")
        layout.write_manifest(
            gen,
            {
                "settings": settings,
                "vector_index": vindex.kind,
                "dim": dim,
                "counts": {
                    "articles": n_articles,
                    "chunks": len(chunks),
                    "files": len(corpus.files),
                },
                "newest_date": newest,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        _fault("manifest")
        layout.publish(gen, keep=config.index.keep_generations)
        _fault("published")

    return BuildReport(
        generation=gen.name,
        full=bool(reason),
        reason=reason,
        added=added,
        changed=changed,
        removed=removed,
        unchanged=unchanged,
        embedded=len(todo),
        articles=n_articles,
        chunks=len(chunks),
        files=len(corpus.files),
        warnings=tuple(corpus.warnings),
        duplicates_dropped=sum(f.duplicates_dropped for f in corpus.files),
        seconds=time.perf_counter() - started,
    )


def _stale_reason(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("format_version") != new["format_version"]:
        return f"index format version {old.get('format_version')} -> {new['format_version']}"
    if old.get("model") != new["model"]:
        old_name = (old.get("model") or {}).get("name", "?")
        return f"embedding model changed ({old_name} -> {new['model'].get('name')})"
    for key in ("tokenizer", "max_chunk_chars"):
        if old.get(key) != new[key]:
            return f"{key} changed ({old.get(key)} -> {new[key]})"
    return ""
