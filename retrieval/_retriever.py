"""Hybrid search over the served index and assembly of quoted answers.

A question is normalised like the corpus (NFKC, Traditional to Simplified, lower
case), embedded for the dense ranker and tokenised for BM25. The two candidate lists
are fused by a weighted sum of their min-max normalised scores (every candidate gets
both scores, so nothing is lost when it is missing from one list); the best fused
candidates (the head) are rescored by the learned ranking (:mod:`._features`,
:mod:`._models`) or the fixed proximity bonus, and turned into
:class:`~newsqa.retrieval.Hit` objects quoting the original paragraph with the sentence
and phrase that answer (:mod:`._span`). Confidence is the learned verdict's probability
that the top hit answers (or the word-coverage rules). This module owns the served
reader (reload, close), the candidates and the assembly of answers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import numpy as np
import numpy.typing as npt

from newsqa.index import (
    Chunk,
    Config,
    Embedder,
    IndexInfo,
    SearchIndex,
    TextEncoder,
    content_chars,
    index_status,
    normalize,
    open_index,
    pos_tag,
    tokenize,
)

from ._answer import Answer, Hit
from ._features import candidate_features, question_features, ranking_matrix, verdict_features
from ._highlight import locate
from ._models import load_models
from ._scoring import coverage, fuse, proximity

__all__ = ["Retriever"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Keys = npt.NDArray[np.int64]

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


@dataclass(frozen=True, slots=True)
class _Top:
    """What the verdict needs from the ranking of the learned head."""

    scores: FloatArray
    """The ranking model's scores of the head, best first."""
    question: FloatArray
    candidate: FloatArray
    """The top candidate's :func:`candidate_features` row."""
    dense: FloatArray
    """Every candidate's cosine."""
    title: str
    text: str
    """The top candidate's normalised title and text."""


@dataclass(frozen=True, slots=True)
class _Ranking:
    ranked: list[tuple[_Scored, Chunk]]
    top: _Top | None


@dataclass(frozen=True, slots=True)
class _Signals:
    question: FloatArray
    candidates: FloatArray
    matrix: FloatArray
    titles: list[str]
    texts: list[str]
    """The head's normalised titles and texts."""


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
            pos_tag("预热今天的新闻")  # and its part-of-speech tagger (answer phrases)
            if "learned" in (config.retrieval.ranking, config.retrieval.verdict):
                load_models()  # the shipped ranking and verdict models
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
        A question that follows up on an earlier one is asked through a
        :class:`~newsqa.retrieval.Conversation` instead.
        """
        return self._ask(question, k)

    def _ask(
        self,
        question: str,
        k: int | None = None,
        *,
        searched: str | None = None,
        prior: Mapping[str, float] | None = None,
        exclude: Collection[str] = (),
    ) -> Answer:
        """:meth:`ask`, with the hooks a conversation needs.

        ``searched`` replaces ``question`` as the text searched (a follow-up completed
        from the conversation); ``prior`` maps article ids to a bonus added to the
        fused score of their chunks (the articles the conversation is about), in the
        fused score's units (about 0 to 2); ``exclude`` names articles to search as if
        they were not indexed (the "gold removed" evaluation).
        """
        k = self._config.retrieval.top_k if k is None else max(1, k)
        question, bad = _SURROGATE.subn("\ufffd", question)  # not encodable: replace them
        text = (question if searched is None else _SURROGATE.sub("\ufffd", searched)).strip()
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
            ranking = self._rank(reader, qnorm, qtokens, idf, k, prior=prior, exclude=exclude)
        hits, found = self._hits(ranking.ranked, idf, qnorm)
        confident, confidence = self._verdict(qnorm, idf, ranking, hits, found)
        return Answer(
            question=question,
            confident=confident,
            hits=tuple(hits),
            notice=notice,
            confidence=confidence,
            searched=text if searched is not None else "",
        )

    def article(self, article_id: str) -> list[Hit]:
        """Every chunk of one article, in reading order, as hits (rank 0, score 0).

        For "tell me more" in a conversation: the paragraphs around a hit. Empty when
        the article is not (or no longer) in the served index.
        """
        with self._lease() as reader:
            chunks = reader.article_chunks(article_id)
        return [_hit(0, 0.0, c, (0, len(c.text)), None) for c in chunks]

    def search(self, question: str, k: int, *, distinct_articles: bool = False) -> list[Hit]:
        """The ranked hits alone (for evaluation): optionally at most one per article."""
        with self._lease() as reader:
            qnorm = normalize(_SURROGATE.sub("\ufffd", question).strip())
            qtokens = tokenize(qnorm, normalized=True)
            idf = _idf(reader, qtokens)
            ranking = self._rank(
                reader, qnorm, qtokens, idf, k, distinct_articles=distinct_articles
            )
        return [
            _hit(rank, s.score, c, (0, len(c.text)), None)
            for rank, (s, c) in enumerate(ranking.ranked, start=1)
        ]

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
        prior: Mapping[str, float] | None = None,
        exclude: Collection[str] = (),
    ) -> _Ranking:
        if reader.size == 0:
            return _Ranking([], None)
        rows, dense, lexical = self._gather(reader, qnorm, qtokens, k)
        if exclude:
            keep = np.array([c.article_id not in exclude for c in reader.chunks(rows.tolist())])
            rows, dense, lexical = rows[keep], dense[keep], lexical[keep]
            if not len(rows):
                return _Ranking([], None)
        cfg = self._config.retrieval
        fused, order = _fused_order(rows, dense, lexical, cfg.dense_weight)
        depth = max(cfg.rerank_depth, k)
        head, tail = order[:depth], order[depth:]  # the rest follows in fused order
        head_chunks, signals, score = self._score_head(
            reader, qnorm, idf, rows, dense, lexical, fused, head, prior
        )
        rescored = np.lexsort((rows[head], -score))
        ranked = [
            (_Scored(int(rows[head[i]]), float(score[i]), float(dense[head[i]])), head_chunks[i])
            for i in rescored
        ]
        top = None
        if signals is not None and len(rescored):
            best = rescored[0]
            top = _Top(
                score[rescored],
                signals.question,
                signals.candidates[best],
                dense,
                signals.titles[best],
                signals.texts[best],
            )
        if _enough(ranked, k, distinct_articles) or not len(tail):
            return _Ranking(_take(ranked, k, distinct_articles), top)
        tail_chunks = reader.chunks(rows[tail].tolist())
        ranked += [
            (_Scored(int(rows[t]), float(fused[t]), float(dense[t])), c)
            for t, c in zip(tail, tail_chunks, strict=True)
        ]
        return _Ranking(_take(ranked, k, distinct_articles), top)

    def _gather(
        self, reader: SearchIndex, qnorm: str, qtokens: list[str], k: int
    ) -> tuple[Keys, FloatArray, FloatArray]:
        """The candidates (each ranker's best ``retrieval.candidates``) and both their scores."""
        depth = max(self._config.retrieval.candidates, k)
        qvec = self._embedder.encode_query(qnorm)
        d_rows, _ = reader.dense_search(qvec, depth)
        d_rows = np.unique(d_rows.astype(np.int64))
        l_rows, l_scores, d_lex = reader.lexical_search(qnorm, qtokens, depth, also=d_rows)
        lex_of = dict(zip(d_rows.tolist(), d_lex.tolist(), strict=True))
        lex_of.update(zip(l_rows.tolist(), l_scores.tolist(), strict=True))
        rows = np.unique(np.concatenate([d_rows, l_rows.astype(np.int64)]))
        dense = reader.dense_scores(qvec, rows).astype(np.float64)
        lexical = np.fromiter((lex_of.get(r, 0.0) for r in rows.tolist()), np.float64, len(rows))
        return rows, dense, lexical

    def _score_head(
        self,
        reader: SearchIndex,
        qnorm: str,
        idf: dict[str, float],
        rows: Keys,
        dense: FloatArray,
        lexical: FloatArray,
        fused: FloatArray,
        head: npt.NDArray[np.intp],
        prior: Mapping[str, float] | None,
    ) -> tuple[list[Chunk], _Signals | None, FloatArray]:
        """Score the head (``head`` indexes the candidates) by the configured ranking.

        Returns ``(head chunks, the learned signals or None, head scores)``.
        """
        cfg = self._config.retrieval
        head_chunks = reader.chunks(rows[head].tolist())
        bonus = np.zeros(len(head))
        if prior:
            bonus = np.array([prior.get(c.article_id, 0.0) for c in head_chunks])
        if cfg.ranking == "learned":
            signals = _signals(qnorm, idf, dense, lexical, head, head_chunks)
            return head_chunks, signals, load_models().rank_scores(signals.matrix) + bonus
        score = fused[head] + bonus
        if cfg.proximity_weight > 0 and idf:
            score += cfg.proximity_weight * np.array([proximity(c.text, idf) for c in head_chunks])
        return head_chunks, None, score

    # -- answer assembly -------------------------------------------------------------

    def _hits(
        self, ranked: list[tuple[_Scored, Chunk]], idf: dict[str, float], qnorm: str
    ) -> tuple[list[Hit], bool]:
        """The hits, with highlight and answer phrase; and whether the top one has a phrase
        of the asked type (for the verdict)."""
        hits = []
        found = False
        for rank, (s, chunk) in enumerate(ranked, start=1):
            span, answer = locate(qnorm, chunk.text, idf)
            if rank == 1:
                found = answer is not None
            hits.append(_hit(rank, s.score, chunk, span, answer))
        return hits, found

    def _verdict(
        self,
        qnorm: str,
        idf: dict[str, float],
        ranking: _Ranking,
        hits: list[Hit],
        type_found: bool,
    ) -> tuple[bool, float]:
        """``(confident, confidence)`` for the top hit."""
        if not hits:
            return False, 0.0
        cfg = self._config.retrieval
        top_dense = ranking.ranked[0][0].dense
        if cfg.verdict == "rules" or ranking.top is None:
            share = coverage(idf, normalize(hits[0].title + hits[0].text))
            logger.debug("confidence: coverage=%.2f dense=%.3f", share, top_dense)
            ok = share >= cfg.min_coverage or top_dense >= cfg.min_dense
            return ok, 1.0 if ok else 0.0
        top = ranking.top
        features = verdict_features(
            qnorm,
            idf,
            top.scores,
            top.question,
            top.candidate,
            top.dense,
            top.title,
            top.text,
            type_found,
        )
        confidence = load_models().confidence(features)
        logger.debug("confidence %.3f", confidence)
        return confidence >= cfg.min_confidence, confidence


def _hit(
    rank: int,
    score: float,
    chunk: Chunk,
    span: tuple[int, int],
    answer: tuple[int, int] | None,
) -> Hit:
    return Hit(
        rank=rank,
        score=score,
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
        answer=chunk.text[answer[0] : answer[1]] if answer else "",
        answer_span=answer,
        publication=chunk.origin,
        page=chunk.page,
        url=chunk.url,
    )


def _signals(
    qnorm: str,
    idf: Mapping[str, float],
    dense: FloatArray,
    lexical: FloatArray,
    head: npt.NDArray[np.intp],
    chunks: list[Chunk],
) -> _Signals:
    """The learned model's inputs for the head (question features over all candidates)."""
    question = question_features(qnorm, idf, dense, lexical)
    titles = [normalize(c.title) for c in chunks]
    texts = [normalize(c.text) for c in chunks]
    candidates = candidate_features(qnorm, idf, dense, lexical, head, titles, texts)
    return _Signals(question, candidates, ranking_matrix(question, candidates), titles, texts)


def _fused_order(
    rows: Keys, dense: FloatArray, lexical: FloatArray, dense_weight: float
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """The fused score of each candidate, and the candidates best first (ties: by row)."""
    fused = fuse(dense, lexical, dense_weight).astype(np.float64)
    return fused, np.lexsort((rows, -fused))


def _enough(ranked: list[tuple[_Scored, Chunk]], k: int, distinct: bool) -> bool:
    if not distinct:
        return len(ranked) >= k
    return len({c.article_id for _, c in ranked}) >= k


def _take(
    ranked: list[tuple[_Scored, Chunk]], k: int, distinct: bool
) -> list[tuple[_Scored, Chunk]]:
    """The first ``k`` (with ``distinct``: the best chunk of each of ``k`` articles)."""
    if not distinct:
        return ranked[:k]
    seen: set[str] = set()
    out = []
    for item in ranked:
        if item[1].article_id not in seen:
            seen.add(item[1].article_id)
            out.append(item)
            if len(out) == k:
                break
    return out


def _idf(reader: SearchIndex, tokens: list[str]) -> dict[str, float]:
    """IDF of each distinct question token in the served index (computed once per question)."""
    return dict(zip(tokens, reader.idf(tokens), strict=True))


def _close_quietly(reader: SearchIndex) -> None:
    """Close a retired reader off the caller's path: a failure is logged, not raised."""
    try:
        reader.close()
    except Exception:
        logger.warning("closing a replaced index reader failed", exc_info=True)
