"""Retrieval quality of the local (FAISS + BM25) and Milvus backends, side by side.

Builds the same corpus into both backends, in temporary folders (Milvus: a
milvus-lite file, or ``--milvus-uri`` for a server), and evaluates both with
:func:`newsqa.retrieval.evaluate` on CMRC 2018 dev (passage style) and ``seed_dev.jsonl``
over the newspaper page (page style). Passages are embedded once: the second
backend's build reads the vectors the first one computed (a caching embedder).

    python -m benchmarks.compare_backends                 # both datasets, default model
    python -m benchmarks.compare_backends --only seed     # the quick one
    python -m benchmarks.compare_backends --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsqa.index import Config, Embedder, build_index
from newsqa.retrieval import Retriever, evaluate

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared"
DATASETS = {
    "cmrc": (
        SHARED / "eval" / "cmrc2018_dev.queries.jsonl",
        [SHARED / "eval" / "cmrc2018_dev.passages.jsonl"],
    ),
    "seed": (SHARED / "eval" / "seed_dev.jsonl", [SHARED / "corpus"]),
}
BACKENDS = ("local", "milvus")
_PLAIN = {
    "in_corpus",
    "out_of_corpus",
    "queries",
    "chunks",
    "embedded_now",
    "build_s",
    "eval_s",
    "latency_ms_p50",
    "latency_ms_p95",
}
"""Shown as they are: counts, seconds, milliseconds (not quality figures)."""


class CachingEmbedder:
    """The real embedder, remembering each passage vector by its text."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._cache: dict[str, np.ndarray] = {}
        self.computed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def dim(self) -> int:
        return self._inner.dim

    def identity(self) -> dict[str, object]:
        return self._inner.identity()

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            fresh = self._inner.encode_passages(todo, show_progress=show_progress)
            self._cache.update(zip(todo, fresh, strict=True))
            self.computed += len(todo)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._inner.encode_query(text)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.encode_queries(texts)

    def use_query_threads(self) -> None:
        self._inner.use_query_threads()


def run(
    name: str, embedder: CachingEmbedder, base: Config, milvus_uri: str
) -> dict[str, dict[str, Any]]:
    queries, corpus = DATASETS[name]
    out: dict[str, dict[str, Any]] = {}
    for backend in BACKENDS:
        with tempfile.TemporaryDirectory(prefix=f"nq-{backend}-") as tmp:
            cfg = base.with_section("index", dir=str(Path(tmp) / "index"), backend=backend)
            cfg = cfg.with_section("corpus", paths=tuple(str(p) for p in corpus))
            if backend == "milvus" and milvus_uri:
                cfg = cfg.with_section("milvus", uri=milvus_uri, collection=f"newsqa_cmp_{name}")
            before = embedder.computed
            report = build_index(cfg, full=True, embedder=embedder)
            with Retriever.open(cfg, embedder=embedder) as retriever:
                started = time.perf_counter()
                result = evaluate(cfg, queries, retriever=retriever)
            out[backend] = {
                **result.metrics,
                "queries": result.queries,
                "chunks": report.chunks,
                "embedded_now": embedder.computed - before,
                "build_s": round(report.seconds, 1),
                "eval_s": round(time.perf_counter() - started, 1),
                "latency_ms_p50": round(result.latency_ms_p50, 1),
                "latency_ms_p95": round(result.latency_ms_p95, 1),
            }
    return out


def show(name: str, result: dict[str, dict[str, Any]]) -> None:
    local, milvus = result["local"], result["milvus"]
    print(f"\n{name}: {local['queries']} queries, {local['chunks']} chunks")
    print(f"  {'':<24} {'local':>10} {'milvus':>10} {'milvus-local':>13}")
    for key, value in local.items():
        other = milvus[key]
        if key not in _PLAIN:
            diff = other - value
            print(f"  {key:<24} {value:>10.4f} {other:>10.4f} {diff:>+13.4f}")
        else:
            print(f"  {key:<24} {value!s:>10} {other!s:>10}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DATASETS), action="append")
    parser.add_argument("--milvus-uri", default="", help="a Milvus server instead of milvus-lite")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    base = Config()
    embedder = CachingEmbedder(Embedder(base.model))
    results = {}
    for name in args.only or ["seed", "cmrc"]:
        results[name] = run(name, embedder, base, args.milvus_uri)
        show(name, results[name])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
