"""Real embeddings of a few generated chunks, to check the synthetic vectors against.

Embeds the first ``--limit`` chunks of a corpus (as ``newsqa index build`` would:
title + paragraph, normalised, with the passage prefix) and the questions that
``gen_corpus.py --questions`` wrote for them, with newsqa's configured model (the
bundled multilingual-e5-small by default). The output has the layout of
``gen_corpus.py --vectors-only``, so ``bench_vectors.py --vectors`` and ``--stats``
read both alike::

    .venv/bin/python -m benchmarks.embed_sample --corpus /tmp/nb/c10k.jsonl \\
        --questions /tmp/nb/c10k.questions.jsonl --limit 2000 --out /tmp/nb/real2k.npy

writes ``real2k.npy`` (passages), ``real2k.queries.npy`` (questions whose answer
paragraph is among the embedded chunks) and ``real2k.queries_src.npy`` (that row).
CPU embedding runs at roughly 10 chunks/s on two cores: 2,000 chunks take ~4 min.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from newsqa.index import (
    Config,
    Embedder,
    chunk_articles,
    inspect_corpus,
    normalize,
    passage_text,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="JSONL from gen_corpus.py")
    parser.add_argument("--questions", help="questions JSONL from gen_corpus.py")
    parser.add_argument("--limit", type=int, default=2000, help="chunks embedded")
    parser.add_argument("--out", required=True, help=".npy file for the passage vectors")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    cfg = Config()
    chunks = chunk_articles(inspect_corpus([args.corpus]).articles, cfg.index.max_chunk_chars)
    chunks = chunks[: args.limit]
    row_of = {(c.article_id, c.paragraph_index): i for i, c in enumerate(chunks)}
    embedder = Embedder(cfg.model)
    started = time.perf_counter()
    vectors = embedder.encode_passages([passage_text(c) for c in chunks], show_progress=True)
    seconds = time.perf_counter() - started
    stem = args.out[: -len(".npy")] if args.out.endswith(".npy") else args.out
    np.save(stem + ".npy", np.asarray(vectors, dtype=np.float32))

    questions, rows = [], []
    if args.questions:
        for line in Path(args.questions).read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            row = row_of.get((q["article_id"], q["paragraph"]))
            if row is not None:
                questions.append(normalize(q["question"]))
                rows.append(row)
    if questions:
        np.save(stem + ".queries.npy", np.asarray(embedder.encode_queries(questions), np.float32))
        np.save(stem + ".queries_src.npy", np.asarray(rows, dtype=np.int64))
    print(
        f"{len(chunks)} chunks embedded in {seconds:.0f} s ({len(chunks) / seconds:.1f}/s), "
        f"{len(questions)} questions -> {stem}.npy"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
