"""Golden questions: retrieval quality on the real page with the default model."""

from __future__ import annotations

import json
from typing import cast

import pytest

from newsqa.index import content_chars
from newsqa.retrieval import Answer, Retriever
from tests.conftest import SEED_DEV

pytestmark = pytest.mark.slow


def _seed() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for line in SEED_DEV.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _gold_rank(answer: Answer, gold: list[str]) -> int | None:
    wanted = [content_chars(g) for g in gold]
    for hit in answer.hits:
        if any(w in content_chars(hit.text) for w in wanted):
            return int(hit.rank)
    return None


def test_seed_dev_in_corpus_questions(page_retriever: Retriever) -> None:
    at1 = 0
    in_corpus = [row for row in _seed() if row["gold_contains"]]
    assert len(in_corpus) == 13
    for row in in_corpus:
        answer = page_retriever.ask(str(row["question"]), k=3)
        rank = _gold_rank(answer, cast(list[str], row["gold_contains"]))
        assert rank is not None, f"{row['qid']} {row['question']}: gold not in top 3"
        assert answer.confident, f"{row['qid']}: should be confident"
        fragment = content_chars(str(row["gold_title_contains"]))
        if rank == 1:
            at1 += 1
            assert fragment in content_chars(answer.hits[0].title)
    assert at1 >= 12


def test_seed_dev_out_of_corpus_is_not_confident(page_retriever: Retriever) -> None:
    for row in _seed():
        if not row["gold_contains"]:
            answer = page_retriever.ask(str(row["question"]))
            assert not answer.confident, row["question"]


@pytest.mark.parametrize(
    "question",
    ["今天上海的天气怎么样？", "苹果公司最新款手机的价格是多少？", "如何学习Python编程？"],
)
def test_own_out_of_corpus_questions(page_retriever: Retriever, question: str) -> None:
    assert not page_retriever.ask(question).confident


def test_traditional_and_simplified_agree(page_retriever: Retriever) -> None:
    simp = page_retriever.ask("冠县电商行业妇联的主席是谁？", k=1)
    trad = page_retriever.ask("冠縣電商行業婦聯的主席是誰？", k=1)
    assert simp.hits[0].chunk_id == trad.hits[0].chunk_id
    assert "冠县" in trad.hits[0].title  # quotes keep the original (Simplified) text
