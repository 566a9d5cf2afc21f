"""Searching the Milvus backend: :class:`MilvusIndex`, and its status without loading it.

Dense search is Milvus's vector search (HNSW, FLAT or AUTOINDEX over inner product),
lexical search its BM25 full-text search; :meth:`MilvusIndex.idf` reads the term
table newsqa keeps beside the chunks. Each open has its own client, closed by
:meth:`MilvusIndex.close`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..._config import Config
from ..._errors import IndexNotFoundError
from ..._search import IndexInfo, Keys, Scores
from ..._types import Chunk
from ._client import Target, connect, milvus_errors
from ._collections import IDENTITY, Collections, chunk_key, generation_name, quoted

__all__ = ["MilvusIndex", "milvus_status"]

logger = logging.getLogger(__name__)


def _info(target: Target, config: Config, meta: dict[str, Any]) -> IndexInfo:
    counts = meta.get("counts", {})
    settings = meta.get("settings", {})
    return IndexInfo(
        path=f"{target.shown} [{config.milvus.collection}]",
        generation=generation_name(int(meta.get("generation", 0))),
        articles=int(counts.get("articles", 0)),
        chunks=int(counts.get("chunks", 0)),
        newest_date=str(meta.get("newest_date", "")),
        built_at=str(meta.get("built_at", "")),
        model=str(settings.get("model", {}).get("name", "")),
        vector_index=str(settings.get("vector_index", "")),
        backend="milvus",
    )


def _open_meta(config: Config) -> tuple[Any, Collections, dict[str, Any]]:
    client, target = connect(config, create=False)
    try:
        store = Collections(client, config, target)
        meta = store.read_meta()
        if meta is None or "generation" not in meta:
            raise IndexNotFoundError(
                f"no index in Milvus collection {store.chunks!r} at {target.shown} yet: "
                "run `newsqa index build` first"
            )
    except BaseException:
        with contextlib.suppress(Exception):
            client.close()
        raise
    return client, store, meta


def milvus_status(config: Config) -> IndexInfo:
    """Summary of the Milvus index of ``config`` (raises if none was built)."""
    client, store, meta = _open_meta(config)
    with contextlib.suppress(Exception):
        client.close()
    return _info(store.target, config, meta)


class MilvusIndex:
    """A :class:`~newsqa.index.SearchIndex` over the Milvus collections of one newsqa index.

    Unlike a local generation it is a live view: a build running at the same time
    shows through batch by batch. ``info`` and the document count are those of the
    build finished when it was opened.
    """

    def __init__(self, client: Any, store: Collections, meta: dict[str, Any]) -> None:
        self._client = client
        self._store = store
        self._info = _info(store.target, store.config, meta)
        self._n = int(meta.get("counts", {}).get("chunks", 0))
        self._ef = max(1, store.config.milvus.search_ef)
        self._kind = str(meta.get("settings", {}).get("vector_index", "HNSW"))
        self._fields = store.chunk_fields()
        self._closed = False
        self._close_lock = threading.Lock()
        if meta.get("state") != "ready":
            logger.warning("the Milvus index is being updated (or a build failed midway)")

    @classmethod
    def open(cls, config: Config) -> MilvusIndex:
        """Connect, check the index was built with ``config``'s model, load it."""
        client, store, meta = _open_meta(config)
        try:
            IDENTITY.check(meta.get("settings", {}), config.model)
            store.load()
        except BaseException:
            with contextlib.suppress(Exception):
                client.close()
            raise
        logger.info(
            "opened Milvus index %s (%d chunks)", store.target.shown, meta["counts"]["chunks"]
        )
        return cls(client, store, meta)

    @property
    def info(self) -> IndexInfo:
        return self._info

    @property
    def size(self) -> int:
        return self._n

    def close(self) -> None:
        """Close this index's client (idempotent); each open has its own."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(Exception):
            self._client.close()

    def _search(
        self, data: list[Any], field: str, k: int, params: dict[str, Any], where: str = ""
    ) -> tuple[Keys, Scores]:
        with milvus_errors(f"searching {self._store.chunks}"):
            result = self._client.search(
                self._store.chunks,
                data=data,
                anns_field=field,
                limit=max(1, k),
                filter=where,
                search_params=params,
                output_fields=[],
                timeout=self._store.timeout,
            )
        hits = result[0] if result else []
        keys = np.fromiter((_hit_key(h) for h in hits), dtype=np.int64, count=len(hits))
        scores = np.fromiter(
            (float(h["distance"]) for h in hits), dtype=np.float32, count=len(hits)
        )
        return keys, scores

    def dense_search(self, query: npt.NDArray[np.float32], k: int) -> tuple[Keys, Scores]:
        params: dict[str, Any] = {"metric_type": "IP"}
        if self._kind == "HNSW":
            params["params"] = {"ef": max(self._ef, k)}
        return self._search([np.asarray(query, dtype=np.float32).tolist()], "dense", k, params)

    def dense_scores(self, query: npt.NDArray[np.float32], keys: Keys) -> Scores:
        rows = self._store.get(self._store.chunks, [int(k) for k in keys], ["pk", "dense"])
        by_key = {int(r["pk"]): r["dense"] for r in rows}
        q = np.asarray(query, dtype=np.float32)
        out = np.zeros(len(keys), dtype=np.float32)
        for i, key in enumerate(keys.tolist()):
            vec = by_key.get(int(key))
            if vec is not None:
                out[i] = float(np.dot(np.asarray(vec, dtype=np.float32), q))
        return out

    def lexical_search(
        self, text: str, tokens: Sequence[str], k: int, *, also: Keys
    ) -> tuple[Keys, Scores, Scores]:
        also_scores = np.zeros(len(also), dtype=np.float32)
        if not text.strip() or not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), also_scores
        params = {"metric_type": "BM25"}
        # BM25 scores are positive; milvus-lite 3.2 reports them negated (its distances
        # are "smaller is closer" inside), Milvus itself does not: abs() reads both.
        keys, scores = self._search([text], "sparse", k, params)
        scores = np.abs(scores)
        if len(also):
            wanted = ", ".join(str(int(k)) for k in also.tolist())
            a_keys, a_scores = self._search(
                [text], "sparse", len(also), params, f"pk in [{wanted}]"
            )
            got = dict(zip(a_keys.tolist(), np.abs(a_scores).tolist(), strict=True))
            for i, key in enumerate(also.tolist()):
                also_scores[i] = got.get(int(key), 0.0)
        return keys, scores, also_scores

    def idf(self, tokens: Sequence[str]) -> list[float]:
        distinct = {chunk_key(t): t for t in tokens}
        rows = self._store.get(self._store.terms, list(distinct), ["pk", "df"])
        df = {distinct[int(r["pk"])]: int(r["df"]) for r in rows if int(r["pk"]) in distinct}
        n = max(self._n, 1)
        return [
            float(np.log(1.0 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5))) for t in tokens
        ]

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        wanted = list(dict.fromkeys(int(k) for k in keys))
        rows = self._store.get(self._store.chunks, wanted, ["pk", *self._fields])
        by_key = {int(r["pk"]): r for r in rows}
        out = []
        for key in keys:
            row = by_key.get(int(key))
            if row is not None:
                out.append(_chunk(row))
        return out

    def article_chunks(self, article_id: str) -> list[Chunk]:
        where = f"article_id == {quoted(article_id)}"
        rows = self._store.query(self._store.chunks, where, ["pk", *self._fields])
        found = [_chunk(r) for r in rows]
        found.sort(key=lambda c: (c.paragraph_index, c.start, c.chunk_id))
        return found


def _hit_key(hit: Any) -> int:
    """The primary key of a search hit (pymilvus 3 names it by field, 2.x ``id``)."""
    key = hit.get("pk")
    return int(hit.get("id") if key is None else key)


def _chunk(row: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=str(row["chunk_id"]),
        article_id=str(row["article_id"]),
        title=str(row["title"]),
        section=str(row["section"]),
        paragraph_index=int(row["paragraph_index"]),
        text=str(row["text"]),
        start=int(row["start"]),
        end=int(row["end"]),
        source_path=str(row["source_path"]),
        date=str(row["date"]),
        author=str(row["author"]),
        origin=str(row.get("origin") or ""),
        page=str(row.get("page") or ""),
        url=str(row.get("url") or ""),
    )
