"""What each corpus file became in the index: ``files.json`` of a generation.

An incremental build compares every corpus file with its entry here: a file of the same
size and modification time is not read again; one whose bytes hash the same is only
touched; any other is re-ingested and its old rows are deleted. A file's chunks are
always contiguous rows of one segment, so an entry is ``(segment, start, count)``.

An entry also records the ingestion version that read the file
(:data:`~newsqa.index._ingest.INGEST_VERSION`; absent, 0, in a catalog written before
it was recorded): a file read by another version is read again whatever its size and
time say.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..._errors import IndexStoreError

__all__ = ["Catalog", "FileEntry"]


@dataclass(slots=True)
class FileEntry:
    """One corpus file as indexed."""

    size: int
    mtime_ns: int
    digest: str
    segment: str = ""
    start: int = 0
    count: int = 0
    articles: list[str] = field(default_factory=list)
    newest_date: str = ""
    warnings: list[str] = field(default_factory=list)
    skipped: bool = False
    duplicates_dropped: int = 0
    ingest: int = 0
    """The ingestion version that read the file (0: before versions were recorded)."""

    def same_stat(self, stat: os.stat_result) -> bool:
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns


class Catalog(dict[str, FileEntry]):
    """Resolved source path -> :class:`FileEntry`."""

    def save(self, path: Path) -> None:
        data = {k: asdict(v) for k, v in self.items()}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Catalog:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise IndexStoreError(f"cannot read the file catalog {path}: {exc}") from exc
        problem = validate_catalog(data)
        if problem:
            raise IndexStoreError(f"the file catalog {path} {problem}")
        return cls({k: FileEntry(**v) for k, v in data.items()})

    def problems(self, rows: dict[str, int]) -> str:
        """What is inconsistent with segments of ``rows`` (name -> rows; "" if nothing)."""
        for src, entry in self.items():
            if not entry.count:
                continue
            if entry.segment not in rows:
                return f"names segment {entry.segment!r} the generation lacks (for {src})"
            if entry.start + entry.count > rows[entry.segment]:
                return f"points past the rows of segment {entry.segment} (for {src})"
        return ""


_TYPES: dict[str, type] = {
    "size": int,
    "mtime_ns": int,
    "digest": str,
    "segment": str,
    "start": int,
    "count": int,
    "articles": list,
    "newest_date": str,
    "warnings": list,
    "skipped": bool,
    "duplicates_dropped": int,
    "ingest": int,
}
_REQUIRED = frozenset(f.name for f in fields(FileEntry) if f.name in ("size", "mtime_ns", "digest"))


def validate_catalog(data: object) -> str:
    """What is wrong with a loaded ``files.json`` ("" when nothing is)."""
    if not isinstance(data, dict):
        return "is not a JSON object"
    for src, entry in data.items():
        if not isinstance(entry, dict):
            return f"has a malformed entry for {src}"
        unknown = set(entry) - set(_TYPES)
        if unknown:
            return f"has an unknown key {sorted(unknown)[0]!r} (for {src})"
        if not set(entry) >= _REQUIRED:
            return f"has an incomplete entry for {src}"
        for key, value in entry.items():
            want = _TYPES[key]
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                return f"has a {key!r} of the wrong type (for {src})"
            if isinstance(value, int) and key != "mtime_ns" and value < 0:
                return f"has a negative {key!r} (for {src})"
            if isinstance(value, list) and not all(isinstance(x, str) for x in value):
                return f"has a {key!r} of the wrong type (for {src})"
    return ""
