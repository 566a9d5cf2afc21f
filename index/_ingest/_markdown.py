"""Markdown input: ``# `` headlines start articles, ``## `` (and deeper) headings are sections.

Paragraphs are separated by blank lines; the lines of one paragraph are unwrapped
(joined with one space between two non-Chinese characters, without one otherwise). Each list item
is a paragraph of its own; ``>`` quote markers, ``**``/``__``/backtick markup and link
targets are dropped, images, rules, HTML comments and fenced code are skipped. A
byline or credit as the first paragraph of an article (``□ 本报记者 张三``,
``作者：张三``) becomes the author. An optional front matter block (``---`` lines
around ``key: value``) may give ``title``, ``date``, ``author``, ``source`` (the
publication), ``page`` and ``url`` for every article of the file; without a ``source``,
the paper a byline names (``□ 中国妇女报全媒体记者 何静``) is the publication. Text
before the first ``# `` headline forms an article titled by the front matter ``title``
or the file name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from .._types import Paragraph
from ._builder import ParagraphBuilder
from ._credits import byline_names, credit_names, dateline_names, join_names
from ._draft import ArticleDraft, Parsed
from ._origin import paper_in_credit

__all__ = ["parse_markdown"]

logger = logging.getLogger(__name__)

_LINE = re.compile(r"[^\n]+\n?|\n")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])[ \t]+")
_QUOTE = re.compile(r"^(?:>[ \t]?)+")
_INLINE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|\*\*|__|`")
_FRONT_KEY = re.compile(r"^([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]")


@dataclass
class _Article:
    title: str
    line: int
    authors: list[str] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    section: str = ""
    seen_text: bool = False
    paper: str = ""


@dataclass
class _State:
    meta: dict[str, str]
    stem: str
    articles: list[_Article] = field(default_factory=list)
    builder: ParagraphBuilder = field(default_factory=ParagraphBuilder)

    def current(self, line: int) -> _Article:
        if not self.articles:
            self.articles.append(_Article(self.meta.get("title", self.stem), line))
        return self.articles[-1]

    def flush(self, line: int) -> None:
        if self.builder.empty:
            return
        article = self.current(line)
        text = self.builder.text
        first = not article.seen_text and not article.section
        article.seen_text = True
        names = (byline_names(text) or credit_names(text)) if first else None
        if first:
            article.paper = paper_in_credit(text)
        if names:
            article.authors.extend(names)
        else:
            if first:
                article.authors.extend(dateline_names(text) or [])
            article.paragraphs.append(self.builder.build(article.section))
        self.builder = ParagraphBuilder()


def _add_inline(builder: ParagraphBuilder, content: str, base: int) -> None:
    """Append ``content`` (found at ``base``) to ``builder`` without Markdown markup."""
    if not builder.empty and content:
        prev = builder.text[-1:]
        if not (_CJK.match(prev) or _CJK.match(content[0])):
            builder.add_synthetic(" ")
    pos = 0
    for match in _INLINE.finditer(content):
        builder.add(content[pos : match.start()], base + pos)
        if match.group(1):
            builder.add(match.group(1), base + match.start(1))
        pos = match.end()
    builder.add(content[pos:], base + pos)


def _front_matter(lines: list[tuple[str, int]]) -> tuple[dict[str, str], int]:
    """Front matter keys and the index of the first line after it (0 if there is none)."""
    first = next((i for i, (text, _) in enumerate(lines) if text.strip()), None)
    if first is None or lines[first][0].strip() != "---":
        return {}, 0
    meta: dict[str, str] = {}
    for i in range(first + 1, len(lines)):
        text = lines[i][0].strip()
        if text == "---":
            return meta, i + 1
        match = _FRONT_KEY.match(text)
        if match:
            meta[match.group(1).lower()] = match.group(2).strip("'\"")
    return {}, 0


def parse_markdown(text: str, name: str, stem: str) -> Parsed:
    """The articles of Markdown ``text``; ``name`` labels warnings, ``stem`` titles a lead."""
    lines = [(m.group().rstrip("\r\n"), m.start()) for m in _LINE.finditer(text)]
    meta, first = _front_matter(lines)
    state = _State(meta=meta, stem=stem)
    fenced = False
    for number in range(first, len(lines)):
        raw, base = lines[number]
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        if stripped.startswith(("```", "~~~")):
            state.flush(number + 1)
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _HEADING.match(stripped)
        if heading:
            state.flush(number + 1)
            title = heading.group(2).replace("**", "").strip()
            if not title:
                continue
            if len(heading.group(1)) == 1:
                state.articles.append(_Article(title, number + 1))
            else:
                state.current(number + 1).section = title
            continue
        if not stripped or _RULE.match(stripped) or _IMAGE_LINE.match(stripped):
            state.flush(number + 1)
            continue
        if stripped.startswith("<!--"):
            continue
        content, offset = stripped, base + lead
        quote = _QUOTE.match(content)
        if quote:
            content, offset = content[quote.end() :], offset + quote.end()
        item = _LIST_ITEM.match(content)
        if item:
            state.flush(number + 1)
            content, offset = content[item.end() :], offset + item.end()
        _add_inline(state.builder, content.strip(), offset + (len(content) - len(content.lstrip())))
    state.flush(len(lines))

    drafts: list[ArticleDraft] = []
    warnings: list[str] = []
    for article in state.articles:
        if not article.paragraphs:
            if article.title != stem or article.seen_text:
                warnings.append(f"{name}:{article.line}: headline {article.title!r} has no text")
            continue
        drafts.append(
            ArticleDraft(
                title=article.title,
                paragraphs=tuple(article.paragraphs),
                author=join_names(article.authors) or meta.get("author", ""),
                date=meta.get("date", ""),
                url=meta.get("url", ""),
                origin=meta.get("source", ""),
                page=meta.get("page", ""),
                credited_paper=article.paper,
            )
        )
    return Parsed(tuple(drafts), tuple(warnings))
