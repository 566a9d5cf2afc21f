"""Rendering answers as Telegram HTML, and splitting replies under Telegram's limit.

Every piece of quoted text goes through :func:`escape`; tags are only ever written
around already-escaped text, so a reply is balanced by construction. Lengths are
measured the way Telegram does (UTF-16 code units) on the raw HTML, which is never
shorter than the visible text, so a reply that passes here passes Telegram.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import PurePath

from . import _texts
from ._types import HitLike, IndexInfoLike

__all__ = [
    "TELEGRAM_LIMIT",
    "escape",
    "intro_html",
    "pack",
    "render_hit",
    "render_page",
    "tg_len",
]

TELEGRAM_LIMIT = 4096
"""Telegram's maximum message length, in UTF-16 code units after entity parsing."""

ELLIPSIS = "…"
_TITLE_LIMIT = 200
_SOURCE_LIMIT = 300
_NOTICE_LIMIT = 500
_LEAD = 40
"""Characters kept before the highlighted sentence when a paragraph must be cut."""
_SEPARATOR = "\n\n"


def tg_len(text: str) -> int:
    """The length of ``text`` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _valid_span(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    start, end = span
    if 0 <= start < end <= len(text):
        return start, end
    return None


def _quote(text: str, span: tuple[int, int] | None, start: int, end: int) -> str:
    """``text[start:end]`` escaped, with the part inside ``span`` in bold."""
    if span is None or span[1] <= start or span[0] >= end:
        return escape(text[start:end])
    hs, he = max(span[0], start), min(span[1], end)
    return escape(text[start:hs]) + "<b>" + escape(text[hs:he]) + "</b>" + escape(text[he:end])


def _window(text: str, span: tuple[int, int] | None, start: int, end: int) -> str:
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return prefix + _quote(text, span, start, end) + suffix


def _widest(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The largest ``b`` in ``[low, high]`` with ``fits(b)``, or ``low - 1`` if none."""
    best = low - 1
    while low <= high:
        mid = (low + high) // 2
        if fits(mid):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    return best


def _fit_quote(text: str, span: tuple[int, int] | None, budget: int) -> str:
    """The paragraph as HTML within ``budget``: whole, or cut with … around the highlight."""
    whole = _quote(text, span, 0, len(text))
    if tg_len(whole) <= budget:
        return whole
    start = 0
    if span is not None:
        end = _widest(lambda b: tg_len(_window(text, span, 0, b)) <= budget, 0, len(text))
        if end < span[1]:
            start = max(0, span[0] - _LEAD)
    end = _widest(lambda b: tg_len(_window(text, span, start, b)) <= budget, start, len(text))
    if end <= start:
        return ELLIPSIS
    return _window(text, span, start, end)


def _source_line(hit: HitLike, position: int, total: int) -> str:
    parts = [hit.section.strip(), hit.date.strip(), PurePath(hit.source).name if hit.source else ""]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    line = "来源：" + (" · ".join(seen) if seen else "未注明")
    if total > 1:
        line += f"（第 {position}/{total} 条）"
    return "<i>" + escape(_clip(line, _SOURCE_LIMIT)) + "</i>"


def render_hit(
    hit: HitLike, *, position: int = 1, total: int = 1, limit: int = TELEGRAM_LIMIT
) -> str:
    """One hit: the title in bold, the paragraph quoted with its best sentence in bold,
    and a source line; an over-long paragraph is cut with … so the whole fits ``limit``."""
    head = "<b>" + escape(_clip(hit.title.strip() or "（无标题）", _TITLE_LIMIT)) + "</b>\n"
    tail = "\n" + _source_line(hit, position, total)
    frame = "<blockquote></blockquote>"
    budget = limit - tg_len(head) - tg_len(tail) - tg_len(frame)
    body = _fit_quote(hit.text, _valid_span(hit.text, hit.highlight_span), budget)
    return head + "<blockquote>" + body + "</blockquote>" + tail


def pack(blocks: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join ``blocks`` into as few messages of at most ``limit`` as possible, never
    splitting a block (each block must itself fit)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if tg_len(block) > limit:
            raise ValueError("a block is longer than the message limit")
        candidate = block if not current else current + _SEPARATOR + block
        if tg_len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


def render_page(
    hits: Sequence[HitLike],
    *,
    first: int,
    total: int,
    notice: str = "",
    limit: int = TELEGRAM_LIMIT,
) -> list[str]:
    """Hits ``first+1 .. first+len(hits)`` of ``total`` as one or more HTML messages,
    split between hits, with an optional italic notice line first."""
    blocks: list[str] = []
    if notice.strip():
        blocks.append("<i>" + escape(_clip(notice.strip(), _NOTICE_LIMIT)) + "</i>")
    for offset, hit in enumerate(hits):
        blocks.append(render_hit(hit, position=first + offset + 1, total=total, limit=limit))
    return pack(blocks, limit)


def intro_html(info: IndexInfoLike | None) -> str:
    """The /start and /help text, with the index's size and newest date when known."""
    if info is None:
        articles, chunks, newest = "若干", "若干", ""
    else:
        articles, chunks = f"{info.articles:,}", f"{info.chunks:,}"
        date = info.newest_date.strip()
        newest = _texts.INTRO_NEWEST_HTML.format(date=escape(date)) if date else ""
    return _texts.INTRO_HTML.format(articles=articles, chunks=chunks, newest=newest)
