"""Building the index: read what changed, embed what is new, add a segment, swap it in.

Builds are incremental at the level of files and chunks:

- a corpus file with the same size and modification time as last time is not read
  (one whose bytes are unchanged is not re-ingested either);
- a new or edited file is ingested again; its chunks go into one new segment, and
  its previous rows are marked deleted in the segment that holds them;
- a removed file's rows are marked deleted;
- a chunk whose text was embedded before (in any segment, even in a file that moved)
  reuses its vector; only new text is embedded.

So adding one page to an archive of a million chunks writes about sixty rows, not a
million. Deleted rows are masked out of every search structure at once and dropped
for good when their segment is merged (see :func:`_merge_plan`), or with
``compact=True``. A different model, tokenizer, chunk size or format version forces a
full rebuild, reported in one line. See :mod:`._layout` for the atomic swap.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..._config import Config
from ..._embedding._embedder import Embedder
from ..._errors import CorpusError
from ..._ingest import chunk_articles, ingest_files, walk_corpus
from ..._text import normalize
from ..._tokens import TOKENIZER_ID, tokenize_many
from ..._types import Article, Chunk
from ._catalog import Catalog, FileEntry
from ._layout import CATALOG, DELETED, FORMAT_VERSION, META, IndexLayout
from ._segment import SegmentInfo, merge_segments, read_deleted, write_segment
from ._store import MetaStore
from ._vectors import SegmentVectors

__all__ = ["BuildReport", "build_index", "passage_text"]

logger = logging.getLogger(__name__)

_FAULT_ENV = "NEWSQA_TEST_KILL_AT"
"""Test hook: SIGKILL the build at a named stage (proves the swap is atomic)."""

_REWRITE_DELETED_SHARE = 1 / 3
"""A segment with more of its rows deleted than this is rewritten without them."""


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did. Counts are chunks compared with the previously served index."""

    generation: str
    full: bool
    reason: str
    added: int
    changed: int
    removed: int
    unchanged: int
    embedded: int
    articles: int
    chunks: int
    files: int
    warnings: tuple[str, ...]
    duplicates_dropped: int
    seconds: float
    files_read: int = 0
    """Corpus files read this time (the others were unchanged since the last build)."""
    segments: int = 0
    """Segments of the new generation."""
    merged: int = 0
    """Segments merged into one by this build (0: none)."""


def passage_text(chunk: Chunk) -> str:
    """What represents a chunk for matching: its normalised title and text."""
    return normalize(chunk.title) + "\n" + normalize(chunk.text)


def _content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _fault(stage: str) -> None:
    if os.environ.get(_FAULT_ENV) == stage:
        logger.warning("test hook: killing the build at stage %r", stage)
        os.kill(os.getpid(), signal.SIGKILL)


def _settings(config: Config, model: dict[str, Any]) -> dict[str, Any]:
    """Everything that, when it changes, makes the stored vectors or tokens stale."""
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "tokenizer": TOKENIZER_ID,
        "max_chunk_chars": config.index.max_chunk_chars,
    }


@dataclass
class _State:
    """The served generation as a build sees it."""

    segments: list[SegmentInfo] = field(default_factory=list)
    deleted: dict[str, np.ndarray] = field(default_factory=dict)  # name -> bool mask
    catalog: Catalog = field(default_factory=Catalog)


def _load_state(layout: IndexLayout, gen: Path, manifest: dict[str, Any]) -> _State:
    segments = [SegmentInfo.from_json(s) for s in manifest.get("segments", [])]
    return _State(segments, read_deleted(gen, segments), Catalog.load(gen / CATALOG))


@dataclass
class _Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0


def build_index(
    config: Config,
    *,
    full: bool = False,
    compact: bool = False,
    show_progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build or incrementally update the index in ``config.index.dir``.

    ``full`` re-reads and re-embeds everything; ``compact`` merges every segment into
    one (no re-embedding). Raises :class:`~newsqa.index.CorpusError` when the corpus holds no
    article, and :class:`~newsqa.index.IndexStoreError` when the folder cannot be written; in
    both cases the previously served index is untouched.
    """
    if config.index.backend == "milvus":
        from ..milvus._milvus import build_milvus  # lazy: pymilvus only when chosen

        milvus_report: BuildReport = build_milvus(
            config, full=full, show_progress=show_progress, embedder=embedder
        )
        return milvus_report
    started = time.perf_counter()
    layout = IndexLayout(config.index.dir)
    with layout.lock():
        layout.prune(keep_previous=config.index.keep_generations)
        files = walk_corpus(config.corpus.paths)
        embedder = embedder or Embedder(config.model)
        settings = _settings(config, embedder.identity())

        state = _State()
        reason = "requested with --full" if full else ""
        prev = layout.current_or_none()
        if prev is not None and not full:
            manifest = layout.read_manifest(prev)
            reason = _stale_reason(manifest.get("settings", {}), settings)
            if not reason:
                state = _load_state(layout, prev, manifest)
        elif prev is None:
            reason = "no previous index"
        if reason and prev is not None:
            logger.warning("full rebuild: %s", reason)

        # 1. which files to read: new, or changed size or modification time
        catalog = Catalog()
        to_read: list[tuple[Path, str]] = []
        stats: dict[str, os.stat_result] = {}
        for path, key in files:
            src = str(path.resolve())
            try:
                stat = path.stat()
            except OSError:
                to_read.append((path, key))  # ingestion reports why it cannot be read
                continue
            stats[src] = stat
            old = state.catalog.get(src)
            if old is not None and old.same_stat(stat):
                catalog[src] = old
            else:
                to_read.append((path, key))
        reserved = {a for e in catalog.values() for a in e.articles}
        corpus = ingest_files(to_read, reserved_ids=reserved)

        # 2. what changed: compare the re-read files with their previous rows
        counts = _Counts(unchanged=sum(e.count for e in catalog.values()))
        deleted = {name: mask.copy() for name, mask in state.deleted.items()}
        stores = _Stores(layout)
        new_articles: list[Article] = []
        new_chunks: list[Chunk] = []
        new_files: list[tuple[str, FileEntry, int]] = []  # path, entry, chunk count
        for report in corpus.files:
            src = report.path
            old = state.catalog.get(src)
            got = stats.get(src)
            size, mtime = (got.st_size, got.st_mtime_ns) if got else (-1, -1)
            if old is not None and report.digest and old.digest == report.digest:
                old.size, old.mtime_ns = size, mtime  # touched, not edited
                catalog[src] = old
                counts.unchanged += old.count
                continue
            chunks = chunk_articles(report.articles, config.index.max_chunk_chars)
            if old is not None and old.count:
                before = {cid: h for _, cid, h in stores.hashes(old)}
                _compare(chunks, before, counts)
                deleted[old.segment][old.start : old.start + old.count] = True
            else:
                counts.added += len(chunks)
            entry = FileEntry(
                size=size,
                mtime_ns=mtime,
                digest=report.digest,
                articles=[a.article_id for a in report.articles],
                newest_date=max((a.date for a in report.articles if a.date), default=""),
                warnings=list(report.warnings),
                skipped=report.skipped,
                duplicates_dropped=report.duplicates_dropped,
            )
            catalog[src] = entry
            new_files.append((src, entry, len(chunks)))
            new_articles.extend(report.articles)
            new_chunks.extend(chunks)
        for src, old in state.catalog.items():
            if src not in catalog:
                counts.removed += old.count
                if old.count:
                    deleted[old.segment][old.start : old.start + old.count] = True

        n_articles = sum(len(e.articles) for e in catalog.values())
        if not n_articles:
            stores.close()
            raise CorpusError("no articles found in " + ", ".join(config.corpus.paths))

        # 3. vectors: reuse what was embedded before, embed the rest
        texts = [passage_text(c) for c in new_chunks]
        hashes = [_content_hash(t) for t in texts]
        known = stores.vectors_for(state.segments, set(hashes)) if state.segments else {}
        todo: list[int] = []
        seen = set(known)
        for i, h in enumerate(hashes):
            if h not in seen:
                seen.add(h)
                todo.append(i)
        logger.info(
            "%d files read, %d chunks to index, %d to embed", len(to_read), len(texts), len(todo)
        )
        fresh = embedder.encode_passages([texts[i] for i in todo], show_progress=show_progress)
        _fault("embedded")
        dim = int(embedder.dim)
        for j, i in enumerate(todo):
            known[hashes[i]] = fresh[j]
        matrix = np.zeros((len(new_chunks), dim), dtype=np.float32)
        for row, h in enumerate(hashes):
            matrix[row] = known[h]
        stores.close()
        del known, fresh

        # 4. the new segment, then merges
        segments = list(state.segments)
        if new_chunks:
            tokens: Iterable[Sequence[str]] = tokenize_many(texts)
            if show_progress:
                tokens = tqdm(tokens, total=len(texts), desc="tokenising", unit="chunk")
            folder = layout.new_segment()
            info = write_segment(
                folder,
                new_articles,
                new_chunks,
                hashes,
                matrix,
                tokens,
                approximate_threshold=config.index.approximate_threshold,
            )
            del tokens
            layout.flush(folder)
            segments.append(info)
            deleted[info.name] = np.zeros(info.rows, dtype=bool)
            start = 0
            for _, entry, n in new_files:
                entry.segment, entry.start, entry.count = info.name, start, n
                start += n
        del matrix
        # a segment whose every row is deleted is simply dropped
        segments = [s for s in segments if s.rows and not deleted[s.name].all()]
        merged = 0
        chosen = _merge_plan(segments, deleted, config.index.max_segments, compact)
        if chosen:
            segments, deleted = _merge(layout, config, segments, deleted, chosen, catalog)
            merged = len(chosen)

        # 5. the generation: deletions, the catalog, the manifest last
        gen = layout.new_generation()
        (gen / DELETED).mkdir()
        for seg in segments:
            rows = np.flatnonzero(deleted[seg.name]).astype(np.int32)
            if len(rows):
                np.save(gen / DELETED / f"{seg.name}.npy", rows)
        catalog.save(gen / CATALOG)
        _fault("written")
        live = sum(seg.rows - int(deleted[seg.name].sum()) for seg in segments)
        kinds = [seg.kind for seg in segments]
        layout.write_manifest(
            gen,
            {
                "settings": settings,
                "segments": [seg.to_json() for seg in segments],
                "vector_index": _describe(kinds),
                "dim": dim,
                "counts": {"articles": n_articles, "chunks": live, "files": len(catalog)},
                "newest_date": max((e.newest_date for e in catalog.values()), default=""),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        _fault("manifest")
        layout.publish(gen, keep=config.index.keep_generations)
        _fault("published")

    warnings = [w for e in catalog.values() for w in e.warnings]
    return BuildReport(
        generation=gen.name,
        full=bool(reason),
        reason=reason,
        added=counts.added,
        changed=counts.changed,
        removed=counts.removed,
        unchanged=counts.unchanged,
        embedded=len(todo),
        articles=n_articles,
        chunks=live,
        files=len(catalog),
        warnings=tuple(warnings),
        duplicates_dropped=sum(e.duplicates_dropped for e in catalog.values()),
        seconds=time.perf_counter() - started,
        files_read=len(to_read),
        segments=len(segments),
        merged=merged,
    )


def _compare(chunks: Sequence[Chunk], before: dict[str, str], counts: _Counts) -> None:
    """Count a re-read file's chunks as added, changed or unchanged; the rest removed."""
    now = set()
    for chunk in chunks:
        now.add(chunk.chunk_id)
        old_hash = before.get(chunk.chunk_id)
        if old_hash is None:
            counts.added += 1
        elif old_hash != _content_hash(passage_text(chunk)):
            counts.changed += 1
        else:
            counts.unchanged += 1
    counts.removed += sum(1 for cid in before if cid not in now)


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
    deleted: dict[str, np.ndarray],
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
    deleted: dict[str, np.ndarray],
    chosen: list[str],
    catalog: Catalog,
) -> tuple[list[SegmentInfo], dict[str, np.ndarray]]:
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


def model_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The one-line reason a changed model identity forces a full rebuild."""
    if before.get("name") != after.get("name"):
        return f"embedding model changed ({before.get('name', '?')} -> {after.get('name')})"
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return f"embedding model changed ({', '.join(changed)})"


def _stale_reason(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("format_version") != new["format_version"]:
        return f"index format version {old.get('format_version')} -> {new['format_version']}"
    if old.get("model") != new["model"]:
        return model_change(old.get("model") or {}, new["model"])
    for key in ("tokenizer", "max_chunk_chars"):
        if old.get(key) != new[key]:
            return f"{key} changed ({old.get(key)} -> {new[key]})"
    return ""
