"""The ranking arithmetic of the query side, as pure functions.

Everything here is a function of arrays and strings only (no index, no model), so the
served :class:`~newsqa.retrieval.Retriever` and the fusion benchmark
(``benchmarks/tune_fusion.py``) score candidates with the very same code:

* :func:`minmax` and :func:`fuse`: the weighted sum of min-max normalised dense and
  lexical (BM25) scores that ranks the candidates;
* :func:`proximity` (built on :func:`window`): the rerank bonus for a chunk holding the
  question's words close together in one sentence;
* :func:`coverage`: the IDF-weighted share of the question's words a text contains
  (the confidence verdict);
* :func:`best_sentence`: the earlier highlight rule, the sentence sharing the most
  question words (now the baseline of ``benchmarks/localise.py``; hits use
  :func:`~._span.locate`).

``idf`` / ``weights`` arguments map each distinct, normalised question token to its
inverse document frequency in the served index.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from newsqa.index import normalize, split_sentences

__all__ = ["best_sentence", "coverage", "fuse", "minmax", "proximity", "window"]

FloatArray = npt.NDArray[np.floating]


def minmax(x: FloatArray) -> FloatArray:
    """Scale ``x`` linearly onto ``[0, 1]`` (lowest score 0, highest 1).

    A constant array carries no ranking information but still says whether the
    ranker matched at all: it becomes all ones when positive, all zeros otherwise.
    An empty array is returned as is. The dtype is kept.
    """
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)


def fuse(dense: FloatArray, lexical: FloatArray, dense_weight: float) -> FloatArray:
    """The fused score of each candidate: ``w * minmax(dense) + (1 - w) * minmax(lexical)``.

    ``dense`` and ``lexical`` score the same candidates, in the same order (a candidate
    one ranker did not find gets that ranker's score for it, 0 for BM25 when it
    matches nothing). ``dense_weight`` is ``retrieval.dense_weight``.
    """
    return dense_weight * minmax(dense) + (1.0 - dense_weight) * minmax(lexical)


def coverage(weights: Mapping[str, float], text: str) -> float:
    """IDF-weighted share of the question's distinct tokens that occur in ``text``.

    ``text`` must be normalised like the tokens. 0 when the question has no weight.
    """
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in text) / total


def proximity(text: str, idf: Mapping[str, float], *, normalized: bool = False) -> float:
    """How much of the question one sentence of ``text`` holds, and how close together.

    Per sentence: the IDF-weighted share of the question's words it contains, times
    ``shortest possible span / shortest window holding one of each`` (1 when those
    words stand side by side). The chunk scores as its best sentence, in ``[0, 1]``.
    ``text`` is normalised here unless the caller says it already is.
    """
    total = sum(idf.values())
    if total <= 0:
        return 0.0
    norm = text if normalized else normalize(text)
    best = 0.0
    for start, end in split_sentences(norm):
        share, span = window(norm[start:end], idf)
        best = max(best, share / total * span)
    return best


def window(sentence: str, idf: Mapping[str, float]) -> tuple[float, float]:
    """``(IDF weight of the words present, tightness of the shortest window holding them)``.

    Tightness is ``total length of the present words / length of the shortest stretch
    of ``sentence`` holding one occurrence of each`` (1 when adjacent); ``(0, 0)``
    when none of the words occurs.
    """
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


def best_sentence(text: str, idf: Mapping[str, float]) -> tuple[int, int]:
    """Span ``(start, end)`` in ``text`` of the sentence sharing the most question words.

    Words count by their IDF weight; ties go to the earlier sentence, and a text
    without sentence breaks is one sentence. The span is stripped of surrounding
    whitespace and indexes the original (not normalised) ``text``.
    """
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
