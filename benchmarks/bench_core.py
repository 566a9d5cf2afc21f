"""Benchmark: index build throughput and single-query latency on CMRC 2018 dev.

Not a test: it prints figures. Single process; run it on an otherwise idle machine::

    .venv/bin/python -m benchmarks.bench_core [--passages P.jsonl] [--queries Q.jsonl]

Model loading is timed separately from building. Build throughput is chunks per
second of a full build (ingest, chunk, embed, BM25, FAISS, write). Latency is the
median and 95th percentile of one question at a time after a warm-up, covering
normalisation, query embedding, both searches, fusion and answer assembly.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._measure import ask_latencies
from newsqa.index import Config, Embedder, build_index
from newsqa.retrieval import Retriever

ROOT = Path(__file__).resolve().parents[1]

EVAL = ROOT.parent / "shared" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", default=str(EVAL / "cmrc2018_dev.passages.jsonl"))
    parser.add_argument("--queries", default=str(EVAL / "cmrc2018_dev.queries.jsonl"))
    parser.add_argument("--limit", type=int, default=1000, help="questions timed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    cfg = Config()
    t0 = time.perf_counter()
    embedder = Embedder(cfg.model)
    embedder.encode_query("预热")
    load_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.with_section("index", dir=str(Path(tmp) / "index"))
        cfg = cfg.with_section("corpus", paths=(args.passages,))
        report = build_index(cfg, embedder=embedder)
        retriever = Retriever.open(cfg, embedder=embedder)
        questions = [
            json.loads(line)["question"]
            for line in Path(args.queries).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ][: args.limit]
        latencies = ask_latencies(retriever, questions, warmup=20)

    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"model load:            {load_s:.1f} s")
    print(
        f"build:                 {report.chunks} chunks from {report.articles} passages "
        f"in {report.seconds:.1f} s = {report.chunks / report.seconds:.1f} chunks/s"
    )
    print(
        f"query latency (n={len(latencies)}): p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {p95:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
