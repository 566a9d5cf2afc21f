"""Confident rate on the absent-answer sets: how often newsqa answers what it should decline.

Asks every question of ``benchmarks/data/absent.jsonl`` (near misses about an article
that lacks the fact, and questions the archive cannot answer) and of
``benchmarks/data/page_questions.jsonl`` (answerable from the page and the sample
corpus) against a built index, and prints, per kind and split, the share answered
``confident`` and the mean ``confidence``. Lower is better for the absent kinds; for the
page questions it also prints hit@1 (a gold phrase in the top hit) and the share both
right at rank 1 and confident. From the repository root::

    .venv/bin/python -m benchmarks.absent_check --index /tmp/big/idx --quantize int8
    .venv/bin/python -m benchmarks.absent_check --index DIR --details /tmp/absent.jsonl

``--details`` writes one JSON line per question (verdict, confidence, top title) to see
which questions a change flips.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from newsqa.index import Config, NewsqaError, content_chars, load_config
from newsqa.retrieval import Retriever

DATA = Path(__file__).resolve().parent / "data"
ABSENT = DATA / "absent.jsonl"
PAGE_QUESTIONS = DATA / "page_questions.jsonl"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One asked question: its set row and what the retriever made of it."""

    row: dict[str, object]
    confident: bool
    confidence: float
    top_title: str
    gold_at_1: bool | None
    """For answerable questions: a gold phrase is in the top hit (else ``None``)."""
    article_at_1: bool | None
    """For near misses: the top hit is from the article the question is about."""


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """The rows of a JSONL file (blank lines skipped)."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def ask_all(retriever: Retriever, rows: list[dict[str, object]], k: int) -> list[Outcome]:
    """Ask every row's question and record the verdict."""
    out = []
    for row in rows:
        answer = retriever.ask(str(row["question"]), k=k)
        top = answer.hits[0] if answer.hits else None
        title = top.title if top else ""
        gold = row.get("gold_contains")
        gold_at_1 = None
        if isinstance(gold, list) and gold:
            text = content_chars(top.text) if top else ""
            gold_at_1 = any(content_chars(str(g)) in text for g in gold)
        article = row.get("article")
        article_at_1 = content_chars(str(article)) in content_chars(title) if article else None
        out.append(
            Outcome(
                row=row,
                confident=answer.confident,
                confidence=float(getattr(answer, "confidence", 0.0)),
                top_title=title,
                gold_at_1=gold_at_1,
                article_at_1=article_at_1,
            )
        )
    return out


def summarise(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """One row per (kind, split) and per kind over both splits."""
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        kind, split = str(o.row["kind"]), str(o.row.get("split", ""))
        groups[(kind, split)].append(o)
        groups[(kind, "all")].append(o)
    table = []
    for (kind, split), group in sorted(groups.items()):
        n = len(group)
        line: dict[str, object] = {
            "kind": kind,
            "split": split,
            "n": n,
            "confident": sum(o.confident for o in group) / n,
            "mean_confidence": sum(o.confidence for o in group) / n,
        }
        if group[0].gold_at_1 is not None:
            line["hit@1"] = sum(bool(o.gold_at_1) for o in group) / n
            line["hit@1_and_confident"] = sum(bool(o.gold_at_1) and o.confident for o in group) / n
        if group[0].article_at_1 is not None:
            line["article@1"] = sum(bool(o.article_at_1) for o in group) / n
        table.append(line)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, metavar="DIR", help="a built index folder")
    parser.add_argument("--config", default=None, help="config file (default: the usual)")
    parser.add_argument("--quantize", default=None, help="model.quantize (int8 as built)")
    parser.add_argument("-k", type=int, default=1, help="hits per question (default 1)")
    parser.add_argument("--absent", default=str(ABSENT), metavar="FILE")
    parser.add_argument("--page", default=str(PAGE_QUESTIONS), metavar="FILE")
    parser.add_argument("--details", metavar="FILE", help="write one JSON line per question")
    args = parser.parse_args()
    config: Config = load_config(args.config)
    config = config.with_section("index", dir=args.index)
    if args.quantize is not None:
        config = config.with_section("model", quantize=args.quantize)
    rows = read_jsonl(Path(args.absent)) + read_jsonl(Path(args.page))
    try:
        retriever = Retriever.open(config)
        try:
            outcomes = ask_all(retriever, rows, args.k)
        finally:
            retriever.close()
    except NewsqaError as exc:
        sys.stderr.write(f"absent_check: error: {exc}\n")
        return 1
    for line in summarise(outcomes):
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    if args.details:
        with open(args.details, "w", encoding="utf-8") as fh:
            for o in outcomes:
                detail = {
                    "qid": o.row["qid"],
                    "kind": o.row["kind"],
                    "split": o.row.get("split"),
                    "question": o.row["question"],
                    "confident": o.confident,
                    "confidence": round(o.confidence, 4),
                    "top_title": o.top_title,
                    "gold_at_1": o.gold_at_1,
                    "article_at_1": o.article_at_1,
                }
                fh.write(json.dumps(detail, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
