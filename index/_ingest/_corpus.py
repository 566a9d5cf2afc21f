"""Read each corpus file with the parser for its format, assign ids.

Files: ``.txt`` (raw newspaper pages), ``.jsonl`` and ``.md``/``.markdown``; the walk
(:mod:`newsqa.index._ingest._walk`) lists them and refuses symlink loops and names that
are not UTF-8. Only regular files are read, with a size cap, and a file that changes
while it is read is skipped (:mod:`newsqa.index._ingest._readfile`). A file that cannot
be read, decoded or parsed is reported with a one-line warning and skipped; the rest is
ingested.

"Could not be read" is kept apart from "read but bad": a file the system would not let
be read (permissions, I/O, a mount that went away) is listed in
:attr:`Corpus.unreadable`, and a folder that could not be listed in
:attr:`CorpusWalk.unreadable`, so that an incremental build keeps what they held before
instead of taking them for removed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._types import Article, FileReport
from ._decode import DecodeError, decode_bytes
from ._draft import ArticleDraft, Parsed
from ._ids import article_id, date_from_name, normalize_date
from ._jsonl import parse_jsonl
from ._markdown import parse_markdown
from ._origin import name_masthead, normalize_page
from ._page import parse_page
from ._readfile import ReadError, read_regular_file
from ._walk import SUFFIXES, Refused, WalkItem, printable, refusal, safe_resolve, walk_items

__all__ = [
    "INGEST_VERSION",
    "SUFFIXES",
    "Corpus",
    "CorpusWalk",
    "ingest",
    "ingest_files",
    "scan_corpus",
    "walk_corpus",
]

logger = logging.getLogger(__name__)

INGEST_VERSION = 2
"""What ingestion reads from a file's bytes, versioned: an index records it per file,
and a build reads a file ingested by another version again even when its bytes are
unchanged (version 2: publication, page and url). Text that comes out the same keeps
its vectors."""


@dataclass(frozen=True, slots=True)
class Corpus:
    """What ingestion made of the corpus: one report per file, in walk order."""

    files: tuple[FileReport, ...] = ()
    unreadable: tuple[str, ...] = ()
    """Paths (as in :attr:`FileReport.path`) of the files the system would not let be
    read; each also has a skipped report. A file read and found bad is not here."""

    @property
    def articles(self) -> tuple[Article, ...]:
        """Every article of every file, in order."""
        return tuple(a for f in self.files for a in f.articles)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning of every file, in order."""
        return tuple(w for f in self.files for w in f.warnings)

    @property
    def duplicates_dropped(self) -> int:
        """Near-duplicate paragraphs dropped over all files."""
        return sum(f.duplicates_dropped for f in self.files)


def _parser(suffix: str) -> Callable[[str, Path, str], Parsed]:
    if suffix == ".jsonl":
        return lambda text, path, name: parse_jsonl(text, name)
    if suffix in (".md", ".markdown"):
        return lambda text, path, name: parse_markdown(text, name, path.stem)
    return lambda text, path, name: parse_page(text, name)


class _Unreadable(str):
    """The reason a file could not be read at all (a :class:`ReadError` ``unreadable``)."""

    __slots__ = ()


def _read(path: Path, source: str) -> tuple[Parsed | str, str]:
    """``(the parsed file or the one-line reason it is skipped, digest of its bytes)``.

    The reason is an :class:`_Unreadable` when the system refused the read.
    """
    try:
        data = read_regular_file(path)
    except ReadError as exc:
        return (_Unreadable(exc) if exc.unreadable else str(exc)), ""
    digest = hashlib.sha1(data).hexdigest()
    try:
        text, _ = decode_bytes(data)
    except DecodeError as exc:
        return f"cannot decode ({exc})", digest
    try:
        return _parser(path.suffix.lower())(text, path, source), digest
    except Exception as exc:  # a parser bug must not lose the rest of the corpus
        logger.debug("parser failed on %s", source, exc_info=True)
        return f"cannot parse ({type(exc).__name__}: {exc})", digest


class _Ids:
    """Hands out article ids, unique over the whole corpus."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self._seen: set[str] = set(reserved or ())

    def assign(self, key: str, draft: ArticleDraft, occurrence: int) -> tuple[str, str]:
        """``(id, warning or "")`` for ``draft``."""
        wanted = draft.given_id or article_id(key, draft.title, occurrence)
        if wanted not in self._seen:
            self._seen.add(wanted)
            return wanted, ""
        n = occurrence
        while True:
            n += 1
            candidate = article_id(f"{key}\n{draft.given_id}", draft.title, n)
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate, f"duplicate article id {wanted!r}; using {candidate}"


def _skipped(item: Refused) -> FileReport:
    logger.warning("%s", item.warning)
    return FileReport(path=item.path, warnings=(item.warning,), skipped=True)


def _label(path: Path, source: str) -> str:
    """How a skipped file is named: its resolved path, after the link when it is one."""
    return f"{printable(str(path.absolute()))} -> {source}" if path.is_symlink() else source


def _report(
    path: Path, key: str, ids: _Ids, unreadable: list[str], log_unreadable: bool
) -> FileReport:
    refused = refusal(path)
    resolved = safe_resolve(path) if refused is None else None
    if refused is not None or resolved is None:
        shown = printable(str(path))
        return _skipped(refused or Refused(shown, f"{shown}: symlink loop; file skipped"))
    source = str(resolved)
    parsed, digest = _read(path, source)
    if isinstance(parsed, str):
        warning = f"{printable(_label(path, source))}: {parsed}; file skipped"
        if isinstance(parsed, _Unreadable):
            unreadable.append(source)
            if not log_unreadable:
                return FileReport(path=source, warnings=(warning,), skipped=True)
        logger.warning("%s", warning)
        return FileReport(path=source, warnings=(warning,), skipped=True, digest=digest)
    named = name_masthead(path.name)
    folder = name_masthead(path.parent.name)
    name_date = date_from_name(path.name) or date_from_name(path.parent.name)
    name_paper = named.paper or folder.paper
    warnings = list(parsed.warnings)
    articles: list[Article] = []
    titles: dict[str, int] = {}
    for draft in parsed.articles:
        titles[draft.title] = titles.get(draft.title, 0) + 1
        aid, problem = ids.assign(key, draft, titles[draft.title])
        if problem:
            warnings.append(f"{source}: {problem}")
        articles.append(
            Article(
                article_id=aid,
                title=draft.title,
                paragraphs=draft.paragraphs,
                source_path=source,
                author=draft.author,
                date=normalize_date(draft.date) if draft.date else name_date,
                url=draft.url,
                origin=draft.origin or name_paper or draft.credited_paper,
                page=normalize_page(draft.page) if draft.page else named.page,
            )
        )
    for warning in warnings:
        logger.warning("%s", warning)
    logger.debug("%s: %d articles", source, len(articles))
    return FileReport(
        path=source,
        articles=tuple(articles),
        warnings=tuple(warnings),
        duplicates_dropped=parsed.duplicates_dropped,
        digest=digest,
    )


def walk_corpus(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """Every corpus file under ``paths`` once, in walk order, with its id key.

    Entries refused by the walk (symlink loops, names that are not UTF-8) are logged as
    warnings and left out. Raises :class:`CorpusError` for a path that does not exist.
    """
    out: list[tuple[Path, str]] = []
    for item in walk_items(paths):
        if isinstance(item, Refused):
            logger.warning("%s", item.warning)
        else:
            out.append(item)
    return out


def _ingest(
    items: Sequence[WalkItem], reserved_ids: set[str] | None, log_unreadable: bool = True
) -> Corpus:
    ids = _Ids(reserved_ids)
    reports: list[FileReport] = []
    unreadable: list[str] = []
    for item in items:
        if isinstance(item, Refused):
            reports.append(_skipped(item))
            continue
        path, key = item
        if path.suffix.lower() not in SUFFIXES:
            resolved = safe_resolve(path) or path
            warning = f"{printable(str(resolved))}: not a .txt, .jsonl or .md file; skipped"
            logger.warning("%s", warning)
            reports.append(FileReport(path=str(resolved), warnings=(warning,), skipped=True))
            continue
        reports.append(_report(path, key, ids, unreadable, log_unreadable))
    corpus = Corpus(tuple(reports), tuple(unreadable))
    logger.info(
        "ingested %d articles from %d files (%d warnings, %d duplicate paragraphs dropped)",
        len(corpus.articles),
        len(reports),
        len(corpus.warnings),
        corpus.duplicates_dropped,
    )
    return corpus


def ingest_files(
    files: Sequence[tuple[Path, str]],
    reserved_ids: set[str] | None = None,
    *,
    log_unreadable: bool = True,
) -> Corpus:
    """Read the ``(path, key)`` files of :func:`walk_corpus`.

    ``reserved_ids`` are article ids already taken by files not read this time (an
    incremental build), so new articles never collide with them. ``log_unreadable``
    false leaves the warning of a file that could not be read (one of
    :attr:`Corpus.unreadable`) to the caller, which knows what it keeps of it.
    """
    return _ingest(files, reserved_ids, log_unreadable)


@dataclass(frozen=True, slots=True)
class CorpusWalk:
    """What a build walks: the files to read, and what could not be read at all."""

    files: tuple[tuple[Path, str], ...]
    unreadable: tuple[Refused, ...]
    """Folders that could not be listed and corpus paths that are gone or blocked
    (each with ``folder`` set: the real path under which previous files are kept)."""


def scan_corpus(paths: Sequence[str | Path]) -> CorpusWalk:
    """:func:`walk_corpus`, keeping apart what could not be read.

    A corpus path that does not exist, or a folder that cannot be listed, is in
    :attr:`CorpusWalk.unreadable` instead of raising or being taken for empty; the
    caller logs them. Files refused by the walk are logged and left out as in
    :func:`walk_corpus`.
    """
    files: list[tuple[Path, str]] = []
    blocked: list[Refused] = []
    for item in walk_items(paths, missing_ok=True):
        if isinstance(item, Refused):
            if item.unreadable:
                blocked.append(item)
            else:
                logger.warning("%s", item.warning)
        else:
            files.append(item)
    return CorpusWalk(tuple(files), tuple(blocked))


def ingest(paths: Sequence[str | Path]) -> Corpus:
    """Read every file under ``paths``; raises :class:`CorpusError` for a missing path.

    Entries the walk refuses are reported as skipped files, each with its warning.
    """
    return _ingest(walk_items(paths), None)
