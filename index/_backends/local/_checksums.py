"""Checksums of what a build wrote: every file of a segment, and of a generation.

A segment records its files in ``checksums.json`` (path -> size, SHA-256 and the
modification time it had when written); a generation records its own files (the
catalog, the deleted rows) under ``checksums`` in its manifest, written last. A
build verifies cheaply (sizes, and a full hash only of files whose size or time
changed); ``newsqa index check`` hashes everything. Indexes written before checksums
existed have none: only their structure is checked.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ..._errors import IndexStoreError

__all__ = [
    "CHECKSUMS",
    "file_digest",
    "is_count",
    "load_checksums",
    "record_checksums",
    "validate_checksums",
    "verify_checksums",
    "write_checksums",
]

CHECKSUMS = "checksums.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEYS = {"size", "sha256", "mtime_ns"}


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_checksums(folder: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``{relative path: {size, sha256, mtime_ns}}`` of every file under ``folder``."""
    out: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or rel == CHECKSUMS or rel in skip:
            continue
        stat = path.stat()
        out[rel] = {"size": stat.st_size, "sha256": file_digest(path), "mtime_ns": stat.st_mtime_ns}
    return out


def write_checksums(folder: Path) -> None:
    """Record every file of a just-written segment in its ``checksums.json``."""
    data = {"files": record_checksums(folder)}
    (folder / CHECKSUMS).write_text(json.dumps(data, indent=1), encoding="utf-8")


def validate_checksums(data: object, where: str) -> dict[str, Any]:
    """``data`` if it is a ``{path: {size, sha256[, mtime_ns]}}`` mapping, else raise."""
    if not isinstance(data, dict):
        raise IndexStoreError(f"{where}: the checksums are not an object")
    for rel, entry in data.items():
        ok = (
            isinstance(rel, str)
            and rel
            and not rel.startswith("/")
            and ".." not in rel.split("/")
            and isinstance(entry, dict)
            and set(entry) <= _KEYS
            and {"size", "sha256"} <= set(entry)
            and is_count(entry["size"])
            and isinstance(entry["sha256"], str)
            and _SHA256.match(entry["sha256"]) is not None
            and is_count(entry.get("mtime_ns", 0))
        )
        if not ok:
            raise IndexStoreError(f"{where}: the checksum of {rel!r} is malformed")
    return data


def load_checksums(folder: Path) -> dict[str, Any] | None:
    """A segment's recorded checksums; None when it has none (written before them)."""
    path = folder / CHECKSUMS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexStoreError(f"{CHECKSUMS} cannot be read ({exc})") from exc
    if not isinstance(data, dict) or set(data) != {"files"}:
        raise IndexStoreError(f"{CHECKSUMS} is malformed")
    return validate_checksums(data["files"], CHECKSUMS)


def verify_checksums(folder: Path, recorded: dict[str, Any], *, full: bool) -> list[str]:
    """One problem per damaged file (``"meta.sqlite does not match its checksum"``).

    Sizes are always compared; contents are hashed when ``full``, or when a file's
    modification time differs from the one recorded.
    """
    problems = []
    for rel, entry in recorded.items():
        path = folder / rel
        try:
            stat = path.stat()
        except FileNotFoundError:
            problems.append(f"{rel} is missing")
            continue
        except OSError as exc:
            problems.append(f"{rel} cannot be read ({exc.strerror})")
            continue
        if stat.st_size != entry["size"]:
            problems.append(f"{rel} has {stat.st_size} bytes, {entry['size']} were written")
            continue
        if full or stat.st_mtime_ns != entry.get("mtime_ns"):
            try:
                same = file_digest(path) == entry["sha256"]
            except OSError as exc:
                problems.append(f"{rel} cannot be read ({exc.strerror})")
                continue
            if not same:
                problems.append(f"{rel} does not match its checksum")
    return problems


def is_count(value: object) -> bool:
    """A non-negative int (and not a bool): a size, a row count."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
