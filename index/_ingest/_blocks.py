"""Split a newspaper page into its lines and tell what each line is.

A page has one printed element per line, usually with blank lines between them.
Each non-blank line becomes a :class:`Block` of one :class:`Kind`:

* ``HEADING``: short (at most :data:`HEADING_MAX` characters), not ending a sentence,
  no ``。；`` and no comma inside (this paper's headlines separate phrases with a
  space): a headline line, subhead or column label;
* ``BYLINE``: ``□ 记者 姓名`` or ``本报记者 姓名`` on its own line;
* ``CREDIT``: ``姓名/文 姓名/摄``, ``记者 姓名 摄``;
* ``SKIP``: page furniture, dropped: ``（下转第3版）``, ``第3版 要闻``, a page header
  such as ``2024年3月21日 星期四`` or ``中国妇女报 第5版`` (what a header says about
  the page is read by :mod:`._origin`, :func:`is_page_header`);
* ``BODY``: everything else, a paragraph or part of one.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass

from ._credits import byline_names, credit_names, dateline_names

__all__ = ["HEADING_MAX", "Block", "Kind", "ends_sentence", "is_page_header", "page_blocks"]

HEADING_MAX = 40
"""Longest line that can be a headline or subhead (the paper's run to about 25)."""

_SENTENCE_END = re.compile(r"[。！？!?…；;：:][”’」』）)》\]]*$")
_CLOSED = re.compile(r"(?:[。！？!?…；;：:]|[”’」』》])[”’」』）)》\]]*$")
_JUMP = re.compile(
    r"^[（(]\s*(?:下转|上接|转|接)第?\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版\s*[）)]$"
)
_PAGE_NUMBER = re.compile(
    r"^第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版(?:\s*[:：]?\s*\S{1,8})?$"
)
_PAGE_HEADER = re.compile(
    r"^(?=.{0,60}$)(?=.*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
    r"(?=.*(?:星期[一二三四五六日天]|第\s*[0-9一二三四五六七八九十]{1,3}\s*版))"
)
_PAPER_PAGE = re.compile(
    r"^[《]?[\u4e00-\u9fff]{1,12}报[》]?\s*[·・|｜]?\s*"
    r"第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版(?:\s*[:：·]?\s*\S{1,8})?$"
)
_SENTENCE_MARK = re.compile(r"[，。！？；,;!?]")


class Kind(enum.Enum):
    """What a line of a page is."""

    HEADING = "heading"
    BYLINE = "byline"
    CREDIT = "credit"
    SKIP = "skip"
    BODY = "body"


@dataclass(frozen=True, slots=True)
class Block:
    """One non-blank line: stripped text, its span in the page, what it is."""

    text: str
    start: int
    end: int
    line: int
    kind: Kind
    names: tuple[str, ...] = ()


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends a sentence or closes a quotation (so it is not cut off)."""
    return bool(_CLOSED.search(text))


def is_page_header(text: str) -> bool:
    """Whether a stripped line is a page header: a page number (``第5版 要闻``), a
    date with a weekday or page (``2023年3月22日 星期三``), or a paper and page
    (``中国妇女报 第5版``); never a line with sentence punctuation."""
    if _SENTENCE_MARK.search(text):
        return False
    return bool(_PAGE_NUMBER.match(text) or _PAGE_HEADER.match(text) or _PAPER_PAGE.match(text))


def _is_heading(text: str) -> bool:
    if len(text) > HEADING_MAX or _SENTENCE_END.search(text):
        return False
    return not re.search(r"[。；;,，]", text)


def classify(text: str) -> tuple[Kind, tuple[str, ...]]:
    """The kind of one stripped line and the names it credits, if any."""
    names = byline_names(text)
    if names is not None:
        return Kind.BYLINE, tuple(names)
    names = credit_names(text)
    if names is not None:
        return Kind.CREDIT, tuple(names)
    if _JUMP.match(text) or _PAGE_NUMBER.match(text) or _PAGE_HEADER.match(text):
        return Kind.SKIP, ()
    if _PAPER_PAGE.match(text):
        return Kind.SKIP, ()
    if _is_heading(text):
        return Kind.HEADING, ()
    return Kind.BODY, ()


def _opens_article(block: Block) -> bool:
    return block.kind is Kind.BYLINE or (
        block.kind is Kind.BODY and dateline_names(block.text) is not None
    )


def _headline_with_commas(blocks: list[Block]) -> list[Block]:
    """Short unfinished lines just before a byline or dateline are headline lines.

    Headlines here separate phrases with spaces, but one with a comma
    (``春风里,她们在田间忙碌``) is still a headline when a byline or a dateline follows.
    """
    out = list(blocks)
    for i in range(len(out) - 2, -1, -1):
        block, nxt = out[i], out[i + 1]
        upgraded_next = nxt.kind is Kind.HEADING and blocks[i + 1].kind is Kind.BODY
        if (
            block.kind is Kind.BODY
            and len(block.text) <= HEADING_MAX
            and not _SENTENCE_END.search(block.text)
            and not re.search(r"[。；;]", block.text)
            and (_opens_article(nxt) or upgraded_next)
        ):
            out[i] = dataclasses.replace(block, kind=Kind.HEADING)
    return out


def page_blocks(text: str) -> list[Block]:
    """The non-blank lines of ``text`` with spans of their stripped text."""
    blocks: list[Block] = []
    offset = 0
    for number, raw in enumerate(text.splitlines(keepends=True), start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if stripped:
            start = offset + (len(line) - len(line.lstrip()))
            kind, names = classify(stripped)
            blocks.append(Block(stripped, start, start + len(stripped), number, kind, names))
        offset += len(raw)
    return _headline_with_commas(blocks)
