"""Segment a raw newspaper page (plain text, one printed element per line) into articles.

The page is read line by line (see :mod:`newsqa.index._ingest._blocks`). A run of consecutive
heading lines is the headline of a new article when any of these holds, and otherwise
a section subhead of the article being read:

1. no article is open yet (the start of the page);
2. the open article is closed: a credit naming text and photo (``X/文 Y/摄``) after
   its text ended it;
3. the run has two or more lines (a headline with kicker or subtitle; subheads are
   single lines);
4. what follows the run is not a plain paragraph: a byline, a credit, a paragraph
   opening with a ``发自`` / ``本报讯`` dateline, or the end of the page;
5. a text-and-photo credit follows within :data:`PHOTO_STORY_MAX` paragraphs (a photo
   story: headline, caption paragraphs, credit);
6. the open article opened with a dateline: such short news items carry no subheads.

A line of at most :data:`LABEL_MAX` characters opening a headline run of several lines
is a column label (``两网之窗``) and is dropped. The headline lines are joined with one
space into the title.

Paragraphs: a paragraph that does not end a sentence (see
:func:`~newsqa.index._ingest._blocks.ends_sentence`) and is directly followed by another
paragraph line was cut by a column break: the two are rejoined (the span covers both,
the text leaves the break out). Exception: when the unfinished part alone is a
near-duplicate of another paragraph of the article, it is a stale draft, not the first
half of a cut, and is dropped instead. Near-duplicates are then dropped
(:mod:`newsqa.index._ingest._dedup`), keeping the longer version.

Where the page was published: its header lines (``中国妇女报 2023年3月22日 第5版``,
kept out of the text) give every article the paper, date and page they name; the
paper named most often by the page's bylines and datelines (``□ 中国妇女报全媒体记者
…``) is kept apart, for when neither the header nor the file name names one
(:mod:`._origin`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from .._types import Paragraph
from ._blocks import Block, Kind, ends_sentence, is_page_header, page_blocks
from ._builder import ParagraphBuilder
from ._credits import dateline_names, is_story_credit, join_names
from ._dedup import THRESHOLD, containment, grams, near_duplicates
from ._draft import ArticleDraft, Parsed
from ._origin import Masthead, commonest, masthead, paper_in_credit

__all__ = ["LABEL_MAX", "PHOTO_STORY_MAX", "parse_page"]

logger = logging.getLogger(__name__)

LABEL_MAX = 6
PHOTO_STORY_MAX = 4
_UNTITLED_MAX = 30


@dataclass
class _Entry:
    """A paragraph line of an article: the block, its position on the page, its section."""

    block: Block
    index: int
    section: str


@dataclass
class _Open:
    """An article while the page is being read."""

    title: str
    line: int
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    body: list[_Entry] = field(default_factory=list)
    section: str = ""
    by_dateline: bool = False
    closed: bool = False


def _heading_run(blocks: list[Block], i: int) -> int:
    j = i
    while j < len(blocks) and blocks[j].kind is Kind.HEADING:
        j += 1
    return j


def _photo_story_follows(blocks: list[Block], j: int) -> bool:
    for k in range(j, min(len(blocks), j + PHOTO_STORY_MAX + 1)):
        kind = blocks[k].kind
        if kind is Kind.CREDIT:
            return is_story_credit(blocks[k].text)
        if kind is not Kind.BODY:
            return False
    return False


def _starts_article(blocks: list[Block], i: int, j: int, current: _Open | None) -> bool:
    if current is None or current.closed or j - i >= 2:
        return True
    nxt = blocks[j] if j < len(blocks) else None
    if nxt is None or nxt.kind is not Kind.BODY or dateline_names(nxt.text) is not None:
        return True
    return _photo_story_follows(blocks, j) or current.by_dateline


def _title(run: list[Block]) -> str:
    lines = [b.text for b in run]
    if len(lines) >= 2 and len(lines[0]) <= LABEL_MAX and len(lines[1]) > len(lines[0]):
        logger.debug("column label %r dropped", lines[0])
        lines = lines[1:]
    return " ".join(re.sub(r"\s+", " ", line) for line in lines)


def _segment(blocks: list[Block]) -> list[_Open]:
    articles: list[_Open] = []
    current: _Open | None = None
    pending: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind is Kind.HEADING:
            j = _heading_run(blocks, i)
            if _starts_article(blocks, i, j, current):
                current = _Open(title=_title(blocks[i:j]), line=block.line, authors=pending)
                pending = []
                articles.append(current)
            else:
                assert current is not None
                current.section = " ".join(b.text for b in blocks[i:j])
            i = j
            continue
        if block.kind is Kind.BYLINE:
            (current.authors if current is not None else pending).extend(block.names)
        elif block.kind is Kind.CREDIT:
            if current is not None:
                current.credits.extend(block.names)
                ends_story = bool(current.body) and is_story_credit(block.text)
                current.closed = current.closed or ends_story
        elif block.kind is Kind.BODY:
            if current is None or current.closed:
                current = _Open(title="", line=block.line, authors=pending)
                pending = []
                articles.append(current)
            if not current.body:
                names = dateline_names(block.text)
                if names is not None:
                    current.by_dateline = True
                    current.authors.extend(names)
            current.body.append(_Entry(block, i, current.section))
        i += 1
    return articles


def _join_cuts(body: list[_Entry]) -> list[list[_Entry]]:
    groups: list[list[_Entry]] = []
    for entry in body:
        if groups:
            last = groups[-1][-1]
            if entry.index == last.index + 1 and not ends_sentence(last.block.text):
                groups[-1].append(entry)
                continue
        groups.append([entry])
    return groups


def _group_text(group: list[_Entry]) -> str:
    return "".join(e.block.text for e in group)


def _split_stale_heads(groups: list[list[_Entry]]) -> list[list[_Entry]]:
    """Undo a join whose unfinished first part is a near-duplicate of another paragraph."""
    joined = [grams(_group_text(g)) for g in groups]
    out: list[list[_Entry]] = []
    for gi, group in enumerate(groups):
        if len(group) > 1:
            head = group[0].block.text
            head_grams = grams(head)
            for gj, other in enumerate(joined):
                longer = gj != gi and len(_group_text(groups[gj])) > len(head)
                if longer and containment(head_grams, other) >= THRESHOLD:
                    logger.debug("line %d: stale draft, not a cut", group[0].block.line)
                    out.append(group[:1])
                    group = group[1:]
                    break
        out.append(group)
    return out


def _paragraphs(body: list[_Entry]) -> tuple[list[Paragraph], int]:
    groups = _split_stale_heads(_join_cuts(body))
    texts = [_group_text(g) for g in groups]
    drop = near_duplicates(texts)
    paragraphs: list[Paragraph] = []
    for gi, group in enumerate(groups):
        if gi in drop:
            logger.debug("line %d: near-duplicate paragraph dropped", group[0].block.line)
            continue
        builder = ParagraphBuilder()
        for entry in group:
            builder.add(entry.block.text, entry.block.start)
        paragraphs.append(builder.build(group[0].section))
    return paragraphs, len(drop)


def _untitled(paragraphs: list[Paragraph]) -> str:
    first = re.split(r"(?<=[。！？!?])", paragraphs[0].text, maxsplit=1)[0]
    return first if len(first) <= _UNTITLED_MAX else first[:_UNTITLED_MAX] + "…"


def _page_head(blocks: list[Block]) -> Masthead:
    """What the page's header lines say (the first line naming each field wins)."""
    head = Masthead()
    for block in blocks:
        if block.kind is Kind.SKIP and is_page_header(block.text):
            head = head | masthead(block.text)
    return head


def _credited_paper(blocks: list[Block]) -> str:
    """The paper the page's bylines and datelines name most often ("" if none)."""
    credits = (
        b.text
        for b in blocks
        if b.kind is Kind.BYLINE or (b.kind is Kind.BODY and dateline_names(b.text) is not None)
    )
    return commonest(paper_in_credit(text) for text in credits)


def parse_page(text: str, name: str) -> Parsed:
    """The articles of a raw page ``text``; ``name`` labels warnings."""
    drafts: list[ArticleDraft] = []
    warnings: list[str] = []
    dropped = 0
    blocks = page_blocks(text)
    head = _page_head(blocks)
    credited = _credited_paper(blocks)
    for art in _segment(blocks):
        paragraphs, n_dropped = _paragraphs(art.body)
        dropped += n_dropped
        title = art.title
        if not paragraphs:
            warnings.append(f"{name}:{art.line}: headline {title!r} has no text; skipped")
            continue
        if not title:
            title = _untitled(paragraphs)
            warnings.append(f"{name}:{art.line}: text before the first headline, titled {title!r}")
        author = join_names(art.authors) or join_names(art.credits)
        drafts.append(
            ArticleDraft(
                title=title,
                paragraphs=tuple(paragraphs),
                author=author,
                date=head.date,
                origin=head.paper,
                page=head.page,
                credited_paper=credited,
            )
        )
    return Parsed(tuple(drafts), tuple(warnings), dropped)
