"""Frozen value objects shared by ingestion, the index store and retrieval.

Spans are character offsets (not bytes) into the decoded text of the source file.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Article", "Chunk", "FileReport", "Paragraph"]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of an article, exactly as printed (column breaks rejoined)."""

    text: str
    section: str = ""
    start: int = 0
    end: int = 0
    breaks: tuple[tuple[int, int], ...] = ()
    """Where ``text`` is not one verbatim slice ``source[start:end]``: the
    ``(text offset, source offset)`` at which each further verbatim run begins (after a
    rejoined column break, a Markdown line wrap or markup, a JSON escape). Empty when the
    text is verbatim, or when too many escapes made an exact map not worth keeping."""


@dataclass(frozen=True, slots=True)
class Article:
    """One article: its full headline, its paragraphs and where it came from."""

    article_id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    source_path: str
    author: str = ""
    date: str = ""
    url: str = ""
    origin: str = ""
    """The publication or feed named by the input (JSONL ``source``, a page's paper name)."""
    page: str = ""
    """The page of the paper it was printed on (``"5"``), where the input says."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """The retrieval unit: a paragraph, or a sentence-aligned window of a long one."""

    chunk_id: str
    article_id: str
    title: str
    section: str
    paragraph_index: int
    text: str
    start: int
    end: int
    source_path: str
    date: str = ""
    author: str = ""
    origin: str = ""
    """The publication the article appeared in (a page's paper name, JSONL ``source``)."""
    page: str = ""
    """The page of the paper it was printed on (``"5"``), where the input says."""
    url: str = ""
    """Where the article can be read online (JSONL ``url``), if known."""


@dataclass(frozen=True, slots=True)
class FileReport:
    """What ingestion made of one input file."""

    path: str
    articles: tuple[Article, ...] = ()
    warnings: tuple[str, ...] = ()
    skipped: bool = False
    duplicates_dropped: int = 0
    digest: str = ""
    """SHA-1 of the file's bytes (how an incremental build tells a touched file from an
    edited one)."""
