"""Hybrid search over the served index and assembly of quoted answers.

A question is normalised like the corpus (NFKC, Traditional to Simplified, lower
case), embedded for the dense ranker and tokenised for BM25. The two candidate lists
are fused by a weighted sum of their min-max normalised scores (every candidate gets
both scores, so nothing is lost when it is missing from one list), ranked, and turned
into :class:`~newsqa.retrieval.Hit` objects quoting the original paragraph with its best
sentence. Confidence is decided from the top hit: how much of the question's
(IDF-weighted) wording it contains, and how close it is in meaning. The arithmetic
itself lives in :mod:`._scoring`; this module owns the served reader (reload, close)
and the assembly of answers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from newsqa.index import (
    Config,
    Embedder,
    IndexInfo,
    SearchIndex,
    TextEncoder,
    content_chars,
    index_status,
    normalize,
    open_index,
    tokenize,
)

from ._answer import Answer, Hit
from ._scoring import best_sentence, coverage, fuse, proximity

__all__ = ["Retriever"]

logger = logging.getLogger(__name__)

_EMPTY = "问题是空的：请用中文输入一个问题，例如“某地妇联成立了什么组织？”"
_NO_TEXT = "问题里没有文字（只有标点或表情）：请用文字描述你想查的内容。"
_UNDECODABLE = "问题里有无法识别的字节，已换成“\ufffd”。"
_SURROGATE = re.compile("[\ud800-\udfff]")
"""Lone surrogates: undecodable bytes of argv or a file (``surrogateescape``), or bad JSON."""


@dataclass(frozen=True, slots=True)
class _Scored:
    row: int
    score: float
    dense: float
    lexical: float


class _Served:
    """One opened reader and the questions running on it (guarded by the Retriever's lock).

    A reader is *retired* when a reload replaced it or the Retriever was closed; it is
    closed once retired and no question that started on it is still running.
    """

    __slots__ = ("active", "reader", "retired")

    def __init__(self, reader: SearchIndex) -> None:
        self.reader = reader
        self.active = 0
        self.retired = False

    @property
    def closable(self) -> bool:
        return self.retired and self.active == 0


class Retriever:
    """Answers questions from the served index. Thread-safe; load once, ask many times.

    >>> with Retriever.open(load_config()) as retriever:
    ...     answer = retriever.ask("扬中市妇联的工作理念是什么？")
    ...     answer.confident, answer.hits[0].title

    :meth:`close` (or leaving the ``with`` block) closes the served index; a reader
    replaced by :meth:`reload` is closed as soon as the questions running on it end.
    """

    def __init__(self, config: Config, reader: SearchIndex, embedder: TextEncoder) -> None:
        self._config = config
        self._embedder = embedder
        self._served = _Served(reader)
        self._closed = False
        self._lock = threading.Lock()  # guards _served, _closed and the in-flight counts
        self._reload_lock = threading.Lock()  # one reload (or close) at a time

    @classmethod
    def open(cls, config: Config, *, embedder: TextEncoder | None = None) -> Retriever:
        """Open the served index and load the model (seconds; do it once).

        ``embedder`` defaults to the configured :class:`~newsqa.index.Embedder`.
        """
        reader = open_index(config)
        try:
            encoder: TextEncoder = Embedder(config.model) if embedder is None else embedder
            encoder.encode_query("预热")  # load the model now, not on the first question
            tokenize(normalize("预热：今天的新闻说了什么？"))  # jieba's dictionary, too
            encoder.use_query_threads()
        except BaseException:
            reader.close()
            raise
        return cls(config, reader, encoder)

    @property
    def index(self) -> SearchIndex:
        """The index being served now (read-only).

        A later :meth:`reload` may replace it, and then closes it once the questions
        running on it have finished: hold on to it only between reloads.
        """
        return self._served.reader

    @property
    def info(self) -> IndexInfo:
        return self._served.reader.info

    def reload(self) -> bool:
        """Switch to a newer generation if one was published; True if it switched.

        Questions already being answered finish on the generation they started with;
        the replaced reader is closed when the last of them ends.
        """
        with self._reload_lock:
            if self._closed:
                raise RuntimeError("the retriever is closed")
            current = self._served.reader
            if index_status(self._config).generation == current.info.generation:
                return False
            fresh = open_index(self._config, previous=current)
            with self._lock:
                old, self._served = self._served, _Served(fresh)
                old.retired = True
                close_now = old.closable
            logger.info("reloaded index generation %s", fresh.info.generation)
            if close_now:
                _close_quietly(old.reader)
            return True

    def close(self) -> None:
        """Close the served index (idempotent). Questions still running finish first."""
        with self._reload_lock:
            with self._lock:
                if self._closed:
                    return
                self._closed = True
                served = self._served
                served.retired = True
                close_now = served.closable
            if close_now:
                served.reader.close()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _lease(self) -> Iterator[SearchIndex]:
        """The served reader, kept open until the caller is done with it."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the retriever is closed")
            served = self._served
            served.active += 1
        try:
            yield served.reader
        finally:
            with self._lock:
                served.active -= 1
                close_now = served.closable
            if close_now:
                _close_quietly(served.reader)

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Search ``question`` and return up to ``k`` quoted hits with a confidence verdict.

        Never raises for a bad question: an empty, punctuation-only or emoji-only one
        gives a non-confident answer with a ``notice``; an overlong one is cut; lone
        surrogates (undecodable bytes) become U+FFFD, with a ``notice`` saying so.
        """
        k = self._config.retrieval.top_k if k is None else max(1, k)
        question, bad = _SURROGATE.subn("\ufffd", question)  # not encodable: replace them
        text = question.strip()
        if not text:
            return Answer(question=question, confident=False, hits=(), notice=_EMPTY)
        notice = _UNDECODABLE if bad else ""
        if not content_chars(text):
            notice = f"{notice}{_NO_TEXT}"
            return Answer(question=question, confident=False, hits=(), notice=notice)
        limit = self._config.retrieval.max_question_chars
        if len(text) > limit:
            text = text[:limit]
            notice += f"问题太长，只用了前 {limit} 个字搜索。"
        with self._lease() as reader:
            qnorm = normalize(text)
            qtokens = tokenize(qnorm, normalized=True)
            idf = _idf(reader, qtokens)
            ranked = self._rank(reader, qnorm, qtokens, idf, k)
            hits = self._hits(reader, ranked, idf)
        confident = bool(hits) and self._confident(ranked[0], hits[0], idf)
        return Answer(question=question, confident=confident, hits=tuple(hits), notice=notice)

    def search(self, question: str, k: int, *, distinct_articles: bool = False) -> list[Hit]:
        """The ranked hits alone (for evaluation): optionally at most one per article."""
        with self._lease() as reader:
            qnorm = normalize(_SURROGATE.sub("\ufffd", question).strip())
            qtokens = tokenize(qnorm, normalized=True)
            idf = _idf(reader, qtokens)
            ranked = self._rank(reader, qnorm, qtokens, idf, k, distinct_articles=distinct_articles)
            return self._hits(reader, ranked, idf, highlight=False)

    # -- ranking -------------------------------------------------------------------

    def _rank(
        self,
        reader: SearchIndex,
        qnorm: str,
        qtokens: list[str],
        idf: dict[str, float],
        k: int,
        *,
        distinct_articles: bool = False,
    ) -> list[_Scored]:
        cfg = self._config.retrieval
        if reader.size == 0:
            return []
        depth = max(cfg.candidates, k)
        qvec = self._embedder.encode_query(qnorm)
        d_rows, _ = reader.dense_search(qvec, depth)
        d_rows = np.unique(d_rows.astype(np.int64))
        l_rows, l_scores, d_lex = reader.lexical_search(qnorm, qtokens, depth, also=d_rows)
        lex_of = dict(zip(d_rows.tolist(), d_lex.tolist(), strict=True))
        lex_of.update(zip(l_rows.tolist(), l_scores.tolist(), strict=True))
        rows = np.unique(np.concatenate([d_rows, l_rows.astype(np.int64)]))
        dense = reader.dense_scores(qvec, rows)
        lexical = np.fromiter((lex_of.get(r, 0.0) for r in rows.tolist()), np.float32, len(rows))
        fused = fuse(dense, lexical, cfg.dense_weight)
        if cfg.proximity_weight > 0 and idf:
            # rerank the head: prefer chunks holding the question's words close together
            head = np.argsort(-fused, kind="stable")[: cfg.rerank_depth]
            for i, chunk in zip(head, reader.chunks(rows[head].tolist()), strict=True):
                fused[i] += cfg.proximity_weight * proximity(chunk.text, idf)
        order = np.lexsort((rows, -fused))
        out = [
            _Scored(int(rows[i]), float(fused[i]), float(dense[i]), float(lexical[i]))
            for i in order
        ]
        if distinct_articles:
            out = self._distinct(reader, out)
        return out[:k]

    @staticmethod
    def _distinct(reader: SearchIndex, ranked: list[_Scored]) -> list[_Scored]:
        chunks = reader.chunks([s.row for s in ranked])
        seen: set[str] = set()
        out = []
        for s, c in zip(ranked, chunks, strict=True):
            if c.article_id not in seen:
                seen.add(c.article_id)
                out.append(s)
        return out

    # -- answer assembly -------------------------------------------------------------

    def _hits(
        self,
        reader: SearchIndex,
        ranked: list[_Scored],
        idf: dict[str, float],
        *,
        highlight: bool = True,
    ) -> list[Hit]:
        chunks = reader.chunks([s.row for s in ranked])
        hits = []
        for rank, (s, chunk) in enumerate(zip(ranked, chunks, strict=True), start=1):
            span = best_sentence(chunk.text, idf) if highlight else (0, len(chunk.text))
            hits.append(
                Hit(
                    rank=rank,
                    score=s.score,
                    title=chunk.title,
                    section=chunk.section,
                    text=chunk.text,
                    highlight=chunk.text[span[0] : span[1]],
                    highlight_span=span,
                    source=chunk.source_path,
                    article_id=chunk.article_id,
                    chunk_id=chunk.chunk_id,
                    date=chunk.date,
                    author=chunk.author,
                )
            )
        return hits

    def _confident(self, top: _Scored, hit: Hit, idf: dict[str, float]) -> bool:
        cfg = self._config.retrieval
        share = coverage(idf, normalize(hit.title + hit.text))
        logger.debug("confidence: coverage=%.2f dense=%.3f", share, top.dense)
        return share >= cfg.min_coverage or top.dense >= cfg.min_dense


def _idf(reader: SearchIndex, tokens: list[str]) -> dict[str, float]:
    """IDF of each distinct question token in the served index (computed once per question)."""
    return dict(zip(tokens, reader.idf(tokens), strict=True))


def _close_quietly(reader: SearchIndex) -> None:
    """Close a retired reader off the caller's path: a failure is logged, not raised."""
    try:
        reader.close()
    except Exception:
        logger.warning("closing a replaced index reader failed", exc_info=True)
