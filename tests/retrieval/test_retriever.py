"""Retriever behaviour that does not depend on the model: bad questions, hits, reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsqa.index import IndexMismatchError, IndexNotFoundError, build_index
from newsqa.retrieval import Answer, Retriever
from tests.conftest import RESULT_KEYS, FakeEmbedder, make_config

ROWS = [
    {
        "id": "g1",
        "title": "山东冠县成立电商行业妇联",
        "text": "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。执委们都是电商创业者。",
    },
    {
        "id": "g2",
        "title": "福建宁德开展法治宣传",
        "text": "活动当天还开展了禁毒宣传。蕉城区法院法官林芳玲现场为群众宣讲反家庭暴力法。",
    },
    {
        "id": "g3",
        "title": "特殊字符 <b>测试</b> & 转义",
        "text": "这段文字包含 <b>标签</b> 和 & 符号，引用时必须原样显示。",
    },
]


@pytest.fixture
def retriever(tmp_path: Path) -> Retriever:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    return Retriever.open(cfg, embedder=emb)


@pytest.mark.parametrize("question", ["", "   ", "？？！！", "😀😀🎉", "。。。……"])
def test_unsearchable_questions_get_a_notice(retriever: Retriever, question: str) -> None:
    answer = retriever.ask(question)
    assert isinstance(answer, Answer)
    assert not answer.confident and answer.hits == () and answer.notice


def test_very_long_question_is_cut_not_crashed(retriever: Retriever) -> None:
    answer = retriever.ask("林芳玲" * 3400)  # 10,200 characters
    assert "太长" in answer.notice
    assert answer.hits and answer.hits[0].article_id == "g2"


def test_hit_fields_and_highlight(retriever: Retriever) -> None:
    answer = retriever.ask("林芳玲法官宣讲了什么法？", k=2)
    assert answer.confident
    top = answer.hits[0]
    assert (top.rank, top.article_id, top.title) == (1, "g2", "福建宁德开展法治宣传")
    start, end = top.highlight_span
    assert top.text[start:end] == top.highlight
    assert "林芳玲" in top.highlight and "禁毒" not in top.highlight
    assert top.chunk_id.startswith("g2:")
    assert top.source.endswith("c.jsonl")
    scores = [h.score for h in answer.hits]
    assert scores == sorted(scores, reverse=True)


def test_json_schema(retriever: Retriever) -> None:
    data = retriever.ask("齐红梅是谁？", k=3).to_json()
    assert set(data) == {"question", "confident", "confidence", "results"}
    assert 0.0 <= data["confidence"] <= 1.0
    assert data["question"] == "齐红梅是谁？"
    for i, result in enumerate(data["results"], start=1):
        assert set(result) == RESULT_KEYS
        assert result["rank"] == i
        assert isinstance(result["score"], float)
    json.dumps(data, ensure_ascii=False)


def test_quotes_keep_original_text(retriever: Retriever) -> None:
    hit = retriever.ask("这段文字包含标签和符号，引用时怎么显示？", k=1).hits[0]
    assert "<b>标签</b>" in hit.text and "&" in hit.text


def test_out_of_corpus_is_not_confident(tmp_path: Path, retriever: Retriever) -> None:
    # the fake embedder's vectors carry no meaning, so the learned verdict (which leans
    # on dense similarity) is exercised with the real model in test_golden.py; here the
    # word-coverage rules, reachable by config, must decline
    rules = Retriever(
        retriever._config.with_section("retrieval", verdict="rules"),
        retriever.index,
        FakeEmbedder(),
    )
    answer = rules.ask("北京到上海的高铁票多少钱？")
    assert not answer.confident and answer.confidence == 0.0


def test_reload_picks_up_a_rebuild(tmp_path: Path, retriever: Retriever) -> None:
    assert retriever.reload() is False
    corpus = tmp_path / "more.jsonl"
    corpus.write_text(
        json.dumps(
            {"id": "g4", "title": "新文章", "text": "张晓燕创办了女性创业孵化基地。"},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, [tmp_path / "c.jsonl", corpus])
    build_index(cfg, embedder=FakeEmbedder())
    old_info = retriever.info
    assert retriever.reload() is True
    assert retriever.info.generation != old_info.generation
    assert retriever.ask("谁创办了女性创业孵化基地？", k=1).hits[0].article_id == "g4"


def test_no_index_and_model_mismatch(tmp_path: Path, retriever: Retriever) -> None:
    with pytest.raises(IndexNotFoundError):
        Retriever.open(make_config(tmp_path / "elsewhere", []), embedder=FakeEmbedder())
    cfg = make_config(tmp_path, [tmp_path / "c.jsonl"], model="another-model")
    with pytest.raises(IndexMismatchError):
        Retriever.open(cfg, embedder=FakeEmbedder("another-model"))
