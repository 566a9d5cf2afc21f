"""newsqa's build side: ingestion, chunking, embedding and the stored index.

Public surface::

    build_index(config) -> BuildReport     ingest, embed what changed, swap in atomically
    inspect_corpus(paths) -> Corpus        what ingestion finds, without indexing
    index_status(config) -> IndexInfo      the served index, without loading it
    check_index(config) -> list[str]       what is damaged in the served index
    open_index(config) -> SearchIndex      the served index, for retrieval
    passage_text(chunk) -> str             what a chunk is embedded and matched as
    Config, load_config                    the one configuration object
    NewsqaError and its subclasses         every expected failure

The index is kept by one of two backends (:class:`Backend`): the local segmented
folder or Milvus, chosen by ``index.backend``. ``import newsqa.index`` is light:
numpy, FAISS, jieba and the model's runtime load when a function is called or an
object is built (``Embedder``, ``IndexReader`` and ``TextEncoder`` are loaded on first
use). Everything in modules whose name starts with ``_`` is private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._api import build_index, check_index, index_status, open_index
from ._backends import Backend, BuildReport
from ._backends._passages import passage_text
from ._config import (
    MILVUS_TOKEN_ENV,
    BotConfig,
    Config,
    CorpusConfig,
    IndexConfig,
    MilvusConfig,
    ModelConfig,
    RetrievalConfig,
    load_config,
)
from ._errors import (
    ConfigError,
    CorpusError,
    IndexError_,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
    ModelError,
    NewsqaError,
)
from ._ingest import Corpus, chunk_articles
from ._ingest import ingest as inspect_corpus
from ._phrases import tag as pos_tag
from ._search import IndexInfo, SearchIndex
from ._text import content_chars, normalize, split_sentences
from ._tokens import tokenize
from ._types import Article, Chunk, FileReport, Paragraph

if TYPE_CHECKING:
    from ._backends.local import IndexReader
    from ._embedding import Embedder, TextEncoder

__all__ = [
    "MILVUS_TOKEN_ENV",
    "Article",
    "Backend",
    "BotConfig",
    "BuildReport",
    "Chunk",
    "Config",
    "ConfigError",
    "Corpus",
    "CorpusConfig",
    "CorpusError",
    "Embedder",
    "FileReport",
    "IndexConfig",
    "IndexError_",
    "IndexInfo",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReader",
    "IndexStoreError",
    "MilvusConfig",
    "ModelConfig",
    "ModelError",
    "NewsqaError",
    "Paragraph",
    "RetrievalConfig",
    "SearchIndex",
    "TextEncoder",
    "build_index",
    "check_index",
    "chunk_articles",
    "content_chars",
    "index_status",
    "inspect_corpus",
    "load_config",
    "normalize",
    "open_index",
    "passage_text",
    "pos_tag",
    "split_sentences",
    "tokenize",
]

_LAZY = {
    "Embedder": ("._embedding", "Embedder"),
    "TextEncoder": ("._embedding._protocol", "TextEncoder"),
    "IndexReader": ("._backends.local", "IndexReader"),
}
"""Names whose modules import numpy (and more): loaded on first use, not on import."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value
