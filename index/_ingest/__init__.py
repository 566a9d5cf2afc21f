"""Ingestion: corpus files in, articles and chunks out.

Public surface::

    ingest(paths) -> Corpus               read files and folders (.txt pages, .jsonl, .md)
    Corpus.files / .articles / .warnings  one FileReport per file, and the totals
    chunk_articles(articles, max_chars)   paragraphs (or sentence windows) as chunks

Raw newspaper pages are segmented by :mod:`newsqa.index._ingest._page`, JSONL by
:mod:`newsqa.index._ingest._jsonl`, Markdown by :mod:`newsqa.index._ingest._markdown`.
"""

from __future__ import annotations

from ._chunk import chunk_articles
from ._corpus import (
    INGEST_VERSION,
    Corpus,
    CorpusWalk,
    ingest,
    ingest_files,
    scan_corpus,
    walk_corpus,
)

__all__ = [
    "INGEST_VERSION",
    "Corpus",
    "CorpusWalk",
    "chunk_articles",
    "ingest",
    "ingest_files",
    "scan_corpus",
    "walk_corpus",
]
