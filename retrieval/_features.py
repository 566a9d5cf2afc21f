"""The signals the learned ranking and the confidence verdict are computed from.

Pure functions of arrays and strings (no index, no model), shared by the served
:class:`~newsqa.retrieval.Retriever` and the offline trainer
(``benchmarks/train_models.py``), so a model is always trained on exactly what it is
served with. :data:`DEFINITION` is a digest of this module's source: a shipped model
records the digest it was trained against, and a test fails when they differ (retrain).

* :func:`question_features`: what the question is like (length, rarity of its words,
  its type, how well the two rankers agree on it);
* :func:`candidate_features`: per candidate chunk (dense cosine, BM25, ranks, coverage
  of the question's IDF-weighted words in title and text, proximity, and the share of
  the question's character bigrams it holds, :func:`question_bigrams`);
* :func:`ranking_matrix`: candidate x question features, the query-adaptive input
  of the ranking model (each candidate weight depends on the question);
* :func:`verdict_features`: the top hit against the question (how it won, which
  question words it lacks, whether it lacks the word the question asks about
  (:func:`focus_words`), whether it holds a phrase of the asked type).

``idf`` arguments map each distinct, normalised question token to its IDF.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._scoring import coverage, minmax, proximity
from ._span import _bigrams, analyse

__all__ = [
    "CANDIDATE",
    "DEFINITION",
    "QUESTION",
    "VERDICT",
    "candidate_features",
    "focus_words",
    "question_bigrams",
    "question_features",
    "ranking_matrix",
    "verdict_features",
]

FloatArray = npt.NDArray[np.float64]

_TYPED = frozenset({"person", "number", "date", "place", "org", "title"})
"""Question kinds (:func:`~._span.analyse`) that ask for a phrase of a type."""

_INTERROGATIVE = re.compile(r"什么|哪里|哪个|哪些|哪|谁|多少|几|怎么|如何|为什么|是否|吗|呢")

_SKIP_AFTER = "名个位家次年岁种项条只件所场届批期座户元倍的是"
_COPULA = "是叫为"

QUESTION = ("bias", "qlen", "idf_mean", "agree", "dense_top")
"""Question features (:func:`question_features`), in the order of their columns."""

CANDIDATE = (
    "dense",
    "dense_gap",
    "dense_mm",
    "lex_mm",
    "lex_rel",
    "dense_rr",
    "lex_rr",
    "cov",
    "cov_title",
    "prox",
    "bigram",
)
"""Candidate features (:func:`candidate_features`), in the order of their columns."""

VERDICT = (
    "bias",
    "top_p",
    "margin",
    "dense",
    "dense_lift",
    "cov",
    "cov_text",
    "prox",
    "missing_max",
    "missing_share",
    "typed",
    "type_found",
    "focus_missing",
    "qlen",
    "agree",
)
"""Verdict features (:func:`verdict_features`), in the order of their columns."""

DEFINITION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
"""Digest of this module: a trained model is stale when it records another one."""


def focus_words(question: str, idf: Mapping[str, float]) -> list[str]:
    """The question's words right beside its interrogative: what it asks about.

    "协会有多少名监事" -> ``监事``; "妇联主席叫什么名字" -> ``主席``; "工作理念是什么" ->
    ``工作理念``. Measure words and particles next to the interrogative are skipped.
    """
    q = analyse(question)
    if not q.kind:
        return []
    start, end = q.wh
    skip = _SKIP_AFTER if q.kind == "number" else "的是"
    while end < len(question) and question[end] in skip:
        end += 1
    # the word before counts when a copula links it ("主席叫什么") or nothing follows
    if start > 0 and question[start - 1] in _COPULA:
        start -= 1
    elif end < len(question.rstrip("？?。! ")):
        start = -1
    found = []
    for token in idf:
        at = question.find(token)
        while at >= 0:
            if at == end or at + len(token) == start:
                found.append(token)
                break
            at = question.find(token, at + 1)
    return found


def question_features(
    question: str,
    idf: Mapping[str, float],
    dense: FloatArray,
    lexical: FloatArray,
) -> FloatArray:
    """The :data:`QUESTION` features of one question over its candidates.

    ``dense`` and ``lexical`` are the two rankers' scores of the same candidates.
    """
    n = len(dense)
    top = min(10, n)
    if n:
        d_top = set(np.argsort(-dense, kind="stable")[:top].tolist())
        l_top = set(np.argsort(-lexical, kind="stable")[:top].tolist())
        agree = len(d_top & l_top) / top
        dense_top = float(dense.max())
    else:
        agree, dense_top = 0.0, 0.0
    weights = list(idf.values())
    idf_mean = sum(weights) / len(weights) if weights else 0.0
    return np.array(
        [1.0, math.log1p(len(question)) / 4.0, idf_mean / 10.0, agree, dense_top],
        dtype=np.float64,
    )


def _reciprocal_ranks(scores: FloatArray) -> FloatArray:
    order = np.argsort(-scores, kind="stable")
    rr = np.zeros(len(scores), dtype=np.float64)
    rr[order] = 1.0 / (1.0 + np.arange(len(scores)))
    rr[scores <= 0] = 0.0
    return rr


def question_bigrams(question: str) -> frozenset[str]:
    """The character bigrams of a normalised question, none across its interrogatives.

    Words jieba cuts differently in a colloquial question and in the paragraph
    ("怎么办理护照" / "护照办理") still share their characters: the share of these
    bigrams a chunk holds is the ``bigram`` candidate feature.
    """
    return frozenset(g for g in _bigrams(_INTERROGATIVE.sub("|", question)) if "|" not in g)


def candidate_features(
    question: str,
    idf: Mapping[str, float],
    dense: FloatArray,
    lexical: FloatArray,
    head: npt.NDArray[np.intp],
    titles: Sequence[str],
    texts: Sequence[str],
) -> FloatArray:
    """The :data:`CANDIDATE` features of the candidates ``head``, one row each.

    ``question`` is the normalised question; ``dense`` and ``lexical`` score every
    candidate (the score features are relative to all of them); ``head`` indexes the
    candidates to describe, and ``titles`` / ``texts`` are their normalised titles and
    texts, in the order of ``head``.
    """
    dense = dense.astype(np.float64)
    lexical = lexical.astype(np.float64)
    if len(head) == 0:
        return np.zeros((0, len(CANDIDATE)), dtype=np.float64)
    lex_max = float(lexical.max())
    grams = question_bigrams(question)
    cols = [
        dense[head],
        dense[head] - float(dense.max()),
        minmax(dense)[head],
        minmax(lexical)[head],
        lexical[head] / lex_max if lex_max > 0 else np.zeros(len(head)),
        _reciprocal_ranks(dense)[head],
        _reciprocal_ranks(lexical)[head],
        np.array([coverage(idf, t + x) for t, x in zip(titles, texts, strict=True)]),
        np.array([coverage(idf, t) for t in titles]),
        np.array([proximity(x, idf, normalized=True) for x in texts]),
        np.array([_share(grams, t + x) for t, x in zip(titles, texts, strict=True)]),
    ]
    return np.stack(cols, axis=1)


def _share(grams: frozenset[str], text: str) -> float:
    return sum(g in text for g in grams) / len(grams) if grams else 0.0


def ranking_matrix(question: FloatArray, candidates: FloatArray) -> FloatArray:
    """Each candidate's features times each question feature, flattened per row.

    A linear model over this matrix weighs every candidate signal by a linear function
    of the question's features: the weighting adapts to the question.
    """
    return (candidates[:, :, None] * question[None, None, :]).reshape(len(candidates), -1)


def verdict_features(
    question: str,
    idf: Mapping[str, float],
    scores: FloatArray,
    question_row: FloatArray,
    top_row: FloatArray,
    dense_all: FloatArray,
    top_title: str,
    top_text: str,
    type_found: bool,
) -> FloatArray:
    """The :data:`VERDICT` features of the top hit.

    ``scores``: the ranking model's scores of the candidates, best first;
    ``question_row`` / ``top_row``: :func:`question_features` and the top candidate's
    :func:`candidate_features` row; ``dense_all``: every candidate's cosine;
    ``top_title`` / ``top_text``: the top hit's normalised title and text;
    ``type_found``: whether its highlight holds a phrase of the asked type.
    """
    c = dict(zip(CANDIDATE, top_row.tolist(), strict=True))
    q = dict(zip(QUESTION, question_row.tolist(), strict=True))
    if len(scores):
        shifted = np.exp(scores - scores.max())
        top_p = float(shifted[0] / shifted.sum())
        margin = float(scores[0] - scores[1]) if len(scores) > 1 else 1.0
    else:
        top_p, margin = 0.0, 0.0
    total = sum(idf.values())
    whole = top_title + top_text
    missing = [w for t, w in idf.items() if t not in whole]
    most = max(idf.values(), default=0.0)
    kind = analyse(question).kind
    focus = [w for t, w in idf.items() if t in focus_words(question, idf) and t not in whole]
    return np.array(
        [
            1.0,
            top_p,
            min(margin, 5.0),
            c["dense"],
            c["dense"] - float(np.median(dense_all)) if len(dense_all) else 0.0,
            c["cov"],
            coverage(idf, top_text),
            c["prox"],
            max(missing, default=0.0) / most if most > 0 else 1.0,
            sum(missing) / total if total > 0 else 1.0,
            1.0 if kind in _TYPED else 0.0,
            1.0 if kind in _TYPED and type_found else 0.0,
            max(focus, default=0.0) / most if most > 0 else 0.0,
            q["qlen"],
            q["agree"],
        ],
        dtype=np.float64,
    )
