"""Read a corpus file and decode it: UTF-8 (with or without BOM), GB18030, Big5, or a guess.

Order: UTF-16 when it carries a BOM; UTF-16 without one when NUL bytes sit at every
other position (ASCII characters of UTF-16) and the result reads as text; otherwise
``utf-8-sig`` strictly, then ``gb18030`` strictly (a superset of GBK and GB2312), then
Big5 (``cp950``, ``big5hkscs``), then charset-normalizer as a last resort. Big5 bytes
are nearly always valid GBK too, so where both decode the one whose Chinese characters
are common ones wins (:func:`~newsqa.index._ingest._plausible.chinese_score`), GB18030
unless Big5 is clearly better. Binary data (NUL bytes, control characters) and garbage
(replacement characters, mojibake, see :mod:`newsqa.index._ingest._plausible`) are
refused. The BOM is removed, so offsets into the returned text are the spans every
paragraph records.
"""

from __future__ import annotations

import codecs
import logging

from ._plausible import chinese_score, implausible, looks_like_text

__all__ = ["DecodeError", "decode_bytes"]

logger = logging.getLogger(__name__)

_BIG5 = ("cp950", "big5hkscs")
_BIG5_MARGIN = 0.15
_GOOD_SCORE = 0.9
_MIN_NUL_SHARE = 0.01
_NUL_PARITY_SHARE = 0.9


class DecodeError(Exception):
    """The bytes are not text in an encoding newsqa understands."""


def _guess(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes  # lazy: only for odd files

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError("not UTF-8, GB18030 or Big5 and no encoding could be detected")
    try:
        return data.decode(best.encoding), best.encoding
    except (LookupError, UnicodeDecodeError) as exc:  # pragma: no cover - defensive
        raise DecodeError(f"detected {best.encoding} but cannot decode: {exc}") from exc


def _big5(data: bytes) -> str | None:
    for encoding in _BIG5:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _gb_or_big5(data: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5, whichever reads as common Chinese; None when neither decodes."""
    try:
        gb: str | None = data.decode("gb18030")
    except UnicodeDecodeError:
        gb = None
    gb_score = chinese_score(gb) if gb is not None else None
    if gb is not None and (gb_score is None or gb_score >= _GOOD_SCORE):
        return gb, "gb18030"
    big5 = _big5(data)
    big5_score = chinese_score(big5) if big5 is not None else None
    if (
        big5 is not None
        and big5_score is not None
        and (gb is None or gb_score is None or big5_score >= gb_score + _BIG5_MARGIN)
    ):
        logger.debug("Big5 (%.2f) reads better than GB18030 (%s)", big5_score, gb_score)
        return big5, "big5"
    return (gb, "gb18030") if gb is not None else None


def _utf16_without_bom(data: bytes) -> tuple[str, str]:
    """Decode UTF-16 without a BOM, told by NUL bytes at every other position."""
    nuls = data.count(0)
    odd = data[1::2].count(0)
    even = nuls - odd
    if len(data) % 2 or nuls < _MIN_NUL_SHARE * len(data):
        raise DecodeError("binary data (NUL bytes)")
    if odd < _NUL_PARITY_SHARE * nuls and even < _NUL_PARITY_SHARE * nuls:
        raise DecodeError("binary data (NUL bytes)")
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"NUL bytes as in {encoding} without a BOM, but broken") from exc
    if not looks_like_text(text):
        raise DecodeError(f"NUL bytes as in {encoding} without a BOM, but not text")
    return text, encoding


def decode_bytes(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of ``data``; raises :class:`DecodeError` for binary or garbage."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DecodeError(f"broken UTF-16: {exc}") from exc
    elif b"\x00" in data:
        text, encoding = _utf16_without_bom(data)
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _gb_or_big5(data) or _guess(data)
    text = text.removeprefix("\ufeff")
    problem = implausible(text, encoding)
    if problem:
        raise DecodeError(problem)
    return text, encoding
