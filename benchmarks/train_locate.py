"""Fit the sentence selector of :mod:`newsqa.retrieval._highlight` offline.

Not a test. For each question of the given evaluation splits it takes the chunk of the
gold passage that holds a gold answer, cut as ingestion cuts it (exactly the cases of
``benchmarks/localise.py``), computes :func:`~newsqa.retrieval._highlight.sentence_features`
for each of the chunk's sentences as :func:`~newsqa.retrieval._highlight.locate` does,
and fits a linear score by a softmax over each chunk's sentences (the positives: the
sentences that hold a gold answer), L-BFGS with an L2 penalty on the standardised
signals. Only tuning data goes in: the ``tune`` half (by a hash of the question id, as
in ``localise.py``) of every ``--split`` and all of every ``--tune`` prefix; the
``heldout`` halves are only reported.

It prints, for a few values of the tie margin (:data:`~newsqa.retrieval._highlight.TIE`),
the share of cases whose highlight holds a gold answer and the highlight's mean
length, per split and half, then the weights as the ``SELECTOR`` dict to paste into
``retrieval/_highlight.py``. The shipped weights came from (WebQA converted by
``benchmarks/convert_real.py``, the passages file linked beside each half's queries
as ``PREFIX.passages.jsonl``)::

    python -m benchmarks.train_locate --split ../shared/eval/cmrc2018_dev \\
        --split ../shared/eval/drcd_dev --tune ../shared/eval/cmrc2018_trial \\
        --tune /tmp/an/webqa_tune
"""

from __future__ import annotations

import argparse
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]

from benchmarks.localise import _cases_local
from newsqa.index import content_chars
from newsqa.retrieval._highlight import SELECTOR_FEATURES, sentence_features, sentences_of

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Row:
    split: str
    half: str
    text: str
    spans: list[tuple[int, int]]
    x: FloatArray
    """``(sentences, features)``."""
    y: FloatArray
    """1 for a sentence holding a gold answer."""
    golds: tuple[str, ...]


def _rows(prefix: str, all_tune: bool) -> list[_Row]:
    out = []
    for case in _cases_local(prefix):
        spans, sentences, _, _ = sentences_of(case.text)
        golds = tuple(g for g in (content_chars(a) for a in case.answers) if g)
        held = [any(g in content_chars(case.text[a:b]) for g in golds) for a, b in spans]
        half = "tune" if all_tune or zlib.crc32(case.qid.encode()) % 2 == 0 else "heldout"
        out.append(
            _Row(
                Path(prefix).name,
                half,
                case.text,
                spans,
                np.array(sentence_features(case.question, sentences, case.idf)),
                np.array(held, dtype=np.float64),
                golds,
            )
        )
    return out


def _fit(rows: list[_Row], lam: float) -> FloatArray:
    train = [r for r in rows if r.half == "tune" and r.y.sum() > 0 and len(r.y) > 1]
    stacked = np.vstack([r.x for r in rows])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-6
    zs = [((r.x - mean) / scale, r.y) for r in train]

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        total, grad = 0.0, np.zeros_like(w)
        for z, y in zs:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            py = float((p * y).sum())
            total -= math.log(py + 1e-12)
            grad -= z.T @ (p * y / (py + 1e-12) - p)
        return total + lam * float(w @ w) / 2, grad + lam * w

    result = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B")
    weights: FloatArray = result.x / scale  # per raw signal: the served score is x @ w
    return weights


def _highlight(row: _Row, w: FloatArray, tie: float) -> tuple[int, int]:
    """The selector's choice alone (``locate`` also joins a typed neighbour)."""
    s = row.x @ w
    best = int(np.argmax(s))
    start, end = row.spans[best]
    near = [k for k in (best - 1, best + 1) if 0 <= k < len(s) and s[k] >= s[best] + math.log(tie)]
    if near:
        k = max(near, key=lambda k: s[k])
        start, end = min(start, row.spans[k][0]), max(end, row.spans[k][1])
    return start, end


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", default=[], metavar="PREFIX")
    parser.add_argument("--tune", action="append", default=[], metavar="PREFIX")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty")
    parser.add_argument("--ties", default="0.05,0.1,0.15,0.2,0.3")
    args = parser.parse_args(argv)
    rows = [r for p in args.split for r in _rows(p, False)]
    rows += [r for p in args.tune for r in _rows(p, True)]
    if not rows:
        parser.error("no cases: give --split or --tune prefixes")
    w = _fit(rows, args.l2)
    print("| tie | split, half | cases | highlight holds an answer | mean length |")
    print("| --- | --- | --- | --- | --- |")
    for tie in (float(t) for t in args.ties.split(",")):
        tally: dict[tuple[str, str], list[int]] = {}
        for r in rows:
            start, end = _highlight(r, w, tie)
            t = tally.setdefault((r.split, r.half), [0, 0, 0])
            t[0] += 1
            t[1] += any(g in content_chars(r.text[start:end]) for g in r.golds)
            t[2] += len(r.text[start:end].strip())
        for (split, half), (n, held, chars) in sorted(tally.items()):
            print(f"| {tie} | {split} {half} | {n} | {held / n:.1%} | {chars / n:.1f} |")
    print("SELECTOR: dict[str, float] = {")
    for name, weight in zip(SELECTOR_FEATURES, w, strict=True):
        print(f'    "{name}": {weight:.4f},')
    print("}")


if __name__ == "__main__":
    main()
