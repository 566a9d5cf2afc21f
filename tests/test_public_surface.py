"""Each package's public names, pinned: a change to them is a deliberate change here too.

Everything else lives in modules whose name starts with ``_`` and is private.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "newsqa.index": {
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
    },
    "newsqa.retrieval": {
        "Answer",
        "Config",
        "ConfigError",
        "Conversation",
        "EvalReport",
        "Hit",
        "IndexInfo",
        "IndexMismatchError",
        "IndexNotFoundError",
        "NewsqaError",
        "Retriever",
        "Turn",
        "evaluate",
        "load_config",
    },
    "newsqa.bot": {"main"},
    "newsqa.bot.telegram": {"RetrieverLike", "TOKEN_ENV", "build_application", "run_bot"},
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_names_are_pinned(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) == PUBLIC[name]
    for attr in module.__all__:  # every exported name resolves (lazy ones included)
        assert getattr(module, attr) is not None


def test_the_old_error_name_is_an_alias() -> None:
    from newsqa.index import IndexError_, IndexStoreError

    assert IndexError_ is IndexStoreError
