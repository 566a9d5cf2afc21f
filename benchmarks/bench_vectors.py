"""Benchmark: FAISS index choices for newsqa's dense side, at archive scale, on CPU.

Not a test: it prints figures. Run one size at a time on an otherwise idle machine,
with vectors from ``gen_corpus.py --vectors-only`` (no embedding needed). The runs
behind the figures reported for this benchmark, each under 7 minutes on 2 cores::

    G=".venv/bin/python -m benchmarks.gen_corpus --vectors-only"
    B=".venv/bin/python -m benchmarks.bench_vectors"
    $G --chunks 10000 --out /tmp/nb/v10k.npy        # also 100000 v100k, 1000000 v1m,
    $G --chunks 2000000 --out /tmp/nb/v2m.npy        # 2000000 v2m (45 s, 2.9 GiB)
    $B --vectors /tmp/nb/v10k.npy --results /tmp/nb/vectors.jsonl           # 15 s
    $B --vectors /tmp/nb/v100k.npy --results /tmp/nb/vectors.jsonl          # 1 min
    $B --vectors /tmp/nb/v1m.npy --configs flat,ivf-flat,ivf-sq8,ivf-pq \
        --results /tmp/nb/vectors.jsonl                                      # 2.5 min
    $B --vectors /tmp/nb/v1m.npy --configs hnsw32 --results /tmp/nb/vectors.jsonl
    $B --vectors /tmp/nb/v1m.npy --configs hnsw32-sq8 --results /tmp/nb/vectors.jsonl
    $B --vectors /tmp/nb/v2m.npy --configs flat,ivf-flat,ivf-sq8 \
        --results /tmp/nb/vectors.jsonl                                      # 4.5 min
    $B --vectors /tmp/nb/v2m.npy --configs hnsw32 --max-build-s 150 \
        --results /tmp/nb/vectors.jsonl         # build sampled: stops, projects
    $B --summary /tmp/nb/vectors.jsonl

    # queries drawn like chunks instead of like questions (same data, same seed)
    $G --chunks 1000000 --out /tmp/nb/v1m_idq.npy --w-query 0 --w-source 0
    $B --vectors /tmp/nb/v1m.npy --queries-file /tmp/nb/v1m_idq.queries.npy \
        --configs hnsw32 --ef-search 50,128,256,512
    # the synthetic vectors against real embeddings (embed_sample.py)
    $B --stats /tmp/nb/real2k.npy /tmp/nb/v2k.npy

For every configuration it prints the build time (coarse k-means training and list
assignment of the IVF indexes are done once per run and shared; the table says so),
then for each search setting (``efSearch`` for HNSW, ``nprobe`` for IVF):

- ``R@10``/``R@k``: recall of the exact top-10 / top-k (exact = brute-force inner
  product over all vectors for the query sample, ``faiss.knn``, blocked BLAS), searching
  ``k`` (default 50: newsqa asks FAISS for ``newsqa.retrieval.candidates`` = 50 hits);
- single-query latency p50/p95 in ms with 1 thread and with the default thread count
  (one query at a time, as the bot searches), over up to ``--latency-queries`` queries
  or ``--latency-cap-s`` seconds per setting;

and per configuration the serialised size per vector (bytes, the index file newsqa
writes), the resident-memory growth while building, the index load time
(``faiss.read_index``: start-up and ``/reload``) and the time to add one page
(``--page`` vectors) to the built index.

HNSW builds add vectors in blocks; when the projected build time passes
``--max-build-s`` the build stops and the row reports the projection from the part
built (an underestimate: insertion slows down as the graph grows) and no recall.
``+rrN`` rows of the compressed configurations (SQ8, PQ) search N x k candidates and
rerank them exactly with the float32 vectors, as newsqa could from ``vectors.npy``
memory-mapped beside the index (the vectors are held in RAM here).

``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` (set before faiss loads): on a machine
shared with other busy processes, OpenMP's default spin-waiting made 2 threads slower
than 1 (76 vs 97 GFLOPS for ``faiss.knn``); passive waiting gave 162. Set
``OMP_WAIT_POLICY=ACTIVE`` to measure the default.

``--results FILE`` appends every row as JSON; ``--summary FILE`` reads them back and
prints, per size, the cheapest configurations reaching ``--target`` recall@10 and the
rule for choosing the index automatically. ``--stats`` prints the cosine statistics
of vector files (synthetic versus real embeddings from ``embed_sample.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before faiss starts OpenMP

import faiss
import numpy as np

from benchmarks._measure import pct, rss_mb, trim

CONFIGS = (
    "flat",
    "hnsw16",
    "hnsw32",
    "hnsw32-sq8",
    "ivf-flat",
    "ivf-sq8",
    "ivf-pq",
)
RERANKED = ("hnsw32-sq8", "ivf-sq8", "ivf-pq")
DEFAULT_CONFIGS = ",".join(CONFIGS)


# -- measuring helpers --------------------------------------------------------------


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = 0
    for row_found, row_truth in zip(found[:, :k], truth[:, :k], strict=True):
        hits += len(set(row_found.tolist()) & set(row_truth.tolist()))
    return hits / (k * len(truth))


# -- results ------------------------------------------------------------------------


@dataclass
class Row:
    n: int
    config: str
    param: str
    k: int
    build_s: float | None = None
    build_note: str = ""
    r10: float | None = None
    rk: float | None = None
    p50_1t: float | None = None
    p95_1t: float | None = None
    p50_mt: float | None = None
    p95_mt: float | None = None
    bytes_per_vec: float | None = None
    rss_mb: float | None = None
    load_s: float | None = None
    add_page_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None, spec: str) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (format(value, spec))
    )


HEADER = (
    f"{'config':<12} {'setting':<12} {'build s':>8} {'R@10':>6} {'R@k':>6} "
    f"{'p50 1t':>7} {'p95 1t':>7} {'p50 mt':>7} {'p95 mt':>7} "
    f"{'B/vec':>6} {'RSS MB':>7} {'load s':>6} {'+page ms':>8}  note"
)


def print_row(row: Row, first: bool) -> None:
    print(
        f"{row.config if first else '':<12} {row.param:<12} "
        f"{_fmt(row.build_s if first else None, '8.1f'):>8} {_fmt(row.r10, '.3f'):>6} "
        f"{_fmt(row.rk, '.3f'):>6} {_fmt(row.p50_1t, '7.2f'):>7} {_fmt(row.p95_1t, '7.2f'):>7} "
        f"{_fmt(row.p50_mt, '7.2f'):>7} {_fmt(row.p95_mt, '7.2f'):>7} "
        f"{_fmt(row.bytes_per_vec if first else None, '6.0f'):>6} "
        f"{_fmt(row.rss_mb if first else None, '7.0f'):>7} "
        f"{_fmt(row.load_s if first else None, '6.2f'):>6} "
        f"{_fmt(row.add_page_ms if first else None, '8.1f'):>8}  "
        f"{row.build_note if first else ''}",
        flush=True,
    )


# -- index construction -------------------------------------------------------------


class Coarse:
    """The IVF coarse quantizer of one run: trained once, assignments shared by configs."""

    def __init__(self, xb: np.ndarray, nlist: int, train_points: int, seed: int) -> None:
        n, dim = xb.shape
        rng = np.random.default_rng(seed)
        self.nlist = nlist
        started = time.perf_counter()
        sample = np.sort(rng.choice(n, size=min(n, train_points), replace=False))
        self.train_x = np.ascontiguousarray(xb[sample])
        clus = faiss.Clustering(dim, nlist)
        clus.niter = 10
        clus.spherical = True
        clus.seed = seed
        clus.max_points_per_centroid = 10**9
        self.quantizer = faiss.IndexFlatIP(dim)
        clus.train(self.train_x, self.quantizer)
        self.train_s = time.perf_counter() - started
        started = time.perf_counter()
        self.assign = np.empty(n, dtype=np.int64)
        for lo in range(0, n, 200_000):
            _, idx = self.quantizer.search(xb[lo : lo + 200_000], 1)
            self.assign[lo : lo + 200_000] = idx[:, 0]
        self.assign_s = time.perf_counter() - started
        sizes = np.bincount(self.assign, minlength=nlist)
        self.note = (
            f"nlist {nlist}, k-means on {len(sample)} pts {self.train_s:.0f}s + "
            f"assign {self.assign_s:.0f}s (shared); lists {sizes.min()}..{sizes.max()}"
        )


def build_flat(xb: np.ndarray) -> tuple[Any, str]:
    index = faiss.IndexFlatIP(xb.shape[1])
    index.add(xb)
    return index, ""


def build_hnsw(
    xb: np.ndarray, m: int, sq8: bool, ef_construction: int, max_build_s: float
) -> tuple[Any, str]:
    dim = xb.shape[1]
    if sq8:
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT)
        index.train(xb[: min(len(xb), 200_000)])
    else:
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    started = time.perf_counter()
    block = max(10_000, min(100_000, len(xb) // 20))
    for lo in range(0, len(xb), block):
        index.add(xb[lo : lo + block])
        elapsed = time.perf_counter() - started
        projected = elapsed * len(xb) / index.ntotal
        if index.ntotal < len(xb) and projected > max_build_s:
            return index, (
                f"STOPPED at {index.ntotal}: {elapsed:.0f}s built, projected >= {projected:.0f}s"
            )
    return index, f"efConstruction {ef_construction}"


def build_ivf(xb: np.ndarray, coarse: Coarse, kind: str, pq_m: int) -> tuple[Any, str]:
    dim = xb.shape[1]
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(coarse.quantizer.reconstruct_n(0, coarse.nlist))
    metric = faiss.METRIC_INNER_PRODUCT
    if kind == "flat":
        index = faiss.IndexIVFFlat(quantizer, dim, coarse.nlist, metric)
    elif kind == "sq8":
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, coarse.nlist, faiss.ScalarQuantizer.QT_8bit, metric
        )
    else:
        index = faiss.IndexIVFPQ(quantizer, dim, coarse.nlist, pq_m, 8, metric)
    # the coarse part is trained already: this trains only SQ8 / PQ (PQ on <= 20k points)
    index.train(coarse.train_x[:20_000] if kind == "pq" else coarse.train_x)
    for lo in range(0, len(xb), 200_000):
        part = np.ascontiguousarray(xb[lo : lo + 200_000])
        assign = np.ascontiguousarray(coarse.assign[lo : lo + 200_000])
        index.add_core(len(part), faiss.swig_ptr(part), None, faiss.swig_ptr(assign))
    return index, coarse.note + (f"; PQ{pq_m}x8" if kind == "pq" else "")


# -- searching ----------------------------------------------------------------------


Searcher = Callable[[np.ndarray, int], np.ndarray]


def make_searcher(index: Any, xb: np.ndarray, rerank: int) -> Searcher:
    """``search(queries, k) -> ids``, optionally reranking ``rerank * k`` exactly."""

    def plain(q: np.ndarray, k: int) -> np.ndarray:
        return index.search(q, k)[1]

    if rerank <= 1:
        return plain

    def reranked(q: np.ndarray, k: int) -> np.ndarray:
        cand = index.search(q, k * rerank)[1]
        out = np.empty((len(q), k), dtype=np.int64)
        for i, (qi, ci) in enumerate(zip(q, cand, strict=True)):
            ci = ci[ci >= 0]
            scores = xb[ci] @ qi
            top = np.argsort(-scores)[:k]
            out[i, : len(top)] = ci[top]
            out[i, len(top) :] = -1
        return out

    return reranked


def latency(
    search: Searcher, queries: np.ndarray, k: int, threads: int, limit: int, cap_s: float
) -> tuple[float, float]:
    faiss.omp_set_num_threads(threads)
    for i in range(min(5, len(queries))):
        search(queries[i : i + 1], k)
    times: list[float] = []
    spent = 0.0
    for i in range(min(limit, len(queries))):
        q = queries[i : i + 1]
        started = time.perf_counter()
        search(q, k)
        took = time.perf_counter() - started
        times.append(took * 1000)
        spent += took
        if spent > cap_s and len(times) >= 20:
            break
    return statistics.median(times), pct(times, 0.95)


def settings(config: str, args: argparse.Namespace) -> list[tuple[str, Callable[[Any], None]]]:
    if config == "flat":
        return [("exact", lambda index: None)]
    if config.startswith("hnsw"):
        out = []
        for ef in args.ef_search:
            if ef < args.k:
                continue  # faiss searches with max(efSearch, k)

            def set_ef(index: Any, ef: int = ef) -> None:
                index.hnsw.efSearch = ef

            out.append((f"ef={ef}", set_ef))
        return out
    out = []
    for nprobe in args.nprobe:

        def set_nprobe(index: Any, nprobe: int = nprobe) -> None:
            index.nprobe = nprobe

        out.append((f"nprobe={nprobe}", set_nprobe))
    return out


# -- one configuration --------------------------------------------------------------


def run_config(
    config: str,
    xb: np.ndarray,
    xq: np.ndarray,
    truth: np.ndarray,
    args: argparse.Namespace,
    coarse_box: list[Coarse],
    tmpdir: Path,
) -> list[Row]:
    n = len(xb)
    if config.startswith("ivf") and not coarse_box:
        coarse_box.append(Coarse(xb, args.nlist, args.train_points, args.seed))
    trim()
    rss0 = rss_mb()
    started = time.perf_counter()
    if config == "flat":
        index, note = build_flat(xb)
    elif config.startswith("hnsw"):
        m = int(config[4:6])
        sq8 = config.endswith("sq8")
        index, note = build_hnsw(xb, m, sq8, args.ef_construction, args.max_build_s)
    else:
        index, note = build_ivf(xb, coarse_box[0], config.split("-")[1], args.pq_m)
    build_s = time.perf_counter() - started
    rss = rss_mb() - rss0
    if config.startswith("ivf"):  # the shared k-means and assignment, charged to each
        build_s += coarse_box[0].train_s + coarse_box[0].assign_s

    rows: list[Row] = []
    complete = index.ntotal == n
    variants = [(config, 1)]
    if config in RERANKED and args.rerank > 1:
        variants.append((f"{config}+rr{args.rerank}", args.rerank))
    for name_v, rerank in variants:
        search = make_searcher(index, xb, rerank)
        for name, apply in settings(config, args):
            row = Row(n=n, config=name_v, param=name, k=args.k, build_s=build_s, build_note=note)
            row.rss_mb = rss
            if complete:
                apply(index)
                measure(row, search, xq, truth, args)
            rows.append(row)
            if not complete:
                break
        del search

    # size on disk, load time, adding one page (to the reloaded index, as an update would)
    path = tmpdir / f"{config}.faiss"
    faiss.write_index(index, str(path))
    size = path.stat().st_size
    stored = index.ntotal  # fewer than n when a build was stopped
    del index
    trim()
    started = time.perf_counter()
    loaded = faiss.read_index(str(path))
    load_s = time.perf_counter() - started
    rng = np.random.default_rng(args.seed + 1)
    page = (
        xb[rng.choice(n, size=args.page, replace=False)]
        + rng.standard_normal((args.page, xb.shape[1]), dtype=np.float32) * 0.05
    )
    page /= np.linalg.norm(page, axis=1, keepdims=True)
    started = time.perf_counter()
    loaded.add(np.ascontiguousarray(page, dtype=np.float32))
    add_ms = (time.perf_counter() - started) * 1000
    del loaded
    path.unlink()
    trim()
    for row in rows:
        row.bytes_per_vec = size / stored
        row.load_s = load_s
        row.add_page_ms = add_ms
        row.extra = {
            "disk_mb": size / 2**20,
            "complete": complete,
            "vectors": args.vectors,
            "queries": args.queries_file or "",
        }
    return rows


def measure(
    row: Row, search: Searcher, xq: np.ndarray, truth: np.ndarray, args: argparse.Namespace
) -> None:
    found = search_all(search, xq, args.k)
    row.r10 = recall(found, truth, 10)
    row.rk = recall(found, truth, args.k)
    lat_q = xq[: args.latency_queries]
    cap = args.latency_cap_s
    row.p50_1t, row.p95_1t = latency(search, lat_q, args.k, 1, args.latency_queries, cap)
    row.p50_mt, row.p95_mt = latency(search, lat_q, args.k, args.threads, args.latency_queries, cap)
    faiss.omp_set_num_threads(args.threads)


def search_all(search: Searcher, xq: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([search(xq[lo : lo + 100], k) for lo in range(0, len(xq), 100)])


# -- summary ------------------------------------------------------------------------


def summary(path: str, target: float, budget_ms: float) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    latest: dict[tuple[int, str, str], dict[str, Any]] = {}
    for r in rows:
        latest[(r["n"], r["config"], r["param"])] = r  # a later run replaces an earlier one
    winners(list(latest.values()), target, budget_ms)


def winners(rows: list[dict[str, Any]], target: float, budget_ms: float) -> None:
    """Per size: each configuration's fastest setting reaching ``target``, and the pick.

    The pick is exact search while its p50 (1 thread) is within ``budget_ms``: it needs
    no training or parameters, is exact, and takes additions and deletions trivially.
    Past that, the least memory per vector among configurations within the budget.
    """
    print(f"configurations reaching R@10 >= {target} (each at its fastest such setting)")
    picks: dict[int, dict[str, Any]] = {}
    for n in sorted({r["n"] for r in rows}):
        ok = [r for r in rows if r["n"] == n and (r["r10"] or 0) >= target]
        print(f"N = {n:,}")
        if not ok:
            print("  none")
            continue
        best: dict[str, dict[str, Any]] = {}
        for r in ok:
            cur = best.get(r["config"])
            if cur is None or r["p50_1t"] < cur["p50_1t"]:
                best[r["config"]] = r
        fast = [r for r in best.values() if r["p50_1t"] <= budget_ms]
        smallest = min(fast or list(best.values()), key=lambda r: (r["bytes_per_vec"], r["p50_1t"]))
        flat = best.get("flat")
        pick = flat if flat is not None and flat["p50_1t"] <= budget_ms else smallest
        picks[n] = pick
        for r in sorted(best.values(), key=lambda r: r["bytes_per_vec"]):
            mark = ("  <- pick" if r is pick else "") + (
                "  (least memory)" if r is smallest and r is not pick else ""
            )
            print(
                f"  {r['config']:<15} {r['param']:<11} R@10 {r['r10']:.3f}  "
                f"p50 {r['p50_1t']:6.2f} ms  p95 {r['p95_1t']:6.2f} ms  "
                f"{r['bytes_per_vec']:6.0f} B/vec  build {r['build_s']:5.0f} s  "
                f"load {r['load_s']:4.1f} s{mark}"
            )
    print(
        f"pick = exact (flat) while its p50 <= {budget_ms:g} ms with 1 thread, else the least"
        " memory per vector within that budget; +rr rows also read the float32 vectors"
    )
    if len(picks) > 1:
        print("automatic choice by size:")
        for n, r in picks.items():
            print(f"  N ~ {n:>9,}: {r['config']} {r['param']} ({r['bytes_per_vec']:.0f} B/vec)")


# -- statistics of a vector set -----------------------------------------------------


def stats(files: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(
        f"{'file':<28} {'N':>8} {'mean cos':>8} {'nn1 cos':>8} {'nn10 cos':>8} "
        f"{'q->src':>7} {'q top1':>7} {'src rank':>8} {'eff dim':>7} {'top10 var':>9} {'LID':>5}"
    )
    for name in files:
        xb = np.load(name, mmap_mode="r")
        n = len(xb)
        pick = rng.choice(n, size=min(n, 1000), replace=False)
        sample = np.asarray(xb[pick], dtype=np.float32)
        other = np.asarray(xb[rng.choice(n, size=min(n, 1000), replace=False)], np.float32)
        mean_cos = float((sample * other).sum(1).mean())
        sims, _ = faiss.knn(sample, np.ascontiguousarray(xb), 21, faiss.METRIC_INNER_PRODUCT)
        nn1, nn10 = float(np.median(sims[:, 1])), float(np.median(sims[:, 10]))
        # local intrinsic dimensionality: maximum-likelihood estimate from 20 neighbours
        dist = np.sqrt(np.maximum(2 - 2 * sims[:, 1:], 1e-12))
        lid = float(np.median(-1 / np.mean(np.log(dist / dist[:, -1:]), axis=1)))
        centred = sample - sample.mean(0)
        ev = np.linalg.svd(centred, compute_uv=False) ** 2
        eff = float(ev.sum() ** 2 / (ev**2).sum())
        top10 = float(ev[:10].sum() / ev.sum())
        stem = name[: -len(".npy")]
        q2src = qtop = rank = float("nan")
        if os.path.exists(stem + ".queries.npy"):
            xq = np.load(stem + ".queries.npy")
            src = np.load(stem + ".queries_src.npy")
            scores, ids = faiss.knn(xq, np.ascontiguousarray(xb), 50, faiss.METRIC_INNER_PRODUCT)
            q2src = float(np.median((xq * np.asarray(xb[src])).sum(1)))
            qtop = float(np.median(scores[:, 0]))
            ranks = [
                int(np.where(r == s)[0][0]) if s in r else 50 for r, s in zip(ids, src, strict=True)
            ]
            rank = float(np.median(ranks))
        print(
            f"{Path(name).name:<28} {n:>8} {mean_cos:8.3f} {nn1:8.3f} {nn10:8.3f} "
            f"{q2src:7.3f} {qtop:7.3f} {rank:8.0f} {eff:7.1f} {top10:9.2f} {lid:5.1f}"
        )


# -- main ---------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", help=".npy from gen_corpus.py --vectors-only")
    parser.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help="comma list of: " + ", ".join(CONFIGS)
    )
    parser.add_argument("--k", type=int, default=50, help="hits asked of FAISS (newsqa: 50)")
    parser.add_argument("--queries", type=int, default=500, help="queries for recall")
    parser.add_argument("--queries-file", help="query vectors (default: VECTORS.queries.npy)")
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--latency-cap-s", type=float, default=15.0)
    parser.add_argument("--ef-search", type=_ints, default=_ints("50,64,96,128,192,256"))
    parser.add_argument("--ef-construction", type=int, default=80, help="newsqa uses 80")
    parser.add_argument("--nprobe", type=_ints, default=_ints("4,8,16,32,64,128"))
    parser.add_argument("--nlist", type=int, default=0, help="0: 4*sqrt(N)")
    parser.add_argument("--train-points", type=int, default=0, help="0: 40*nlist")
    parser.add_argument("--pq-m", type=int, default=48, help="PQ sub-quantizers (bytes/vector)")
    parser.add_argument("--rerank", type=int, default=4, help="+rr rows: rerank N x k hits")
    parser.add_argument("--page", type=int, default=30, help="vectors in one added page")
    parser.add_argument("--max-build-s", type=float, default=420.0)
    parser.add_argument("--threads", type=int, default=faiss.omp_get_max_threads())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", help="append every row as JSON to this file")
    parser.add_argument("--summary", help="print the per-size winners from a results file")
    parser.add_argument("--target", type=float, default=0.98, help="recall@10 target")
    parser.add_argument("--budget-ms", type=float, default=20.0, help="p50 latency budget")
    parser.add_argument("--stats", nargs="+", help="cosine statistics of vector files")
    parser.add_argument("--tmp", default=None, help="folder for index files (default: temp)")
    args = parser.parse_args()

    if args.summary:
        summary(args.summary, args.target, args.budget_ms)
        return 0
    if args.stats:
        stats(args.stats, args.seed)
        return 0
    if not args.vectors:
        parser.error("--vectors, --summary or --stats is required")
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")

    started = time.perf_counter()
    xb = np.load(args.vectors)
    xb = np.ascontiguousarray(xb, dtype=np.float32)
    stem = args.vectors[: -len(".npy")]
    qfile = args.queries_file or stem + ".queries.npy"
    xq = np.ascontiguousarray(np.load(qfile)[: args.queries], dtype=np.float32)
    n, dim = xb.shape
    args.nlist = args.nlist or int(4 * math.sqrt(n))
    args.train_points = args.train_points or 40 * args.nlist
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    faiss.omp_set_num_threads(args.threads)
    _, truth = faiss.knn(xq, xb, args.k, faiss.METRIC_INNER_PRODUCT)
    truth_s = time.perf_counter() - started
    print(
        f"N={n:,} dim={dim} queries={len(xq)} k={args.k} threads={args.threads} "
        f"faiss {faiss.__version__} loadavg {os.getloadavg()[0]:.1f}; vectors loaded in "
        f"{load_s:.1f} s, exact top-{args.k} of {len(xq)} queries in {truth_s:.1f} s "
        f"({truth_s / len(xq) * 1000:.1f} ms/query batched)"
    )
    print("latency in ms, one query at a time; 1t = 1 thread, mt = default threads")
    print(HEADER)
    coarse_box: list[Coarse] = []
    all_rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for config in configs:
            rows = run_config(config, xb, xq, truth, args, coarse_box, Path(tmp))
            all_rows.extend(rows)
            for i, row in enumerate(rows):
                print_row(row, i == 0 or rows[i - 1].config != row.config)
            if args.results:
                with open(args.results, "a", encoding="utf-8") as fh:
                    for row in rows:
                        fh.write(json.dumps(asdict(row)) + "\n")
    print()
    winners([asdict(r) for r in all_rows], args.target, args.budget_ms)
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
