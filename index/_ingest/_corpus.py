"""Walk the corpus paths, read each file with the parser for its format, assign ids.

Files: ``.txt`` (raw newspaper pages), ``.jsonl`` and ``.md``/``.markdown``; any other
extension inside a folder is ignored (debug log). Folders are walked recursively in
sorted order, skipping hidden files and folders. A file that cannot be read, decoded or
parsed is reported with a one-line warning and skipped; the rest is ingested.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import CorpusError
from .._types import Article, FileReport
from ._decode import DecodeError, decode_bytes
from ._draft import ArticleDraft, Parsed
from ._ids import article_id, date_from_name, normalize_date
from ._jsonl import parse_jsonl
from ._markdown import parse_markdown
from ._page import parse_page

__all__ = ["SUFFIXES", "Corpus", "ingest", "ingest_files", "walk_corpus"]

logger = logging.getLogger(__name__)

SUFFIXES = frozenset({".txt", ".jsonl", ".md", ".markdown"})


@dataclass(frozen=True, slots=True)
class Corpus:
    """What ingestion made of the corpus: one report per file, in walk order."""

    files: tuple[FileReport, ...] = ()

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


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` (sorted, hidden skipped) with their key ``<root name>/<rel>``."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            if _hidden(name):
                continue
            path = Path(folder) / name
            if path.suffix.lower() not in SUFFIXES:
                logger.debug("ignored (not .txt/.jsonl/.md): %s", path)
                continue
            yield path, f"{root.name}/{path.relative_to(root).as_posix()}"


def _files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise CorpusError(f"corpus path not found: {given}")
        if path.is_dir():
            yield from _walk(path.resolve())
        else:
            yield path, path.name


def _parser(suffix: str) -> Callable[[str, Path, str], Parsed]:
    if suffix == ".jsonl":
        return lambda text, path, name: parse_jsonl(text, name)
    if suffix in (".md", ".markdown"):
        return lambda text, path, name: parse_markdown(text, name, path.stem)
    return lambda text, path, name: parse_page(text, name)


def _read(path: Path, source: str) -> tuple[Parsed | str, str]:
    """``(the parsed file or the one-line reason it is skipped, digest of its bytes)``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})", ""
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


def _report(path: Path, key: str, ids: _Ids) -> FileReport:
    source = str(path.resolve())
    parsed, digest = _read(path, source)
    if isinstance(parsed, str):
        warning = f"{source}: {parsed}; file skipped"
        logger.warning("%s", warning)
        return FileReport(path=source, warnings=(warning,), skipped=True, digest=digest)
    name_date = date_from_name(path.name) or date_from_name(path.parent.name)
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
                origin=draft.origin,
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

    Raises :class:`CorpusError` for a path that does not exist.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for path, key in list(_files(paths)):
        resolved = path.resolve()
        if resolved in seen:
            logger.debug("listed twice, read once: %s", path)
            continue
        seen.add(resolved)
        out.append((path, key))
    return out


def ingest_files(files: Sequence[tuple[Path, str]], reserved_ids: set[str] | None = None) -> Corpus:
    """Read the ``(path, key)`` files of :func:`walk_corpus`.

    ``reserved_ids`` are article ids already taken by files not read this time (an
    incremental build), so new articles never collide with them.
    """
    ids = _Ids(reserved_ids)
    reports: list[FileReport] = []
    for path, key in files:
        if path.suffix.lower() not in SUFFIXES:
            resolved = path.resolve()
            warning = f"{resolved}: not a .txt, .jsonl or .md file; skipped"
            logger.warning("%s", warning)
            reports.append(FileReport(path=str(resolved), warnings=(warning,), skipped=True))
            continue
        reports.append(_report(path, key, ids))
    corpus = Corpus(tuple(reports))
    logger.info(
        "ingested %d articles from %d files (%d warnings, %d duplicate paragraphs dropped)",
        len(corpus.articles),
        len(reports),
        len(corpus.warnings),
        corpus.duplicates_dropped,
    )
    return corpus


def ingest(paths: Sequence[str | Path]) -> Corpus:
    """Read every file under ``paths``; raises :class:`CorpusError` for a missing path."""
    return ingest_files(walk_corpus(paths))
