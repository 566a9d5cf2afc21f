"""Train the shipped ranking and verdict models (``retrieval/models.json``) offline.

Not a test. Runs every tuning question through the served candidate generation of an
evaluation index (the page + the sample corpus + a pool of real news + the evaluation
passages, built with ``newsqa index build``), computes :mod:`newsqa.retrieval._features`
exactly as served, and fits

* the **ranking** model: a softmax over each question's head candidates (gold article's
  chunks, or chunks holding the gold phrase, are the positives), L-BFGS with a small L2
  penalty, every tuning set weighted equally;
* the **verdict** model: a logistic regression whose positives are questions whose
  learned top hit is right, and whose negatives are the rest: wrong top hits, absent-
  answer questions (``benchmarks/data/absent.jsonl``: near-miss and out-of-archive) and
  "gold removed" questions (a passage question with its gold passage's chunks taken out
  of the candidates, as if not indexed). It is fitted on every row; served (and in the
  curve printed here), a :data:`~newsqa.retrieval._features.VETO` check declines on
  its own whatever the model says.

Only tuning data goes in: WebQA's tune half, CMRC 2018 trial, DRCD dev's tune half (by
a hash of the qid; gold-removed CMRC trial likewise), and the ``split = "tune"`` rows of
newsqa's own question files. CMRC dev, ``seed_dev.jsonl`` and every ``heldout`` half are
only reported (``--heldout``), never fitted. The shipped file came from::

    python -m benchmarks.train_models --index /tmp/big/idx --quantize int8 \\
        --passage webqa=/tmp/real/webqa.tune.queries.jsonl \\
        --passage webqa_heldout=/tmp/real/webqa.heldout.queries.jsonl \\
        --passage cmrc_trial=../shared/eval/cmrc2018_trial.queries.jsonl \\
        --passage drcd=../shared/eval/drcd_dev.queries.jsonl \\
        --passage cmrc_dev=../shared/eval/cmrc2018_dev.queries.jsonl \\
        --page page=benchmarks/data/page_questions.jsonl \\
        --page seed=../shared/eval/seed_dev.jsonl \\
        --absent benchmarks/data/absent.jsonl --absent benchmarks/data/absent_fresh.jsonl \\
        --heldout --cache /tmp/big/raws.pkl \\
        --boost page=4 --boost absent-near_miss=4 --boost absent-out_of_archive=2 \\
        --ranking-from retrieval/models.json --out retrieval/models.json

``--ranking-from`` keeps the shipped ranking weights and refits the verdict only (the
ranking of the shipped file was fitted on an earlier build of the same evaluation
index; refitting it on a rebuild moves its weights a little and its figures with them,
so a change to the verdict's checks alone leaves it as measured). ``--cache`` keeps
the collected candidates: a second run with other options fits in a minute without
the index. It prints R@1 within the head per set and split, and the
verdict's curve.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import pickle
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]
from tqdm import tqdm

from newsqa.index import Chunk, Config, content_chars, normalize, tokenize
from newsqa.retrieval import Retriever
from newsqa.retrieval._features import DEFINITION, VERDICT, verdict_features
from newsqa.retrieval._highlight import locate
from newsqa.retrieval._models import Models, parse_models
from newsqa.retrieval._retriever import _fused_order, _idf, _signals

FloatArray = npt.NDArray[np.float64]
logger = logging.getLogger("train_models")


def split_of(qid: str) -> str:
    """``tune`` or ``heldout``, by a hash of the question id (stable across runs)."""
    return "tune" if int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass
class Raw:
    """One question's candidates as served (what the features are computed from)."""

    dataset: str
    split: str
    question: str  # normalised
    idf: dict[str, float]
    rows: npt.NDArray[np.int64]
    dense: FloatArray
    lexical: FloatArray
    head: npt.NDArray[np.intp]
    head_chunks: list[Chunk]
    labels: npt.NDArray[np.bool_]  # head: chunk answers the question
    absent: bool  # no right answer anywhere in the index


@dataclass
class Example:
    """A :class:`Raw` with its features."""

    raw: Raw
    matrix: FloatArray  # head x ranking features
    qrow: FloatArray
    cands: FloatArray

    @property
    def dataset(self) -> str:
        return self.raw.dataset

    @property
    def labels(self) -> npt.NDArray[np.bool_]:
        return self.raw.labels

    @property
    def absent(self) -> bool:
        return self.raw.absent


def collect(
    retriever: Retriever,
    question: str,
    dataset: str,
    split: str,
    *,
    gold_article: str | None = None,
    gold_phrases: list[str] | None = None,
    remove_gold: bool = False,
    absent: bool = False,
) -> Raw | None:
    """Candidates and head of one question, as ``Retriever._rank`` gathers them."""
    cfg = retriever._config.retrieval
    with retriever._lease() as reader:
        qnorm = normalize(question)
        qtokens = tokenize(qnorm, normalized=True)
        idf = _idf(reader, qtokens)
        rows, dense, lexical = retriever._gather(reader, qnorm, qtokens, cfg.top_k)
        chunks = reader.chunks(rows.tolist())
    if remove_gold and gold_article is not None:
        keep = np.array([c.article_id != gold_article for c in chunks], dtype=bool)
        rows, dense, lexical = rows[keep], dense[keep], lexical[keep]
        chunks = [c for c, k in zip(chunks, keep, strict=True) if k]
    if not len(rows):
        return None
    head = _fused_order(rows, dense, lexical, cfg.dense_weight)[1][: cfg.rerank_depth]
    head_chunks = [chunks[i] for i in head]
    if remove_gold or absent:
        labels = np.zeros(len(head), dtype=bool)
    elif gold_article is not None:
        labels = np.array([c.article_id == gold_article for c in head_chunks])
    else:
        gold = [content_chars(g) for g in gold_phrases or []]
        labels = np.array([any(g in content_chars(c.text) for g in gold) for c in head_chunks])
    return Raw(
        dataset,
        split,
        qnorm,
        idf,
        rows,
        dense,
        lexical,
        head,
        head_chunks,
        labels,
        absent or remove_gold,
    )


def featurize(raw: Raw) -> Example:
    signals = _signals(raw.question, raw.idf, raw.dense, raw.lexical, raw.head, raw.head_chunks)
    return Example(raw, signals.matrix, signals.question, signals.candidates)


def train_ranking(examples: list[Example], l2: float) -> FloatArray:
    """Softmax (listwise) weights over the examples whose head holds a positive."""
    usable = [e for e in examples if e.labels.any() and len(e.labels) > 1]
    counts: dict[str, int] = {}
    for e in usable:
        counts[e.dataset] = counts.get(e.dataset, 0) + 1
    weight = np.array([len(usable) / (len(counts) * counts[e.dataset]) for e in usable])
    dim = usable[0].matrix.shape[1]

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        total, grad = 0.0, np.zeros(dim)
        for e, wt in zip(usable, weight, strict=True):
            s = e.matrix @ w
            s = s - s.max()
            p = np.exp(s)
            z = p.sum()
            p /= z
            pos = p[e.labels].sum()
            total -= wt * np.log(max(pos, 1e-300))
            # d(-log sum_pos p)/ds = p - p*1[pos]/pos
            g = p.copy()
            g[e.labels] -= p[e.labels] / max(pos, 1e-300)
            grad += wt * (e.matrix.T @ g)
        n = len(usable)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    result = minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    logger.info("ranking: %s, loss %.4f over %d questions", result.message, result.fun, len(usable))
    return np.asarray(result.x, dtype=np.float64)


def verdict_rows(examples: list[Example], ranking: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Verdict features of each example's learned top hit, and whether it is right."""
    feats, ys = [], []
    for e in examples:
        s = e.matrix @ ranking
        order = np.argsort(-s, kind="stable")
        top = int(order[0])
        chunk = e.raw.head_chunks[top]
        _, answer = locate(e.raw.question, chunk.text, e.raw.idf)
        f = verdict_features(
            e.raw.question,
            e.raw.idf,
            s[order],
            e.qrow,
            e.cands[top],
            e.raw.dense,
            normalize(chunk.title),
            normalize(chunk.text),
            answer is not None,
        )
        feats.append(f)
        ys.append(0.0 if e.absent else float(e.labels[top]))
    return np.stack(feats), np.array(ys)


def train_verdict(
    x: FloatArray, y: FloatArray, datasets: list[str], l2: float, boost: dict[str, float]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0  # the bias column stays 1
    scale[scale < 1e-9] = 1.0
    xs = (x - mean) / scale
    counts: dict[str, int] = {}
    for d in datasets:
        counts[d] = counts.get(d, 0) + 1
    wt = np.array([boost.get(d, 1.0) * len(datasets) / (len(counts) * counts[d]) for d in datasets])

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        z = xs @ w
        p = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
        eps = 1e-12
        ll = -(wt * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))).mean()
        grad = xs.T @ (wt * (p - y)) / len(y)
        reg = w.copy()
        reg[0] = 0.0
        return float(ll + l2 * reg @ reg), grad + 2 * l2 * reg

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    logger.info("verdict: %s, loss %.4f over %d questions", result.message, result.fun, len(y))
    return np.asarray(result.x, dtype=np.float64), mean, scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--quantize", default="", choices=("", "int8"))
    parser.add_argument("--passage", action="append", default=[], metavar="NAME=Q.jsonl")
    parser.add_argument("--page", action="append", default=[], metavar="NAME=Q.jsonl")
    parser.add_argument("--absent", action="append", default=[], metavar="A.jsonl")
    parser.add_argument(
        "--heldout", action="store_true", help="also collect the heldout halves, to report on"
    )
    parser.add_argument("--cache", metavar="FILE", help="keep the collected candidates here")
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument(
        "--boost",
        action="append",
        default=[],
        metavar="SET=FACTOR",
        help="weigh a tuning set more in the verdict (e.g. absent-near_miss=4)",
    )
    parser.add_argument(
        "--ranking-from",
        metavar="MODELS.json",
        help="keep this file's ranking weights and refit the verdict only",
    )
    parser.add_argument("--out", default="retrieval/models.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.cache and Path(args.cache).is_file():
        with open(args.cache, "rb") as fh:
            raws: list[Raw] = pickle.load(fh)
    else:
        raws = collect_all(args)
        if args.cache:
            with open(args.cache, "wb") as fh:
                pickle.dump(raws, fh)
    examples = [featurize(r) for r in tqdm(raws, desc="features", file=sys.stderr)]
    tune = [e for e in examples if e.raw.split == "tune"]
    ranking_set = [e for e in tune if not e.absent]
    if args.ranking_from:
        ranking = parse_models(json.loads(Path(args.ranking_from).read_text())).ranking
    else:
        ranking = train_ranking(ranking_set, args.l2)
    x, y = verdict_rows(tune, ranking)
    boost = {k: float(v) for k, v in (b.split("=") for b in args.boost)}
    verdict, mean, scale = train_verdict(x, y, [e.dataset for e in tune], args.l2, boost)
    models = Models(ranking, verdict, mean, scale, DEFINITION)
    data = models.to_json(trained_on=sorted({e.dataset for e in tune}))
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {args.out}: {len(ranking_set)} ranking questions, {len(y)} verdict rows")
    for name, w in zip(VERDICT, verdict, strict=True):
        print(f"  verdict {name:<14} {w:+.3f}")
    report(examples, models)
    return 0


def collect_all(args: argparse.Namespace) -> list[Raw]:
    cfg = Config().with_section("index", dir=args.index)
    cfg = cfg.with_section("model", quantize=args.quantize)
    cfg = cfg.with_section("retrieval", ranking="weighted", verdict="rules")
    raws: list[Raw | None] = []
    with Retriever.open(cfg) as retriever:
        for spec in args.passage:
            name, path = spec.split("=", 1)
            for r in tqdm(list(read_jsonl(path)), desc=name, file=sys.stderr):
                split = _split(name, r)
                if split == "heldout" and not args.heldout:
                    continue
                gold = str(r["gold_passage_id"])
                raws.append(collect(retriever, r["question"], name, split, gold_article=gold))
                if name != "cmrc_dev":  # gold removed: CMRC trial halves by qid hash
                    removed_split = split if name != "cmrc_trial" else split_of(str(r["qid"]))
                    raws.append(
                        collect(
                            retriever,
                            r["question"],
                            name + "-removed",
                            removed_split,
                            gold_article=gold,
                            remove_gold=True,
                        )
                    )
        for spec in args.page:
            name, path = spec.split("=", 1)
            for r in read_jsonl(path):
                split = r.get("split", "heldout" if name == "seed" else split_of(str(r["qid"])))
                if split == "heldout" and not args.heldout:
                    continue
                phrases = list(r.get("gold_contains") or [])
                raws.append(
                    collect(
                        retriever,
                        r["question"],
                        name,
                        split,
                        gold_phrases=phrases,
                        absent=not phrases,
                    )
                )
        for path in args.absent:
            for r in read_jsonl(path):
                if r.get("split") == "heldout" and not args.heldout:
                    continue
                raws.append(
                    collect(
                        retriever, r["question"], "absent-" + r["kind"], r["split"], absent=True
                    )
                )
    return [r for r in raws if r is not None]


def report(examples: list[Example], models: Models) -> None:
    """Per set and split: R@1 within the head (learned / fused order / dense / BM25), and
    the verdict's curve (share confident or declined at each threshold)."""
    groups: dict[tuple[str, str], list[Example]] = {}
    for e in examples:
        groups.setdefault((e.dataset, e.raw.split), []).append(e)
    print("\nR@1 within the head: learned / fused / dense / bm25")
    for (name, split), items in sorted(groups.items()):
        if items[0].absent:
            continue
        at1 = np.zeros(4)
        for e in items:
            s = models.rank_scores(e.matrix)
            d = e.raw.dense[e.raw.head]
            lx = e.raw.lexical[e.raw.head]
            for i, score in enumerate((s, -np.arange(len(s)), d, lx)):
                at1[i] += e.labels[int(np.argmax(score))]
        cells = " ".join(f"{v / len(items):.4f}" for v in at1)
        print(f"  {name:<22} {split:<8} {cells}  (n={len(items)})")
    print("\nverdict: share confident (in-corpus) or declined (absent) at each threshold")
    ts = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
    print("  " + " " * 36 + " ".join(f"{t:>5}" for t in ts))
    for (name, split), items in sorted(groups.items()):
        x, _ = verdict_rows(items, models.ranking)
        p = np.array([models.confidence(row) for row in x])
        if items[0].absent:
            cells = [float((p < t).mean()) for t in ts]
        else:
            cells = [float((p >= t).mean()) for t in ts]
        label = "declined " if items[0].absent else "confident"
        print(f"  {name:<20} {split:<7} {label} " + " ".join(f"{c:.3f}" for c in cells))


def _split(name: str, row: dict[str, Any]) -> str:
    """WebQA's files are split already (by name); CMRC trial is all tuning, CMRC dev all
    heldout; any other set (DRCD dev) is halved by a hash of the qid."""
    if name.startswith("webqa"):
        return "heldout" if "heldout" in name else "tune"
    if name == "cmrc_trial":
        return "tune"
    if name == "cmrc_dev":
        return "heldout"
    return split_of(str(row["qid"]))


if __name__ == "__main__":
    raise SystemExit(main())
