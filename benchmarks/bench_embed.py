"""Embedding throughput (chunks/s) and question latency per model backend.

Embeds a sample of real chunks (CMRC 2018 dev passages by default, ingested and
chunked as ``newsqa index build`` does: normalised title + paragraph, passage
prefix) with each backend, round-robin over ``--runs`` rounds so that a busy
machine slows every backend alike, and reports the median chunks/s; then embeds
``--queries`` questions one at a time on ``query_threads`` threads (as the bot
does) and reports the median and p95 latency. Every figure is printed with the
command that produced it::

    .venv/bin/python -m benchmarks.bench_embed --backends torch,onnx,onnx-int8,openvino

A backend whose extra is not installed is reported and skipped. ``--batch-tokens 0``
measures fixed-size batches (no token budget); ``--check`` also reports how far each
backend's vectors are from torch's (max abs difference, mean cosine).
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

from benchmarks._measure import pct
from newsqa.index import (
    Embedder,
    IndexConfig,
    ModelConfig,
    NewsqaError,
    chunk_articles,
    inspect_corpus,
    passage_text,
)

ROOT = Path(__file__).resolve().parents[1]

logger = logging.getLogger("bench_embed")

SHARED = ROOT.parent / "shared" / "eval"


def _sample(path: str, count: int) -> list[str]:
    chunks = chunk_articles(inspect_corpus([path]).articles, IndexConfig().max_chunk_chars)
    step = max(1, len(chunks) // count)
    return [passage_text(c) for c in chunks[::step][:count]]


def _questions(path: str, count: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out.append(str(row.get("question") or row.get("query") or row.get("text")))
            if len(out) >= count:
                break
    return out


def _config(spec: str, args: argparse.Namespace) -> ModelConfig:
    backend, _, quantize = spec.partition("-")
    return ModelConfig(
        backend=cast(Any, backend),  # checked by ModelConfig itself
        quantize=cast(Any, quantize),
        device=args.device,
        batch_size=args.batch_size,
        batch_tokens=args.batch_tokens,
        threads=args.threads,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default="torch,onnx,onnx-int8,openvino")
    parser.add_argument("--passages", default=str(SHARED / "cmrc2018_dev.passages.jsonl"))
    parser.add_argument("--queries-file", default=str(SHARED / "cmrc2018_dev.queries.jsonl"))
    parser.add_argument("--chunks", type=int, default=1000, help="chunks in the sample")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median reported)")
    parser.add_argument("--queries", type=int, default=200, help="questions timed, one by one")
    parser.add_argument("--batch-size", type=int, default=ModelConfig().batch_size)
    parser.add_argument("--batch-tokens", type=int, default=ModelConfig().batch_tokens)
    parser.add_argument("--threads", type=int, default=0, help="build threads (0: all cores)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--check", action="store_true", help="compare vectors with torch's")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = "  $ .venv/bin/python -m benchmarks.bench_embed " + shlex.join(sys.argv[1:])

    texts = _sample(args.passages, args.chunks)
    questions = _questions(args.queries_file, args.queries)
    print(f"{len(texts)} chunks from {args.passages}; {len(questions)} questions")

    embedders: dict[str, Embedder] = {}
    for spec in args.backends.split(","):
        try:
            emb = Embedder(_config(spec, args))
            started = time.perf_counter()
            emb.encode_passages(texts[:4])  # load (and export once) before timing
            print(f"{spec}: ready in {time.perf_counter() - started:.1f}s on {emb.device}")
            embedders[spec] = emb
        except NewsqaError as exc:
            print(f"{spec}: skipped: {exc}")

    rates: dict[str, list[float]] = {spec: [] for spec in embedders}
    vectors: dict[str, np.ndarray] = {}
    for run in range(args.runs):
        for spec, emb in embedders.items():
            started = time.perf_counter()
            vectors[spec] = emb.encode_passages(texts)
            rates[spec].append(len(texts) / (time.perf_counter() - started))
            print(f"  run {run + 1} {spec}: {rates[spec][-1]:.2f} chunks/s", flush=True)

    latencies: dict[str, list[float]] = {}
    for spec, emb in embedders.items():
        emb.use_query_threads()
        emb.encode_query("预热")
        times = []
        for q in questions:
            started = time.perf_counter()
            emb.encode_query(q)
            times.append((time.perf_counter() - started) * 1000)
        latencies[spec] = times

    print(f"\nbuild throughput, median of {args.runs} runs over {len(texts)} chunks:")
    for spec, values in rates.items():
        print(f"  {spec:<10} {statistics.median(values):6.2f} chunks/s")
    print(f"question embedding, {len(questions)} questions one at a time:")
    for spec, times in latencies.items():
        print(f"  {spec:<10} p50 {pct(times, 0.5):6.1f} ms   p95 {pct(times, 0.95):6.1f} ms")
    if args.check and "torch" in vectors:
        print("vectors against torch's (max abs difference, mean cosine):")
        for spec, vecs in vectors.items():
            diff = float(np.abs(vecs - vectors["torch"]).max())
            cos = float((vecs * vectors["torch"]).sum(axis=1).mean())
            print(f"  {spec:<10} {diff:.2g}  {cos:.5f}")
    print(command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
