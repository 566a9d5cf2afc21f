"""The on-disk layout of an index folder and its atomic generation swap.

::

    INDEX_DIR/
      CURRENT                  name of the generation being served (replaced atomically)
      .lock                    held by a running build
      segments/<name>/         immutable: meta.sqlite, vectors.npy, [ann.faiss], postings/
      generations/<name>/      manifest.json (the segments it uses), files.json (what
                               each corpus file became), deleted/<segment>.npy

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
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..._errors import IndexNotFoundError, IndexStoreError

__all__ = ["FORMAT_VERSION", "IndexLayout"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
META = "meta.sqlite"
POSTINGS = "postings"
CATALOG = "files.json"
DELETED = "deleted"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexLayout:
    """Paths and the swap protocol of one index folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.expanduser(root))
        self.generations = self.root / "generations"
        self.segments = self.root / "segments"

    def current(self) -> Path:
        """The generation being served; :class:`IndexNotFoundError` if none was built."""
        pointer = self.root / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexNotFoundError(
                f"no index in {self.root} yet: run `newsqa index build` first"
            ) from None
        except OSError as exc:
            raise IndexStoreError(f"cannot read {pointer}: {exc}") from exc
        gen = self.generations / name
        if not (gen / MANIFEST).is_file():
            raise IndexStoreError(
                f"the index in {self.root} is damaged: generation {name} is missing"
            )
        return gen

    def current_or_none(self) -> Path | None:
        try:
            return self.current()
        except IndexNotFoundError:
            return None

    def read_manifest(self, gen: Path) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexStoreError(f"cannot read the manifest of {gen}: {exc}") from exc
        return data

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
        name = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
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
                with item.open("rb+") as fh:
                    os.fsync(fh.fileno())
            elif item.is_dir():
                _fsync_dir(item)
        _fsync_dir(folder)

    def write_manifest(self, gen: Path, manifest: dict[str, Any]) -> None:
        """Write the manifest last and flush the whole generation to disk.

        The segments the manifest names must have been flushed already.
        """
        self.flush(gen)
        _fsync_dir(self.segments)
        tmp = gen / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, gen / MANIFEST)
        _fsync_dir(gen)

    def publish(self, gen: Path, keep: int = 1) -> None:
        """Atomically make ``gen`` the served generation, then prune old ones."""
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(gen.name + "\n", encoding="utf-8")
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")
        _fsync_dir(self.root)
        self.prune(keep_previous=keep)

    def prune(self, keep_previous: int = 1) -> None:
        """Remove every generation but the served one and ``keep_previous`` older ones.

        Unfinished generations (no manifest) and finished ones that were never
        published (a build killed just before the swap) are removed too.
        """
        current = self.current_or_none()
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
            with contextlib.suppress(IndexStoreError):
                manifest = self.read_manifest(self.generations / name)
                used.update(s["name"] for s in manifest.get("segments", []))
        if self.segments.is_dir():
            for seg in self.segments.iterdir():
                if seg.is_dir() and seg.name not in used:
                    shutil.rmtree(seg, ignore_errors=True)
