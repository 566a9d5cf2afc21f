"""Where an article was published: the paper, the date and the page.

Three places say it, each read conservatively (a wrong paper name in a reply is worse
than none):

* a page header line, printed above or below the page's articles and already kept out
  of their text by :mod:`._blocks` (``中国妇女报 2023年3月22日 第5版``,
  ``2023年3月22日 星期三``, ``第5版 要闻``): :func:`masthead`;
* the file name (``2024-03-21_page01.txt``, ``中国妇女报_2023-03-22_05.txt``,
  ``20230322_05.txt``): :func:`name_masthead`; a page number is only read from an
  explicit ``page``/``版`` or from a number right after the date;
* a byline or dateline naming the reporter's paper (``□ 中国妇女报全媒体记者 茹希佳``,
  ``中国妇女报记者 顾欣 发自苏州``): :func:`paper_in_credit`, used when nothing else
  names the paper. ``本报`` ("this paper") and news agencies name no publication.

Page numbers are normalised by :func:`normalize_page` (``"05"``, ``"第5版"``,
``"第五版"`` -> ``"5"``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ._ids import date_from_name, normalize_date

__all__ = [
    "Masthead",
    "commonest",
    "masthead",
    "name_masthead",
    "normalize_page",
    "paper_in_credit",
]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"^[零〇一二两三四五六七八九十百]{1,4}$")
_PAGE_VALUE = re.compile(
    r"^(?:第\s*)?([A-Za-z]{0,2})\s*0*(\d{1,3}|[零〇一二三四五六七八九十百]{1,4})\s*(?:版|页)?$"
)

_PAPER = r"[\u4e00-\u9fff]{1,12}?报"
"""A paper's name: Chinese characters ending in 报 (``中国妇女报``, ``人民日报``)."""
_NOT_PAPERS = frozenset({"本报", "日报", "晚报", "周报", "画报", "简报", "快报", "情报", "海报"})

_HEADER_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_HEADER_PAGE = re.compile(r"第\s*([0-9一二三四五六七八九十百]{1,4})\s*版")
_HEADER_PAPER = re.compile(rf"^(?:[《「]?)({_PAPER})(?:[》」]?)$")
_SENTENCE = re.compile(r"[，。！？；,;!?]")
_TOKEN_SPLIT = re.compile(r"[\s·・•|｜/／,，]+")

_CREDIT_PAPER = re.compile(
    rf"^(?:[□■]\s*)?({_PAPER})(?:社)?(?:全媒体|融媒体|特约|见习|实习|首席|驻\S{{1,4}})?记者"
)

_NAME_PAPER = re.compile(rf"^({_PAPER})(?=[-_ .·]|\d|$)")
_NAME_PAGE = re.compile(  # "page01", "pg5", "第5版", "05版"
    r"(?i)(?:(?<![a-z])(?:page|pg)[-_ ]?0*(\d{1,3})(?!\d))|(?:第?0*(\d{1,3})版)"
)
_NAME_DATE_THEN_NUMBER = re.compile(
    r"(?<!\d)(?:19|20)\d{2}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])"
    r"[-_ ]0*(\d{1,3})(?![\d.])"
)


@dataclass(frozen=True, slots=True)
class Masthead:
    """What a header line or a file name says about where its page was published."""

    paper: str = ""
    date: str = ""
    page: str = ""

    def __or__(self, other: Masthead) -> Masthead:
        """Each field from ``self``, or from ``other`` where ``self`` has none."""
        return Masthead(self.paper or other.paper, self.date or other.date, self.page or other.page)


def _cn_number(text: str) -> int:
    """``十二`` -> 12, ``二十`` -> 20, ``一百零五`` -> 105 (0 when not a number)."""
    if not _CN_NUMBER.match(text):
        return 0
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return total + current


def normalize_page(value: str) -> str:
    """A page as printed in replies: ``"05"``, ``"第5版"``, ``"第五版"`` -> ``"5"``,
    ``"A05"`` -> ``"A5"``; any other value is returned stripped."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _PAGE_VALUE.match(text)
    if not match:
        return text
    letters, number = match.groups()
    n = int(number) if number.isdigit() else _cn_number(number)
    return f"{letters.upper()}{n}" if n > 0 else text


def _paper(token: str) -> str:
    match = _HEADER_PAPER.match(token)
    if not match or match.group(1) in _NOT_PAPERS or match.group(1).endswith("简报"):
        return ""
    return match.group(1)


def masthead(line: str) -> Masthead:
    """The paper, date and page of a page header line (empty fields where it has none).

    Call it only on a line :func:`._blocks.is_page_header` accepts: the header tests
    there keep a sentence of the text from being read as one.
    """
    text = unicodedata.normalize("NFKC", line).strip()
    if _SENTENCE.search(text):
        return Masthead()
    date_match = _HEADER_DATE.search(text)
    date = normalize_date(date_match.group()) if date_match else ""
    page_match = _HEADER_PAGE.search(text)
    page = normalize_page(page_match.group()) if page_match else ""
    rest = _HEADER_PAGE.sub(" ", _HEADER_DATE.sub(" ", text))
    papers = [p for p in (_paper(t) for t in _TOKEN_SPLIT.split(rest) if t) if p]
    return Masthead(papers[0] if papers else "", date if len(date) == 10 else "", page)


def name_masthead(name: str) -> Masthead:
    """The paper, date and page named by a file name (its suffix is ignored)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = unicodedata.normalize("NFKC", stem)
    paper_match = _NAME_PAPER.match(stem)
    paper = paper_match.group(1) if paper_match else ""
    if paper in _NOT_PAPERS:
        paper = ""
    page = ""
    explicit = _NAME_PAGE.search(stem)
    if explicit:
        page = normalize_page(explicit.group(1) or explicit.group(2))
    else:
        after_date = _NAME_DATE_THEN_NUMBER.search(stem)
        if after_date:
            page = normalize_page(after_date.group(1))
    return Masthead(paper, date_from_name(stem), page if page != "0" else "")


def paper_in_credit(text: str) -> str:
    """The paper named by a byline or dateline at the start of ``text`` ("" if none):
    ``□ 中国妇女报全媒体记者 茹希佳`` -> ``中国妇女报``."""
    match = _CREDIT_PAPER.match(text.strip())
    if not match or match.group(1) in _NOT_PAPERS:
        return ""
    return match.group(1)


def commonest(papers: Iterable[str]) -> str:
    """The paper named most often (the first of a tie; "" when none is)."""
    counts = Counter(p for p in papers if p)
    if not counts:
        return ""
    best = max(counts.values())
    return next(p for p, n in counts.items() if n == best)
