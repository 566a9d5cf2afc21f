"""Who wrote it: bylines, datelines and photo credits of a newspaper page.

* byline, a line of its own: ``□ 中国妇女报全媒体记者 姚改政 □ 吴贞科``;
* dateline, opening a first paragraph and kept in its text:
  ``中国妇女报全媒体记者林志文/林泳雨 发自中山 …``, ``本报讯（记者 张三）…``, or
  a bare ``本报讯`` / ``新华社北京3月1日电`` that names nobody;
* credit, a line of its own: ``邵伟/文 李萍/摄``, ``本报记者 张三 摄``, ``（张三 李四）``
  closing a news item; one naming both text and photo
  (``/文`` with ``/摄`` or ``/图``) credits a whole photo story and so closes it.

Each parser returns the personal names, roles (``记者``, ``通讯员`` ...) removed.
"""

from __future__ import annotations

import re

__all__ = [
    "byline_names",
    "credit_names",
    "dateline_names",
    "is_story_credit",
    "join_names",
]

_ROLE = re.compile(
    r"[^\s□■/／、,，;；()（）]*?"
    r"(?:全媒体记者|特约记者|见习记者|实习记者|首席记者|记者|特约通讯员|通讯员|实习生|"
    r"特约撰稿人|撰稿人|撰稿|作者)[:：]?"
)
_SEPARATORS = re.compile(r"[\s□■/／、,，;；()（）]+")
_NAME = re.compile(r"^[\u3400-\u9fff·•]{2,12}$|^[A-Za-z][A-Za-z .'-]{1,30}$")
_NOT_NAMES = frozenset({"发自", "报道", "摄影", "文", "摄", "图"})

_BYLINE_MARK = re.compile(r"^[□■]\s*")
_PLAIN_BYLINE = re.compile(
    r"^(?:(?:本报|本刊|中国妇女报|新华社)?(?:全媒体|特约|见习|实习|首席)?记者|通讯员|作者[:：]|文[/／:：])"
    r"\s*[\u3400-\u9fff]"
)
_DATELINE = re.compile(
    r"^(?P<credit>[^,，。:：;；]{0,40}?(?:记者|通讯员)[^,，。:：;；]{0,40}?)\s*发自"
)
_WIRE_DATELINE = re.compile(
    r"^(?:本报讯|[^,，。]{0,24}电)\s*[（(](?P<credit>[^）)]{0,40}(?:记者|通讯员)[^）)]{0,40})[）)]"
)
_CREDIT_ITEM = r"[^\s/／]{1,15}\s?[/／]\s?(?:文字|文图|图文|文|摄影|摄|图|绘|制图)"
_CREDIT = re.compile(rf"^(?:{_CREDIT_ITEM})(?:\s+{_CREDIT_ITEM})*$")
_CREDIT_ROLE = re.compile(r"\s?[/／]\s?(?:文字|文图|图文|文|摄影|摄|图|绘|制图)")
_PLAIN_CREDIT = re.compile(
    r"^(?:(?:本报|中国妇女报)?\S{0,6}(?:记者|通讯员))?\s*"
    r"(?P<names>[\u3400-\u9fff]{2,4}(?:\s+[\u3400-\u9fff]{2,4})*)\s*(?:摄|供图)$"
)
_PAREN_CREDIT = re.compile(
    r"^[（(](?P<names>[\u3400-\u9fff·]{2,12}(?:[\s、/／]+[\u3400-\u9fff·]{2,12})*)[）)]$"
)
_BARE_DATELINE = re.compile(r"^(?:本报讯|(?:新华社|中新社|人民网|央视网)[^,，。]{0,16}电)")


def _names(credit: str) -> list[str]:
    out: list[str] = []
    for token in _SEPARATORS.split(_ROLE.sub(" ", credit)):
        token = token.strip()
        if token and token not in _NOT_NAMES and _NAME.match(token):
            out.append(token)
    return out


def join_names(*groups: list[str] | tuple[str, ...] | str) -> str:
    """Names from several sources, space-separated, first occurrence kept."""
    seen: list[str] = []
    for group in groups:
        items = group.split() if isinstance(group, str) else group
        for name in items:
            if name and name not in seen:
                seen.append(name)
    return " ".join(seen)


def byline_names(line: str) -> list[str] | None:
    """The names of a byline line, or ``None`` when ``line`` is not a byline."""
    if len(line) > 60 or re.search(r"[。!！?？]$", line):
        return None
    if _BYLINE_MARK.match(line):
        return _names(line.replace("□", " ").replace("■", " "))
    if len(line) <= 30 and "发自" not in line and _PLAIN_BYLINE.match(line):
        names = _names(line)
        return names or None
    return None


def dateline_names(paragraph: str) -> list[str] | None:
    """Reporter names of a dateline opening ``paragraph``, or ``None`` if it has none."""
    match = _DATELINE.match(paragraph) or _WIRE_DATELINE.match(paragraph)
    if match is None:
        return [] if _BARE_DATELINE.match(paragraph) else None
    return _names(match.group("credit"))


def credit_names(line: str) -> list[str] | None:
    """The names of a credit line (``邵伟/文 李萍/摄``), or ``None`` if it is not one."""
    if len(line) > 40:
        return None
    if _CREDIT.match(line):
        return _names(_CREDIT_ROLE.sub(" ", line))
    plain = _PLAIN_CREDIT.match(line) or _PAREN_CREDIT.match(line)
    if plain:
        return _names(plain.group("names"))
    return None


def is_story_credit(line: str) -> bool:
    """A credit naming both the text and the photo: the end of a photo story."""
    roles = {m.group(0).strip(" /／") for m in _CREDIT_ROLE.finditer(line)}
    if roles & {"文图", "图文"}:
        return True
    return bool(roles & {"文", "文字"}) and bool(roles & {"摄", "摄影", "图"})
