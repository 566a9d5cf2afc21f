"""Hybrid search over the served index and assembly of quoted answers.

A question is normalised like the corpus (NFKC, Traditional to Simplified, lower
case), embedded for the dense ranker and tokenised for BM25. The two candidate lists
are fused by a weighted sum of their min-max normalised scores (every candidate gets
both scores, so nothing is lost when it is missing from one list), ranked, and turned
into :class:`~newsqa.retrieval.Hit` objects quoting the original paragraph with its best
sentence. Confidence is decided from the top hit: how much of the question's
(IDF-weighted) wording it contains, and how close it is in meaning.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from newsqa.index import (
    Config,
    Embedder,
    IndexInfo,
    SearchIndex,
    content_chars,
    index_status,
    normalize,
    open_index,
    split_sentences,
    tokenize,
)

from ._answer import Answer, Hit

__all__ = ["Retriever"]

logger = logging.getLogger(__name__)

_EMPTY = "问题是空的：请用中文输入一个问题，例如“某地妇联成立了什么组织？”"
_NO_TEXT = "问题里没有文字（只有标点或表情）：请用文字描述你想查的内容。"


@dataclass(frozen=True, slots=True)
class _Scored:
    row: int
    score: float
    dense: float
    lexical: float


class Retriever:
    """Answers questions from the served index. Thread-safe; load once, ask many times.

    >>> retriever = Retriever.open(load_config())
    >>> answer = retriever.ask("扬中市妇联的工作理念是什么？")
    >>> answer.confident, answer.hits[0].title
    """

    def __init__(self, config: Config, reader: SearchIndex, embedder: Embedder) -> None:
        self._config = config
        self._reader = reader
        self._embedder = embedder
        self._reload_lock = threading.Lock()

    @classmethod
    def open(cls, config: Config, *, embedder: Embedder | None = None) -> Retriever:
        """Open the served index and load the model (seconds; do it once)."""
        reader = open_index(config)
        embedder = embedder or Embedder(config.model)
        embedder.encode_query("预热")  # load the model now, not on the first question
        embedder.use_query_threads()
        return cls(config, reader, embedder)

    @property
    def info(self) -> IndexInfo:
        return self._reader.info

    def reload(self) -> bool:
        """Switch to a newer generation if one was published; True if it switched.

        Questions already being answered finish on the generation they started with.
        """
        with self._reload_lock:
            if index_status(self._config).generation == self._reader.info.generation:
                return False
            fresh = open_index(self._config, previous=self._reader)
            self._reader = fresh  # one reference swap: in-flight asks keep the old reader
            logger.info("reloaded index generation %s", fresh.info.generation)
            return True

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Search ``question`` and return up to ``k`` quoted hits with a confidence verdict.

        Never raises for a bad question: an empty, punctuation-only or emoji-only one
        gives a non-confident answer with a ``notice``; an overlong one is cut.
        """
        k = self._config.retrieval.top_k if k is None else max(1, k)
        text = question.strip()
        if not text:
            return Answer(question=question, confident=False, hits=(), notice=_EMPTY)
        if not content_chars(text):
            return Answer(question=question, confident=False, hits=(), notice=_NO_TEXT)
        notice = ""
        limit = self._config.retrieval.max_question_chars
        if len(text) > limit:
            text = text[:limit]
            notice = f"问题太长，只用了前 {limit} 个字搜索。"
        reader = self._reader
        qnorm = normalize(text)
        qtokens = tokenize(qnorm, normalized=True)
        idf = _idf(reader, qtokens)
        ranked = self._rank(reader, qnorm, qtokens, idf, k)
        hits = self._hits(reader, ranked, idf)
        confident = bool(hits) and self._confident(ranked[0], hits[0], idf)
        return Answer(question=question, confident=confident, hits=tuple(hits), notice=notice)

    def search(self, question: str, k: int, *, distinct_articles: bool = False) -> list[Hit]:
        """The ranked hits alone (for evaluation): optionally at most one per article."""
        reader = self._reader
        qnorm = normalize(question.strip())
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
        fused = cfg.dense_weight * _minmax(dense) + (1.0 - cfg.dense_weight) * _minmax(lexical)
        if cfg.proximity_weight > 0 and idf:
            # rerank the head: prefer chunks holding the question's words close together
            head = np.argsort(-fused, kind="stable")[: cfg.rerank_depth]
            for i, chunk in zip(head, reader.chunks(rows[head].tolist()), strict=True):
                fused[i] += cfg.proximity_weight * _proximity(chunk.text, idf)
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
            span = _best_sentence(chunk.text, idf) if highlight else (0, len(chunk.text))
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
        coverage = _coverage(idf, normalize(hit.title + hit.text))
        logger.debug("confidence: coverage=%.2f dense=%.3f", coverage, top.dense)
        return coverage >= cfg.min_coverage or top.dense >= cfg.min_dense


def _minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)


def _idf(reader: SearchIndex, tokens: list[str]) -> dict[str, float]:
    """IDF of each distinct question token in the served index (computed once per question)."""
    return dict(zip(tokens, reader.idf(tokens), strict=True))


def _coverage(weights: dict[str, float], text: str) -> float:
    """IDF-weighted share of the question's distinct tokens that occur in ``text``."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in text) / total


def _proximity(text: str, idf: dict[str, float]) -> float:
    """How much of the question one sentence of ``text`` holds, and how close together.

    Per sentence: the IDF-weighted share of the question's words it contains, times
    ``shortest possible span / shortest window holding one of each`` (1 when those
    words stand side by side). The chunk scores as its best sentence.
    """
    total = sum(idf.values())
    if total <= 0:
        return 0.0
    norm = normalize(text)
    best = 0.0
    for start, end in split_sentences(norm):
        share, span = _window(norm[start:end], idf)
        best = max(best, share / total * span)
    return best


def _window(sentence: str, idf: dict[str, float]) -> tuple[float, float]:
    """``(IDF weight of the words present, tightness of the shortest window holding them)``."""
    events: list[tuple[int, int, str]] = []
    for term in idf:
        pos = sentence.find(term)
        while pos >= 0:
            events.append((pos, pos + len(term), term))
            pos = sentence.find(term, pos + 1)
    present = {t for _, _, t in events}
    if not present:
        return 0.0, 0.0
    events.sort()
    shortest = len(sentence)
    counts: dict[str, int] = {}
    left = 0
    for _, end, term in events:  # sliding window over the occurrences
        counts[term] = counts.get(term, 0) + 1
        while len(counts) == len(present):
            lstart, _, lterm = events[left]
            shortest = min(shortest, end - lstart)
            counts[lterm] -= 1
            if not counts[lterm]:
                del counts[lterm]
            left += 1
    tight = sum(len(t) for t in present)
    return sum(idf[t] for t in present), tight / max(shortest, tight)


def _best_sentence(text: str, idf: dict[str, float]) -> tuple[int, int]:
    """Span of the sentence of ``text`` sharing the most (IDF-weighted) question words."""
    spans = split_sentences(text) or [(0, len(text))]
    best, best_score = spans[0], -1.0
    for start, end in spans:
        sentence = normalize(text[start:end])
        score = sum(w for t, w in idf.items() if t in sentence)
        if score > best_score:
            best, best_score = (start, end), score
    start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
