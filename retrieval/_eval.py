"""Retrieval evaluation: Recall@k, MRR@10 and latency over the two formats of ``shared/eval``.

* Passage style (CMRC 2018): each query names its ``gold_passage_id``; an index is
  built from the passages file (passage id = article id) and articles are ranked by
  their best chunk.
* Page style (``seed_dev.jsonl``): a hit answers when one of ``gold_contains`` is in
  its paragraph after normalisation (NFKC, letters and digits only); out-of-corpus
  questions must come back not confident.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from newsqa.index import Config, CorpusError, build_index, content_chars

from ._retriever import Retriever

__all__ = ["EvalReport", "evaluate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Figures of one evaluation run (fractions in [0, 1], latencies in ms)."""

    style: str
    queries: int
    metrics: dict[str, float]
    latency_ms_p50: float
    latency_ms_p95: float
    failures: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "queries": self.queries,
            **{k: round(v, 4) for k, v in self.metrics.items()},
            "latency_ms_p50": round(self.latency_ms_p50, 2),
            "latency_ms_p95": round(self.latency_ms_p95, 2),
            "failures": list(self.failures),
        }


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise CorpusError(f"{path}:{n}: not JSON ({exc.msg})") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc}") from exc


def evaluate(
    config: Config,
    queries: str | Path,
    *,
    corpus: Sequence[str | Path] | None = None,
    retriever: Retriever | None = None,
    show_progress: bool = False,
) -> EvalReport:
    """Evaluate ``queries`` against the configured index, or one built from ``corpus``.

    ``corpus`` (a passages JSONL file, pages, or both) is indexed incrementally, so a
    second run embeds nothing, in ``<index dir>/../eval/<digest of the paths>``. A
    ``retriever`` passed in is used as is (and left open); one opened here is closed.
    """
    rows = list(_read_jsonl(Path(queries)))
    if corpus:
        paths = tuple(str(Path(p).expanduser().resolve()) for p in corpus)
        digest = hashlib.sha256("\n".join(sorted(paths)).encode()).hexdigest()[:12]
        eval_dir = Path(config.index.dir).expanduser().resolve().parent / "eval" / digest
        config = config.with_section("index", dir=str(eval_dir))
        config = config.with_section("corpus", paths=paths)
        report = build_index(config, show_progress=show_progress)
        logger.info("evaluation index: %d chunks (%d embedded)", report.chunks, report.embedded)
        retriever = None
    if retriever is not None:
        return _evaluate(retriever, rows)
    with Retriever.open(config) as opened:  # opened here, so closed here
        return _evaluate(opened, rows)


def _evaluate(retriever: Retriever, rows: list[dict[str, Any]]) -> EvalReport:
    if rows and "gold_passage_id" in rows[0]:
        return _passage_style(retriever, rows)
    return _page_style(retriever, rows)


def _timed_search(retriever: Retriever, question: str, k: int) -> tuple[list[Any], float]:
    start = time.perf_counter()
    hits = retriever.search(question, k, distinct_articles=True)
    return hits, (time.perf_counter() - start) * 1000.0


def _passage_style(retriever: Retriever, rows: list[dict[str, Any]]) -> EvalReport:
    for warm in rows[:5]:
        retriever.search(str(warm.get("question", "")), 20, distinct_articles=True)
    ranks: list[int | None] = []
    latencies = []
    failures = []
    for row in rows:
        question = str(row.get("question", ""))
        hits, ms = _timed_search(retriever, question, 20) if question.strip() else ([], 0.0)
        latencies.append(ms)
        ids = [h.article_id for h in hits]
        gold = str(row["gold_passage_id"])
        rank = ids.index(gold) + 1 if gold in ids else None
        ranks.append(rank)
        if rank != 1:
            failures.append(f"{row.get('qid')}: gold at {rank or '>20'}")
    n = max(len(rows), 1)
    metrics = {
        f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in (1, 5, 20)
    }
    metrics["mrr@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return EvalReport("passage", len(rows), metrics, *_percentiles(latencies), tuple(failures))


def _page_style(retriever: Retriever, rows: list[dict[str, Any]]) -> EvalReport:
    hit1 = hit3 = title1 = confident_in = declined_out = n_in = n_out = 0
    latencies = []
    failures = []
    for row in rows:
        question = str(row.get("question", ""))
        start = time.perf_counter()
        answer = retriever.ask(question, k=3)
        latencies.append((time.perf_counter() - start) * 1000.0)
        gold = [content_chars(g) for g in row.get("gold_contains") or []]
        if not gold:
            n_out += 1
            declined_out += not answer.confident
            if answer.confident:
                failures.append(f"{row.get('qid')}: out of corpus but confident")
            continue
        n_in += 1
        found = [any(g in content_chars(h.text) for g in gold) for h in answer.hits]
        hit1 += bool(found[:1] and found[0])
        hit3 += any(found[:3])
        fragment = content_chars(str(row.get("gold_title_contains") or ""))
        title1 += bool(answer.hits and fragment and fragment in content_chars(answer.hits[0].title))
        confident_in += answer.confident
        if not (found[:1] and found[0]) or not answer.confident:
            rank = found.index(True) + 1 if any(found) else ">3"
            failures.append(f"{row.get('qid')}: gold at {rank}, confident={answer.confident}")
    metrics = {
        "hit@1": hit1 / max(n_in, 1),
        "hit@3": hit3 / max(n_in, 1),
        "title@1": title1 / max(n_in, 1),
        "in_corpus": float(n_in),
        "in_corpus_confident": confident_in / max(n_in, 1),
        "out_of_corpus": float(n_out),
        "out_of_corpus_declined": declined_out / max(n_out, 1),
    }
    return EvalReport("page", len(rows), metrics, *_percentiles(latencies), tuple(failures))


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    if not latencies:
        return 0.0, 0.0
    arr = np.asarray(latencies)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))
