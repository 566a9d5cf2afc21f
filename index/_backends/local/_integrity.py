"""Integrity of a local index: the full check, and what an incremental build can trust.

:func:`check_local` (behind :func:`~newsqa.index.check_index` and ``newsqa index
check``) verifies the served generation: ``CURRENT``, the manifest's schema, every
recorded checksum (hashing every file: read-only, it reads the whole index), the
catalog, the deleted rows, and each segment's structure in full (every row id of the
postings, every vector finite, the store's rows; for a segment written before
checksums existed, the content hash of every chunk). It returns one line per damaged
file.

:func:`load_base` is what a build updates: the served generation with every damaged
segment dropped (its files are read again, its lost vectors re-embedded; intact
vectors elsewhere are reused), or, when the generation itself is damaged, the newest
intact older one (an incremental build from it is as correct, and much cheaper than
re-embedding everything); a full rebuild only when none is intact. A build verifies
cheaply: the structural checks of opening, file sizes, and a full hash only of the
files whose size or modification time changed since they were written. A segment
written before checksums existed is checked in full once (every row's content hash,
every vector) and then gets its ``checksums.json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._config import Config
from ..._errors import IndexStoreError
from ._bm25 import Postings
from ._catalog import Catalog
from ._checksums import (
    CHECKSUMS,
    load_checksums,
    verify_checksums,
    write_checksums,
)
from ._disk import fsync_file
from ._layout import CATALOG, FORMAT_VERSION, MANIFEST, META, POSTINGS, Damaged, IndexLayout
from ._segment import SegmentInfo, read_deleted, segment_problems
from ._settings import IDENTITY
from ._store import MetaStore
from ._vectors import VECTORS, SegmentVectors

logger = logging.getLogger(__name__)

__all__ = ["Base", "check_local", "load_base"]

_BLOCK = 65_536
"""Vectors checked for finiteness at a time."""


def _detail(exc: IndexStoreError) -> str:
    return exc.detail if isinstance(exc, Damaged) else str(exc)


def _generation(
    layout: IndexLayout, gen: Path, manifest: dict[str, Any]
) -> tuple[list[SegmentInfo], dict[str, np.ndarray], Catalog]:
    """The segments, deleted rows and catalog of ``gen``; raises on generation damage."""
    where = f"generation {gen.name}"
    problems = verify_checksums(gen, manifest.get("checksums", {}), full=True)
    if problems:
        raise Damaged(layout.root, f"{where}: {problems[0]}")
    segments = [SegmentInfo.from_json(s) for s in manifest["segments"]]
    try:
        catalog = Catalog.load(gen / CATALOG)
    except IndexStoreError as exc:
        raise Damaged(layout.root, f"{where}: {exc}") from None
    problem = catalog.problems({s.name: s.rows for s in segments})
    if problem:
        raise Damaged(layout.root, f"{where}: {CATALOG} {problem}")
    deleted = read_deleted(gen, segments)
    counted = manifest.get("counts", {}).get("chunks")
    alive = sum(s.rows - int(deleted[s.name].sum()) for s in segments)
    if counted is not None and counted != alive:
        raise Damaged(layout.root, f"{where}: {alive} rows are live, {MANIFEST} counts {counted}")
    return segments, deleted, catalog


def _segment_damage(
    layout: IndexLayout, info: SegmentInfo, dim: int | None, *, full: bool
) -> list[str]:
    """Problems of one segment: checksums (all hashed when ``full``) and structure."""
    folder = layout.segments / info.name
    if not folder.is_dir():
        return ["the segment folder is missing"]
    try:
        recorded = load_checksums(folder)
    except IndexStoreError as exc:
        return [str(exc)]
    problems = verify_checksums(folder, recorded, full=full) if recorded is not None else []
    try:
        problems += segment_problems(None, info, folder, dim)
    except IndexStoreError as exc:
        problems.append(str(exc))
    if (full or recorded is None) and not problems:
        problems += _deep_problems(folder, info)
        if not problems and recorded is None and not full:
            _add_checksums(folder)
    return _one_per_file(problems)


def _add_checksums(folder: Path) -> None:
    """Give a segment written before checksums its ``checksums.json`` (once, verified)."""
    try:
        write_checksums(folder)
        fsync_file(folder / CHECKSUMS)
    except OSError as exc:
        logger.warning("cannot record the checksums of segment %s: %s", folder.name, exc)
    else:
        logger.info("segment %s: checksums recorded", folder.name)


def _deep_problems(folder: Path, info: SegmentInfo) -> list[str]:
    """What only reading every array shows (the segment's headers are fine)."""
    out = Postings.load(folder / POSTINGS).problems(info.rows, deep=True)
    vectors = SegmentVectors.load(folder, ann=False).vectors
    for start in range(0, info.rows, _BLOCK):
        if not np.isfinite(vectors[start : start + _BLOCK]).all():
            out.append(f"{VECTORS} holds a vector that is not finite")
            break
    store = MetaStore.open(folder / META)
    try:
        if store.count_rows() != info.rows:
            out.append(f"{META} lacks rows of the segment")
        else:
            bad = sum(1 for _ in store.tampered_rows())
            if bad:
                out.append(f"{META}: the text of {bad} rows does not match their content hash")
    finally:
        store.close()
    return out


def _one_per_file(problems: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for line in problems:
        name = line.split(" ", 1)[0].rstrip(":")
        if name not in seen:
            seen.add(name)
            out.append(line)
    return out


def check_local(config: Config) -> list[str]:
    """One line per damaged file of the served generation; empty when intact.

    Raises :class:`~newsqa.index.IndexNotFoundError` when no index was built.
    """
    layout = IndexLayout(config.index.dir)
    try:
        gen = layout.current()
        manifest = layout.read_manifest(gen)
    except Damaged as exc:
        return [exc.detail]
    version = manifest["settings"].get("format_version")
    if version != FORMAT_VERSION:
        return [f"generation {gen.name}: index format version {version}, not {FORMAT_VERSION}"]
    lines = []
    try:
        segments, _, _ = _generation(layout, gen, manifest)
    except IndexStoreError as exc:
        lines.append(_detail(exc))
        segments = [SegmentInfo.from_json(s) for s in manifest["segments"]]
    unchecked = 0
    for info in segments:
        if not (layout.segments / info.name / "checksums.json").is_file():
            unchecked += 1
        for problem in _segment_damage(layout, info, manifest.get("dim"), full=True):
            lines.append(f"segment {info.name}: {problem}")
    if unchecked:
        logger.info("%d segments were written before checksums: structure checked", unchecked)
    return lines


@dataclass
class Base:
    """What an incremental build updates: an intact generation, damaged segments dropped."""

    segments: list[SegmentInfo]
    deleted: dict[str, np.ndarray]
    catalog: Catalog
    repaired: list[str] = field(default_factory=list)
    """One line per damaged part found and left behind."""


def load_base(layout: IndexLayout, recorded: dict[str, Any]) -> tuple[Base | None, str, list[str]]:
    """``(base, reason, repaired)``: the generation to update, or None and why not.

    ``reason`` is the one-line reason of a full rebuild (no index, other settings, or
    no intact generation); ``repaired`` the damage found on the way.
    """
    repaired: list[str] = []
    try:
        current = layout.current_or_none()
    except IndexStoreError as exc:
        current = None
        repaired.append(_detail(exc))
    else:
        if current is None:
            return None, "no previous index", []
    others = sorted(
        (
            g
            for g in layout.generations.iterdir()
            if g.is_dir() and (g / MANIFEST).is_file() and (current is None or g != current)
        ),
        key=lambda g: g.name,
        reverse=True,
    )
    for gen in ([current] if current is not None else []) + others:
        served = gen == current
        try:
            manifest = layout.read_manifest(gen)
        except IndexStoreError as exc:
            repaired.append(_detail(exc))
            continue
        stale = IDENTITY.stale_reason(manifest.get("settings", {}), recorded)
        if stale:
            if served:
                return None, stale, []
            continue
        try:
            segments, deleted, catalog = _generation(layout, gen, manifest)
        except IndexStoreError as exc:
            repaired.append(_detail(exc))
            continue
        if repaired:
            repaired[-1] += f": updated from generation {gen.name} instead"
        kept = []
        for info in segments:
            problems = _segment_damage(layout, info, manifest.get("dim"), full=False)
            if not problems:
                kept.append(info)
                continue
            lost = [src for src, e in catalog.items() if e.count and e.segment == info.name]
            for src in lost:
                del catalog[src]
            del deleted[info.name]
            repaired.append(
                f"segment {info.name}: {problems[0]}: dropped, its {len(lost)} files read again"
            )
        return Base(kept, deleted, catalog, repaired), "", repaired
    problem = repaired[0] if repaired else "no intact generation"
    return None, f"the served generation is damaged ({problem})", repaired
