"""JSONL input: one article per line, ``{"title", "text"}`` plus optional metadata.

Optional keys: ``id``, ``date``, ``source`` (the publication), ``page`` (of the
paper, a string or a number), ``url``, ``author``. ``text`` is split into
paragraphs at every line break (blank lines are skipped). A line that is not valid JSON
or lacks a non-empty ``title`` or ``text`` (or where one is not a string, or a field
holds a lone surrogate escape such as ``\\ud800``) is skipped with a warning naming
``file:line``. Paragraph spans point into the raw JSON string in the file: a small
scanner locates the ``text`` value and maps decoded characters back through escapes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

from .._types import Paragraph
from ._builder import ParagraphBuilder
from ._draft import ArticleDraft, Parsed

__all__ = ["parse_jsonl"]

logger = logging.getLogger(__name__)

_WS = " \t\r\n"
_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\."
)
_LINE = re.compile(r"[^\n]+\n?|\n")
_NO_SPACE = re.compile(r"\s+")
_STRING_END = re.compile(r'(?:[^"\\]|\\.)*"')
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELDS = ("title", "text", "author", "date", "url", "source", "page", "id")
_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", list: "an array"}


def _skip_ws(line: str, i: int) -> int:
    while i < len(line) and line[i] in _WS:
        i += 1
    return i


def _string_end(line: str, i: int) -> int:
    """Index just past the string literal starting with the quote at ``i``."""
    match = _STRING_END.match(line, i + 1)
    if match is None:
        raise ValueError("unterminated string")
    return match.end()


def _value_end(line: str, i: int) -> int:
    depth = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            i = _string_end(line, i)
            if depth == 0:
                return i
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                return i
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "," and depth == 0:
            return i
        i += 1
    return i


def _text_literal(line: str, key: str) -> tuple[int, int] | None:
    """``(start, end)`` of the raw content of top-level string value ``key`` in ``line``."""
    i = _skip_ws(line, 0)
    if i >= len(line) or line[i] != "{":
        return None
    i += 1
    while True:
        i = _skip_ws(line, i)
        if i >= len(line) or line[i] != '"':
            return None
        k_end = _string_end(line, i)
        name = json.loads(line[i:k_end])
        i = _skip_ws(line, k_end)
        if i >= len(line) or line[i] != ":":
            return None
        i = _skip_ws(line, i + 1)
        if name == key and i < len(line) and line[i] == '"':
            return i + 1, _string_end(line, i) - 1
        i = _skip_ws(line, _value_end(line, i))
        if i >= len(line) or line[i] != ",":
            return None
        i += 1


def _tokens(raw: str, base: int) -> Iterator[tuple[str, int, int]]:
    """Decoded pieces of a JSON string's raw content: ``(text, source start, source end)``."""
    pos = 0
    for match in _ESCAPE.finditer(raw):
        if match.start() > pos:
            yield raw[pos : match.start()], base + pos, base + match.start()
        yield json.loads('"' + match.group() + '"'), base + match.start(), base + match.end()
        pos = match.end()
    if pos < len(raw):
        yield raw[pos:], base + pos, base + len(raw)


def _mapped_paragraphs(raw: str, base: int) -> list[Paragraph]:
    """Paragraphs of a raw JSON string content, split at line breaks, with source spans."""
    lines: list[list[tuple[str, int, int]]] = [[]]
    for text, start, end in _tokens(raw, base):
        if text in ("\n", "\r", "\u2028", "\u2029"):
            lines.append([])
        else:
            lines[-1].append((text, start, end))
    paragraphs: list[Paragraph] = []
    for pieces in lines:
        while pieces and not pieces[0][0].strip():
            pieces.pop(0)
        while pieces and not pieces[-1][0].strip():
            pieces.pop()
        if not pieces:
            continue
        first, s0, e0 = pieces[0]
        if s0 + len(first) == e0:  # a verbatim run: trim its leading blanks in place
            lead = len(first) - len(first.lstrip())
            pieces[0] = (first[lead:], s0 + lead, e0)
        last, s1, e1 = pieces[-1]
        if s1 + len(last) == e1:
            trimmed = last.rstrip()
            pieces[-1] = (trimmed, s1, s1 + len(trimmed))
        builder = ParagraphBuilder()
        for text, start, end in pieces:
            builder.add(text, start, end)
        paragraphs.append(builder.build())
    return paragraphs


def _plain_paragraphs(text: str, start: int, end: int) -> list[Paragraph]:
    """Fallback when the raw value cannot be located: every span covers the line."""
    parts = re.split(r"[\r\n\u2028\u2029]+", text)
    return [Paragraph(text=p.strip(), start=start, end=end) for p in parts if p.strip()]


def _string_field(record: dict[str, object], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _type_name(value: object) -> str:
    return _JSON_TYPES.get(type(value), "an object")


def _parse_line(line: str, base: int) -> ArticleDraft | str:
    """The article of one line, or the reason it is skipped."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"bad JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return "not a JSON object"
    title, text = record.get("title"), record.get("text")
    if title is None:  # an empty headline is allowed (CMRC has two)
        return "missing title"
    if not isinstance(title, str):
        return f"title is not a string ({_type_name(title)})"
    if text is None or (isinstance(text, str) and not text.strip()):
        return "missing text"
    if not isinstance(text, str):
        return f"text is not a string ({_type_name(text)})"
    bad = next((k for k in _FIELDS if _SURROGATE.search(_string_field(record, k))), None)
    if bad is not None:
        return f"{bad} holds a lone surrogate (an invalid \\u escape)"
    try:
        literal = _text_literal(line, "text")
    except ValueError:
        literal = None
    paragraphs: list[Paragraph] = []
    if literal is not None:
        paragraphs = _mapped_paragraphs(line[literal[0] : literal[1]], base + literal[0])
        mapped = _NO_SPACE.sub("", "".join(p.text for p in paragraphs))
        if mapped != _NO_SPACE.sub("", text):  # e.g. a repeated key: json keeps the last
            paragraphs = []
    if not paragraphs:
        paragraphs = _plain_paragraphs(text, base, base + len(line))
    return ArticleDraft(
        title=re.sub(r"\s+", " ", title.strip()),
        paragraphs=tuple(paragraphs),
        author=_string_field(record, "author"),
        date=_string_field(record, "date"),
        url=_string_field(record, "url"),
        origin=_string_field(record, "source"),
        given_id=_string_field(record, "id"),
        page=_string_field(record, "page"),
    )


def parse_jsonl(text: str, name: str) -> Parsed:
    """The articles of JSONL ``text``; ``name`` labels warnings."""
    drafts: list[ArticleDraft] = []
    warnings: list[str] = []
    for number, match in enumerate(_LINE.finditer(text), start=1):
        line, base = match.group().rstrip("\r\n"), match.start()
        if not line.strip():
            continue
        result = _parse_line(line, base)
        if isinstance(result, str):
            warnings.append(f"{name}:{number}: {result}; line skipped")
            continue
        drafts.append(result)
    return Parsed(tuple(drafts), tuple(warnings))
