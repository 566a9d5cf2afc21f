"""Is decoded text plausible (Chinese) text, or garbage from a wrong decoding?

:func:`implausible` names what is wrong with a decoded text: lone surrogates, mostly
replacement characters, control characters (binary data: over 1% C0 controls, or over
10% with DEL and the C1 controls), or mojibake (the Latin-1 letters that UTF-8 or GBK
bytes of Chinese become when read as Latin-1).
:func:`chinese_score` rates a decoding by how many of its Chinese characters are
common ones (GB2312 level 1 or Big5's frequently used set): the right one of GB18030
and Big5 scores near 1, the wrong one far lower. :func:`looks_like_text` checks
UTF-16 decoded without a BOM.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

__all__ = ["chinese_score", "implausible", "looks_like_text"]

logger = logging.getLogger(__name__)

_MAX_CONTROL_SHARE = 0.01
_MAX_REPLACEMENT_SHARE = 0.2
_MAX_MOJIBAKE_SHARE = 0.3
_MIN_COUNTED = 8
_SCORE_SAMPLE = 20_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_C1_SHARE = 0.1
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")  # not \t \n \v \f \r
_C1 = re.compile("[\x7f-\x9f]")
_LATIN1 = re.compile("[\x80-\xff]")
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_PUNCTUATION = r"\u2000-\u206f\u2100-\u27bf\u3000-\u303f\uff00-\uffef"
_NEUTRAL = re.compile(rf"[\s\x00-\x7f{_PUNCTUATION}]")
_HANZI = r"\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_TEXT = re.compile(rf"[\s\x20-\x7e\xa0-\xff{_PUNCTUATION}{_HANZI}]")


@lru_cache(maxsize=65536)
def _common(ch: str) -> bool:
    """Whether ``ch`` is a frequently used Chinese character (simplified or traditional)."""
    try:
        gb = ch.encode("gb2312")
        if len(gb) == 2 and 0xB0 <= gb[0] <= 0xD7:  # GB2312 level 1: 3755 common hanzi
            return True
    except UnicodeEncodeError:
        pass
    try:
        big5 = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(big5) == 2 and 0xA440 <= (big5[0] << 8 | big5[1]) <= 0xC67E  # 5401 common


def chinese_score(text: str) -> float | None:
    """Share of common Chinese characters among the non-ASCII, non-punctuation ones.

    None when ``text`` has too few such characters to tell.
    """
    counted = common = 0
    for ch in text:
        if _NEUTRAL.match(ch):
            continue
        counted += 1
        common += _common(ch)
        if counted >= _SCORE_SAMPLE:
            break
    return common / counted if counted >= _MIN_COUNTED else None


def looks_like_text(text: str) -> bool:
    """Whether nearly every character is one a Chinese or English text would use."""
    if not text:
        return False
    texty = sum(1 for ch in text if _TEXT.match(ch))
    return texty >= 0.95 * len(text)


def _share(count: int, text: str) -> float:
    visible = len(text) - sum(1 for ch in text if ch.isspace())
    return count / visible if visible else 0.0


def implausible(text: str, encoding: str) -> str | None:
    """Why ``text`` (decoded as ``encoding``) is garbage rather than text, or None."""
    if _SURROGATE.search(text):
        return f"invalid Unicode (lone surrogates) after decoding as {encoding}"
    replacements = text.count("\ufffd")
    if replacements >= _MIN_COUNTED and _share(replacements, text) > _MAX_REPLACEMENT_SHARE:
        return "mostly U+FFFD replacement characters: damaged before it was saved"
    foreign = len(_LATIN1.findall(text))
    if (
        foreign >= _MIN_COUNTED
        and _share(foreign, text) > _MAX_MOJIBAKE_SHARE
        and len(_CJK.findall(text)) * 4 < foreign
    ):
        return f"mojibake: Latin-1 letters where Chinese was expected, as {encoding}"
    controls = len(_CONTROL.findall(text))
    if controls > _MAX_CONTROL_SHARE * len(text) or (
        controls + len(_C1.findall(text)) > _MAX_C1_SHARE * len(text)
    ):
        return f"binary data (control characters after decoding as {encoding})"
    return None
