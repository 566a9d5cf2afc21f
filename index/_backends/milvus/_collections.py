"""The three Milvus collections of one newsqa index, and what their rows hold.

* ``<collection>``: one row per chunk, keyed by a stable int64 derived from its
  ``chunk_id`` (:func:`chunk_key`): the chunk's fields, the hash of its passage text,
  its dense vector (inner product = cosine, vectors are unit length) and the passage
  text analysed by Milvus itself (jieba tokenizer with newsqa's stopwords and
  punctuation as a stop filter, :func:`analyzer_params`) into a BM25 sparse vector by
  a ``FunctionType.BM25`` schema function: lexical search is Milvus's own full-text
  search.
* ``<collection>_terms``: document frequency of each newsqa jieba token, kept up to
  date by every build (Milvus exposes no df).
* ``<collection>_meta``: one row: settings (:func:`settings`, compared by
  :data:`IDENTITY`), counts, generation and build state.

Where a chunk was published (:data:`LATER_FIELDS`: ``origin``, ``page``, ``url``) came
after the first format: a collection created before lacks those fields. It is still
read (they read as ``""``) and updated; a build adds the fields where the server can
(:meth:`Collections.add_later_fields`; Milvus 2.6, not milvus-lite), otherwise they
are stored from the next ``newsqa index build --full``.

:class:`Collections` holds the calls on them (create, read, scan, upsert, delete).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import string
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..._config import Config
from ..._errors import IndexStoreError
from ..._tokens import STOPWORDS, TOKENIZER_ID
from .._identity import Identity
from ._client import Target, milvus_errors

__all__ = [
    "ANALYZER_ID",
    "CHUNK_FIELDS",
    "FORMAT",
    "IDENTITY",
    "INT_FIELDS",
    "LATER_FIELDS",
    "PLACEHOLDER",
    "Collections",
    "analyzer_params",
    "chunk_key",
    "fit",
    "generation_name",
    "quoted",
    "settings",
]

logger = logging.getLogger(__name__)

FORMAT = "milvus/v1"
"""Layout of the three collections; a different one forces a full rebuild."""
ANALYZER_ID = "jieba-search+stop(newsqa-stopwords,punctuation)/v1"
"""The Milvus analyzer of the BM25 field; a different one forces a full rebuild."""

CHUNK_FIELDS = (
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
LATER_FIELDS = ("origin", "page", "url")
"""Chunk fields a collection created by an older newsqa lacks (read as ``""``)."""
INT_FIELDS = frozenset({"paragraph_index", "start", "end"})
_MAX_VARCHAR = 65_535  # bytes: Milvus's limit for one VARCHAR value
_IDS_PER_CALL = 1_000  # keys per get/delete call (a filter expression of bounded size)
PLACEHOLDER = [0.0, 0.0]  # Milvus wants a vector field in every collection
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


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _take(rows: Iterator[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    return list(itertools.islice(rows, size))


def fit(value: str, what: str) -> str:
    """``value`` cut to Milvus's VARCHAR limit (65,535 bytes), with a warning."""
    data = value.encode("utf-8")
    if len(data) <= _MAX_VARCHAR:
        return value
    logger.warning("%s is longer than Milvus allows (%d bytes): cut", what, len(data))
    return data[:_MAX_VARCHAR].decode("utf-8", errors="ignore")


# -- the three collections ------------------------------------------------------------


class Collections:
    """Names and calls of one newsqa index in Milvus."""

    def __init__(self, client: Any, config: Config, target: Target) -> None:
        self.client = client
        self.config = config
        self.target = target
        self.chunks = config.milvus.collection
        self.terms = f"{self.chunks}_terms"
        self.meta = f"{self.chunks}_meta"
        self.timeout = config.milvus.timeout
        self._fields: tuple[str, ...] | None = None

    def chunk_fields(self) -> tuple[str, ...]:
        """The chunk fields the chunk collection holds: :data:`CHUNK_FIELDS` and those
        of :data:`LATER_FIELDS` it has (all of them, unless created by an older newsqa)."""
        if self._fields is None:
            with milvus_errors(f"describing {self.chunks}"):
                described = self.client.describe_collection(self.chunks, timeout=self.timeout)
            have = {str(f.get("name")) for f in described.get("fields", [])}
            self._fields = CHUNK_FIELDS + tuple(f for f in LATER_FIELDS if f in have)
        return self._fields

    def add_later_fields(self) -> tuple[str, ...]:
        """Add the :data:`LATER_FIELDS` the chunk collection lacks, where the server can
        (nullable, default ``""``); the chunk fields it holds afterwards."""
        from pymilvus import DataType

        missing = [f for f in LATER_FIELDS if f not in self.chunk_fields()]
        for name in missing:
            try:
                self.client.add_collection_field(
                    self.chunks,
                    name,
                    DataType.VARCHAR,
                    max_length=_MAX_VARCHAR,
                    nullable=True,
                    default_value="",
                    timeout=self.timeout,
                )
            except Exception as exc:  # milvus-lite and Milvus before 2.6 cannot
                logger.warning(
                    "Milvus collection %s predates publication fields and %s cannot add"
                    " them (%s): replies name no publication or page until"
                    " `newsqa index build --full`",
                    self.chunks,
                    self.target.shown,
                    str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__,
                )
                break
        if missing:
            self._fields = None
        return self.chunk_fields()

    def read_meta(self) -> dict[str, Any] | None:
        with milvus_errors(f"reading {self.meta}"):
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
        row = {"pk": _META_KEY, "data": json.dumps(data, ensure_ascii=False), "v": PLACEHOLDER}
        with milvus_errors(f"writing {self.meta}"):
            self.client.upsert(self.meta, [row], timeout=self.timeout)
            self.client.flush(self.meta, timeout=self.timeout)

    def load(self) -> None:
        with milvus_errors(f"loading {self.chunks}"):
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
        with milvus_errors(f"creating the collections {self.chunks}*"):
            for name in (self.chunks, self.terms, self.meta):
                if client.has_collection(name, timeout=self.timeout):
                    client.drop_collection(name, timeout=self.timeout)

            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("pk", DataType.INT64, is_primary=True)
            for name in CHUNK_FIELDS + LATER_FIELDS:
                if name in INT_FIELDS:
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
                small.add_field("v", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
                idx = client.prepare_index_params()
                idx.add_index(field_name="v", index_type="FLAT", metric_type="L2")
                client.create_collection(name, schema=small, index_params=idx)
            for name in (self.chunks, self.terms, self.meta):
                client.load_collection(name, timeout=self.timeout)
        self._fields = CHUNK_FIELDS + LATER_FIELDS

    def query(self, name: str, where: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        """The rows of ``name`` matching the filter ``where`` (at most 16,384)."""
        with milvus_errors(f"reading {name}"):
            rows: list[dict[str, Any]] = self.client.query(
                name,
                filter=where,
                output_fields=list(fields),
                limit=_QUERY_LIMIT,
                timeout=self.timeout,
            )
        return rows

    def count(self, name: str) -> int:
        with milvus_errors(f"counting {name}"):
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
        with milvus_errors(f"reading {name}"):
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
        with milvus_errors(f"reading {name}"):
            for part in _batches(list(keys), _IDS_PER_CALL):
                out.extend(self.client.get(name, ids=list(part), output_fields=list(fields)))
        return out

    def upsert(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Write ``rows`` (made lazily: one batch in memory at a time)."""
        size = max(1, self.config.milvus.batch_size)
        with milvus_errors(f"writing {name}"):
            for part in iter(functools.partial(_take, iter(rows), size), []):
                self.client.upsert(name, part, timeout=self.timeout)

    def delete(self, name: str, keys: Sequence[int]) -> None:
        with milvus_errors(f"deleting from {name}"):
            for part in _batches(list(keys), _IDS_PER_CALL):
                self.client.delete(name, ids=list(part), timeout=self.timeout)

    def flush(self, *names: str) -> None:
        with milvus_errors("flushing"):
            for name in names:
                self.client.flush(name, timeout=self.timeout)


IDENTITY = Identity(
    format_key="format",
    format=FORMAT,
    stale_format="Milvus index format",
    other_format="the Milvus index has format",
    tokenizers={"tokenizer": TOKENIZER_ID, "analyzer": ANALYZER_ID},
    compared=("tokenizer", "analyzer", "max_chunk_chars", "vector_index"),
)
"""The settings keys of the meta row, and how a change of them is reported."""


def settings(config: Config, model: dict[str, Any]) -> dict[str, Any]:
    """Everything that, when it changes, makes the stored rows stale."""
    return {
        "format": FORMAT,
        "model": model,
        "tokenizer": TOKENIZER_ID,
        "analyzer": ANALYZER_ID,
        "max_chunk_chars": config.index.max_chunk_chars,
        "vector_index": config.milvus.vector_index.upper(),
    }


def quoted(value: str) -> str:
    """``value`` as a string literal of a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generation_name(n: int) -> str:
    """How the ``n``-th build of a Milvus index is shown (``m000042``)."""
    return f"m{n:06d}"
