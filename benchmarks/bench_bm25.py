"""Benchmark: newsqa's lexical side (jieba tokens, bm25s BM25) at archive scale, on CPU.

Not a test: it prints figures. Uses chunks from ``gen_corpus.py`` and the project's own
code: ingestion and chunking (``newsqa.index.inspect_corpus`` and ``chunk_articles``),
``passage_text`` (normalised title and paragraph), ``newsqa.index.tokenize`` and the
local backend's BM25 internals ``Postings``/``Bm25`` (build, save, load, scores;
imported from ``newsqa.index._backends.local._bm25``: this is a micro-benchmark of
them)::

    .venv/bin/python -m benchmarks.bench_bm25 --corpus /tmp/nb/c10k.jsonl \\
        --questions /tmp/nb/c10k.questions.jsonl
    .venv/bin/python -m benchmarks.bench_bm25 --corpus /tmp/nb/c100k.jsonl \\
        --questions /tmp/nb/c100k.questions.jsonl
    # 1M: tokenising takes longer than one run should; split it in two runs
    .venv/bin/python -m benchmarks.bench_bm25 --corpus /tmp/nb/c1m.jsonl \\
        --tokens-cache /tmp/nb/c1m.tokens.npz --tokenize-only --workers 2
    .venv/bin/python -m benchmarks.bench_bm25 --corpus /tmp/nb/c1m.jsonl \\
        --tokens-cache /tmp/nb/c1m.tokens.npz --questions /tmp/nb/c1m.questions.jsonl

Stages are timed separately: ingest + chunk, normalise (``passage_text``: NFKC and
OpenCC), tokenise (jieba search mode: the bottleneck; ``--workers`` > 1 splits it over
processes, which newsqa does not do today), BM25 index build, save (size on disk),
load. Resident memory is read after each stage (and around the load: what a serving
process holds): the build keeps every chunk's tokens as
Python strings, as ``newsqa.index._backends.local._build`` does. Queries are ``--questions`` from
``gen_corpus.py`` (or made from random chunks when absent); each is timed as
``newsqa.retrieval._retriever`` does it: ``tokenize(question)``, ``Bm25.scores`` over all
rows, top-50 by ``argpartition``, plus ``idf``. ``R@50`` is the share of questions whose
source paragraph is among those 50 (a sanity check of the generated text, not a
quality figure).

``--tokens-cache FILE`` stores the tokens (vocabulary + int32 ids) after tokenising, or
loads them instead of tokenising when the file exists; strings rebuilt from the cache
share one object per distinct token, so memory after a cached load is lower than after
tokenising.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks._measure import pct, rss_mb, trim
from newsqa.index import chunk_articles, inspect_corpus, passage_text, tokenize
from newsqa.index._backends.local._bm25 import Bm25, Postings

DEPTH = 50  # retrieval.candidates: BM25 hits kept for fusion


def _tokenize_many(texts: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(tokenize(t, normalized=True)) for t in texts]


def tokenize_all(texts: list[str], workers: int) -> list[tuple[str, ...]]:
    if workers <= 1:
        return _tokenize_many(texts)
    step = 20_000
    parts = [texts[i : i + step] for i in range(0, len(texts), step)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        out: list[tuple[str, ...]] = []
        for part in pool.imap(_tokenize_many, parts):
            out.extend(part)
    return out


def save_tokens(path: Path, docs: list[tuple[str, ...]]) -> None:
    vocab: dict[str, int] = {}
    ids = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for d in docs for t in d),
        dtype=np.int32,
        count=sum(len(d) for d in docs),
    )
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    words = np.array(json.dumps(list(vocab), ensure_ascii=False))
    np.savez(path, ids=ids, offsets=offsets, vocab=words)


def load_tokens(path: Path) -> list[tuple[str, ...]]:
    data = np.load(path)
    vocab = json.loads(str(data["vocab"]))
    words = [vocab[i] for i in data["ids"].tolist()]
    offsets = data["offsets"].tolist()
    return [tuple(words[a:b]) for a, b in itertools.pairwise(offsets)]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="JSONL from gen_corpus.py")
    parser.add_argument("--questions", help="questions JSONL from gen_corpus.py --questions")
    parser.add_argument("--n-questions", type=int, default=200)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N chunks")
    parser.add_argument("--workers", type=int, default=1, help="tokenising processes")
    parser.add_argument("--tokens-cache", help="npz of the tokens: written, or read if present")
    parser.add_argument("--tokenize-only", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rss0 = rss_mb()
    stages: list[tuple[str, float, str]] = []

    started = time.perf_counter()
    articles = inspect_corpus([args.corpus]).articles
    chunks = chunk_articles(articles, 300)
    if args.limit:
        chunks = chunks[: args.limit]
    stages.append(("ingest + chunk", time.perf_counter() - started, f"{len(chunks):,} chunks"))
    n = len(chunks)
    rss_chunks = rss_mb()
    tokenize("预热")  # jieba loads its dictionary once (~100 MB): not counted as tokens
    rss_jieba = rss_mb()

    cache = Path(args.tokens_cache) if args.tokens_cache else None
    n_chars = 0
    if cache is not None and cache.exists():
        started = time.perf_counter()
        docs = load_tokens(cache)[:n]
        stages.append(("tokens from cache", time.perf_counter() - started, str(cache)))
    else:
        started = time.perf_counter()
        texts = [passage_text(c) for c in chunks]
        took = time.perf_counter() - started
        n_chars = sum(len(t) for t in texts)
        stages.append(("normalise", took, f"{n_chars / took / 1e6:.2f} M chars/s"))
        started = time.perf_counter()
        docs = tokenize_all(texts, args.workers)
        took = time.perf_counter() - started
        n_tok = sum(len(d) for d in docs)
        stages.append(
            (
                f"tokenise ({args.workers} proc)",
                took,
                f"{n_tok / took:,.0f} tokens/s, {n_chars / took:,.0f} chars/s, "
                f"{n / took:,.0f} chunks/s",
            )
        )
        del texts
        if cache is not None:
            started = time.perf_counter()
            save_tokens(cache, docs)
            stages.append(("tokens to cache", time.perf_counter() - started, str(cache)))
    n_tok = sum(len(d) for d in docs)
    vocab = len({t for d in docs for t in d})
    rss_tokens = rss_mb()
    rss = {"chunks": rss_chunks - rss0, "jieba": rss_jieba - rss_chunks}
    rss["tokens"] = rss_tokens - rss_jieba
    if args.tokenize_only:
        _print(n, n_tok, vocab, n_chars, stages, rss, None)
        return 0

    started = time.perf_counter()
    postings = Postings.build(docs)
    took = time.perf_counter() - started
    stages.append(("BM25 build", took, f"{n / took:,.0f} chunks/s"))
    rss["BM25 index"] = rss_mb() - rss_tokens

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bm25"
        folder.mkdir()
        started = time.perf_counter()
        postings.save(folder)
        size = folder_size(folder)
        stages.append(("BM25 save", time.perf_counter() - started, f"{size / 2**20:.1f} MiB"))
        del postings
        gc.collect()
        trim()
        before = rss_mb()
        started = time.perf_counter()
        bm25 = Bm25([(Postings.load(folder), None)])
        stages.append(("BM25 load", time.perf_counter() - started, ""))
        rss["BM25 loaded (serving)"] = rss_mb() - before

    # questions: generated ones, else a few words of random chunks
    rng = random.Random(args.seed)
    row_of = {(c.article_id, c.paragraph_index): i for i, c in enumerate(chunks)}
    questions: list[tuple[str, int]] = []
    if args.questions:
        for line in Path(args.questions).read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            questions.append((q["question"], row_of.get((q["article_id"], q["paragraph"]), -1)))
    while len(questions) < args.n_questions:
        row = rng.randrange(n)
        words = [t for t in docs[row] if len(t) >= 2]
        if len(words) >= 4:
            start = rng.randrange(len(words) - 3)
            questions.append(("".join(words[start : start + 4]) + "是什么？", row))
    questions = questions[: args.n_questions]

    for q, _ in questions[:10]:  # warm-up
        bm25.scores(tokenize(q))[0]
    tok_ms, score_ms, total_ms, n_qtok, found = [], [], [], [], 0
    for q, row in questions:
        t0 = time.perf_counter()
        qtokens = tokenize(q)
        t1 = time.perf_counter()
        lex = bm25.scores(qtokens)[0]
        top: np.ndarray = np.zeros(0, dtype=np.int64)
        if lex.size and lex.max() > 0:
            depth = min(DEPTH, int((lex > 0).sum()))
            top = np.argpartition(-lex, depth - 1)[:depth]
        bm25.idf(qtokens)
        t2 = time.perf_counter()
        tok_ms.append((t1 - t0) * 1000)
        score_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        n_qtok.append(len(qtokens))
        found += row in set(top.tolist())

    _print(n, n_tok, vocab, n_chars, stages, rss, size)
    print(
        f"\nqueries: {len(questions)}, {statistics.mean(n_qtok):.1f} tokens each; "
        f"R@{DEPTH} of the source paragraph {found / len(questions):.2f}"
    )
    print(f"{'latency ms':<28} {'p50':>8} {'p95':>8}")
    for name, values in (
        ("tokenize(question)", tok_ms),
        ("scores + top-50 + idf", score_ms),
        ("total", total_ms),
    ):
        print(f"{name:<28} {statistics.median(values):8.2f} {pct(values, 0.95):8.2f}")
    return 0


def _print(
    n: int,
    n_tok: int,
    vocab: int,
    n_chars: int,
    stages: list[tuple[str, float, str]],
    rss: dict[str, float],
    size: int | None,
) -> None:
    chars = f", {n_chars / n:.0f} chars/chunk" if n_chars else ""
    print(
        f"N={n:,} chunks, {n_tok:,} tokens ({n_tok / n:.1f}/chunk{chars}), vocabulary "
        f"{vocab:,}; loadavg {os.getloadavg()[0]:.1f}"
    )
    print(f"{'stage':<24} {'seconds':>9}  rate / note")
    for name, seconds, note in stages:
        print(f"{name:<24} {seconds:9.1f}  {note}")
    print(f"{'memory (RSS growth)':<24} {'MiB':>9}  per chunk")
    for name, mib in rss.items():
        print(f"{name:<24} {mib:9.0f}  {mib * 2**20 / n:,.0f} B")
    if size is not None:
        print(f"{'BM25 on disk':<24} {size / 2**20:9.1f}  {size / n:,.0f} B")


if __name__ == "__main__":
    raise SystemExit(main())
