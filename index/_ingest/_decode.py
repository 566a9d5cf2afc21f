"""Read a corpus file and decode it: UTF-8 (with or without BOM), GB18030, or a guess.

Order: ``utf-8-sig`` strictly, then ``gb18030`` strictly (a superset of GBK and
GB2312), then charset-normalizer as a last resort. UTF-16 is accepted when it carries a
BOM. Binary data (NUL bytes, many control characters) is refused. The BOM is removed,
so offsets into the returned text are the spans every paragraph records.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

__all__ = ["DecodeError", "decode_bytes", "read_text"]

logger = logging.getLogger(__name__)

_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


class DecodeError(Exception):
    """The bytes are not text in an encoding newsqa understands."""


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    return controls > _MAX_CONTROL_SHARE * len(text)


def _guess(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes  # lazy: only for odd files

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError("not UTF-8 or GB18030 and no encoding could be detected")
    try:
        return data.decode(best.encoding), best.encoding
    except (LookupError, UnicodeDecodeError) as exc:  # pragma: no cover - defensive
        raise DecodeError(f"detected {best.encoding} but cannot decode: {exc}") from exc


def decode_bytes(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of ``data``; raises :class:`DecodeError` for binary or garbage."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DecodeError(f"broken UTF-16: {exc}") from exc
    elif b"\x00" in data:
        raise DecodeError("binary data (NUL bytes)")
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("gb18030"), "gb18030"
            except UnicodeDecodeError:
                text, encoding = _guess(data)
    text = text.removeprefix("\ufeff")
    if _looks_binary(text):
        raise DecodeError(f"binary data (control characters after decoding as {encoding})")
    return text, encoding


def read_text(path: Path) -> tuple[str, str]:
    """Read and decode ``path``; IO errors become :class:`DecodeError` too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"cannot read: {exc.strerror or exc}") from exc
    text, encoding = decode_bytes(data)
    logger.debug("%s: decoded as %s (%d chars)", path, encoding, len(text))
    return text, encoding
