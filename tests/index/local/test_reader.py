"""Reader lifetime: close is idempotent, and closing the previous reader after a reload
closes only the segments the new reader does not share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsqa.index import IndexReader, build_index, open_index
from newsqa.index._tokens import tokenize
from tests.conftest import FakeEmbedder, make_config


def _page(folder: Path, name: str, article: str, title: str, text: str) -> None:
    record = {"id": article, "title": title, "text": text}
    (folder / name).write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _page(
        folder,
        "p0.jsonl",
        "art0",
        "宁德法治宣传",
        "蕉城区法院法官林芳玲现场为群众宣讲反家庭暴力法。",
    )
    _page(
        folder,
        "p1.jsonl",
        "art1",
        "冠县电商妇联",
        "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。",
    )
    return folder


def _searches(reader: IndexReader, emb: FakeEmbedder, question: str) -> str:
    keys, _ = reader.dense_search(emb.encode_query(question), 1)
    lex, _, _ = reader.lexical_search(question, tokenize(question), 1, also=keys)
    [chunk] = reader.chunks(keys.tolist())
    assert len(lex) == 1
    return chunk.article_id


def test_close_twice_is_harmless(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    build_index(cfg, embedder=FakeEmbedder())
    reader = open_index(cfg)
    reader.close()
    reader.close()


def test_closing_the_previous_reader_keeps_the_new_one_searchable(
    tmp_path: Path, corpus: Path
) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    old = IndexReader.open(cfg)
    _page(
        corpus, "p2.jsonl", "art2", "长江大桥通车", "长江新大桥于十月一日正式通车，全长四千六百米。"
    )
    build_index(cfg, embedder=emb)
    new = open_index(cfg, previous=old)
    assert isinstance(new, IndexReader)
    shared = [s for s in new.segments if any(s is o for o in old.segments)]
    assert len(shared) == 1 and len(new.segments) == 2  # the first segment is shared
    old.close()
    old.close()
    assert not shared[0].closed
    assert _searches(new, emb, "冠县妇联主席齐红梅") == "art1"  # in the shared segment
    assert _searches(new, emb, "长江新大桥通车") == "art2"  # in the new one
    new.close()
    assert all(s.closed for s in new.segments)
    new.close()


def test_reopening_from_a_closed_reader_opens_its_segments_again(
    tmp_path: Path, corpus: Path
) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    old = IndexReader.open(cfg)
    old.close()
    new = IndexReader.open(cfg, previous=old)
    try:
        assert not any(s.closed for s in new.segments)
        assert _searches(new, emb, "冠县妇联主席齐红梅") == "art1"
    finally:
        new.close()
