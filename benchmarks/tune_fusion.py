"""Compare fusion rules on an evaluation index (how the defaults were chosen).

Scores every chunk with both rankers once per question, then ranks articles under
each fusion rule and prints Recall@1 / MRR@10 per rule. Build the index first, e.g.
``newsqa --index /tmp/ev/trial/index eval --queries Q --passages P`` (the index lands
in ``/tmp/ev/trial/eval/<digest>``), then::

    .venv/bin/python benchmarks/tune_fusion.py INDEX_DIR QUERIES.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsqa.index import Config, Embedder, IndexReader, normalize, tokenize  # noqa: E402


def main() -> int:
    index_dir, queries = sys.argv[1], sys.argv[2]
    cfg = Config().with_section("index", dir=index_dir)
    reader = IndexReader.open(cfg)
    emb = Embedder(cfg.model)
    keys = reader.keys()
    n = len(keys)
    chunks = reader.chunks(keys.tolist())
    art = np.array([c.article_id for c in chunks])
    # a freshly built index is one segment without deletions: keys are rows
    assert len(reader.segments) == 1 and n == reader.segments[0].vectors.size, "build --compact"
    vecs = np.asarray(reader.segments[0].vectors.vectors)
    qs = [json.loads(x) for x in Path(queries).read_text(encoding="utf-8").splitlines() if x]
    qn = [normalize(q["question"]) for q in qs]
    qv = emb.encode_queries(qn)
    dense_all = qv @ vecs.T
    lex_all = np.stack([reader._bm25.scores(tokenize(q, normalized=True))[0] for q in qn])

    def minmax(x: np.ndarray) -> np.ndarray:
        lo, hi = x.min(), x.max()
        return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)

    def ranks_of(score: np.ndarray, gold: str) -> int:
        order = np.argsort(-score, kind="stable")
        seen: list[str] = []
        for i in order[:200]:
            if art[i] not in seen:
                seen.append(art[i])
                if art[i] == gold:
                    return len(seen)
        return 999

    def rrf(x: np.ndarray, k: int) -> np.ndarray:
        r = np.empty(n)
        r[np.argsort(-x, kind="stable")] = np.arange(1, n + 1)
        return 1.0 / (k + r)

    rules = {
        "dense only": lambda d, b: d,
        "bm25 only": lambda d, b: b,
    }
    for w in (0.3, 0.4, 0.5, 0.6):
        rules[f"minmax top50 w={w}"] = lambda d, b, w=w: _cand(d, b, w, minmax)
        rules[f"max-norm w={w}"] = lambda d, b, w=w: w * d + (1 - w) * b / max(b.max(), 1e-9)
    for k in (10, 60):
        for w in (0.4, 0.5):
            rules[f"rrf k={k} w={w}"] = lambda d, b, k=k, w=w: w * rrf(d, k) + (1 - w) * rrf(b, k)
    for name, rule in rules.items():
        ranks = [
            ranks_of(rule(dense_all[i], lex_all[i]), q["gold_passage_id"]) for i, q in enumerate(qs)
        ]
        r = np.array(ranks)
        mrr = np.where(r <= 10, 1.0 / r, 0).mean()
        print(f"{name:<24} R@1 {np.mean(r == 1):.4f}  R@5 {np.mean(r <= 5):.4f}  MRR@10 {mrr:.4f}")
    return 0


def _cand(d: np.ndarray, b: np.ndarray, w: float, norm) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Min-max over the union of each ranker's top 50, as the Retriever does."""
    cand = np.union1d(np.argsort(-d)[:50], np.argsort(-b)[:50])
    out = np.full_like(d, -1.0)
    out[cand] = w * norm(d[cand]) + (1 - w) * norm(b[cand])
    return out


if __name__ == "__main__":
    raise SystemExit(main())
