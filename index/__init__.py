"""newsqa's build side: ingestion, chunking, embedding and the stored index.

Public surface::

    build_index(config) -> BuildReport     ingest, embed what changed, swap in atomically
    inspect_corpus(paths) -> Corpus        what ingestion finds, without indexing
    index_status(config) -> IndexInfo      the served index, without loading it
    open_index(config) -> SearchIndex      the served index, for retrieval
    Config, load_config                    the one configuration object
    NewsqaError and its subclasses         every expected failure

Everything in modules whose name starts with ``_`` is private.
"""

from __future__ import annotations

from ._backends.local._build import BuildReport, build_index
from ._backends.local._reader import IndexReader, index_status, open_index
from ._config import (
    BotConfig,
    Config,
    CorpusConfig,
    IndexConfig,
    MilvusConfig,
    ModelConfig,
    RetrievalConfig,
    load_config,
)
from ._embedding import Embedder, TextEncoder
from ._errors import (
    ConfigError,
    CorpusError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
    ModelError,
    NewsqaError,
)
from ._ingest import Corpus, chunk_articles
from ._ingest import ingest as inspect_corpus
from ._search import IndexInfo, SearchIndex
from ._text import content_chars, normalize, split_sentences
from ._tokens import tokenize
from ._types import Article, Chunk, FileReport, Paragraph

__all__ = [
    "Article",
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
    "chunk_articles",
    "content_chars",
    "index_status",
    "inspect_corpus",
    "load_config",
    "normalize",
    "open_index",
    "split_sentences",
    "tokenize",
]
