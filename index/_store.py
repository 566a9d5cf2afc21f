"""The metadata store of one index generation: articles, chunks and files in SQLite.

Chunk ``row`` is the chunk's position in the vector and BM25 indexes. Each chunk
keeps the content hash of what was embedded and its BM25 tokens, so the next
incremental build reuses both for unchanged text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index._errors import IndexError_
from index._types import Article, Chunk

__all__ = ["ChunkRecord", "MetaStore"]

_SCHEMA = """
CREATE TABLE articles (
    article_id TEXT PRIMARY KEY, title TEXT NOT NULL, source_path TEXT NOT NULL,
    author TEXT NOT NULL, date TEXT NOT NULL, url TEXT NOT NULL, origin TEXT NOT NULL,
    n_paragraphs INTEGER NOT NULL
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    title TEXT NOT NULL, section TEXT NOT NULL, paragraph_index INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    source_path TEXT NOT NULL, date TEXT NOT NULL, author TEXT NOT NULL,
    content_hash TEXT NOT NULL, tokens TEXT NOT NULL
);
CREATE INDEX chunks_article ON chunks(article_id);
"""


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk as stored: the chunk, its row, content hash and BM25 tokens."""

    row: int
    chunk: Chunk
    content_hash: str
    tokens: tuple[str, ...]


class MetaStore:
    """SQLite access to one generation's metadata; safe to share between threads."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()

    @classmethod
    def create(cls, path: Path) -> MetaStore:
        try:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise IndexError_(f"cannot create the metadata store {path}: {exc}") from exc
        return cls(path, conn)

    @classmethod
    def open(cls, path: Path) -> MetaStore:
        if not path.is_file():
            raise IndexError_(f"the metadata store {path} is missing")
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.Error as exc:
            raise IndexError_(f"cannot read the metadata store {path}: {exc}") from exc
        return cls(path, conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def write(self, articles: Iterable[Article], records: Sequence[ChunkRecord]) -> None:
        """Write every article and chunk in one transaction."""
        try:
            with self._lock, self._conn:
                self._conn.executemany(
                    "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?)",
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
                        )
                        for a in articles
                    ),
                )
                self._conn.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        (
                            r.row,
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
                            r.content_hash,
                            "\t".join(r.tokens),
                        )
                        for r in records
                        for c in (r.chunk,)
                    ),
                )
        except sqlite3.Error as exc:
            raise IndexError_(f"cannot write the metadata store {self.path}: {exc}") from exc

    def records(self) -> Iterator[ChunkRecord]:
        """Every chunk in row order (used by the next incremental build)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM chunks ORDER BY row").fetchall()
        for row in rows:
            yield _record(row)

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks at ``rows``, in the order asked."""
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        with self._lock:
            found = self._conn.execute(
                f"SELECT * FROM chunks WHERE row IN ({marks})", [int(r) for r in rows]
            ).fetchall()
        by_row = {r[0]: _record(r).chunk for r in found}
        return [by_row[int(r)] for r in rows if int(r) in by_row]

    def stats(self) -> tuple[int, int, str]:
        """``(articles, chunks, newest date)`` of this generation."""
        with self._lock:
            n_articles = self._conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            n_chunks = self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            newest = self._conn.execute(
                "SELECT max(date) FROM articles WHERE date != ''"
            ).fetchone()[0]
        return int(n_articles), int(n_chunks), newest or ""


def _record(row: tuple[object, ...]) -> ChunkRecord:
    (
        r,
        chunk_id,
        article_id,
        title,
        section,
        pidx,
        text,
        start,
        end,
        source,
        date,
        author,
        content_hash,
        tokens,
    ) = row
    chunk = Chunk(
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
    )
    toks = tuple(str(tokens).split("\t")) if tokens else ()
    return ChunkRecord(row=int(str(r)), chunk=chunk, content_hash=str(content_hash), tokens=toks)
