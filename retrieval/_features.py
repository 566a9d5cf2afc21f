"""The signals the learned ranking and the confidence verdict are computed from.

Pure functions of arrays and strings (no index, no model), shared by the served
:class:`~newsqa.retrieval.Retriever` and the offline trainer
(``benchmarks/train_models.py``), so a model is always trained on exactly what it is
served with. :data:`DEFINITION` is a digest of this module's source and of
:mod:`._span`'s and :mod:`._highlight`'s (the verdict reads the answer phrase, the slot
and the unit off them): a
shipped model records the digest it was trained against, and a test fails when they
differ (retrain).

* :func:`question_features`: what the question is like (length, rarity of its words,
  its asked type, how well the two rankers agree on it);
* :func:`candidate_features`: per candidate chunk (dense cosine, BM25, ranks, coverage
  of the question's IDF-weighted words in title and text, proximity, and the share of
  the question's character bigrams it holds, :func:`question_bigrams`);
* :func:`ranking_matrix`: candidate terms (:data:`TERMS`: the features, some
  products of two, their squares) x question features, the query-adaptive input of
  the ranking model (each candidate weight depends on the question);
* :func:`verdict_features`: the top hit against the question (how it won, which
  question words it lacks, whether it holds a phrase of the asked type, the unit the
  answer must come in (:func:`~._span.unit_missing`), the office whose holder is
  asked for (:func:`~._span.role_missing`), a place the question names
  (:func:`~._span.place_missing`), and how well it fills the
  asked slot next to the question's own words (:func:`~._span.slot_score`): the right
  article without the asked fact, a near miss, fills it badly); the first three
  checks decline on their own (:data:`VETO`).

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
from ._span import _bigrams, analyse, place_missing, role_missing, slot_score, unit_missing

__all__ = [
    "CANDIDATE",
    "DEFINITION",
    "QUESTION",
    "TERMS",
    "VERDICT",
    "VETO",
    "candidate_features",
    "question_bigrams",
    "question_features",
    "ranking_matrix",
    "verdict_features",
]

FloatArray = npt.NDArray[np.float64]

_TYPED = frozenset({"person", "number", "date", "place", "org", "title"})
"""Question kinds (:func:`~._span.analyse`) that ask for a phrase of a type."""

_INTERROGATIVE = re.compile(r"什么|哪里|哪个|哪些|哪|谁|多少|几|怎么|如何|为什么|是否|吗|呢")

_ASKS = ("person", "number", "date", "place", "what")
"""Asked types (:func:`~._span.analyse`) with a column of their own in :data:`QUESTION`."""

QUESTION = ("bias", "qlen", "idf_mean", "agree", "dense_top", *(f"ask_{k}" for k in _ASKS))
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

_PAIRS = (
    ("dense_mm", "lex_mm"),
    ("dense", "cov"),
    ("lex_mm", "cov"),
    ("bigram", "dense_mm"),
    ("bigram", "lex_mm"),
    ("prox", "cov"),
    ("dense_rr", "lex_rr"),
    ("cov_title", "dense_mm"),
)
TERMS = CANDIDATE + tuple(f"{a}*{b}" for a, b in _PAIRS) + tuple(f"{c}^2" for c in CANDIDATE)
"""The ranking's candidate terms (:func:`ranking_matrix`): each candidate feature, the
products of the pairs that work together (a chunk both rankers like, a close match that
also covers the question), and each feature squared."""
_PAIR_COLS = tuple((CANDIDATE.index(a), CANDIDATE.index(b)) for a, b in _PAIRS)

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
    "qlen",
    "agree",
    "unit_missing",
    "role_missing",
    "place_missing",
    "slot",
)
"""Verdict features (:func:`verdict_features`), in the order of their columns."""

VETO = ("unit_missing", "role_missing", "place_missing")
"""Verdict features that decline on their own (the verdict's confidence is 0 when one
is set): each says the top hit cannot hold the asked fact (no number with the asked
measure word, the asked office unnamed, another city), whatever else it matches. The
logistic model alone weighs them against everything else and still answered 12 of
the 41 near misses it was confident on in the pool with ``unit_missing`` set."""

_DEFINED_BY = ("_features.py", "_span.py", "_highlight.py")
DEFINITION = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _DEFINED_BY)
).hexdigest()[:16]
"""Digest of this module, :mod:`._span` and :mod:`._highlight`: a trained model is stale
when it records another one."""


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
    kind = analyse(question).kind
    return np.array(
        [1.0, math.log1p(len(question)) / 4.0, idf_mean / 10.0, agree, dense_top]
        + [1.0 if kind == k else 0.0 for k in _ASKS],
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
    """Each candidate's :data:`TERMS` times each question feature, flattened per row.

    A linear model over this matrix weighs every candidate term by a linear function
    of the question's features (its length, rarity, asked type, ...): the weighting
    adapts to the question.
    """
    terms = np.concatenate(
        [
            candidates,
            np.stack([candidates[:, a] * candidates[:, b] for a, b in _PAIR_COLS], axis=1),
            candidates**2,
        ],
        axis=1,
    )
    return (terms[:, :, None] * question[None, None, :]).reshape(len(candidates), -1)


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
            q["qlen"],
            q["agree"],
            1.0 if unit_missing(question, top_text) else 0.0,
            1.0 if role_missing(question, whole) else 0.0,
            1.0 if place_missing(question, whole) else 0.0,
            slot_score(question, top_text),
        ],
        dtype=np.float64,
    )
