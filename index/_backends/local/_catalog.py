"""What each corpus file became in the index: ``files.json`` of a generation.

An incremental build compares every corpus file with its entry here: a file of the same
size and modification time is not read again; one whose bytes hash the same is only
touched; any other is re-ingested and its old rows are deleted. A file's chunks are
always contiguous rows of one segment, so an entry is ``(segment, start, count)``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
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
        return cls({k: FileEntry(**v) for k, v in data.items()})
