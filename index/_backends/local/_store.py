"""The metadata store of one index segment: its articles and chunks in SQLite.

A chunk's ``row`` is its position in the segment's vectors and postings. Each chunk
keeps the content hash of the text that was embedded, so a later build can reuse its
vector when the same text comes back (an edited file, a moved one).

Where a chunk was published (``origin``, ``page``, ``url``) came later: a store
written before has no such chunk columns (:data:`_LATER`) and reads its articles'
origin and url instead (JSONL ``source``, ``url``), and no page.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..._errors import IndexStoreError
from ..._types import Article, Chunk
from .._passages import content_hash, passage_text

__all__ = ["MetaStore"]

_SCHEMA = """
CREATE TABLE articles (
    article_id TEXT PRIMARY KEY, title TEXT NOT NULL, source_path TEXT NOT NULL,
    author TEXT NOT NULL, date TEXT NOT NULL, url TEXT NOT NULL, origin TEXT NOT NULL,
    n_paragraphs INTEGER NOT NULL, page TEXT NOT NULL DEFAULT ''
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, article_id TEXT NOT NULL,
    title TEXT NOT NULL, section TEXT NOT NULL, paragraph_index INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    source_path TEXT NOT NULL, date TEXT NOT NULL, author TEXT NOT NULL,
    content_hash TEXT NOT NULL, origin TEXT NOT NULL DEFAULT '',
    page TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT ''
);
"""
_INDEXES = """
CREATE INDEX chunks_hash ON chunks(content_hash);
CREATE INDEX chunks_article ON chunks(article_id);
"""
_BASE_COLUMNS = (
    "row",
    "chunk_id",
    "article_id",
    "title",
    "section",
    "paragraph_index",
    "text",
    "start",
    '"end"',
    "source_path",
    "date",
    "author",
)
_LATER = ("origin", "page", "url")
"""Chunk columns a store written by an older newsqa lacks."""


def _legacy(column: str, articles: str = "articles", chunks: str = "chunks") -> str:
    """How a store without the :data:`_LATER` columns reads ``column``: from its
    articles, which always kept origin and url; a page it never had."""
    if column == "page":
        return "''"
    return f"(SELECT a.{column} FROM {articles} a WHERE a.article_id = {chunks}.article_id)"


_ARTICLE_COLUMNS = (
    "article_id",
    "title",
    "source_path",
    "author",
    "date",
    "url",
    "origin",
    "n_paragraphs",
)
_BATCH = 900  # bound parameters per statement stay under SQLite's limit


class MetaStore:
    """SQLite access to one segment's metadata; safe to share between threads."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        try:
            chunk_cols = _columns(conn, "chunks")
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc
        later = ", ".join(c if c in chunk_cols else _legacy(c) for c in _LATER)
        self._select = f"{', '.join(_BASE_COLUMNS)}, {later}, content_hash"
        """The chunk columns :func:`_chunk` reads (content hash last)."""

    @classmethod
    def create(cls, path: Path) -> MetaStore:
        try:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")  # the build fsyncs the finished file
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise IndexStoreError(f"cannot create the metadata store {path}: {exc}") from exc
        return cls(path, conn)

    @classmethod
    def open(cls, path: Path) -> MetaStore:
        if not path.is_file():
            raise IndexStoreError(f"the metadata store {path} is missing")
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM articles").fetchone()
            return cls(path, conn)
        except (sqlite3.Error, IndexStoreError) as exc:
            raise IndexStoreError(f"cannot read the metadata store {path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _fail(self, exc: sqlite3.Error) -> IndexStoreError:
        return IndexStoreError(f"cannot use the metadata store {self.path}: {exc}")

    def write(self, articles: Iterable[Article], chunks: Iterable[tuple[int, Chunk, str]]) -> None:
        """Add articles and ``(row, chunk, content hash)`` rows, in one transaction."""
        try:
            with self._lock, self._conn:
                self._conn.executemany(
                    f"INSERT OR REPLACE INTO articles ({', '.join(_ARTICLE_COLUMNS)}, page)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        (
                            a.article_id,
                            a.title,
                            a.source_path,
                            a.author,
                            a.date,
                            a.url,
                            a.origin,
                            len(a.paragraphs),
                            a.page,
                        )
                        for a in articles
                    ),
                )
                self._conn.executemany(
                    f"INSERT INTO chunks ({', '.join(_BASE_COLUMNS)}, content_hash,"
                    f" {', '.join(_LATER)}) VALUES ({','.join('?' * 16)})",
                    (
                        (
                            row,
                            c.chunk_id,
                            c.article_id,
                            c.title,
                            c.section,
                            c.paragraph_index,
                            c.text,
                            c.start,
                            c.end,
                            c.source_path,
                            c.date,
                            c.author,
                            h,
                            c.origin,
                            c.page,
                            c.url,
                        )
                        for row, c, h in chunks
                    ),
                )
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    def copy_from(self, other: Path, rows: Sequence[int], first_row: int) -> None:
        """Append the chunks at ``rows`` of the store ``other`` (with their articles),
        renumbered from ``first_row`` in the order given (used when merging segments)."""
        try:
            with self._lock, self._conn:
                self._conn.execute("ATTACH DATABASE ? AS src", (f"file:{other}?mode=ro",))
                try:
                    self._conn.execute("CREATE TEMP TABLE pick (new INTEGER, old INTEGER)")
                    self._conn.executemany(
                        "INSERT INTO pick VALUES (?, ?)",
                        ((first_row + i, int(r)) for i, r in enumerate(rows)),
                    )
                    chunk_cols = _columns(self._conn, "chunks", "src")
                    later = [
                        f"c.{c}" if c in chunk_cols else _legacy(c, "src.articles", "c")
                        for c in _LATER
                    ]
                    copied = ", ".join(f"c.{c}" for c in _BASE_COLUMNS[1:])
                    self._conn.execute(
                        f"INSERT INTO chunks ({', '.join(_BASE_COLUMNS)}, content_hash,"
                        f" {', '.join(_LATER)}) SELECT pick.new, {copied}, c.content_hash,"
                        f" {', '.join(later)}"
                        " FROM pick JOIN src.chunks c ON c.row = pick.old ORDER BY pick.new"
                    )
                    page = "a.page" if "page" in _columns(self._conn, "articles", "src") else "''"
                    self._conn.execute(
                        f"INSERT OR REPLACE INTO articles ({', '.join(_ARTICLE_COLUMNS)}, page)"
                        f" SELECT {', '.join(f'a.{c}' for c in _ARTICLE_COLUMNS)}, {page}"
                        " FROM src.articles a"
                        " WHERE a.article_id IN (SELECT c.article_id FROM src.chunks c"
                        " JOIN pick ON c.row = pick.old)"
                    )
                    self._conn.execute("DROP TABLE pick")
                finally:
                    self._conn.commit()
                    self._conn.execute("DETACH DATABASE src")
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    def finish(self) -> None:
        """Create the lookup indexes once every row is in (faster than indexing as we go)."""
        try:
            with self._lock, self._conn:
                self._conn.executescript(_INDEXES)
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    def hashes(self, start: int, count: int) -> list[tuple[int, str, str]]:
        """``(row, chunk id, content hash)`` of rows ``start .. start + count - 1``."""
        try:
            with self._lock:
                found = self._conn.execute(
                    "SELECT row, chunk_id, content_hash FROM chunks"
                    " WHERE row >= ? AND row < ? ORDER BY row",
                    (start, start + count),
                ).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc
        return [(int(r), str(c), str(h)) for r, c, h in found]

    def rows_with_hashes(self, hashes: Sequence[str]) -> Iterator[tuple[int, str]]:
        """``(row, content hash)`` of the chunks whose text has one of ``hashes``."""
        for start in range(0, len(hashes), _BATCH):
            part = list(hashes[start : start + _BATCH])
            marks = ",".join("?" * len(part))
            try:
                with self._lock:
                    found = self._conn.execute(
                        f"SELECT row, content_hash FROM chunks WHERE content_hash IN ({marks})",
                        part,
                    ).fetchall()
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc
            yield from ((int(r), str(h)) for r, h in found)

    def row_range(self) -> tuple[int, int]:
        """``(first row, last row)``, ``(0, -1)`` when empty: cheap, the primary key's ends."""
        try:
            with self._lock:
                lo, hi = self._conn.execute("SELECT min(row), max(row) FROM chunks").fetchone()
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc
        if lo is None:
            return 0, -1
        return int(lo), int(hi)

    def count_rows(self) -> int:
        """How many chunks the store holds (reads the whole table)."""
        try:
            with self._lock:
                (n,) = self._conn.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc
        return int(n)

    def tampered_rows(self, batch: int = 10_000) -> Iterator[int]:
        """Rows whose passage text no longer has the content hash recorded (reads all)."""
        last = -1
        while True:
            try:
                with self._lock:
                    found = self._conn.execute(
                        f"SELECT {self._select} FROM chunks WHERE row > ? ORDER BY row LIMIT ?",
                        (last, batch),
                    ).fetchall()
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc
            if not found:
                return
            for r in found:
                if content_hash(passage_text(_chunk(r))) != r[-1]:
                    yield int(r[0])
            last = int(found[-1][0])

    def article_rows(self, article_id: str) -> list[int]:
        """The rows of the chunks of ``article_id``, in reading order (paragraph, start).

        Indexed in a store written by this newsqa; a store written before it has no
        index on articles and is scanned (fine for an answer's "tell me more").
        """
        try:
            with self._lock:
                found = self._conn.execute(
                    "SELECT row FROM chunks WHERE article_id = ?"
                    " ORDER BY paragraph_index, start, row",
                    (article_id,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc
        return [int(r) for (r,) in found]

    def chunks_by_row(self, rows: Sequence[int]) -> dict[int, Chunk]:
        """The chunks at ``rows`` by row (rows not in the store are left out).

        Each returned chunk's passage text is hashed against the content hash recorded
        when it was written (a few rows: negligible); a chunk changed since is refused
        with a one-line :class:`~newsqa.index.IndexStoreError`, never served.
        """
        if not len(rows):
            return {}
        wanted = [int(r) for r in rows]
        by_row: dict[int, Chunk] = {}
        for start in range(0, len(wanted), _BATCH):
            part = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(part))
            try:
                with self._lock:
                    found = self._conn.execute(
                        f"SELECT {self._select} FROM chunks WHERE row IN ({marks})", part
                    ).fetchall()
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc
            for r in found:
                chunk = _chunk(r)
                if content_hash(passage_text(chunk)) != r[-1]:
                    from ._layout import damaged

                    root = self.path.parent.parent.parent
                    raise damaged(
                        root,
                        f"segment {self.path.parent.name}: the text of row {r[0]} in"
                        f" {self.path.name} does not match its content hash",
                    )
                by_row[int(r[0])] = chunk
        return by_row


def _columns(conn: sqlite3.Connection, table: str, schema: str = "main") -> set[str]:
    """The column names of ``schema.table``."""
    return {str(r[1]) for r in conn.execute(f"PRAGMA {schema}.table_info({table})").fetchall()}


def _chunk(row: tuple[object, ...]) -> Chunk:
    _, chunk_id, article_id, title, section, pidx, text, start, end, source, date, author = row[:12]
    origin, page, url = row[12:15]
    return Chunk(
        chunk_id=str(chunk_id),
        article_id=str(article_id),
        title=str(title),
        section=str(section),
        paragraph_index=int(str(pidx)),
        text=str(text),
        start=int(str(start)),
        end=int(str(end)),
        source_path=str(source),
        date=str(date),
        author=str(author),
        origin=str(origin or ""),
        page=str(page or ""),
        url=str(url or ""),
    )
