"""The on-disk layout of an index folder and its atomic generation swap.

::

    INDEX_DIR/
      CURRENT                  name of the generation being served (replaced atomically)
      .lock                    held by a running build
      segments/<name>/         immutable: meta.sqlite, vectors.npy, [ann.faiss], postings/,
                               checksums.json (size and SHA-256 of each file)
      generations/<name>/      manifest.json (the segments it uses, checksums of the
                               generation's files), files.json (what each corpus file
                               became), deleted/<segment>.npy
      resume/<model digest>/   vectors a build embedded before it was killed (removed
                               once a generation is published)

A segment is written once and never changed; generations share them. A generation
is a list of segments plus the rows deleted from each (an edited or removed file's
old chunks). An update therefore writes one small segment and a small generation,
whatever the size of the archive.

A build writes its segments and generation beside the served ones, writes the
manifest last, flushes everything to disk and only then replaces ``CURRENT``. Killing
a build at any moment therefore leaves ``CURRENT`` naming the previous, complete
generation; unfinished generations, and segments no kept generation uses, are removed
by the next build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..._errors import IndexNotFoundError, IndexStoreError
from ._checksums import is_count, record_checksums, validate_checksums
from ._disk import fsync_dir, fsync_file

__all__ = ["FORMAT_VERSION", "Damaged", "IndexLayout", "damaged", "validate_manifest"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
META = "meta.sqlite"
POSTINGS = "postings"
CATALOG = "files.json"
DELETED = "deleted"

_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$")
"""A generation's or segment's folder name (no separator, no dot-dot)."""
_HEX6 = re.compile(r"^[0-9a-f]{6}$")
_NOT_SUMMED = frozenset({MANIFEST, MANIFEST + ".tmp"})

_MANIFEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "settings": dict,
    "segments": list,
    "vector_index": str,
    "dim": int,
    "counts": dict,
    "newest_date": str,
    "built_at": str,
    "checksums": dict,
}
_SEGMENT_KEYS: dict[str, type] = {"name": str, "rows": int, "kind": str}
_COUNT_KEYS = frozenset({"articles", "chunks", "files", "files_unreadable"})


class Damaged(IndexStoreError):
    """An :class:`IndexStoreError` for damage found in the index; ``detail`` says where."""

    def __init__(self, root: Path, detail: str) -> None:
        super().__init__(
            f"the index in {root} is damaged ({detail}):"
            " run `newsqa index check` to see what, `newsqa index build` to repair it"
        )
        self.detail = detail


def damaged(root: Path, detail: str) -> Damaged:
    """The one-line error of a damaged index, and what to do about it."""
    return Damaged(root, detail)


def validate_manifest(data: object) -> str:
    """What is wrong with a manifest's schema ("" when nothing is).

    A manifest of another format version is only checked to be an object with
    settings: opening and building report the format change themselves.
    """
    if not isinstance(data, dict):
        return "is not a JSON object"
    settings = data.get("settings")
    if not isinstance(settings, dict):
        return "has no settings object"
    if settings.get("format_version") != FORMAT_VERSION:
        return ""
    for key, value in data.items():
        want = _MANIFEST_KEYS.get(key)
        if want is None:
            return f"has an unknown key {key!r}"
        if not isinstance(value, want) or isinstance(value, bool):
            return f"has a {key!r} of the wrong type"
    if "segments" not in data:
        return "lists no segments"
    if not isinstance(settings.get("model", {}), dict):
        return "has a 'model' setting of the wrong type"
    if "dim" in data and not (is_count(data["dim"]) and data["dim"] > 0):
        return f"has an invalid dimension {data['dim']!r}"
    names = set()
    for seg in data["segments"]:
        if not isinstance(seg, dict) or not {"name", "rows"} <= set(seg) <= set(_SEGMENT_KEYS):
            return "has a malformed segment entry"
        if not all(isinstance(seg[k], _SEGMENT_KEYS[k]) for k in seg):
            return "has a segment entry of the wrong type"
        if not _NAME.match(seg["name"]) or seg["name"] in names:
            return f"has an invalid segment name {seg['name']!r}"
        if not is_count(seg["rows"]):
            return f"has an invalid row count {seg['rows']!r} for segment {seg['name']}"
        names.add(seg["name"])
    counts = data.get("counts", {})
    if not set(counts) <= _COUNT_KEYS or not all(is_count(v) for v in counts.values()):
        return "has malformed counts"
    try:
        validate_checksums(data.get("checksums", {}), MANIFEST)
    except IndexStoreError:
        return "has malformed checksums"
    return ""


class IndexLayout:
    """Paths and the swap protocol of one index folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.expanduser(root))
        self.generations = self.root / "generations"
        self.segments = self.root / "segments"

    def current(self) -> Path:
        """The generation being served; :class:`IndexNotFoundError` if none was built.

        ``CURRENT`` must be one line of text naming a generation that has a manifest;
        anything else is reported in one line as damage.
        """
        pointer = self.root / "CURRENT"
        try:
            raw = pointer.read_bytes()
        except FileNotFoundError:
            raise IndexNotFoundError(
                f"no index in {self.root} yet: run `newsqa index build` first"
            ) from None
        except OSError as exc:
            raise IndexStoreError(f"cannot read {pointer}: {exc}") from exc
        try:
            name = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            name = ""
        if not _NAME.match(name):
            raise damaged(self.root, "CURRENT does not name a generation")
        gen = self.generations / name
        if not (gen / MANIFEST).is_file():
            raise damaged(self.root, f"CURRENT names generation {name}, which is missing")
        return gen

    def current_or_none(self) -> Path | None:
        try:
            return self.current()
        except IndexNotFoundError:
            return None

    def read_manifest(self, gen: Path) -> dict[str, Any]:
        """The manifest of ``gen``, its schema checked (see :func:`validate_manifest`)."""
        try:
            data = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
        except ValueError as exc:
            detail = f"generation {gen.name}: {MANIFEST} is not JSON ({exc})"
            raise damaged(self.root, detail) from exc
        except OSError as exc:
            raise IndexStoreError(f"cannot read the manifest of {gen}: {exc}") from exc
        problem = validate_manifest(data)
        if problem:
            raise damaged(self.root, f"generation {gen.name}: {MANIFEST} {problem}")
        manifest: dict[str, Any] = data
        return manifest

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive build lock; a second concurrent build fails at once."""
        try:
            self.generations.mkdir(parents=True, exist_ok=True)
            fh = (self.root / ".lock").open("a")
        except OSError as exc:
            raise IndexStoreError(f"cannot write to the index folder {self.root}: {exc}") from exc
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexStoreError(f"another build is running in {self.root}") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_generation(self) -> Path:
        """A new generation folder, named to sort after every existing one.

        Names order generations (pruning keeps the newest): two built within the same
        second would otherwise order by their random suffix.
        """
        stamp = time.strftime("%Y%m%dT%H%M%S")
        name = stamp + "-" + secrets.token_hex(3)
        newest = max((g.name for g in self.generations.iterdir()), default="")
        suffix = newest[len(stamp) + 1 : len(stamp) + 7]
        if name <= newest and newest.startswith(stamp + "-") and _HEX6.match(suffix):
            name = f"{stamp}-{int(suffix, 16) + 1:06x}"  # the same second: the next one
        elif name <= newest:  # the clock went back: still sort after the newest
            name = newest[:100] + "-" + secrets.token_hex(2)
        gen = self.generations / name
        gen.mkdir(parents=True)
        return gen

    def new_segment(self) -> Path:
        name = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
        seg = self.segments / name
        seg.mkdir(parents=True)
        return seg

    @staticmethod
    def flush(folder: Path) -> None:
        """fsync every file under ``folder`` and the folders themselves."""
        for item in folder.rglob("*"):
            if item.is_file():
                fsync_file(item)
            elif item.is_dir():
                fsync_dir(item)
        fsync_dir(folder)

    def write_manifest(self, gen: Path, manifest: dict[str, Any]) -> None:
        """Write the manifest last and flush the whole generation to disk.

        The segments the manifest names must have been flushed already.
        """
        self.flush(gen)
        fsync_dir(self.segments)
        manifest = {**manifest, "checksums": record_checksums(gen, skip=_NOT_SUMMED)}
        tmp = gen / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        fsync_file(tmp)
        os.replace(tmp, gen / MANIFEST)
        fsync_dir(gen)

    def publish(self, gen: Path, keep: int = 1) -> None:
        """Atomically make ``gen`` the served generation, then prune old ones."""
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(gen.name + "\n", encoding="utf-8")
        fsync_file(tmp)
        os.replace(tmp, self.root / "CURRENT")
        fsync_dir(self.root)
        self.prune(keep_previous=keep)

    def prune(self, keep_previous: int = 1) -> None:
        """Remove every generation but the served one and ``keep_previous`` older ones.

        Unfinished generations (no manifest) and finished ones that were never
        published (a build killed just before the swap) are removed too.
        """
        try:
            current = self.current_or_none()
        except IndexStoreError as exc:  # never remove anything of a damaged index
            logger.warning("not pruning old generations: %s", exc)
            return
        gens = sorted((g for g in self.generations.iterdir() if g.is_dir()), key=lambda g: g.name)
        keep = set()
        if current is not None:
            keep.add(current.name)
            older = [g.name for g in gens if g.name < current.name and (g / MANIFEST).is_file()]
            keep.update(older[len(older) - keep_previous :] if keep_previous > 0 else [])
        for gen in gens:
            if gen.name not in keep:
                shutil.rmtree(gen, ignore_errors=True)
        used: set[str] = set()
        for name in keep:
            try:
                manifest = self.read_manifest(self.generations / name)
            except IndexStoreError as exc:  # its segments are unknown: keep every one
                logger.warning("not pruning old segments: %s", exc)
                return
            used.update(s["name"] for s in manifest.get("segments", []))
        if self.segments.is_dir():
            for seg in self.segments.iterdir():
                if seg.is_dir() and seg.name not in used:
                    shutil.rmtree(seg, ignore_errors=True)
