"""What a format parser hands back before ids and dates are assigned."""

from __future__ import annotations

from dataclasses import dataclass

from .._types import Paragraph

__all__ = ["ArticleDraft", "Parsed"]


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article as parsed: everything but its id (and maybe its date)."""

    title: str
    paragraphs: tuple[Paragraph, ...]
    author: str = ""
    date: str = ""
    url: str = ""
    origin: str = ""
    given_id: str = ""
    page: str = ""
    credited_paper: str = ""
    """The paper a byline or dateline names (``中国妇女报全媒体记者``): the article's
    origin when neither the input nor the file name names one."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The articles of one file, the warnings it gave and the duplicates dropped."""

    articles: tuple[ArticleDraft, ...] = ()
    warnings: tuple[str, ...] = ()
    duplicates_dropped: int = 0
