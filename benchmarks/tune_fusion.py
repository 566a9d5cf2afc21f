"""Compare fusion rules on an evaluation index (how the defaults were chosen).

Scores every chunk with both rankers once per question (exact cosine and BM25, through
the index's own ``dense_scores`` / ``lexical_search``), then ranks articles under each
fusion rule and prints Recall@1 / MRR@10 per rule. The min-max rules fuse with
``newsqa.retrieval._scoring.fuse``, the very function the Retriever serves with, over
the union of each ranker's top ``retrieval.candidates``; the ``served`` rule adds the
proximity rerank of the fused head, so it ranks as ``newsqa ask`` does (with an exact
dense search). Build the index first, e.g.
``newsqa --index /tmp/ev/trial/index eval --queries Q --passages P`` (the index lands
in ``/tmp/ev/trial/eval/<digest>``), then, from the repository root::

    .venv/bin/python -m benchmarks.tune_fusion INDEX_DIR QUERIES.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from newsqa.index import Config, Embedder, IndexReader, RetrievalConfig, normalize, tokenize
from newsqa.retrieval._scoring import fuse, proximity

Scores = npt.NDArray[np.floating]


@dataclass(frozen=True, slots=True)
class _Question:
    """What a fusion rule may use besides the two score arrays."""

    idf: dict[str, float]


Rule = Callable[[Scores, Scores, _Question], Scores]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index_dir", help="an index built by `newsqa eval --passages`")
    parser.add_argument("queries", help="the queries JSONL (with gold_passage_id)")
    args = parser.parse_args()
    cfg = Config().with_section("index", dir=args.index_dir)
    reader = IndexReader.open(cfg)
    emb = Embedder(cfg.model)
    keys = reader.keys()
    chunks = reader.chunks(keys.tolist())
    art = np.array([c.article_id for c in chunks])
    texts = [c.text for c in chunks]
    qs = [json.loads(x) for x in Path(args.queries).read_text(encoding="utf-8").splitlines() if x]
    qn = [normalize(q["question"]) for q in qs]
    qtok = [tokenize(q, normalized=True) for q in qn]
    qv = emb.encode_queries(qn)
    dense_all = np.stack([reader.dense_scores(qv[i], keys) for i in range(len(qs))])
    lex_all = np.stack(
        [reader.lexical_search(q, t, 1, also=keys)[2] for q, t in zip(qn, qtok, strict=True)]
    )
    extra = [_Question(dict(zip(t, reader.idf(t), strict=True))) for t in qtok]
    reader.close()
    served = cfg.retrieval
    depth = served.candidates

    def ranks_of(score: Scores, gold: str) -> int:
        order = np.argsort(-score, kind="stable")
        seen: list[str] = []
        for i in order[:200]:
            if art[i] not in seen:
                seen.append(art[i])
                if art[i] == gold:
                    return len(seen)
        return 999

    rules: dict[str, Rule] = {
        "dense only": lambda d, b, q: d,
        "bm25 only": lambda d, b, q: b,
        f"served (w={served.dense_weight}, proximity {served.proximity_weight})": (
            lambda d, b, q: _served(d, b, q, texts, served)
        ),
    }
    for w in (0.3, 0.4, 0.5, 0.6):
        rules[f"minmax top{depth} w={w}"] = _minmax_rule(w, depth)
        rules[f"max-norm w={w}"] = _max_norm_rule(w)
    for k in (10, 60):
        for w in (0.4, 0.5):
            rules[f"rrf k={k} w={w}"] = _rrf_rule(k, w)
    width = max(len(name) for name in rules)
    for name, rule in rules.items():
        ranks = [
            ranks_of(rule(dense_all[i], lex_all[i], extra[i]), q["gold_passage_id"])
            for i, q in enumerate(qs)
        ]
        r = np.array(ranks)
        mrr = np.where(r <= 10, 1.0 / r, 0).mean()
        print(
            f"{name:<{width}} R@1 {np.mean(r == 1):.4f}  R@5 {np.mean(r <= 5):.4f}  "
            f"MRR@10 {mrr:.4f}"
        )
    return 0


def _minmax_rule(w: float, depth: int) -> Rule:
    return lambda d, b, q: _cand(d, b, w, depth)


def _max_norm_rule(w: float) -> Rule:
    return lambda d, b, q: w * d + (1 - w) * b / max(float(b.max()), 1e-9)


def _rrf(x: Scores, k: int) -> Scores:
    """Reciprocal-rank scores ``1 / (k + rank)`` (rank 1 = best)."""
    r = np.empty(len(x))
    r[np.argsort(-x, kind="stable")] = np.arange(1, len(x) + 1)
    return 1.0 / (k + r)


def _rrf_rule(k: int, w: float) -> Rule:
    return lambda d, b, q: w * _rrf(d, k) + (1 - w) * _rrf(b, k)


def _candidates(d: Scores, b: Scores, depth: int) -> npt.NDArray[np.intp]:
    """The union of each ranker's top ``depth``, ascending (the Retriever's candidates)."""
    return np.union1d(np.argsort(-d, kind="stable")[:depth], np.argsort(-b, kind="stable")[:depth])


def _cand(d: Scores, b: Scores, w: float, depth: int) -> Scores:
    """Min-max fusion over the candidates, as the Retriever fuses; the rest score -1."""
    cand = _candidates(d, b, depth)
    out = np.full(d.shape, -1.0)
    out[cand] = fuse(d[cand], b[cand], w)
    return out


def _served(d: Scores, b: Scores, q: _Question, texts: list[str], cfg: RetrievalConfig) -> Scores:
    """The served ranking: fusion, then the proximity bonus on the fused head."""
    cand = _candidates(d, b, cfg.candidates)
    fused = fuse(d[cand], b[cand], cfg.dense_weight)
    if cfg.proximity_weight > 0 and q.idf:
        head = np.argsort(-fused, kind="stable")[: cfg.rerank_depth]
        for i in head:
            fused[i] += cfg.proximity_weight * proximity(texts[cand[i]], q.idf)
    out = np.full(d.shape, -np.inf)
    out[cand] = fused
    return out


if __name__ == "__main__":
    raise SystemExit(main())
