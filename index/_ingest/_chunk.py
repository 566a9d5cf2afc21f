"""Cut articles into chunks, the retrieval unit: one paragraph, or windows of a long one.

A paragraph of at most ``max_chars`` characters is one chunk,
``chunk_id = f"{article_id}:{paragraph_index}"``. A longer one is split at sentence ends
(:func:`newsqa.index._text.split_sentences`) into consecutive windows of whole sentences, each at
most ``max_chars`` long; a single sentence longer than that is cut hard every
``max_chars`` characters. Windows are ``f"{article_id}:{paragraph_index}.{window}"``.
Every chunk carries its span in the source file, mapped through the paragraph's breaks.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable

from .._text import split_sentences
from .._types import Article, Chunk, Paragraph

__all__ = ["chunk_articles", "windows"]

logger = logging.getLogger(__name__)


def windows(text: str, max_chars: int) -> list[tuple[int, int]]:
    """``(start, end)`` windows of ``text``: whole sentences, each at most ``max_chars``."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    if len(text) <= max_chars:
        return [(0, len(text))]
    pieces: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        while end - start > max_chars:
            pieces.append((start, start + max_chars))
            start += max_chars
        pieces.append((start, end))
    out: list[tuple[int, int]] = []
    for start, end in pieces:
        if out and end - out[-1][0] <= max_chars:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _source_offset(paragraph: Paragraph, i: int) -> int:
    """The source offset of text offset ``i`` of ``paragraph``."""
    if paragraph.breaks:
        k = bisect.bisect_right([t for t, _ in paragraph.breaks], i) - 1
        text_at, source_at = (0, paragraph.start) if k < 0 else paragraph.breaks[k]
        return source_at + (i - text_at)
    length = len(paragraph.text)
    span = paragraph.end - paragraph.start
    if span == length or length == 0:
        return paragraph.start + i
    return paragraph.start + round(i * span / length)  # escaped text: proportional


def _span(paragraph: Paragraph, start: int, end: int) -> tuple[int, int]:
    src_start = paragraph.start if start == 0 else _source_offset(paragraph, start)
    if end >= len(paragraph.text):
        return src_start, paragraph.end
    return src_start, min(paragraph.end, _source_offset(paragraph, end - 1) + 1)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_articles(articles: Iterable[Article], max_chars: int) -> list[Chunk]:
    """The chunks of ``articles`` in order: paragraphs, long ones as sentence windows."""
    chunks: list[Chunk] = []
    n_windowed = 0
    for article in articles:
        for p_index, paragraph in enumerate(article.paragraphs):
            spans = windows(paragraph.text, max_chars)
            n_windowed += len(spans) > 1
            for w_index, (w_start, w_end) in enumerate(spans):
                w_start, w_end = _trimmed(paragraph.text, w_start, w_end)
                if w_start >= w_end:
                    continue
                src_start, src_end = _span(paragraph, w_start, w_end)
                suffix = f".{w_index}" if len(spans) > 1 else ""
                chunks.append(
                    Chunk(
                        chunk_id=f"{article.article_id}:{p_index}{suffix}",
                        article_id=article.article_id,
                        title=article.title,
                        section=paragraph.section,
                        paragraph_index=p_index,
                        text=paragraph.text[w_start:w_end],
                        start=src_start,
                        end=src_end,
                        source_path=article.source_path,
                        date=article.date,
                        author=article.author,
                        origin=article.origin,
                        page=article.page,
                        url=article.url,
                    )
                )
    logger.debug("%d chunks (%d long paragraphs windowed)", len(chunks), n_windowed)
    return chunks
