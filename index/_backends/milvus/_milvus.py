"""The Milvus backend: chunks, vectors and the lexical index kept in Milvus collections.

Chosen with ``index.backend = "milvus"``; ``[milvus] uri`` says where: empty (a
milvus-lite file ``<index.dir>/milvus.db``, embedded in the process), a ``.db`` path,
or the URL of a Milvus server or cluster (token from ``NEWSQA_MILVUS_TOKEN`` only).

Three collections:

* ``<collection>``: one row per chunk, keyed by a stable int64 derived from its
  ``chunk_id``: the chunk's fields, the hash of its passage text, its dense vector
  (inner product = cosine, vectors are unit length) and the passage text analysed by
  Milvus itself (jieba tokenizer with newsqa's stopwords and punctuation as a stop
  filter) into a BM25 sparse vector by a ``FunctionType.BM25`` schema function:
  lexical search is Milvus's own full-text search.
* ``<collection>_terms``: document frequency of each newsqa jieba token, kept up to
  date by every build; :meth:`MilvusIndex.idf` reads it (Milvus exposes no df).
* ``<collection>_meta``: one row: settings (model identity, tokenizer, analyzer,
  chunk size), counts, generation and build state.

Builds are incremental: only new or changed chunks are embedded and upserted, and
chunks no longer in the corpus are deleted. Milvus applies each upsert and delete
batch on its own, so a build that fails midway leaves the collection partially
updated (marked ``building`` in the meta row; the next build finishes the job and
recounts document frequencies) rather than swapped atomically like the local backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import logging
import os
import string
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..._config import MILVUS_TOKEN_ENV, Config
from ..._embedding._embedder import Embedder, compatibility_problem
from ..._errors import (
    ConfigError,
    CorpusError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
    NewsqaError,
)
from ..._ingest import chunk_articles, ingest
from ..._search import IndexInfo, Keys, Scores
from ..._tokens import STOPWORDS, TOKENIZER_ID, tokenize
from ..._types import Chunk
from ..local._build import BuildReport, _content_hash, model_change, passage_text

__all__ = ["MilvusIndex", "build_milvus", "chunk_key", "milvus_status"]

logger = logging.getLogger(__name__)

FORMAT = "milvus/v1"
"""Layout of the three collections; a different one forces a full rebuild."""
ANALYZER_ID = "jieba-search+stop(newsqa-stopwords,punctuation)/v1"
"""The Milvus analyzer of the BM25 field; a different one forces a full rebuild."""
VECTOR_INDEXES = ("HNSW", "FLAT", "AUTOINDEX")

_CHUNK_FIELDS = (
    "chunk_id",
    "article_id",
    "title",
    "section",
    "paragraph_index",
    "text",
    "start",
    "end",
    "source_path",
    "date",
    "author",
)
_INT_FIELDS = frozenset({"paragraph_index", "start", "end"})
_MAX_VARCHAR = 65_535  # bytes: Milvus's limit for one VARCHAR value
_IDS_PER_CALL = 1_000  # keys per get/delete call (a filter expression of bounded size)
_PLACEHOLDER = [0.0, 0.0]  # Milvus wants a vector field in every collection
_META_KEY = 0
_KEY_SPACE = 1 << 63  # keys are 63-bit: 0 <= key < 2**63
_QUERY_LIMIT = 16_384  # Milvus's maximum rows per query
_SCAN_ROWS = 4_000  # rows aimed at per query when reading a whole collection


def chunk_key(chunk_id: str) -> int:
    """The stable int64 primary key of a chunk (or a term): 63 bits of its SHA-1."""
    return int.from_bytes(hashlib.sha1(chunk_id.encode("utf-8")).digest()[:8], "big") >> 1


@functools.lru_cache(maxsize=1)
def _stop_words() -> tuple[str, ...]:
    """newsqa's stopwords, and punctuation and space tokens jieba emits on its own."""
    punct = {chr(cp) for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("P")}
    punct.update(string.punctuation)
    punct.update(" \t\n\r\u3000\u00a0\u200b")
    for mark in (".", "-", "—", "…", "·", "~"):
        punct.update(mark * n for n in range(2, 7))
    return tuple(sorted(punct | set(STOPWORDS)))


def analyzer_params() -> dict[str, Any]:
    """The Milvus analyzer of the BM25 field: jieba (search mode) and a stop filter.

    The stop list holds newsqa's stopwords and punctuation, so Milvus's tokens are
    those of :func:`newsqa.index.tokenize` (which drops the same) as far as the two jieba
    implementations agree. Only the ``stop`` filter is used: milvus-lite ignores
    the other built-in filters.
    """
    return {"tokenizer": "jieba", "filter": [{"type": "stop", "stop_words": list(_stop_words())}]}


# -- connecting ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    uri: str
    local_file: Path | None
    """The milvus-lite database file, or None for a server."""

    @property
    def shown(self) -> str:
        return str(self.local_file) if self.local_file is not None else self.uri


def _target(config: Config) -> _Target:
    uri = config.milvus.uri.strip()
    if not uri:
        path = Path(config.index.dir).expanduser().absolute() / "milvus.db"
        return _Target(str(path), path)
    if "://" not in uri and uri.endswith(".db"):
        path = Path(uri).expanduser().absolute()
        return _Target(str(path), path)
    return _Target(uri, None)


def _line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    token = os.environ.get(MILVUS_TOKEN_ENV, "")
    return text.replace(token, "***") if token else text


@contextlib.contextmanager
def _errors(what: str) -> Iterator[None]:
    """Translate pymilvus (and gRPC) failures into one-line :class:`IndexStoreError`."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except NewsqaError:
        raise
    except MilvusException as exc:
        raise IndexStoreError(f"Milvus: {what} failed: {_line(exc)}") from exc
    except Exception as exc:  # grpc.RpcError and transport errors alike
        if type(exc).__module__.split(".")[0] in {"grpc", "pymilvus", "milvus_lite"}:
            raise IndexStoreError(f"Milvus: {what} failed: {_line(exc)}") from exc
        raise


def _connect(config: Config, *, create: bool) -> tuple[Any, _Target]:
    """A connected ``MilvusClient`` and where it points.

    ``create=False`` refuses to create a milvus-lite file that does not exist yet
    (:class:`IndexNotFoundError`): reading never leaves an empty database behind.
    """
    target = _target(config)
    if target.local_file is not None:
        if not create and not target.local_file.exists():
            raise IndexNotFoundError(
                f"no Milvus index in {target.local_file} yet: run `newsqa index build` first"
            )
        try:
            target.local_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexStoreError(f"cannot create {target.local_file.parent}: {exc}") from exc
        # milvus-lite runs in this process and talks at INFO (background segment work);
        # it logs a traceback when its server cannot start: we say that in one line.
        logging.getLogger("milvus_lite").setLevel(logging.WARNING)
        logging.getLogger("milvus_lite.server_manager").setLevel(logging.CRITICAL)
        # The embedded server runs in this process: its gRPC layer logs a traceback for
        # each call milvus-lite does not implement (pymilvus falls back by itself).
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    # pymilvus logs every failed call with a traceback on stderr; each failure reaches
    # the caller once, as a one-line IndexStoreError (its cause kept for `-v`).
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - pymilvus is a dependency
        raise IndexStoreError(f"the Milvus backend needs pymilvus: {exc}") from exc
    hint = ""
    if target.local_file is not None:
        hint = " (a milvus-lite file serves one process at a time; see README, Milvus backend)"
    with _errors(f"connecting to {target.shown}{hint}"):
        client = MilvusClient(
            uri=target.uri,
            token=os.environ.get(MILVUS_TOKEN_ENV, ""),
            db_name=config.milvus.db_name,
            timeout=config.milvus.timeout,
        )
    return client, target


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _take(rows: Iterator[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    return list(itertools.islice(rows, size))


def _fit(value: str, what: str) -> str:
    """``value`` cut to Milvus's VARCHAR limit (65,535 bytes), with a warning."""
    data = value.encode("utf-8")
    if len(data) <= _MAX_VARCHAR:
        return value
    logger.warning("%s is longer than Milvus allows (%d bytes): cut", what, len(data))
    return data[:_MAX_VARCHAR].decode("utf-8", errors="ignore")


# -- the three collections ------------------------------------------------------------


class _Collections:
    """Names and calls of one newsqa index in Milvus."""

    def __init__(self, client: Any, config: Config, target: _Target) -> None:
        self.client = client
        self.config = config
        self.target = target
        self.chunks = config.milvus.collection
        self.terms = f"{self.chunks}_terms"
        self.meta = f"{self.chunks}_meta"
        self.timeout = config.milvus.timeout

    def read_meta(self) -> dict[str, Any] | None:
        with _errors(f"reading {self.meta}"):
            if not self.client.has_collection(self.meta, timeout=self.timeout):
                return None
            self.client.load_collection(self.meta, timeout=self.timeout)
            rows = self.client.get(self.meta, ids=[_META_KEY], output_fields=["data"])
        if not rows:
            return None
        try:
            data: dict[str, Any] = json.loads(rows[0]["data"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexStoreError(f"Milvus: the meta row of {self.meta} is unreadable") from exc
        return data

    def write_meta(self, data: dict[str, Any]) -> None:
        row = {"pk": _META_KEY, "data": json.dumps(data, ensure_ascii=False), "v": _PLACEHOLDER}
        with _errors(f"writing {self.meta}"):
            self.client.upsert(self.meta, [row], timeout=self.timeout)
            self.client.flush(self.meta, timeout=self.timeout)

    def load(self) -> None:
        with _errors(f"loading {self.chunks}"):
            for name in (self.chunks, self.terms):
                if not self.client.has_collection(name, timeout=self.timeout):
                    raise IndexStoreError(
                        f"Milvus: collection {name} is missing: run `newsqa index build --full`"
                    )
                self.client.load_collection(name, timeout=self.timeout)

    def recreate(self, dim: int) -> None:
        """Drop the three collections and create them empty."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = self.client
        with _errors(f"creating the collections {self.chunks}*"):
            for name in (self.chunks, self.terms, self.meta):
                if client.has_collection(name, timeout=self.timeout):
                    client.drop_collection(name, timeout=self.timeout)

            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("pk", DataType.INT64, is_primary=True)
            for name in _CHUNK_FIELDS:
                if name in _INT_FIELDS:
                    schema.add_field(name, DataType.INT64)
                else:
                    schema.add_field(name, DataType.VARCHAR, max_length=_MAX_VARCHAR)
            schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
            schema.add_field("row_hash", DataType.VARCHAR, max_length=64)
            schema.add_field(
                "passage",
                DataType.VARCHAR,
                max_length=_MAX_VARCHAR,
                enable_analyzer=True,
                analyzer_params=analyzer_params(),
            )
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="passage_bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["passage"],
                    output_field_names=["sparse"],
                )
            )
            index = client.prepare_index_params()
            kind = self.config.milvus.vector_index.upper()
            params = {"M": 16, "efConstruction": 200} if kind == "HNSW" else {}
            index.add_index(field_name="dense", index_type=kind, metric_type="IP", params=params)
            index.add_index(
                field_name="sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": 1.2, "bm25_b": 0.75},
            )
            client.create_collection(self.chunks, schema=schema, index_params=index)

            for name, fields in (
                (self.terms, (("term", DataType.VARCHAR), ("df", DataType.INT64))),
                (self.meta, (("data", DataType.VARCHAR),)),
            ):
                small = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
                small.add_field("pk", DataType.INT64, is_primary=True)
                for field, dtype in fields:
                    if dtype == DataType.VARCHAR:
                        small.add_field(field, dtype, max_length=_MAX_VARCHAR)
                    else:
                        small.add_field(field, dtype)
                small.add_field("v", DataType.FLOAT_VECTOR, dim=len(_PLACEHOLDER))
                idx = client.prepare_index_params()
                idx.add_index(field_name="v", index_type="FLAT", metric_type="L2")
                client.create_collection(name, schema=small, index_params=idx)
            for name in (self.chunks, self.terms, self.meta):
                client.load_collection(name, timeout=self.timeout)

    def count(self, name: str) -> int:
        with _errors(f"counting {name}"):
            rows = self.client.query(name, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def scan(self, name: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every row of ``name``, read in bounded slices of the key space.

        Keys are uniform 63-bit hashes, so equal key ranges hold about equal numbers of
        rows; a range that fills a query's limit is split in two. (A query iterator
        would do, but milvus-lite lacks the timestamp call it starts with.)
        """
        parts = max(1, -(-self.count(name) // _SCAN_ROWS))
        step = _KEY_SPACE // parts
        for i in range(parts):
            hi = _KEY_SPACE if i == parts - 1 else (i + 1) * step
            yield from self._scan_range(name, list(fields), i * step, hi)

    def _scan_range(
        self, name: str, fields: list[str], lo: int, hi: int
    ) -> Iterator[dict[str, Any]]:
        with _errors(f"reading {name}"):
            rows = self.client.query(
                name,
                filter=f"pk >= {lo}" + (f" and pk < {hi}" if hi < _KEY_SPACE else ""),
                output_fields=fields,
                limit=_QUERY_LIMIT,
                timeout=self.timeout,
            )
        if len(rows) >= _QUERY_LIMIT and hi - lo > 1:
            mid = lo + (hi - lo) // 2
            yield from self._scan_range(name, fields, lo, mid)
            yield from self._scan_range(name, fields, mid, hi)
        else:
            yield from rows

    def get(self, name: str, keys: Sequence[int], fields: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with _errors(f"reading {name}"):
            for part in _batches(list(keys), _IDS_PER_CALL):
                out.extend(self.client.get(name, ids=list(part), output_fields=list(fields)))
        return out

    def upsert(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Write ``rows`` (made lazily: one batch in memory at a time)."""
        size = max(1, self.config.milvus.batch_size)
        with _errors(f"writing {name}"):
            for part in iter(functools.partial(_take, iter(rows), size), []):
                self.client.upsert(name, part, timeout=self.timeout)

    def delete(self, name: str, keys: Sequence[int]) -> None:
        with _errors(f"deleting from {name}"):
            for part in _batches(list(keys), _IDS_PER_CALL):
                self.client.delete(name, ids=list(part), timeout=self.timeout)

    def flush(self, *names: str) -> None:
        with _errors("flushing"):
            for name in names:
                self.client.flush(name, timeout=self.timeout)


# -- building -------------------------------------------------------------------------


def _settings(config: Config, model: dict[str, Any]) -> dict[str, Any]:
    """Everything that, when it changes, makes the stored rows stale."""
    return {
        "format": FORMAT,
        "model": model,
        "tokenizer": TOKENIZER_ID,
        "analyzer": ANALYZER_ID,
        "max_chunk_chars": config.index.max_chunk_chars,
        "vector_index": config.milvus.vector_index.upper(),
    }


def _stale_reason(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("format") != new["format"]:
        return f"Milvus index format {old.get('format')} -> {new['format']}"
    if old.get("model") != new["model"]:
        return model_change(old.get("model") or {}, new["model"])
    for key in ("tokenizer", "analyzer", "max_chunk_chars", "vector_index"):
        if old.get(key) != new[key]:
            return f"{key} changed ({old.get(key)} -> {new[key]})"
    return ""


def _row_hash(chunk: Chunk, content_hash: str) -> str:
    """A digest of everything stored for a chunk besides its vector."""
    fields = [str(getattr(chunk, name)) for name in _CHUNK_FIELDS]
    return _content_hash("\x1f".join([content_hash, *fields]))


def _row(chunk: Chunk, key: int, text: str, chash: str, rhash: str, vec: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"pk": key}
    for name in _CHUNK_FIELDS:
        value = getattr(chunk, name)
        row[name] = int(value) if name in _INT_FIELDS else _fit(str(value), f"{name} of chunk")
    row["content_hash"] = chash
    row["row_hash"] = rhash
    row["passage"] = _fit(text, f"chunk {chunk.chunk_id}")
    row["dense"] = np.asarray(vec, dtype=np.float32).tolist()
    return row


def _term_sets(texts: Iterable[str]) -> Iterator[set[str]]:
    for text in texts:
        yield set(tokenize(text, normalized=True))


def _check_vector_index(config: Config) -> None:
    if config.milvus.vector_index.upper() not in VECTOR_INDEXES:
        raise ConfigError(
            f"config key milvus.vector_index: {config.milvus.vector_index!r} is not one of "
            + ", ".join(VECTOR_INDEXES)
        )


def build_milvus(
    config: Config,
    *,
    full: bool = False,
    show_progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build or incrementally update the Milvus index of ``config``.

    Only new or changed chunks are embedded and upserted; chunks gone from the corpus
    are deleted. A different model, tokenizer, analyzer, chunk size or vector index
    (or ``full``) drops the collections and rebuilds them.
    """
    started = time.perf_counter()
    _check_vector_index(config)
    corpus = ingest(config.corpus.paths)
    for warning in corpus.warnings:
        logger.warning("%s", warning)
    articles = corpus.articles
    if not articles:
        raise CorpusError("no articles found in " + ", ".join(config.corpus.paths))
    chunks = chunk_articles(articles, config.index.max_chunk_chars)
    embedder = embedder or Embedder(config.model)
    settings = _settings(config, embedder.identity())
    dim = int(embedder.dim)

    client, target = _connect(config, create=True)
    try:
        store = _Collections(client, config, target)
        meta = store.read_meta()
        reason = "requested with --full" if full else ""
        if meta is None:
            reason = "no previous index"
        elif not reason:
            reason = _stale_reason(meta.get("settings", {}), settings)
        if reason and meta is not None:
            logger.warning("full rebuild: %s", reason)

        texts = [passage_text(c) for c in chunks]
        hashes = [_content_hash(t) for t in texts]
        keys = [chunk_key(c.chunk_id) for c in chunks]
        rhashes = [_row_hash(c, h) for c, h in zip(chunks, hashes, strict=True)]
        if len(set(keys)) != len(keys):
            raise IndexStoreError(
                "two chunk ids share a Milvus key: run `newsqa index build --full`"
            )

        old: dict[int, tuple[str, str]] = {}
        dirty = True  # document frequencies to be counted from scratch
        if reason:
            store.recreate(dim)
        else:
            assert meta is not None
            dirty = meta.get("state") != "ready"
            if dirty:
                logger.warning("the previous build did not finish: completing it")
            store.load()
            for row in store.scan(store.chunks, ["pk", "content_hash", "row_hash"]):
                old[int(row["pk"])] = (str(row["content_hash"]), str(row["row_hash"]))
        generation = int(meta.get("generation", 0)) + 1 if meta else 1

        added = changed = unchanged = 0
        write: list[int] = []  # rows to upsert: new, changed, or metadata changed
        for i, key in enumerate(keys):
            before = old.get(key)
            if before is None:
                added += 1
            elif before[0] != hashes[i]:
                changed += 1
            else:
                unchanged += 1
            if before != (hashes[i], rhashes[i]):
                write.append(i)
        current = set(keys)
        removed_keys = [k for k in old if k not in current]

        # vectors: reuse those of identical passage texts already stored, embed the rest
        by_hash = {h: k for k, (h, _) in old.items()}
        reuse = {hashes[i]: by_hash[hashes[i]] for i in write if hashes[i] in by_hash}
        vectors: dict[str, Any] = {}
        for row in store.get(store.chunks, list(reuse.values()), ["pk", "dense"]):
            key_hash = old[int(row["pk"])][0]
            vectors[key_hash] = row["dense"]
        todo: list[int] = []  # the first chunk of each passage text not embedded before
        planned: set[str] = set()
        for i in write:
            if hashes[i] not in vectors and hashes[i] not in planned:
                planned.add(hashes[i])
                todo.append(i)
        logger.info(
            "%d chunks from %d articles: %d to write, %d to embed, %d to delete",
            len(chunks),
            len(articles),
            len(write),
            len(todo),
            len(removed_keys),
        )
        fresh = embedder.encode_passages([texts[i] for i in todo], show_progress=show_progress)
        for j, i in enumerate(todo):
            vectors[hashes[i]] = fresh[j]

        # document frequencies: count the change (or everything after a failed build)
        df_delta: Counter[str] = Counter()
        if not dirty:
            new_text = [i for i in write if keys[i] not in old or old[keys[i]][0] != hashes[i]]
            gone = removed_keys + [keys[i] for i in new_text if keys[i] in old]
            old_texts = [str(r["passage"]) for r in store.get(store.chunks, gone, ["passage"])]
            for terms in _term_sets(old_texts):
                df_delta.subtract(terms)
            for terms in _term_sets(texts[i] for i in new_text):
                df_delta.update(terms)

        # from here on the collections change: a failure leaves them marked "building"
        store.write_meta({**(meta or {}), "settings": settings, "state": "building"})
        rows = (
            _row(chunks[i], keys[i], texts[i], hashes[i], rhashes[i], vectors[hashes[i]])
            for i in write
        )
        store.upsert(store.chunks, rows)
        store.delete(store.chunks, removed_keys)
        if dirty:
            _recount_terms(store, texts)
        else:
            _apply_terms(store, df_delta)
        store.flush(store.chunks, store.terms)
        store.write_meta(
            {
                "settings": settings,
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
        )
    finally:
        with contextlib.suppress(Exception):
            client.close()

    report = BuildReport(
        generation=_generation_name(generation),
        full=bool(reason),
        reason=reason,
        added=added,
        changed=changed,
        removed=len(removed_keys),
        unchanged=unchanged,
        embedded=len(todo),
        articles=len(articles),
        chunks=len(chunks),
        files=len(corpus.files),
        warnings=tuple(corpus.warnings),
        duplicates_dropped=sum(f.duplicates_dropped for f in corpus.files),
        seconds=time.perf_counter() - started,
    )
    # fields of the local backend's report that have a meaning here (when present)
    extra: dict[str, Any] = {"files_read": len(corpus.files), "segments": 1}
    known = {f.name for f in dataclasses.fields(report)}
    return dataclasses.replace(report, **{k: v for k, v in extra.items() if k in known})


def _generation_name(n: int) -> str:
    return f"m{n:06d}"


def _recount_terms(store: _Collections, texts: Sequence[str]) -> None:
    """Replace the term table by document frequencies counted over ``texts``."""
    df: Counter[str] = Counter()
    for terms in _term_sets(texts):
        df.update(terms)
    stale = [int(r["pk"]) for r in store.scan(store.terms, ["pk"])]
    keep = {chunk_key(t) for t in df}
    store.delete(store.terms, [k for k in stale if k not in keep])
    store.upsert(store.terms, [_term_row(t, n) for t, n in df.items()])


def _apply_terms(store: _Collections, delta: Counter[str]) -> None:
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
    return {"pk": chunk_key(term), "term": _fit(term, "term"), "df": int(df), "v": _PLACEHOLDER}


# -- searching ------------------------------------------------------------------------


def _info(target: _Target, config: Config, meta: dict[str, Any]) -> IndexInfo:
    counts = meta.get("counts", {})
    settings = meta.get("settings", {})
    return IndexInfo(
        path=f"{target.shown} [{config.milvus.collection}]",
        generation=_generation_name(int(meta.get("generation", 0))),
        articles=int(counts.get("articles", 0)),
        chunks=int(counts.get("chunks", 0)),
        newest_date=str(meta.get("newest_date", "")),
        built_at=str(meta.get("built_at", "")),
        model=str(settings.get("model", {}).get("name", "")),
        vector_index=str(settings.get("vector_index", "")),
        backend="milvus",
    )


def _check_compatible(meta: dict[str, Any], config: Config) -> None:
    settings = meta.get("settings", {})
    model = settings.get("model", {})
    if settings.get("format") != FORMAT:
        raise IndexMismatchError(
            f"the Milvus index has format {settings.get('format')}, this newsqa reads "
            f"{FORMAT}: run `newsqa index build --full`"
        )
    problem = compatibility_problem(config.model, model)
    if problem:
        raise IndexMismatchError(f"{problem}: run `newsqa index build --full`")
    if settings.get("tokenizer") != TOKENIZER_ID or settings.get("analyzer") != ANALYZER_ID:
        raise IndexMismatchError(
            "the index was built with another tokenizer: run `newsqa index build --full`"
        )


def _open_meta(config: Config) -> tuple[Any, _Collections, dict[str, Any]]:
    client, target = _connect(config, create=False)
    try:
        store = _Collections(client, config, target)
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

    def __init__(self, client: Any, store: _Collections, meta: dict[str, Any]) -> None:
        self._client = client
        self._store = store
        self._info = _info(store.target, store.config, meta)
        self._n = int(meta.get("counts", {}).get("chunks", 0))
        self._ef = max(1, store.config.milvus.search_ef)
        self._kind = str(meta.get("settings", {}).get("vector_index", "HNSW"))
        if meta.get("state") != "ready":
            logger.warning("the Milvus index is being updated (or a build failed midway)")

    @classmethod
    def open(cls, config: Config) -> MilvusIndex:
        """Connect, check the index was built with ``config``'s model, load it."""
        client, store, meta = _open_meta(config)
        try:
            _check_compatible(meta, config)
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
        with contextlib.suppress(Exception):
            self._client.close()

    def _search(
        self, data: list[Any], field: str, k: int, params: dict[str, Any], where: str = ""
    ) -> tuple[Keys, Scores]:
        with _errors(f"searching {self._store.chunks}"):
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
        rows = self._store.get(self._store.chunks, wanted, ["pk", *_CHUNK_FIELDS])
        by_key = {int(r["pk"]): r for r in rows}
        out = []
        for key in keys:
            row = by_key.get(int(key))
            if row is not None:
                out.append(_chunk(row))
        return out


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
    )
