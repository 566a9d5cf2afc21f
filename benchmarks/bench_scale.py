"""Benchmark: the whole local index at archive scale (10k ... 2M chunks) on this machine.

For each size N it builds a real newsqa index of N generated chunks (``gen_corpus.py``
text, split into daily files of about 700 chunks, like a newspaper archive) and prints:

- index build: seconds and chunks/s of everything but embedding (ingestion, jieba,
  BM25 postings, SQLite, FAISS), and the build's peak resident memory;
- on-disk size, and bytes per chunk;
- serving: resident memory after opening the index and the model, and after the
  questions (RSS, and its anonymous part: memory-mapped index files are page cache
  the kernel can drop, anonymous memory is not), and the index's own anonymous
  memory per chunk (the growth over the smallest size, so the model does not count);
- query latency p50 / p95 of ``Retriever.ask`` over ``--questions`` generated questions,
  including the question's embedding with the real model (one torch thread);
- dense recall@10 of the served vector search against exact search, on the synthetic
  queries of the vector file;
- adding one page (``--page``, 60 chunks) to the index: the build's own seconds with
  the real model (embedding included), and the command's wall time with model loading.

Embedding N chunks with the real model would take a day at 1M on two cores, so the
build uses synthetic vectors shaped like multilingual-e5-small's (``gen_corpus.py
--vectors-only``; the index records the real model, so questions and added pages use
it). Embedding throughput is measured separately by ``bench_embed.py``.

Each stage runs in its own process so memory figures do not mix::

    .venv/bin/python -m benchmarks.gen_corpus --vectors-only --chunks 2000000 --out /tmp/nb/v2m.npy
    .venv/bin/python -m benchmarks.gen_corpus --chunks 2000000 --out /tmp/nb/c2m.jsonl \\
        --questions /tmp/nb/c2m.questions.jsonl
    .venv/bin/python -m benchmarks.gen_corpus --chunks 60 --seed 99 --out /tmp/nb/page.jsonl
    .venv/bin/python -m benchmarks.bench_scale --sizes 10000 100000 1000000 2000000 \\
        --text /tmp/nb/c2m.jsonl --questions /tmp/nb/c2m.questions.jsonl \\
        --vectors /tmp/nb/v2m.npy --page /tmp/nb/page.jsonl --work /tmp/nb/scale

The first N lines' worth of chunks of ``--text`` make the corpus of size N.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import ask_latencies, pct, status_mb

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the stages run there as ``python -m benchmarks.bench_scale``."""

CHUNKS_PER_FILE = 700


def _config(work: Path, corpus: Path) -> Any:
    from newsqa.index import load_config

    cfg = load_config()  # NEWSQA_MODEL_BACKEND=onnx etc. apply
    cfg = cfg.with_section("corpus", paths=(str(corpus),))
    return cfg.with_section("index", dir=str(work / "index"))


# -- stages (each in its own process) ----------------------------------------------


class _SyntheticEmbedder:
    """The real model's identity and questions; passages get precomputed vectors."""

    def __init__(self, config: Any, vectors: Path) -> None:
        import numpy as np

        from newsqa.index import Embedder

        self._real = Embedder(config.model)
        self._vectors = np.load(vectors, mmap_mode="r")
        self._next = 0
        self.dim = self._real.dim
        self.config = self._real.config

    def identity(self) -> dict[str, object]:
        return self._real.identity()

    def encode_passages(self, texts: Any, *, show_progress: bool = False) -> Any:
        import numpy as np

        out = np.asarray(self._vectors[self._next : self._next + len(texts)], dtype=np.float32)
        self._next += len(texts)
        return out

    def encode_query(self, text: str) -> Any:
        return self._real.encode_query(text)


def stage_build(args: argparse.Namespace) -> dict[str, Any]:
    from newsqa.index import build_index

    work = Path(args.work)
    cfg = _config(work, work / "corpus")
    embedder = _SyntheticEmbedder(cfg, Path(args.vectors))
    started = time.perf_counter()
    report = build_index(cfg, embedder=embedder)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    return {
        "chunks": report.chunks,
        "build_s": seconds,
        "build_chunks_per_s": report.chunks / seconds,
        "build_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def stage_serve(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from newsqa.retrieval import Retriever

    work = Path(args.work)
    cfg = _config(work, work / "corpus")
    questions = [
        json.loads(line)["question"]
        for line in Path(args.questions).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    retriever = Retriever.open(cfg)
    opened = {"rss_open_mb": status_mb("VmRSS"), "anon_open_mb": status_mb("RssAnon")}
    times = ask_latencies(retriever, questions, warmup=10)
    served = {"rss_served_mb": status_mb("VmRSS"), "anon_served_mb": status_mb("RssAnon")}

    # dense recall@10 against exact search, synthetic queries of the vector file
    index = retriever.index
    vectors = np.load(args.vectors, mmap_mode="r")
    queries = np.load(str(args.vectors).replace(".npy", ".queries.npy"))[: args.recall_queries]
    n = index.size
    exact = np.full((len(queries), 10), -1, dtype=np.int64)
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    step = 200_000
    for start in range(0, n, step):
        block = np.asarray(vectors[start : min(n, start + step)], dtype=np.float32)
        scores = queries @ block.T
        both = np.concatenate([best, scores], axis=1)
        ids = np.concatenate(
            [exact, np.arange(start, start + len(block))[None, :].repeat(len(queries), 0)], axis=1
        )
        top = np.argsort(-both, axis=1)[:, :10]
        best = np.take_along_axis(both, top, axis=1)
        exact = np.take_along_axis(ids, top, axis=1)
    recall = [
        len(set(index.dense_search(q, 10)[0].tolist()) & set(e.tolist())) / 10
        for q, e in zip(queries, exact, strict=True)
    ]
    info = retriever.info
    retriever.close()
    return {
        **opened,
        **served,
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "questions": len(times),
        "recall_at_10": float(np.mean(recall)),
        "vector_index": info.vector_index,
    }


def stage_add(args: argparse.Namespace) -> dict[str, Any]:
    from newsqa.index import Embedder, build_index

    work = Path(args.work)
    cfg = _config(work, work / "corpus")
    started = time.perf_counter()
    embedder = Embedder(cfg.model)
    embedder.identity()  # loads the model
    load_s = time.perf_counter() - started
    report = build_index(cfg, embedder=embedder)
    return {
        "add_model_load_s": load_s,
        "add_build_s": report.seconds,
        "add_embedded": report.embedded,
        "add_files_read": report.files_read,
        "add_segments": report.segments,
    }


# -- driver ------------------------------------------------------------------------


def _write_corpus(text: Path, n: int, folder: Path) -> int:
    """The first ``n`` chunks of ``text`` as daily files of about 700 chunks."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    done = 0
    day: list[str] = []
    in_day = 0
    files = 0

    def flush() -> None:
        nonlocal day, in_day, files
        if day:
            date = json.loads(day[0])["date"]
            (folder / f"{date}-{files:05d}.jsonl").write_text("".join(day), encoding="utf-8")
            files += 1
        day, in_day = [], 0

    with text.open(encoding="utf-8") as fh:
        for line in fh:
            article = json.loads(line)
            paragraphs = article["text"].split("\n")[: n - done]
            article["text"] = "\n".join(paragraphs)
            day.append(json.dumps(article, ensure_ascii=False) + "\n")
            in_day += len(paragraphs)
            done += len(paragraphs)
            if in_day >= CHUNKS_PER_FILE:
                flush()
            if done >= n:
                break
    flush()
    return files


def _run_stage(stage: str, args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], float]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_scale",
        "--stage",
        stage,
        "--work",
        str(work),
        "--vectors",
        args.vectors,
        "--questions",
        args.questions,
        "--recall-queries",
        str(args.recall_queries),
    ]
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--text", default="/tmp/nb/c2m.jsonl")
    parser.add_argument("--questions", default="/tmp/nb/c2m.questions.jsonl")
    parser.add_argument("--vectors", default="/tmp/nb/v2m.npy")
    parser.add_argument("--page", default="/tmp/nb/page.jsonl")
    parser.add_argument("--work", default="/tmp/nb/scale")
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep each size's index")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a kept index (serving figures only)"
    )
    parser.add_argument("--build-only", action="store_true", help="build and keep, no serving")
    parser.add_argument("--stage", choices=["build", "serve", "add"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage:
        import logging

        logging.basicConfig(level=logging.WARNING)
        stage = {"build": stage_build, "serve": stage_serve, "add": stage_add}[args.stage]
        print(json.dumps(stage(args)))
        return 0

    rows = []
    for n in args.sizes:
        work = Path(args.work) / f"n{n}"
        saved = work / "build.json"
        if args.reuse and saved.is_file():  # measure serving again on a quieter machine
            row: dict[str, Any] = json.loads(saved.read_text())
            (work / "corpus" / "zz-new-page.jsonl").unlink(missing_ok=True)
            _run_stage("add", args, work)  # back to the built corpus
        else:
            if work.exists():
                shutil.rmtree(work)
            files = _write_corpus(Path(args.text), n, work / "corpus")
            print(f"N={n}: {files} files; building ...", file=sys.stderr, flush=True)
            row = {"n": n, "files": files}
            built, _ = _run_stage("build", args, work)
            row.update(built)
            row["disk_mb"] = _du(work / "index") / 2**20
            saved.write_text(json.dumps(row))
        if args.build_only:
            print(json.dumps(row), flush=True)
            continue
        print(f"N={n}: serving ...", file=sys.stderr, flush=True)
        served, _ = _run_stage("serve", args, work)
        row.update(served)
        shutil.copy(args.page, work / "corpus" / "zz-new-page.jsonl")
        print(f"N={n}: adding a page ...", file=sys.stderr, flush=True)
        added, wall = _run_stage("add", args, work)
        row.update(added)
        row["add_wall_s"] = wall
        rows.append(row)
        print(json.dumps(row), flush=True)
        if not (args.keep or args.reuse):
            shutil.rmtree(work)

    if args.build_only:
        return 0
    print()
    print(
        "| chunks | build (no embedding) | build peak RSS | on disk | serving RSS / anon"
        " | index anon per chunk | query p50 / p95 | dense recall@10"
        " | add one page: update / model load / command |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    base = rows[0] if len(rows) > 1 else None  # the index's own memory: growth over the smallest
    for r in rows:
        grown = "-"
        if base is not None and r is not base:
            per_chunk = (
                (r["anon_served_mb"] - base["anon_served_mb"]) * 2**20 / (r["n"] - base["n"])
            )
            grown = f"{per_chunk:,.0f} B"
        print(
            f"| {r['n']:,} | {r['build_s']:.0f} s ({r['build_chunks_per_s']:,.0f}/s) "
            f"| {r['build_peak_mb'] / 1024:.2f} GiB | {r['disk_mb'] / 1024:.2f} GiB "
            f"({r['disk_mb'] * 2**20 / r['n']:,.0f} B/chunk) "
            f"| {r['rss_served_mb'] / 1024:.2f} / {r['anon_served_mb'] / 1024:.2f} GiB "
            f"| {grown} "
            f"| {r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms | {r['recall_at_10']:.3f} "
            f"({r['vector_index']}) | {r['add_build_s']:.1f} s / {r['add_model_load_s']:.1f} s "
            f"/ {r['add_wall_s']:.1f} s |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
