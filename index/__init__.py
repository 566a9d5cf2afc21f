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

from index._build import BuildReport, build_index
from index._config import (
    BotConfig,
    Config,
    CorpusConfig,
    IndexConfig,
    MilvusConfig,
    ModelConfig,
    RetrievalConfig,
    load_config,
)
from index._embed import Embedder
from index._errors import (
    ConfigError,
    CorpusError,
    IndexError_,
    IndexMismatchError,
    IndexNotFoundError,
    ModelError,
    NewsqaError,
    QueryError,
)
from index._ingest import Corpus, chunk_articles
from index._ingest import ingest as inspect_corpus
from index._lexical import tokenize
from index._reader import IndexReader, index_status, open_index
from index._search import IndexInfo, SearchIndex
from index._text import content_chars, normalize, split_sentences
from index._types import Article, Chunk, FileReport, Paragraph

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
    "IndexError_",
    "IndexInfo",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReader",
    "MilvusConfig",
    "ModelConfig",
    "ModelError",
    "NewsqaError",
    "Paragraph",
    "QueryError",
    "RetrievalConfig",
    "SearchIndex",
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
