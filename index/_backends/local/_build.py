"""Building the local index: read what changed, embed what is new, add a segment, swap.

Builds are incremental at the level of files and chunks:

- a corpus file with the same size and modification time as last time is not read
  (one whose bytes are unchanged is not re-ingested either);
- a new or edited file is ingested again; its chunks go into one new segment, and
  its previous rows are marked deleted in the segment that holds them;
- a removed file's rows are marked deleted;
- a chunk whose text was embedded before (in any segment, even in a file that moved)
  reuses its vector; only new text is embedded;
- a file read by another ingestion version (:data:`INGEST_VERSION`: an index built
  before publication and page were read) is read again; when its chunks come out the
  same it is only touched, otherwise it is rewritten like an edited file (its text,
  unchanged, reuses every vector).

So adding one page to an archive of a million chunks writes about sixty rows, not a
million. Deleted rows are masked out of every search structure at once and dropped
for good when their segment is merged (see :func:`_merge_plan`), or with
``compact=True``. A different model, tokenizer, chunk size or format version forces a
full rebuild, reported in one line. See :mod:`._layout` for the atomic swap.

:func:`build_local` is a sequence of named steps: the previous generation
(:func:`_previous`), which files to read (:func:`_plan_reads`), what changed
(:func:`_compare_files`), the vectors (:func:`_vectors`), the new segment
(:func:`_add_segment`), merges (:func:`_merge_some`) and the new generation
(:func:`_write_generation`, then :meth:`IndexLayout.publish`).

Embedding, the long step of a bulk build, goes in slices of ``index.resume_slice``
texts whose vectors are kept in ``resume/`` as they are made (:mod:`._resume`): a
build killed after hours resumes where it was, and the kept slices are removed once
a generation is published. Without a terminal its progress is a log line every few
seconds (:mod:`newsqa.index._progress`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..._config import Config
from ..._embedding._embedder import Embedder
from ..._embedding._protocol import TextEncoder
from ..._errors import CorpusError, IndexStoreError
from ..._ingest import (
    INGEST_VERSION,
    Corpus,
    CorpusWalk,
    chunk_articles,
    ingest_files,
    scan_corpus,
)
from ..._ingest._walk import printable
from ..._progress import Progress
from ..._tokens import tokenize_many
from ..._types import Article, Chunk
from .._passages import content_hash, embed_into, passage_text, to_embed
from .._report import BuildReport, ChangeCounts
from ._catalog import Catalog, FileEntry
from ._integrity import load_base
from ._layout import CATALOG, DELETED, META, IndexLayout
from ._resume import Resume, clear_resume
from ._safety import kept_under, make_private, removal_guard, writing
from ._segment import SegmentInfo, merge_segments, write_segment
from ._settings import settings
from ._store import MetaStore
from ._vectors import SegmentVectors

__all__ = ["BuildReport", "build_local", "passage_text"]

logger = logging.getLogger(__name__)

_FAULT_ENV = "NEWSQA_TEST_KILL_AT"
"""Test hook: SIGKILL the build at a named stage (proves the swap is atomic)."""

_REWRITE_DELETED_SHARE = 1 / 3
"""A segment with more of its rows deleted than this is rewritten without them."""

Mask = npt.NDArray[np.bool_]

_READ_AGAIN = (0, -1)
"""``(size, mtime_ns)`` of a file that could not be read: no real file matches it, so the
next build reads it again (the catalog allows only ``mtime_ns`` to be negative)."""


def _fault(stage: str) -> None:
    if os.environ.get(_FAULT_ENV) == stage:
        logger.warning("test hook: killing the build at stage %r", stage)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class _State:
    """The served generation as a build sees it."""

    segments: list[SegmentInfo] = field(default_factory=list)
    deleted: dict[str, Mask] = field(default_factory=dict)  # name -> bool mask
    catalog: Catalog = field(default_factory=Catalog)
    repaired: list[str] = field(default_factory=list)  # damage found and left behind


@dataclass
class _Reads:
    """Step 1: the files to read, and the catalog entries of those not to."""

    to_read: list[tuple[Path, str]]
    stats: dict[str, os.stat_result]
    catalog: Catalog
    """Entries of the files kept as they are; the re-read ones are added by step 2."""
    kept: list[str] = field(default_factory=list)
    """Files kept as indexed because their folder could not be listed this time."""
    blocked: list[str] = field(default_factory=list)
    """Folders that could not be listed and under which nothing could be kept."""


@dataclass
class _Changes:
    """Step 2: what the re-read files became, and which previous rows are deleted."""

    catalog: Catalog
    counts: ChangeCounts
    deleted: dict[str, Mask]
    articles: list[Article] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    files: list[tuple[FileEntry, int]] = field(default_factory=list)  # entry, chunk count
    unreadable: list[str] = field(default_factory=list)
    """Corpus files that could not be read (those indexed before keep their chunks)."""
    reread: int = 0
    """Files of unchanged bytes rewritten because a newer ingestion read more of them."""

    @property
    def n_articles(self) -> int:
        return sum(len(e.articles) for e in self.catalog.values())


@dataclass
class _Vectors:
    """Step 3: the new chunks' passage texts, hashes and vectors (row i: chunk i)."""

    texts: list[str]
    hashes: list[str]
    matrix: npt.NDArray[np.float32]
    embedded: int

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def drop_matrix(self) -> None:
        """Free the vectors once written (a big build holds them only while it must)."""
        self.matrix = np.zeros((0, self.dim), dtype=np.float32)


def build_local(
    config: Config,
    *,
    full: bool = False,
    compact: bool = False,
    show_progress: bool = False,
    embedder: TextEncoder | None = None,
    allow_mass_removal: bool = False,
) -> BuildReport:
    """Build or incrementally update the local index in ``config.index.dir``.

    ``full`` re-reads and re-embeds everything; ``compact`` merges every segment into
    one (no re-embedding). Raises :class:`~newsqa.index.CorpusError` when the corpus
    holds no article, and :class:`~newsqa.index.IndexStoreError` when the folder cannot
    be written; in both cases the previously served index is untouched.
    """
    started = time.perf_counter()
    layout = IndexLayout(config.index.dir)
    keep = config.index.keep_generations
    with layout.lock():
        if config.index.private:
            make_private(layout.root, files=False)  # first: nothing below is reachable
        layout.prune(keep_previous=keep)
        walk = scan_corpus(config.corpus.paths)
        encoder: TextEncoder = embedder or Embedder(config.model)
        recorded = settings(config, encoder.identity())
        state, reason = _previous(layout, recorded, full)

        reads = _plan_reads(walk, state, config)
        reserved = {a for e in reads.catalog.values() for a in e.articles}
        corpus = ingest_files(reads.to_read, reserved_ids=reserved, log_unreadable=False)
        stores = _Stores(layout)
        try:
            changes = _compare_files(config, corpus, reads, state, stores)
            replacing = bool(reason) and reason != "no previous index"
            _check_losses(
                layout, config, state, reads, changes, stores, replacing, allow_mass_removal
            )
            if not changes.n_articles:
                raise CorpusError("no articles found in " + ", ".join(config.corpus.paths))
            resume = Resume(layout.root, encoder.identity(), config.index.resume_slice)
            vectors = _vectors(encoder, changes.chunks, state, stores, show_progress, reads, resume)
        finally:
            stores.close()

        had = {g.name for g in layout.generations.iterdir()}
        with writing(layout.root, cleanup=lambda: _discard_new(layout, had, keep)):
            segments = _add_segment(layout, config, state, changes, vectors, show_progress)
            dim = vectors.dim
            vectors.drop_matrix()
            segments, merged = _merge_some(layout, config, segments, changes, compact)
            gen, live = _write_generation(layout, recorded, segments, changes, dim)
            _fault("manifest")
            layout.publish(gen, keep=keep)
        clear_resume(layout.root)  # published: nothing left to resume
        _fault("published")
        if config.index.private:
            make_private(layout.root)

    catalog = changes.catalog
    return BuildReport(
        generation=gen.name,
        full=bool(reason),
        reason=reason,
        **changes.counts.fields(),
        embedded=vectors.embedded,
        articles=changes.n_articles,
        chunks=live,
        files=len(catalog),
        warnings=tuple(w for e in catalog.values() for w in e.warnings),
        duplicates_dropped=sum(e.duplicates_dropped for e in catalog.values()),
        seconds=time.perf_counter() - started,
        files_read=len(reads.to_read),
        files_skipped=sum(e.skipped for e in catalog.values()),
        segments=len(segments),
        merged=merged,
        files_unreadable=len(changes.unreadable),
        repaired=tuple(state.repaired),
    )


def _previous(layout: IndexLayout, recorded: dict[str, Any], full: bool) -> tuple[_State, str]:
    """The served generation to update, or an empty one and why everything is rebuilt.

    Damage is repaired here (see :func:`._integrity.load_base`): a damaged segment is
    dropped and its files read again; a damaged generation is replaced by the newest
    intact one; each is one line of ``state.repaired``.
    """
    if full:
        with contextlib.suppress(IndexStoreError):  # a damaged CURRENT: rebuilt anyway
            if layout.current_or_none() is not None:
                logger.warning("full rebuild: requested with --full")
        return _State(), "requested with --full"
    base, reason, repaired = load_base(layout, recorded)
    for line in repaired:
        logger.warning("repairing the index: %s", line)
    if base is None:
        if reason != "no previous index":
            logger.warning("full rebuild: %s", reason)
        return _State(repaired=repaired), reason
    return _State(base.segments, base.deleted, base.catalog, repaired), ""


def _discard_new(layout: IndexLayout, had: set[str], keep: int) -> None:
    """After a failed write: remove the generations this build made and did not publish,
    then the segments no kept generation uses (the space of a full disk comes back)."""
    current = layout.root / "CURRENT"
    served = current.read_text(encoding="utf-8").strip() if current.is_file() else ""
    for gen in layout.generations.iterdir():
        if gen.name not in had and gen.name != served:
            shutil.rmtree(gen, ignore_errors=True)
    layout.prune(keep_previous=keep)


def _plan_reads(walk: CorpusWalk, state: _State, config: Config) -> _Reads:
    """Step 1: which files to read: new ones, or with another size or modification time.

    The files the previous generation indexed under a folder that could not be listed
    (or a corpus path that went away) are kept as they were, each named in one warning;
    a corpus path that is gone and held nothing is an error, as on a first build. A
    folder under which nothing can be kept (a first or full build) is only warned about
    here; :func:`_check_losses` refuses a full rebuild that would drop it.
    """
    reads = _Reads(to_read=[], stats={}, catalog=Catalog())
    roots = {os.path.realpath(os.path.expanduser(p)): p for p in config.corpus.paths}
    for blocked in walk.unreadable:
        under = kept_under(blocked.folder, state.catalog)
        if under:
            logger.warning(
                "%s; keeping the %d files indexed from it before", blocked.warning, len(under)
            )
            reads.catalog.update(under)
            reads.kept.extend(under)
        elif blocked.folder in roots and not os.path.lexists(blocked.folder):
            raise CorpusError(f"corpus path not found: {blocked.path}")
        else:
            logger.warning("%s", blocked.warning)
            reads.blocked.append(blocked.path)
    for path, key in walk.files:
        src = str(path.resolve())
        try:
            stat = path.stat()
        except OSError:
            reads.to_read.append((path, key))  # ingestion reports why it cannot be read
            continue
        reads.stats[src] = stat
        old = state.catalog.get(src)
        if old is not None and old.same_stat(stat) and old.ingest == INGEST_VERSION:
            reads.catalog[src] = old
        else:
            reads.to_read.append((path, key))
    return reads


def _compare_files(
    config: Config, corpus: Corpus, reads: _Reads, state: _State, stores: _Stores
) -> _Changes:
    """Step 2: compare the re-read files with their previous rows; mark those deleted."""
    catalog = reads.catalog
    changes = _Changes(
        catalog=catalog,
        counts=ChangeCounts(unchanged=sum(e.count for e in catalog.values())),
        deleted={name: mask.copy() for name, mask in state.deleted.items()},
        unreadable=list(reads.kept),
    )
    unreadable = set(corpus.unreadable)
    for report in corpus.files:
        src = report.path
        old = state.catalog.get(src)
        got = reads.stats.get(src)
        size, mtime = (got.st_size, got.st_mtime_ns) if got else _READ_AGAIN
        if src in unreadable:  # could not be read: not removed, and read again next time
            changes.unreadable.append(src)
            warning = report.warnings[0] if report.warnings else printable(src)
            if old is not None:
                logger.warning(
                    "%s; keeping its %d chunks indexed before",
                    warning.removesuffix("; file skipped"),
                    old.count,
                )
                catalog[src] = old
                changes.counts.unchanged += old.count
                continue
            logger.warning("%s", warning)
            size, mtime = _READ_AGAIN
        same_bytes = old is not None and bool(report.digest) and old.digest == report.digest
        if old is not None and same_bytes and old.ingest == INGEST_VERSION:
            old.size, old.mtime_ns = size, mtime  # touched, not edited
            catalog[src] = old
            changes.counts.unchanged += old.count
            continue
        chunks = chunk_articles(report.articles, config.index.max_chunk_chars)
        if old is not None and same_bytes:  # read by an older ingestion
            if _same_chunks(stores, old, chunks):
                old.size, old.mtime_ns, old.ingest = size, mtime, INGEST_VERSION
                catalog[src] = old
                changes.counts.unchanged += old.count
                continue
            changes.reread += 1
        if old is not None and old.count:
            before = {cid: h for _, cid, h in stores.hashes(old)}
            now = ((c.chunk_id, content_hash(passage_text(c))) for c in chunks)
            changes.counts.compare(now, before)
            changes.deleted[old.segment][old.start : old.start + old.count] = True
        else:
            changes.counts.added += len(chunks)
        entry = FileEntry(
            size=size,
            mtime_ns=mtime,
            digest=report.digest,
            articles=[a.article_id for a in report.articles],
            newest_date=max((a.date for a in report.articles if a.date), default=""),
            warnings=list(report.warnings),
            skipped=report.skipped,
            duplicates_dropped=report.duplicates_dropped,
            ingest=INGEST_VERSION,
        )
        catalog[src] = entry
        changes.files.append((entry, len(chunks)))
        changes.articles.extend(report.articles)
        changes.chunks.extend(chunks)
    for src, old in state.catalog.items():
        if src not in catalog:
            changes.counts.removed += old.count
            if old.count:
                changes.deleted[old.segment][old.start : old.start + old.count] = True
    if changes.reread:
        logger.info(
            "%d unchanged files read again by a newer ingestion (publication, page):"
            " their chunks are rewritten, their text keeps its vectors",
            changes.reread,
        )
    return changes


def _same_chunks(stores: _Stores, old: FileEntry, chunks: Sequence[Chunk]) -> bool:
    """Whether ``chunks`` are exactly the chunks stored for ``old`` (every field)."""
    if len(chunks) != old.count:
        return False
    if not old.count:
        return True
    rows = list(range(old.start, old.start + old.count))
    stored = stores.store(old.segment).chunks_by_row(rows)
    return [stored.get(r) for r in rows] == list(chunks)


def _check_losses(
    layout: IndexLayout,
    config: Config,
    state: _State,
    reads: _Reads,
    changes: _Changes,
    stores: _Stores,
    replacing: bool,
    allow: bool,
) -> None:
    """Step 2b: refuse a build that would lose much of the archive, unless ``allow``.

    An update removing more than ``index.max_removal_share`` of the chunks (moved text
    does not count), and a full rebuild over a previous index while some of what that
    index holds cannot be read (it would be dropped), raise a one-line CorpusError.
    """
    if allow:
        return
    if replacing and (reads.blocked or changes.unreadable):
        _refuse_lossy_rebuild(layout, reads.blocked, changes.unreadable)
    removal_guard(
        changes.counts.removed,
        sum(e.count for e in state.catalog.values()),
        config.index.max_removal_share,
        allow,
        lambda: _moved(state, changes, stores),
    )


def _refuse_lossy_rebuild(layout: IndexLayout, folders: list[str], files: list[str]) -> None:
    """Raise when the served index holds chunks under ``folders`` or of ``files``."""
    prev = layout.current_or_none()
    if prev is None:
        return
    served = Catalog.load(prev / CATALOG)
    held = [f for f in folders if any(e.count for e in kept_under(f, served).values())]
    held += [f for f in files if (e := served.get(f)) is not None and e.count]
    if held:
        raise CorpusError(
            f"cannot read {printable(held[0])}"
            + (f" (and {len(held) - 1} more)" if len(held) > 1 else "")
            + ": a full rebuild would drop what the index holds from it;"
            " fix the access, or pass --allow-mass-removal"
        )


def _moved(state: _State, changes: _Changes, stores: _Stores) -> int:
    """Chunks of removed files whose text is back in a new chunk (a file that moved)."""
    new = {content_hash(passage_text(c)) for c in changes.chunks}
    return sum(
        1
        for src, old in state.catalog.items()
        if old.count and src not in changes.catalog
        for _, _, h in stores.hashes(old)
        if h in new
    )


def _vectors(
    embedder: TextEncoder,
    chunks: Sequence[Chunk],
    state: _State,
    stores: _Stores,
    show_progress: bool,
    reads: _Reads,
    resume: Resume,
) -> _Vectors:
    """Step 3: reuse the vectors of texts embedded before, embed the rest.

    "Before" includes a build that was killed: its slices kept in ``resume`` (same
    model only) are reused, and this build keeps its own slice by slice as it goes.
    """
    texts = [passage_text(c) for c in chunks]
    hashes = [content_hash(t) for t in texts]
    known = stores.vectors_for(state.segments, set(hashes)) if state.segments else {}
    todo = to_embed(hashes, known)
    kept = resume.load({hashes[i] for i in todo}, int(embedder.dim)) if todo else {}
    if kept:
        known.update(kept)
        todo = [i for i in todo if hashes[i] not in kept]
    logger.info(
        "%d files read, %d chunks to index, %d to embed%s",
        len(reads.to_read),
        len(texts),
        len(todo),
        f" ({len(kept)} kept from an interrupted build)" if kept else "",
    )

    def keep(done: list[str], fresh: npt.NDArray[np.float32]) -> None:
        _fault(f"embedded-slice-{resume.append(done, fresh)}")

    embed_into(
        known,
        embedder,
        texts,
        hashes,
        todo,
        show_progress=show_progress,
        slice_size=resume.slice_size,
        on_slice=keep,
    )
    _fault("embedded")
    matrix = np.zeros((len(chunks), int(embedder.dim)), dtype=np.float32)
    for row, h in enumerate(hashes):
        matrix[row] = known[h]
    return _Vectors(texts, hashes, matrix, len(todo))


def _add_segment(
    layout: IndexLayout,
    config: Config,
    state: _State,
    changes: _Changes,
    vectors: _Vectors,
    show_progress: bool,
) -> list[SegmentInfo]:
    """Step 4: write the new chunks as one segment; the generation's segments after it."""
    segments = list(state.segments)
    if changes.chunks:
        folder = layout.new_segment()
        with Progress(len(vectors.texts), "tokenising", bar=show_progress) as counting:
            tokens: Iterable[Sequence[str]] = counting.wrap(tokenize_many(vectors.texts))
            info = write_segment(
                folder,
                changes.articles,
                changes.chunks,
                vectors.hashes,
                vectors.matrix,
                tokens,
                approximate_threshold=config.index.approximate_threshold,
            )
            del tokens
        layout.flush(folder)
        segments.append(info)
        changes.deleted[info.name] = np.zeros(info.rows, dtype=bool)
        start = 0
        for entry, n in changes.files:
            entry.segment, entry.start, entry.count = info.name, start, n
            start += n
    # a segment whose every row is deleted is simply dropped
    return [s for s in segments if s.rows and not changes.deleted[s.name].all()]


def _merge_some(
    layout: IndexLayout,
    config: Config,
    segments: list[SegmentInfo],
    changes: _Changes,
    compact: bool,
) -> tuple[list[SegmentInfo], int]:
    """Step 5: merge the segments :func:`_merge_plan` picks; how many were merged."""
    chosen = _merge_plan(segments, changes.deleted, config.index.max_segments, compact)
    if not chosen:
        return segments, 0
    segments, changes.deleted = _merge(
        layout, config, segments, changes.deleted, chosen, changes.catalog
    )
    return segments, len(chosen)


def _write_generation(
    layout: IndexLayout,
    recorded: dict[str, Any],
    segments: list[SegmentInfo],
    changes: _Changes,
    dim: int,
) -> tuple[Path, int]:
    """Step 6: the generation's deletions, its catalog, and its manifest last.

    Returns the generation folder (not yet published) and its live chunks.
    """
    gen = layout.new_generation()
    deleted = changes.deleted
    (gen / DELETED).mkdir()
    for seg in segments:
        rows = np.flatnonzero(deleted[seg.name]).astype(np.int32)
        if len(rows):
            np.save(gen / DELETED / f"{seg.name}.npy", rows)
    catalog = changes.catalog
    catalog.save(gen / CATALOG)
    _fault("written")
    live = sum(seg.rows - int(deleted[seg.name].sum()) for seg in segments)
    layout.write_manifest(
        gen,
        {
            "settings": recorded,
            "segments": [seg.to_json() for seg in segments],
            "vector_index": _describe([seg.kind for seg in segments]),
            "dim": dim,
            "counts": {"articles": changes.n_articles, "chunks": live, "files": len(catalog)}
            | ({"files_unreadable": len(changes.unreadable)} if changes.unreadable else {}),
            "newest_date": max((e.newest_date for e in catalog.values()), default=""),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    return gen, live


def _describe(kinds: list[str]) -> str:
    """``"ivf4000-sq8 + 3 flat"``: the vector index kinds of a generation's segments."""
    ann = [k for k in kinds if k != "flat"]
    flat = len(kinds) - len(ann)
    parts = ann + ([f"{flat} flat" if ann or flat > 1 else "flat"] if flat else [])
    return " + ".join(parts) or "empty"


class _Stores:
    """Read access to the served segments during a build (opened on demand)."""

    def __init__(self, layout: IndexLayout) -> None:
        self._layout = layout
        self._open: dict[str, MetaStore] = {}

    def store(self, name: str) -> MetaStore:
        if name not in self._open:
            self._open[name] = MetaStore.open(self._layout.segments / name / META)
        return self._open[name]

    def hashes(self, entry: FileEntry) -> list[tuple[int, str, str]]:
        return self.store(entry.segment).hashes(entry.start, entry.count)

    def vectors_for(self, segments: Sequence[SegmentInfo], wanted: set[str]) -> dict[str, Any]:
        """Stored vectors of the texts hashed ``wanted``, wherever they are."""
        found: dict[str, Any] = {}
        for seg in segments:
            missing = [h for h in wanted if h not in found]
            if not missing:
                break
            rows = dict(self.store(seg.name).rows_with_hashes(missing))
            if rows:
                folder = self._layout.segments / seg.name
                vectors = SegmentVectors.load(folder, ann=False).vectors  # no IVF read
                for row, h in rows.items():
                    found[h] = np.array(vectors[row], dtype=np.float32)
        return found

    def close(self) -> None:
        for store in self._open.values():
            store.close()
        self._open.clear()


def _merge_plan(
    segments: Sequence[SegmentInfo],
    deleted: dict[str, Mask],
    max_segments: int,
    compact: bool,
) -> list[str]:
    """Names of the segments to merge into one (empty: none).

    Every segment when compacting; otherwise any segment with more than a third of its
    rows deleted, and, past ``max_segments``, the smallest ones until half that many
    remain. The big segment of a large archive is thus rewritten rarely, and an
    update stays cheap.
    """

    def live(seg: SegmentInfo) -> int:
        return seg.rows - int(deleted[seg.name].sum())

    if compact:
        if len(segments) > 1 or any(deleted[s.name].any() for s in segments):
            return [s.name for s in segments]
        return []
    chosen = [
        s.name for s in segments if deleted[s.name].sum() > _REWRITE_DELETED_SHARE * max(s.rows, 1)
    ]
    if len(segments) > max(1, max_segments):
        target = max(1, max_segments // 2)
        rest = sorted((s for s in segments if s.name not in chosen), key=live)
        while rest and len(segments) - len(chosen) + (1 if chosen else 0) > target:
            chosen.append(rest.pop(0).name)
    if len(chosen) == 1 and not deleted[chosen[0]].any():
        return []
    return chosen


def _merge(
    layout: IndexLayout,
    config: Config,
    segments: list[SegmentInfo],
    deleted: dict[str, Mask],
    chosen: list[str],
    catalog: Catalog,
) -> tuple[list[SegmentInfo], dict[str, Mask]]:
    """Merge the ``chosen`` segments (their live rows) into one new segment."""
    picked = [s for s in segments if s.name in chosen]
    folder = layout.new_segment()
    info, remaps = merge_segments(
        folder,
        [(layout.segments / s.name, ~deleted[s.name]) for s in picked],
        approximate_threshold=config.index.approximate_threshold,
    )
    layout.flush(folder)
    remap = {s.name: r for s, r in zip(picked, remaps, strict=True)}
    for entry in catalog.values():
        if entry.count and entry.segment in remap:
            entry.start = int(remap[entry.segment][entry.start])
            entry.segment = info.name
    kept = [s for s in segments if s.name not in chosen]
    at = min(i for i, s in enumerate(segments) if s.name in chosen)
    kept.insert(min(at, len(kept)), info)
    out = {s.name: deleted[s.name] for s in kept if s.name != info.name}
    out[info.name] = np.zeros(info.rows, dtype=bool)
    return kept, out
