"""Opening the served index generation for search (the read side used by ``retrieval``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from index._config import Config
from index._errors import IndexMismatchError
from index._layout import BM25, FAISS, FORMAT_VERSION, META, IndexLayout
from index._lexical import TOKENIZER_ID, Bm25Index
from index._search import IndexInfo, Keys, Scores, SearchIndex
from index._store import MetaStore
from index._types import Chunk
from index._vectors import VectorIndex

__all__ = ["IndexInfo", "IndexReader", "index_status", "open_index"]

logger = logging.getLogger(__name__)


class IndexReader:
    """One generation opened for search: metadata store, FAISS and BM25 indexes."""

    def __init__(
        self,
        info: IndexInfo,
        manifest: dict[str, Any],
        store: MetaStore,
        vectors: VectorIndex,
        bm25: Bm25Index,
    ) -> None:
        self.info = info
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.bm25 = bm25

    @classmethod
    def open(cls, config: Config) -> IndexReader:
        """Open the generation currently served in ``config.index.dir``.

        Raises :class:`IndexMismatchError` when it was built with another model,
        tokenizer or format version than ``config`` asks for.
        """
        layout = IndexLayout(config.index.dir)
        gen = layout.current()
        manifest = layout.read_manifest(gen)
        _check_compatible(manifest, config)
        store = MetaStore.open(gen / META)
        vectors = VectorIndex.load(gen / FAISS, str(manifest.get("vector_index", "")))
        counts = manifest.get("counts", {})
        bm25 = Bm25Index.load(gen / BM25, int(counts.get("chunks", 0)))
        info = _info(layout, gen.name, manifest)
        logger.info("opened index %s (%d chunks)", gen.name, info.chunks)
        return cls(info, manifest, store, vectors, bm25)

    def close(self) -> None:
        self.store.close()

    # -- SearchIndex -----------------------------------------------------------------

    @property
    def size(self) -> int:
        return self.vectors.size

    def dense_search(self, query: np.ndarray, k: int) -> tuple[Keys, Scores]:
        scores, rows = self.vectors.search(query, k)
        return rows.astype(np.int64), scores.astype(np.float32)

    def dense_scores(self, query: np.ndarray, keys: Keys) -> Scores:
        return self.vectors.scores_for(query, keys)

    def lexical_search(
        self, text: str, tokens: Sequence[str], k: int, *, also: Keys
    ) -> tuple[Keys, Scores, Scores]:
        lex = self.bm25.scores(tokens)
        if not lex.size or lex.max() <= 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, dtype=np.float32), np.zeros(len(also), dtype=np.float32)
        top = min(k, int((lex > 0).sum()))
        rows = np.argpartition(-lex, top - 1)[:top].astype(np.int64)
        return rows, lex[rows], lex[also]

    def idf(self, tokens: Sequence[str]) -> list[float]:
        return self.bm25.idf(tokens)

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        return self.store.chunks(keys)


def open_index(config: Config) -> SearchIndex:
    """Open the served index of ``config``'s backend for search."""
    return IndexReader.open(config)


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
    )


def index_status(config: Config) -> IndexInfo:
    """Summary of the served index without loading it (raises if none was built)."""
    layout = IndexLayout(config.index.dir)
    gen = layout.current()
    return _info(layout, gen.name, layout.read_manifest(gen))


def _check_compatible(manifest: dict[str, Any], config: Config) -> None:
    settings = manifest.get("settings", {})
    model = settings.get("model", {})
    if settings.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index has format version {settings.get('format_version')}, this newsqa "
            f"reads {FORMAT_VERSION}: run `newsqa index build --full`"
        )
    wanted = (config.model.name, config.model.query_prefix, config.model.passage_prefix)
    found = (model.get("name"), model.get("query_prefix"), model.get("passage_prefix"))
    if wanted != found:
        raise IndexMismatchError(
            f"the index was built with model {found[0]!r} but the configuration asks for "
            f"{wanted[0]!r} (or other prefixes): run `newsqa index build --full`"
        )
    if settings.get("tokenizer") != TOKENIZER_ID:
        raise IndexMismatchError(
            "the index was built with another tokenizer: run `newsqa index build --full`"
        )
