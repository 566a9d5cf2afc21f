"""Follow-up questions through a Conversation: hit@1 with the context and without.

Reads ``benchmarks/data/followups.jsonl`` (first question, follow-up, gold as a title
fragment and a short answer phrase; ``split`` tune/heldout; ``kind`` saying how the
follow-up points back, or ``switch`` for a second question that stands on its own and
is about another article) and reports:

* follow-up hit@1 asked after its first question in one :class:`Conversation`, and
  the same follow-up asked alone (``Retriever.ask``);
* the stand-alone control: the ``switch`` items and the in-corpus questions of
  ``../shared/eval/seed_dev.jsonl`` asked through a Conversation right after an
  unrelated first question (three different ones each), against the same question
  asked alone. Context must not cost stand-alone questions anything.

A hit counts when the top hit's title holds ``gold_title_contains`` and its paragraph
holds ``gold_contains`` (one of them, for a list), both compared after
``content_chars`` (NFKC, Simplified, letters and digits only). From the repository root::

    .venv/bin/python -m benchmarks.followups --index /tmp/big/idx --quantize int8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsqa.index import Config, content_chars, load_config
from newsqa.retrieval import Answer, Conversation, Retriever

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "followups.jsonl"
SEED = ROOT.parent / "shared" / "eval" / "seed_dev.jsonl"
PASSAGE_QUERIES = (
    ROOT.parent / "shared" / "eval" / "cmrc2018_dev.queries.jsonl",
    ROOT.parent / "shared" / "eval" / "drcd_dev.queries.jsonl",
)
UNRELATED = 3
"""How many unrelated first questions each seed question is asked after."""


def _rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sample(paths: list[Path], n: int) -> list[dict[str, Any]]:
    """``n`` questions spread evenly over the files (deterministic)."""
    if n <= 0 or not paths:
        return []
    out: list[dict[str, Any]] = []
    for i, path in enumerate(paths):
        rows = _rows(path)
        want = n // len(paths) + (i < n % len(paths))
        step = max(1, len(rows) // max(want, 1))
        out += rows[::step][:want]
    return out


def _hit(answer: Answer, row: dict[str, Any]) -> bool:
    if not answer.hits:
        return False
    top = answer.hits[0]
    title = content_chars(str(row.get("gold_title_contains") or ""))
    if title and title not in content_chars(top.title):
        return False
    gold = row.get("gold_contains") or []
    golds = [gold] if isinstance(gold, str) else list(gold)
    text = content_chars(top.text)
    return not golds or any(content_chars(g) in text for g in golds)


class _Clock:
    """A clock that never lets a conversation expire mid-pair."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _chat(retriever: Retriever, first: str, second: str, k: int) -> tuple[Answer, str, float]:
    chat = Conversation(retriever, ttl_s=600.0, max_turns=4, clock=_Clock())
    chat.ask(first, k=k)
    start = time.perf_counter()
    answer = chat.ask(second, k=k)
    ms = (time.perf_counter() - start) * 1000.0
    return answer, chat.turns[-1].kind, ms


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def run(
    retriever: Retriever,
    rows: list[dict[str, Any]],
    seed: list[dict[str, Any]],
    k: int,
    passages: Sequence[dict[str, Any]] = (),
) -> tuple[dict[str, Any], list[str]]:
    """Every measurement: ``(report, failures)``."""
    failures: list[str] = []
    ctx_ms: list[float] = []
    alone_ms: list[float] = []
    by: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    kinds_seen: dict[str, int] = defaultdict(int)
    for row in rows:
        answer, kind, ms = _chat(retriever, row["first"], row["followup"], k)
        start = time.perf_counter()
        alone = retriever.ask(row["followup"], k=k)
        alone_ms.append((time.perf_counter() - start) * 1000.0)
        ctx_ms.append(ms)
        with_ctx, without = _hit(answer, row), _hit(alone, row)
        group = "control" if row["kind"] == "switch" else "followup"
        kinds_seen[f"{group}:{kind}"] += 1
        for key in ("all", row.get("split", "tune"), f"kind:{row['kind']}"):
            by[f"{group}/{key}"]["context"].append(with_ctx)
            by[f"{group}/{key}"]["alone"].append(without)
        if not with_ctx:
            top = answer.hits[0].title[:24] if answer.hits else "-"
            failures.append(
                f"{row['id']} {group} [{kind}] {row['followup']} searched={answer.searched!r}"
                f" top={top!r} alone={'hit' if without else 'miss'}"
            )
    firsts = [r for r in rows if r["kind"] != "switch"]
    for n, row in enumerate(r for r in seed if r.get("gold_contains")):
        title = content_chars(str(row.get("gold_title_contains") or ""))
        unrelated = [
            f
            for f in firsts
            if title and title not in content_chars(f["gold_title_contains"] + f["first"])
        ]
        alone = retriever.ask(row["question"], k=k)
        without = _hit(alone, row)
        for j in range(UNRELATED):
            first = unrelated[(n * 7 + j * 13) % len(unrelated)]
            answer, kind, ms = _chat(retriever, first["first"], row["question"], k)
            ctx_ms.append(ms)
            with_ctx = _hit(answer, row)
            kinds_seen[f"seed:{kind}"] += 1
            by["control/seed"]["context"].append(with_ctx)
            by["control/seed"]["alone"].append(without)
            by["control/all"]["context"].append(with_ctx)
            by["control/all"]["alone"].append(without)
            if without and not with_ctx:
                failures.append(
                    f"{row.get('qid')} seed dragged after {first['first']!r} [{kind}]"
                    f" searched={answer.searched!r}"
                )
    indexed = [r for r in passages if retriever.article(str(r["gold_passage_id"]))]
    for n, row in enumerate(indexed):
        first = firsts[(n * 11) % len(firsts)]
        alone = retriever.ask(row["question"], k=k)
        answer, kind, ms = _chat(retriever, first["first"], row["question"], k)
        gold = str(row["gold_passage_id"])
        with_ctx = bool(answer.hits) and answer.hits[0].article_id == gold
        without = bool(alone.hits) and alone.hits[0].article_id == gold
        kinds_seen[f"passages:{kind}"] += 1
        by["control/passages"]["context"].append(with_ctx)
        by["control/passages"]["alone"].append(without)
        if without and not with_ctx:
            failures.append(
                f"{row.get('qid')} passage dragged after {first['first']!r} [{kind}]"
                f" {row['question']} searched={answer.searched!r}"
            )
    report: dict[str, Any] = {
        key: {
            "n": len(v["context"]),
            "hit@1_context": round(_share(v["context"]), 4),
            "hit@1_alone": round(_share(v["alone"]), 4),
        }
        for key, v in sorted(by.items())
    }
    report["resolved_as"] = dict(sorted(kinds_seen.items()))
    report["latency_ms_p50"] = {
        "conversation": round(statistics.median(ctx_ms), 1) if ctx_ms else 0.0,
        "alone": round(statistics.median(alone_ms), 1) if alone_ms else 0.0,
    }
    return report, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    parser.add_argument("--config", metavar="FILE", help="a newsqa config file (else defaults)")
    parser.add_argument("--quantize", choices=("none", "int8"), default="none")
    parser.add_argument("--data", default=str(DATA), help="the follow-up pairs JSONL")
    parser.add_argument("--seed", default=str(SEED), help="seed_dev.jsonl (controls)")
    parser.add_argument("--split", choices=("all", "tune", "heldout"), default="all")
    parser.add_argument(
        "--passages",
        type=int,
        default=200,
        metavar="N",
        help="also N CMRC/DRCD questions as controls (those whose passage is indexed); 0: none",
    )
    parser.add_argument("--ranking", help="override retrieval.ranking (learned, weighted)")
    parser.add_argument("--verdict", help="override retrieval.verdict (learned, rules)")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--failures", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    config: Config = load_config(args.config) if args.config else Config()
    config = config.with_section("index", dir=args.index)
    config = config.with_section("model", quantize="" if args.quantize == "none" else "int8")
    for key in ("ranking", "verdict"):
        if getattr(args, key):
            config = config.with_section("retrieval", **{key: getattr(args, key)})
    rows = _rows(Path(args.data))
    if args.split != "all":
        rows = [r for r in rows if r.get("split") == args.split]
    seed_path = Path(args.seed)
    seed = _rows(seed_path) if seed_path.exists() else []
    passages = _sample([p for p in PASSAGE_QUERIES if p.exists()], args.passages)
    with Retriever.open(config) as retriever:
        report, failures = run(retriever, rows, seed, args.k, passages)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    if args.failures:
        for line in failures:
            sys.stdout.write(f"  {line}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
