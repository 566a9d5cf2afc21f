"""Convert real news and real readers' questions into newsqa evaluation files.

Not a test, and nothing it writes belongs in the repository: the sources' licences do
not allow redistribution, so convert them into a scratch folder and pass the paths to
``newsqa eval``. Two sources, each fetched on its own (public GitHub repositories):

* **CCTV 新闻联播 transcripts** (repository ``yuekcc/cctv_news``, folder ``news/``: one
  Markdown file per day, ``YYYYMMDD.md``, whose ``## 详细新闻`` part holds ``### title``
  stories): a distractor pool of real daily news with dates and headlines, as newsqa
  JSONL (one article per story, paragraphs separated by blank lines).
* **WebQA** (repository ``mattzheng/qdrQA``, file ``me_test.ann.json``: real Baidu
  questions, each with one annotated evidence paragraph and its answers): passages
  and passage-style queries, split by a hash of the question id into ``tune`` and
  ``heldout`` halves; tune on the first, report the second.

Usage, from the repository root::

    git --git-dir=MIRROR/cctv_news.git archive HEAD news | tar -x -C /tmp/real
    python -m benchmarks.convert_real cctv /tmp/real/news --out /tmp/real/cctv.jsonl \\
        --max-paragraphs 52000
    python -m benchmarks.convert_real webqa /tmp/real/me_test.ann.json --out /tmp/real/webqa
    newsqa eval --queries /tmp/real/webqa.heldout.queries.jsonl \\
        --passages /tmp/real/webqa.passages.jsonl --corpus /tmp/real/cctv.jsonl

The pool keeps the newest days first until ``--max-paragraphs`` paragraphs are taken
(52,000 gives the 52,079 paragraphs of 9,151 stories that README "Trust" measures over;
the default, 80,000, gives about 80,000 of 14,250).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})\.md$")
_LINK = re.compile(r"\[查看原文\]\((https?://[^)\s]+)\)")
_LEAD = re.compile(r"^\*\*央视网消息\*\*[（(]新闻联播[)）][:：]\s*")


def cctv_articles(md: str, date: str) -> Iterator[dict[str, Any]]:
    """The stories of one day's transcript, as newsqa JSONL records."""
    urls = _LINK.findall(md)
    body = md.split("## 详细新闻", 1)[1] if "## 详细新闻" in md else ""
    stories = re.split(r"^### ", body, flags=re.MULTILINE)[1:]
    for n, story in enumerate(stories):
        title, _, text = story.partition("\n")
        paragraphs = [_LEAD.sub("", p.strip()) for p in text.split("\n")]
        paragraphs = [p for p in paragraphs if p and not p.startswith(("[查看原文]", "#"))]
        if not title.strip() or not paragraphs:
            continue
        record: dict[str, Any] = {
            "id": f"cctv-{date.replace('-', '')}-{n:02d}",
            "title": title.strip(),
            "text": "\n\n".join(paragraphs),
            "date": date,
            "source": "新闻联播",
        }
        if urls:
            record["url"] = urls[0]
        yield record


def convert_cctv(folder: Path, out: Path, max_paragraphs: int) -> tuple[int, int]:
    """Write the pool; ``(articles, paragraphs)`` written."""
    days = sorted((p for p in folder.iterdir() if _DAY.match(p.name)), reverse=True)
    articles = paragraphs = 0
    with out.open("w", encoding="utf-8") as fh:
        for path in days:
            y, m, d = _DAY.match(path.name).groups()  # type: ignore[union-attr]
            for record in cctv_articles(path.read_text(encoding="utf-8"), f"{y}-{m}-{d}"):
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                articles += 1
                paragraphs += record["text"].count("\n\n") + 1
            if max_paragraphs and paragraphs >= max_paragraphs:
                break
    return articles, paragraphs


def _half(qid: str) -> str:
    return "tune" if int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def convert_webqa(source: Path, out: Path) -> dict[str, int]:
    """Write ``OUT.passages.jsonl`` and ``OUT.{tune,heldout}.queries.jsonl``; counts."""
    data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    counts = {"passages": 0, "tune": 0, "heldout": 0}
    with contextlib.ExitStack() as stack:
        passages = stack.enter_context(Path(f"{out}.passages.jsonl").open("w", encoding="utf-8"))
        files = {
            name: stack.enter_context(
                Path(f"{out}.{name}.queries.jsonl").open("w", encoding="utf-8")
            )
            for name in ("tune", "heldout")
        }
        for qid, item in sorted(data.items()):
            for pid, evidence in sorted(item["evidences"].items()):
                answers = [a for a in evidence.get("answer", []) if a != "no_answer"]
                if not answers:
                    continue
                pid = f"webqa-{pid.replace('#', '-')}"
                row = {"id": pid, "title": "", "text": evidence["evidence"].strip()}
                passages.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts["passages"] += 1
                half = _half(qid)
                query = {
                    "qid": qid,
                    "question": item["question"].strip(),
                    "gold_passage_id": pid,
                    "answers": answers,
                }
                files[half].write(json.dumps(query, ensure_ascii=False) + "\n")
                counts[half] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="source", required=True)
    cctv = sub.add_parser("cctv", help="新闻联播 transcripts (folder of YYYYMMDD.md) -> pool")
    cctv.add_argument("folder", type=Path)
    cctv.add_argument("--out", type=Path, required=True, help="the pool, newsqa JSONL")
    cctv.add_argument("--max-paragraphs", type=int, default=80_000, help="0: every day")
    webqa = sub.add_parser("webqa", help="WebQA me_test.ann.json -> passages and queries")
    webqa.add_argument("file", type=Path)
    webqa.add_argument("--out", type=Path, required=True, help="prefix of the output files")
    args = parser.parse_args()
    if args.source == "cctv":
        articles, paragraphs = convert_cctv(args.folder, args.out, args.max_paragraphs)
        print(f"{args.out}: {articles} articles, {paragraphs} paragraphs", file=sys.stderr)
    else:
        counts = convert_webqa(args.file, args.out)
        print(f"{args.out}.*: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
