"""Which sentence of a hit to highlight: the one that holds the answer.

:func:`locate` cuts a hit's text into sentences (clauses ended by ``；`` joined to what
follows), describes each by a few signals and scores it with a linear *sentence
selector* fitted offline (``benchmarks/train_locate.py``: a softmax over each
question's sentences, trained to pick one that holds the gold answer, on the tune
halves of CMRC 2018 dev and DRCD dev, CMRC 2018 trial and WebQA's tune half). The
signals, per sentence (:data:`SELECTOR_FEATURES`):

* ``base``: the hand-set score (:data:`_WEIGHTS`): the IDF-weighted question words it
  holds, a word found in fewer of the chunk's sentences counting more and a word of
  the chunk's opening sentence (its topic, which later sentences refer to without
  naming it) much less, plus the share of the question's character bigrams and of the
  words around the interrogative it holds verbatim;
* the question words it holds, plain (``raw``), found in no other sentence (``uniq``)
  or not in the opening sentence (``nonhead``); the share of the question's characters
  it holds (``cov``) and its longest run of the question's characters (``lcs``);
* for a question asking for a phrase of a type (:func:`~._span.analyse`): whether it
  holds one (``ht``, and per type), how well one fits (``anyfit``), how closely the
  question's own words frame one (``slot``), and for a place, a word such as 位于
  (``loc``);
* where it stands (``first``, ``last``, ``pos``), its length, its neighbours'
  ``base`` (``prev``, ``next``: an answer sentence often follows the one the question
  paraphrases) and how far it is from the best ``base`` (``best``, ``gap``).

The phrase inside the chosen sentence is found by :func:`~._span.phrase`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import cache

from newsqa.index import split_sentences

from ._span import (
    _KINDS,
    _PUNCT,
    Span,
    _anchor_bonus,
    _anchors,
    _bigrams,
    _fits,
    _mapped,
    _phrase,
    _Question,
    _typed,
    analyse,
)

__all__ = ["SELECTOR", "SELECTOR_FEATURES", "TIE", "locate", "sentence_features", "sentences_of"]

_WEIGHTS: dict[str, float] = {
    "local": 1.0,  # how much a word found in fewer of the chunk's sentences counts more
    "topic": 0.1,  # the weight left to words of the chunk's first sentence (its topic)
    "bigram": 0.4,  # share of the question's character bigrams
    "anchor": 0.4,  # share of the words around the interrogative held verbatim
}
"""How the ``base`` signal is made up (hand-set on the tune halves of CMRC and DRCD
dev: ``benchmarks/localise.py``)."""

_SELECTOR_KINDS = ("person", "number", "date", "place")
SELECTOR_FEATURES: tuple[str, ...] = (
    "base", "raw", "uniq", "nonhead", "ht", "anyfit", "slot", "lcs", "cov",
    "first", "last", "pos", "len", "loc", "prev", "next", "best", "gap",
    *(f"{s}:{k}" for k in _SELECTOR_KINDS for s in ("ht", "raw")),
)  # fmt: skip
"""The selector's signals, in the order of :func:`sentence_features`' rows."""

SELECTOR: dict[str, float] = {
    "base": 2.9482,
    "raw": -1.8551,
    "uniq": 1.7891,
    "nonhead": 1.4753,
    "ht": 1.2867,
    "anyfit": 0.5308,
    "slot": 2.1058,
    "lcs": -3.8523,
    "cov": 4.8800,
    "first": 0.8003,
    "last": 0.7347,
    "pos": -0.8845,
    "len": -0.3696,
    "loc": 2.0643,
    "prev": 2.3254,
    "next": 2.4884,
    "best": 1.1598,
    "gap": -1.7258,
    "ht:person": 0.3165,
    "raw:person": -1.0170,
    "ht:number": 0.2324,
    "raw:number": -0.1902,
    "ht:date": 1.5378,
    "raw:date": -0.9333,
    "ht:place": 0.4951,
    "raw:place": -0.5828,
}
"""The selector's weight per signal (``benchmarks/train_locate.py`` prints it): a
sentence's score is the sum of its signals times these. Higher is better."""

TIE = 0.1
"""A neighbour whose selector probability is at least this share of the best's joins
the highlight (its score within ``-ln(TIE)``): which of the two holds the answer is
not clear, so both are shown. Chosen on the tune halves (``benchmarks/train_locate.py``
prints the trade-off between containment and length)."""

_LOC = re.compile(r"位于|坐落|地处|处于|座落|设于|设在|总部|分布于|产于")
"""Words that say where something is: a place question's answer stands by one."""


def _sentence_scores(
    question: str, q: _Question, sentences: Sequence[str], idf: Mapping[str, float]
) -> list[float]:
    """Per sentence: question words (rarer in the chunk count more), bigrams, context."""
    n = len(sentences)
    present = [{t for t in idf if t in s} for s in sentences]
    spread = {t: sum(t in p for p in present) for t in idf}
    denom = math.log(1 + n)
    local = {t: (math.log(1 + n / spread[t]) / denom if spread[t] else 1.0) for t in idf}
    weight = {t: idf[t] * (1 - _WEIGHTS["local"] + _WEIGHTS["local"] * local[t]) for t in idf}
    if n > 1:  # the chunk's topic, named up front, is often left out where the answer is
        head = sentences[0]
        weight = {t: w * (_WEIGHTS["topic"] if t in head else 1.0) for t, w in weight.items()}
    total = sum(idf.values()) or 1.0
    qgrams = _bigrams(question[: q.wh[0]] + "|" + question[q.wh[1] :])
    left = _PUNCT.sub("", question[: q.wh[0]])
    right = _PUNCT.sub("", question[q.wh[1] :])
    out = []
    for sentence, terms in zip(sentences, present, strict=True):
        score = sum(weight[t] for t in terms) / total
        if qgrams:
            score += _WEIGHTS["bigram"] * len(qgrams & _bigrams(sentence)) / len(qgrams)
        score += _WEIGHTS["anchor"] * _context_match(left, right, sentence)
        out.append(score)
    return out


def _context_match(left: str, right: str, sentence: str) -> float:
    """Share of the words around the interrogative that ``sentence`` holds verbatim.

    The longest tail of ``left`` (the question before the interrogative) and the
    longest head of ``right`` (after it) found in the sentence, as a share of at most
    eight characters each: a question written from the sentence keeps these.
    """
    got = 0
    want = 0
    for piece, tail in ((left[-8:], True), (right[:8], False)):
        want += len(piece)
        for n in range(len(piece), 1, -1):
            if (piece[-n:] if tail else piece[:n]) in sentence:
                got += n
                break
    return got / want if want else 0.0


_CLAUSE_END = re.compile(r"[；;][”’」』）)]*\s*$")


def _full_sentences(text: str) -> list[Span]:
    """:func:`newsqa.index.split_sentences` with clauses ended by ``；`` joined to the next.

    A semicolon parts the clauses of one sentence (a list of facts about one subject,
    which the later clauses no longer name), so the highlight is the whole sentence.
    """
    out: list[Span] = []
    joining = False
    for start, end in split_sentences(text) or [(0, len(text))]:
        if joining:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
        joining = _CLAUSE_END.search(text[start:end]) is not None
    return out


def _longest_run(question: str, sentence: str) -> int:
    """The length of the longest run of ``question``'s characters found in ``sentence``."""
    best = 0
    for i in range(len(question)):
        n = best + 1
        while i + n <= len(question) and question[i : i + n] in sentence:
            best = n
            n += 1
    return best


def sentence_features(
    question: str, sentences: Sequence[str], idf: Mapping[str, float]
) -> list[list[float]]:
    """Per sentence, the :data:`SELECTOR_FEATURES` signals (both strings normalised)."""
    q = analyse(question)
    n = len(sentences)
    base = _sentence_scores(question, q, sentences, idf)
    top = max(base, default=0.0)
    total = sum(idf.values()) or 1.0
    present = [{t for t in idf if t in s} for s in sentences]
    spread = {t: sum(t in p for p in present) for t in idf}
    head = present[0] if present else set()
    qflat = _PUNCT.sub("", question)
    qchars = set(qflat) - set(question[q.wh[0] : q.wh[1]])
    rows = []
    for i, sentence in enumerate(sentences):
        terms = present[i]
        ht = anyfit = slot = 0.0
        if q.kind:
            left_end, right_start = _anchors(question, q.wh, sentence)
            for a, b, kind in _typed(sentence, q.kind, q.measure):
                fit = _fits(kind, q.kind)
                if fit > 0 and sentence[a:b] not in qflat:
                    anyfit = max(anyfit, fit)
                    ht = max(ht, float(fit >= 1.0))
                    slot = max(slot, _anchor_bonus(a, b, left_end, right_start))
        flat = _PUNCT.sub("", sentence)
        raw = sum(idf[t] for t in terms) / total
        row = [
            base[i],
            raw,
            sum(idf[t] for t in terms if spread[t] == 1) / total,
            sum(idf[t] for t in terms - head) / total if i else 0.0,
            ht,
            anyfit,
            slot,
            _longest_run(qflat, flat) / max(len(qflat), 1),
            len(qchars & set(flat)) / max(len(qchars), 1),
            float(i == 0),
            float(i == n - 1),
            i / max(n - 1, 1),
            math.log(1 + len(sentence)),
            float(q.kind == "place" and _LOC.search(sentence) is not None),
            base[i - 1] if i > 0 else 0.0,
            base[i + 1] if i < n - 1 else 0.0,
            float(base[i] == top),
            top - base[i],
        ]
        for kind in _SELECTOR_KINDS:
            own = q.kind == kind
            row += [ht * own, raw * own]
        rows.append(row)
    return rows


def _selector_scores(
    question: str, sentences: Sequence[str], idf: Mapping[str, float]
) -> list[float]:
    weights = [SELECTOR[name] for name in SELECTOR_FEATURES]
    return [
        sum(w * x for w, x in zip(weights, row, strict=True))
        for row in sentence_features(question, sentences, idf)
    ]


def sentences_of(text: str) -> tuple[list[Span], list[str], list[int], list[int]]:
    """The sentences :func:`locate` chooses among: their spans in ``text``
    (:func:`_full_sentences`), their normalised text, and the maps between the two
    (``owner``: per normalised character, its original one; ``inv``: per original
    offset, the normalised one)."""
    norm, owner = _mapped(text)
    inv = [0] * (len(text) + 1)
    j = len(norm)
    for i in range(len(text), -1, -1):
        while j > 0 and owner[j - 1] >= i:
            j -= 1
        inv[i] = j
    spans = _full_sentences(text)
    return spans, [norm[inv[a] : inv[b]] for a, b in spans], owner, inv


def locate(
    question: str,
    text: str,
    idf: Mapping[str, float],
    *,
    sentence_scores: Sequence[float] | None = None,
) -> tuple[Span, Span | None]:
    """``(highlight span, answer span or None)`` in the original ``text``.

    ``question`` is normalised (:func:`newsqa.index.normalize`); ``idf`` maps the
    question's distinct normalised tokens to their IDF, as for
    :func:`~newsqa.retrieval._scoring.best_sentence`. The highlight is one sentence of
    ``text`` (clauses ended by ``；`` belong to the next: :func:`_full_sentences`; a
    text without sentence ends is one sentence), or two neighbours: when the question
    asks for a phrase of a type the best sentence lacks and the one before or after it
    holds, or else when the selector rates a neighbour nearly as likely (:data:`TIE`;
    the better of two such); it is stripped of surrounding whitespace. The answer span,
    when the question asks for something the highlight holds, lies inside it.
    ``sentence_scores``, one per sentence of :func:`_full_sentences` of ``text``, are
    added to the selector's scores.
    """
    if not text.strip():
        return (0, 0), None
    spans, sentences, owner, inv = sentences_of(text)
    q = analyse(question)
    scores = _selector_scores(question, sentences, idf)
    if sentence_scores is not None:
        scores = [
            s + (sentence_scores[i] if i < len(sentence_scores) else 0.0)
            for i, s in enumerate(scores)
        ]
    qflat = _PUNCT.sub("", question)

    @cache
    def holds_typed(i: int) -> bool:
        return any(
            _fits(k, q.kind) >= 1.0 and sentences[i][a:b] not in qflat
            for a, b, k in _typed(sentences[i], q.kind, q.measure)
        )

    best_i = max(range(len(spans)), key=lambda i: (scores[i], -i))
    start, end = spans[best_i]
    phrase_i = best_i
    near = [k for k in (best_i - 1, best_i + 1) if 0 <= k < len(spans)]
    joined: int | None = None
    if q.kind in _KINDS and not holds_typed(best_i):
        # The question's words point at a sentence with nothing of the asked type; a
        # neighbour that has one often states the fact about it ("同年", "该岛"): the
        # highlight spans both and the phrase is looked for in the neighbour.
        joined = next((k for k in near if holds_typed(k)), None)
        phrase_i = best_i if joined is None else joined
    if joined is None:
        # A neighbour the selector rates nearly as likely: which of the two holds the
        # answer is not known, so the highlight shows both (the better one, the one
        # before on equal scores).
        ties = [k for k in near if scores[k] >= scores[best_i] + math.log(TIE)]
        joined = max(ties, key=lambda k: scores[k], default=None)
    if joined is not None:
        start, end = min(start, spans[joined][0]), max(end, spans[joined][1])
    sentence = sentences[phrase_i]
    answer: Span | None = None
    found = _phrase(question, q, sentence, idf)
    if found is not None:
        a, b = found
        at = inv[spans[phrase_i][0]]
        answer = (owner[at + a], owner[at + b - 1] + 1)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end), answer
