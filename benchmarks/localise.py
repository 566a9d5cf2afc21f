"""How often a hit's highlight holds the answer, and how well the marked phrase matches it.

For each question of an evaluation split (``<prefix>.passages.jsonl`` +
``<prefix>.queries.jsonl``, e.g. ``../shared/eval/cmrc2018_dev``) it takes one chunk
that holds a gold answer and compares two highlighters on it:

* ``old``: :func:`newsqa.retrieval._scoring.best_sentence` (the sentence sharing the most
  IDF-weighted question words);
* ``new``: :func:`newsqa.retrieval._span.locate` (highlight sentence and answer phrase).

Which chunk: by default the gold passage is cut into chunks exactly as ingestion cuts
it (``index.max_chunk_chars`` sentence windows) and the chunk holding an answer is used,
with IDF counted over the split's chunks. With ``--index DIR`` the question is asked of a
built index through the :class:`~newsqa.retrieval.Retriever` instead, and its top-1
hit is used when it holds an answer (IDF then comes from that index, as served).

Reported per split and per half (``tune`` / ``heldout``, by a hash of the question id;
tune only on ``tune``): ``contain`` (share of the hits whose highlight holds a gold
answer), ``marked`` (share with an answer phrase), ``EM`` and ``F1`` (exact match and
character F1 of the phrase against the best gold answer, over all hits holding an
answer, an unmarked phrase counting 0), ``chars`` (the highlight's mean length in
characters) and the mean time of one ``locate`` call.
Strings are compared after :func:`newsqa.index.content_chars` (normalised: NFKC,
Traditional to Simplified, lower case, letters and digits only). From the repository
root::

    .venv/bin/python -m benchmarks.localise [PREFIX ...] [--index DIR] [--misses N]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsqa.index import content_chars, normalize, tokenize
from newsqa.index._ingest._chunk import windows
from newsqa.retrieval._highlight import locate
from newsqa.retrieval._scoring import best_sentence

DEFAULT = ("../shared/eval/cmrc2018_dev", "../shared/eval/drcd_dev")
MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class _Case:
    qid: str
    question: str
    text: str
    idf: dict[str, float]
    answers: tuple[str, ...]


@dataclass(slots=True)
class _Tally:
    n: int = 0
    old: int = 0
    new: int = 0
    marked: int = 0
    em: int = 0
    f1: float = 0.0
    seconds: float = 0.0
    chars: int = 0
    misses: list[str] = field(default_factory=list)


def _read(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _chunks(text: str) -> list[str]:
    out = []
    for start, end in windows(text, MAX_CHARS):
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
    return out


def _holds(text: str, answers: tuple[str, ...]) -> bool:
    flat = content_chars(text)
    return any(a and a in flat for a in (content_chars(x) for x in answers))


def _cases_local(prefix: str) -> Iterator[_Case]:
    passages = {str(p["id"]): str(p["text"]) for p in _read(Path(f"{prefix}.passages.jsonl"))}
    chunks = {pid: _chunks(text) for pid, text in passages.items()}
    df: Counter[str] = Counter()
    n_docs = 0
    for pieces in chunks.values():
        for piece in pieces:
            n_docs += 1
            df.update(set(tokenize(piece)))
    for q in _read(Path(f"{prefix}.queries.jsonl")):
        answers = tuple(str(a) for a in q["answers"])  # type: ignore[attr-defined]
        qnorm = normalize(str(q["question"]))
        tokens = tokenize(qnorm, normalized=True)
        idf = {t: math.log(1.0 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) for t in tokens}
        holding = [c for c in chunks[str(q["gold_passage_id"])] if _holds(c, answers)]
        if holding:
            yield _Case(str(q["qid"]), qnorm, holding[0], idf, answers)


def _cases_index(prefix: str, index_dir: str, quantize: str | None) -> Iterator[_Case]:
    from newsqa.index import load_config, open_index
    from newsqa.retrieval import Retriever

    config = load_config(None).with_section("index", dir=index_dir)
    if quantize:
        config = config.with_section("model", quantize=quantize)
    retriever = Retriever.open(config)
    reader = open_index(config)
    for q in _read(Path(f"{prefix}.queries.jsonl")):
        answers = tuple(str(a) for a in q["answers"])  # type: ignore[attr-defined]
        qnorm = normalize(str(q["question"]))
        hits = retriever.search(str(q["question"]), 1)
        if not hits or not _holds(hits[0].text, answers):
            continue
        tokens = tokenize(qnorm, normalized=True)
        idf = dict(zip(tokens, reader.idf(tokens), strict=True))
        yield _Case(str(q["qid"]), qnorm, hits[0].text, idf, answers)


def _f1(pred: str, gold: str) -> float:
    if not pred or not gold:
        return 0.0
    common = sum((Counter(pred) & Counter(gold)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)


def _score(case: _Case, tally: _Tally, keep_misses: int) -> None:
    golds = [content_chars(a) for a in case.answers]
    tally.n += 1
    s, e = best_sentence(case.text, case.idf)
    tally.old += any(g in content_chars(case.text[s:e]) for g in golds)
    t0 = time.perf_counter()
    (hs, he), answer = locate(case.question, case.text, case.idf)
    tally.seconds += time.perf_counter() - t0
    tally.chars += he - hs
    hit = any(g in content_chars(case.text[hs:he]) for g in golds)
    tally.new += hit
    phrase = ""
    if answer is not None:
        tally.marked += 1
        phrase = content_chars(case.text[answer[0] : answer[1]])
        tally.em += phrase in golds
        tally.f1 += max(_f1(phrase, g) for g in golds)
    if (not hit or phrase not in golds) and len(tally.misses) < keep_misses:
        tally.misses.append(
            f"{case.qid} {'H' if hit else '-'} Q={case.question} A={case.answers} "
            f"P={phrase!r} HL={case.text[hs:he]!r}"
        )


def _row(name: str, t: _Tally) -> str:
    n = max(t.n, 1)
    return (
        f"| {name:<22} | {t.n:>5} | {t.old / n:6.1%} | {t.new / n:6.1%} | {t.marked / n:6.1%} "
        f"| {t.em / n:6.1%} | {t.f1 / n:6.1%} | {t.chars / n:5.1f} | {t.seconds / n * 1000:5.2f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", default=list(DEFAULT), metavar="PREFIX")
    parser.add_argument("--index", metavar="DIR", help="use the top-1 hit of this index")
    parser.add_argument("--quantize", default=None, help="model.quantize for --index (int8)")
    parser.add_argument("--misses", type=int, default=0, help="print this many misses (tune half)")
    args = parser.parse_args(argv)
    print(
        "| split                  |     n | old    | contain| marked | EM     | F1     "
        "| chars | ms    |\n"
        "| ---------------------- | ----- | ------ | ------ | ------ | ------ | ------ "
        "| ----- | ----- |"
    )
    for prefix in args.prefixes:
        halves = {"tune": _Tally(), "heldout": _Tally()}
        if args.index:
            cases = _cases_index(prefix, args.index, args.quantize)
        else:
            cases = _cases_local(prefix)
        for case in cases:
            half = "tune" if zlib.crc32(case.qid.encode()) % 2 == 0 else "heldout"
            _score(case, halves[half], args.misses if half == "tune" else 0)
        name = Path(prefix).name
        for half, tally in halves.items():
            print(_row(f"{name} {half}", tally))
        for line in halves["tune"].misses:
            print("   ", line)


if __name__ == "__main__":
    main()
