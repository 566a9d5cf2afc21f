"""Ranking and refusal over a real archive: every ranker, every kind of question.

Not a test. Opens one evaluation index (the page + the sample corpus + a pool of real
news + the evaluation passages; see ``benchmarks/convert_real.py`` and the README) and
measures, for the rankers ``dense`` (dense cosine alone), ``bm25`` (BM25 alone),
``weighted`` (the fixed fusion, ``retrieval.ranking = "weighted"``, the earlier default)
and ``learned`` (the default):

* passage questions (``--passage NAME=Q.jsonl``): Recall@1/5/20 of the gold article
  (``NAME`` ending in ``:heldout`` keeps only the heldout half, by a hash of the qid);
* page questions (``--page NAME=Q.jsonl``, ``gold_contains``): hit@1 and the share of
  in-corpus questions answered confidently, out-of-corpus ones declined;
* absent-answer questions (``--absent A.jsonl``: near-miss and out-of-archive, by kind
  and split) and gold-removed questions (``--removed NAME=Q.jsonl``: the gold passage
  searched as if not indexed): the share declined;
* the confidence curve of the learned verdict: for each threshold, the share of
  in-corpus page questions confident against the share of absent ones declined.

Usage::

    python -m benchmarks.trust --index /tmp/big/idx --quantize int8 \\
        --passage webqa=/tmp/real/webqa.heldout.queries.jsonl \\
        --passage cmrc_dev=../shared/eval/cmrc2018_dev.queries.jsonl \\
        --passage drcd:heldout=../shared/eval/drcd_dev.queries.jsonl \\
        --page seed=../shared/eval/seed_dev.jsonl \\
        --page page:heldout=benchmarks/data/page_questions.jsonl \\
        --absent benchmarks/data/absent.jsonl \\
        --removed cmrc_trial:heldout=../shared/eval/cmrc2018_trial.queries.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from newsqa.index import Config, content_chars
from newsqa.retrieval import Retriever

from .train_models import read_jsonl, split_of

VARIANTS: dict[str, dict[str, Any]] = {
    "dense": {"ranking": "weighted", "dense_weight": 1.0, "proximity_weight": 0.0},
    "bm25": {"ranking": "weighted", "dense_weight": 0.0, "proximity_weight": 0.0},
    "weighted": {"ranking": "weighted", "verdict": "rules"},
    "learned": {},
}


def named(spec: str) -> tuple[str, list[dict[str, Any]]]:
    name, path = spec.split("=", 1)
    rows = list(read_jsonl(path))
    for half in ("tune", "heldout"):
        if name.endswith(":" + half):  # a row's own "split", else a hash of its qid
            rows = [r for r in rows if r.get("split", split_of(str(r["qid"]))) == half]
    return name, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--quantize", default="", choices=("", "int8"))
    parser.add_argument("--passage", action="append", default=[])
    parser.add_argument("--page", action="append", default=[])
    parser.add_argument("--absent", action="append", default=[])
    parser.add_argument("--removed", action="append", default=[])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    args = parser.parse_args()

    base = Config().with_section("index", dir=args.index)
    base = base.with_section("model", quantize=args.quantize)
    passages = [named(s) for s in args.passage]
    pages = [named(s) for s in args.page]
    removed = [named(s) for s in args.removed]
    absent = [r for p in args.absent for r in read_jsonl(p)]
    if args.limit:
        passages = [(n, r[: args.limit]) for n, r in passages]
        removed = [(n, r[: args.limit]) for n, r in removed]
    figures: dict[str, Any] = {}
    opened = Retriever.open(base)
    try:
        for variant in args.variants.split(","):
            cfg = base.with_section("retrieval", **VARIANTS[variant])
            retriever = Retriever(cfg, opened.index, opened._embedder)
            figures[variant] = run_variant(retriever, passages, pages, absent, removed)
            print_variant(variant, figures[variant])
    finally:
        opened.close()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


def run_variant(
    retriever: Retriever,
    passages: list[tuple[str, list[dict[str, Any]]]],
    pages: list[tuple[str, list[dict[str, Any]]]],
    absent: list[dict[str, Any]],
    removed: list[tuple[str, list[dict[str, Any]]]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    latencies: list[float] = []
    for name, rows in passages:
        ranks = []
        for r in rows:
            start = time.perf_counter()
            hits = retriever.search(r["question"], 20, distinct_articles=True)
            latencies.append((time.perf_counter() - start) * 1000)
            ids = [h.article_id for h in hits]
            gold = str(r["gold_passage_id"])
            ranks.append(ids.index(gold) + 1 if gold in ids else 99)
        arr = np.array(ranks)
        out[name] = {f"R@{k}": float((arr <= k).mean()) for k in (1, 5, 20)} | {"n": len(rows)}
    confidences: dict[str, list[float]] = defaultdict(list)
    for name, rows in pages:
        hit1 = conf_in = n_in = 0
        for r in rows:
            answer = retriever.ask(r["question"], k=1)
            gold = [content_chars(g) for g in r.get("gold_contains") or []]
            if not gold:
                confidences["absent:" + name].append(answer.confidence)
                continue
            n_in += 1
            ok = bool(answer.hits) and any(g in content_chars(answer.hits[0].text) for g in gold)
            hit1 += ok
            conf_in += answer.confident
            confidences["in:" + name].append(answer.confidence)
        out[name] = {"hit@1": hit1 / max(n_in, 1), "confident": conf_in / max(n_in, 1), "n": n_in}
    for r in absent:
        answer = retriever.ask(r["question"], k=1)
        confidences[f"absent:{r['kind']}:{r.get('split', '')}"].append(answer.confidence)
        out.setdefault("absent", {}).setdefault(f"{r['kind']}:{r.get('split', '')}", []).append(
            not answer.confident
        )
    for name, rows in removed:
        declined = []
        for r in rows:
            answer = retriever._ask(r["question"], k=1, exclude=(str(r["gold_passage_id"]),))
            declined.append(not answer.confident)
            confidences["removed:" + name].append(answer.confidence)
        out["removed:" + name] = {"declined": float(np.mean(declined)), "n": len(rows)}
    for key, values in list(out.get("absent", {}).items()):
        out["absent"][key] = {"declined": float(np.mean(values)), "n": len(values)}
    out["latency_ms_p50"] = float(np.median(latencies)) if latencies else 0.0
    out["confidences"] = dict(confidences)
    return out


def print_variant(variant: str, fig: dict[str, Any]) -> None:
    print(f"\n## {variant}  (search p50 {fig['latency_ms_p50']:.1f} ms)")
    for name, value in fig.items():
        if name in {"confidences", "latency_ms_p50"}:
            continue
        if name == "absent":
            for kind, v in value.items():
                print(f"  absent {kind:<24} declined {v['declined']:.3f}  (n={v['n']})")
            continue
        shown = "  ".join(f"{k} {v:.4f}" for k, v in value.items() if k != "n")
        print(f"  {name:<28} {shown}  (n={value['n']})")
    conf = fig["confidences"]
    inside = [c for k, v in conf.items() if k.startswith("in:") for c in v]
    outside = {k: v for k, v in conf.items() if not k.startswith("in:")}
    if not inside or not any(c > 0 for c in inside):
        return
    print("  curve: threshold -> in-corpus confident | declined per absent set")
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        parts = "  ".join(f"{k} {np.mean(np.array(v) < t):.3f}" for k, v in sorted(outside.items()))
        print(f"    {t:.1f}  in {np.mean(np.array(inside) >= t):.3f} | {parts}")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
