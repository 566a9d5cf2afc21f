"""Rendering answers as Telegram HTML, and splitting replies under Telegram's limit.

Every piece of quoted text goes through :func:`escape`; tags are only ever written
around already-escaped text, so a reply is balanced by construction. Lengths are
measured the way Telegram does (UTF-16 code units) on the raw HTML, which is never
shorter than the visible text, so a reply that passes here passes Telegram.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

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
_URL_LIMIT = 1000
_BOLD = ("<b>", "</b>")
_ANSWER = ("<b><u>", "</u></b>")


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


def _quote(
    text: str, span: tuple[int, int] | None, start: int, end: int, tags: tuple[str, str]
) -> str:
    """``text[start:end]`` escaped, with the part inside ``span`` wrapped in ``tags``."""
    if span is None or span[1] <= start or span[0] >= end:
        return escape(text[start:end])
    hs, he = max(span[0], start), min(span[1], end)
    opening, closing = tags
    return escape(text[start:hs]) + opening + escape(text[hs:he]) + closing + escape(text[he:end])


def _window(
    text: str, span: tuple[int, int] | None, start: int, end: int, tags: tuple[str, str]
) -> str:
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return prefix + _quote(text, span, start, end, tags) + suffix


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


def _fit_quote(
    text: str, span: tuple[int, int] | None, budget: int, tags: tuple[str, str] = _BOLD
) -> str:
    """The paragraph as HTML within ``budget``: whole, or cut with … around ``span``."""
    whole = _quote(text, span, 0, len(text), tags)
    if tg_len(whole) <= budget:
        return whole
    start = 0
    if span is not None:
        end = _widest(lambda b: tg_len(_window(text, span, 0, b, tags)) <= budget, 0, len(text))
        if end < span[1]:
            start = max(0, span[0] - _LEAD)
    end = _widest(lambda b: tg_len(_window(text, span, start, b, tags)) <= budget, start, len(text))
    if end <= start:
        return ELLIPSIS
    return _window(text, span, start, end, tags)


def _link(url: str) -> str:
    """``url`` when it is a plain http(s) address that can go in an ``href``, else ``""``."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > _URL_LIMIT:
        return ""
    if any(c.isspace() or ord(c) < 32 for c in url):
        return ""
    return url


def _source_line(hit: HitLike, position: int, total: int) -> str:
    """``来源：<citation>`` (a link when the hit has a URL), the section, and the hit's
    position among the answer's hits."""
    citation = _clip(hit.citation().strip(), _SOURCE_LIMIT)
    section = _clip(hit.section.strip(), _SOURCE_LIMIT)
    url = _link(hit.url)
    shown = escape(citation or "未注明")
    if url:
        shown = '<a href="' + html.escape(url, quote=True) + '">' + shown + "</a>"
    line = "来源：" + shown
    if section and section not in citation:
        line += " · " + escape(section)
    if position > total:
        line += f"（第 {position} 条）"
    elif total > 1:
        line += f"（第 {position}/{total} 条）"
    return "<i>" + line + "</i>"


def _marked(hit: HitLike) -> tuple[tuple[int, int] | None, tuple[str, str]]:
    """What to emphasise in the quote: the answer phrase (bold and underlined) when the
    hit has one, else the highlighted sentence (bold)."""
    answer = hit.answer_span
    if answer is not None:
        span = _valid_span(hit.text, answer)
        if span is not None:
            return span, _ANSWER
    return _valid_span(hit.text, hit.highlight_span), _BOLD


def render_hit(
    hit: HitLike,
    *,
    position: int = 1,
    total: int = 1,
    other_article: bool = False,
    limit: int = TELEGRAM_LIMIT,
) -> str:
    """One hit: the title in bold, the paragraph quoted with its answer phrase (or its
    best sentence) in bold, and a source line; an over-long paragraph is cut with … so
    the whole fits ``limit``. ``other_article`` adds a note that this hit comes from
    another article than the answer's best hit."""
    head = "<b>" + escape(_clip(hit.title.strip() or "（无标题）", _TITLE_LIMIT)) + "</b>"
    if other_article:
        head += _texts.OTHER_ARTICLE_HTML
    head += "\n"
    tail = "\n" + _source_line(hit, position, total)
    frame = "<blockquote></blockquote>"
    budget = limit - tg_len(head) - tg_len(tail) - tg_len(frame)
    span, tags = _marked(hit)
    body = _fit_quote(hit.text, span, budget, tags)
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
    best_article: str = "",
    limit: int = TELEGRAM_LIMIT,
) -> list[str]:
    """Hits ``first+1 .. first+len(hits)`` of ``total`` as one or more HTML messages,
    split between hits, with an optional italic notice line first. A hit from another
    article than ``best_article`` (the answer's best hit's) says so."""
    blocks: list[str] = []
    if notice.strip():
        blocks.append("<i>" + escape(_clip(notice.strip(), _NOTICE_LIMIT)) + "</i>")
    best = best_article or (hits[0].article_id if hits and first == 0 else "")
    for offset, hit in enumerate(hits):
        other = bool(best) and hit.article_id != best
        blocks.append(
            render_hit(
                hit,
                position=first + offset + 1,
                total=total,
                other_article=other,
                limit=limit,
            )
        )
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
