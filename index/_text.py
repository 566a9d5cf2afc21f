"""Text normalisation for matching, applied identically to the corpus and to questions.

``normalize`` folds Unicode compatibility forms (NFKC: full-width letters, digits and
punctuation become half-width), converts Traditional to Simplified Chinese with OpenCC
and lower-cases Latin letters. It is used only to *match*; what a reader is shown is
always the original text. ``split_sentences`` cuts text at Chinese and Latin sentence
ends, keeping offsets so a sentence can be located in the original paragraph.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

__all__ = ["content_chars", "normalize", "split_sentences", "to_simplified"]

_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\n+")
_NON_CONTENT = re.compile(r"[\W_]+", re.UNICODE)


@functools.lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc  # lazy: the dictionaries take a moment to load

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese (OpenCC ``t2s``); other text passes through."""
    if not text:
        return text
    converted: str = _converter().convert(text)
    return converted


def normalize(text: str) -> str:
    """NFKC, Traditional to Simplified, lower case: the form both sides are matched in.

    NFKC and OpenCC ``t2s`` map characters one to one for CJK text, so offsets in the
    normalised text match offsets in the original closely enough to locate sentences.
    """
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def content_chars(text: str) -> str:
    """Only letters and digits, after :func:`normalize` (punctuation, spaces, symbols dropped)."""
    return _NON_CONTENT.sub("", normalize(text))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences of ``text``, covering it without gaps.

    A sentence ends after ``。！？!?；;…`` (with any closing quotes) or a line break.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans
