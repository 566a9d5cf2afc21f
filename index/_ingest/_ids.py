"""Stable article ids and dates found in file names or given in the input.

An article id is the JSONL ``id`` when given, otherwise
``sha1(key + "\\n" + title)[:16]`` where ``key`` names the file independently of where
the corpus lies on disk: ``<folder name>/<path inside it>`` for a file found by walking a
folder, the file name for a file given directly. A second article of the same title
in one file adds ``"\\n2"``, ``"\\n3"`` ... so ids stay unique and stable.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["article_id", "date_from_name", "normalize_date"]

_NAME_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)"
)
_GIVEN_DATE = re.compile(
    r"^\s*((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s].*)?$"
)
_COMPACT_DATE = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})\s*$")


def article_id(key: str, title: str, occurrence: int = 1) -> str:
    """The id of the ``occurrence``-th article titled ``title`` in the file named ``key``."""
    material = f"{key}\n{title}" if occurrence <= 1 else f"{key}\n{title}\n{occurrence}"
    return hashlib.sha1(material.encode("utf-8")).hexdigest()[:16]


def _iso(year: str, month: str, day: str) -> str:
    m, d = int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return ""
    return f"{year}-{m:02d}-{d:02d}"


def date_from_name(name: str) -> str:
    """``YYYY-MM-DD`` from a file or folder name such as ``2024-03-21_page01.txt``."""
    match = _NAME_DATE.search(name)
    return _iso(*match.groups()) if match else ""


def normalize_date(value: str) -> str:
    """A given date as ``YYYY-MM-DD`` when recognisable (``2024/3/21``, ``2024年3月21日``,
    ``20240321``, an ISO timestamp); otherwise the stripped value unchanged."""
    match = _GIVEN_DATE.match(value) or _COMPACT_DATE.match(value)
    if match:
        iso = _iso(*match.groups())
        if iso:
            return iso
    return value.strip()
