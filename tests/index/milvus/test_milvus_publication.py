"""Milvus: an article's chunks in reading order, where they were published, and a
collection created before those fields existed (read, updated, nothing re-embedded)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from newsqa.index import Config, build_index, open_index
from newsqa.index._backends.milvus import _build, _collections
from tests.conftest import FakeEmbedder, make_config

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus")
pytest.importorskip("milvus_lite", reason="milvus-lite runs the Milvus tests")

_LONG = [
    "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。",
    "执委们来自县里的电商企业，平均年龄不到三十五岁。",
    "下一步，妇联将组织直播培训，帮助更多女性就业创业。",
]


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    records = [
        {
            "id": "long",
            "title": "冠县成立电商行业妇联",
            "text": "\n".join(_LONG),
            "source": "中国妇女报",
            "page": 5,
            "url": "https://example.org/a/long",
        },
        {"id": 'odd "id" \\ here', "title": "宁德法治宣传", "text": "林芳玲宣讲反家庭暴力法。"},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (folder / "paper.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _config(tmp_path: Path) -> Config:
    cfg = make_config(tmp_path, [_corpus(tmp_path)]).with_section("index", backend="milvus")
    return cfg.with_section("milvus", vector_index="FLAT")


def test_article_chunks_and_publication(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    build_index(cfg, embedder=FakeEmbedder())
    index = open_index(cfg)
    try:
        chunks = index.article_chunks("long")
        assert [c.text for c in chunks] == _LONG
        assert {(c.origin, c.page, c.url) for c in chunks} == {
            ("中国妇女报", "5", "https://example.org/a/long")
        }
        [odd] = index.article_chunks('odd "id" \\ here')  # quoted in the filter
        assert odd.origin == "" and odd.page == ""
        assert index.article_chunks("missing") == []
    finally:
        index.close()


def test_collection_without_publication_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = _config(tmp_path)
    emb = FakeEmbedder()
    with monkeypatch.context() as old:  # the collections an older newsqa created
        old.setattr(_collections, "LATER_FIELDS", ())
        old.setattr(_build, "LATER_FIELDS", ())
        build_index(cfg, embedder=emb)
    index = open_index(cfg)
    try:
        chunks = index.article_chunks("long")
        assert [c.text for c in chunks] == _LONG and chunks[0].origin == ""
    finally:
        index.close()
    emb.encoded.clear()
    with caplog.at_level(logging.WARNING):
        report = build_index(cfg, embedder=emb)
    # milvus-lite cannot add fields: said once, and nothing is rewritten or embedded
    assert "predates publication fields" in caplog.text
    assert report.embedded == 0 and emb.encoded == [] and not report.full
    assert (report.added, report.changed, report.removed) == (0, 0, 0)
    full = build_index(cfg, embedder=emb, full=True)
    assert full.full
    index = open_index(cfg)
    try:
        assert index.article_chunks("long")[0].page == "5"
    finally:
        index.close()


def test_new_publication_details_rewrite_rows_without_embedding(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    path = Path(cfg.corpus.paths[0]) / "paper.jsonl"
    path.write_text(path.read_text("utf-8").replace('"page": 5', '"page": "第七版"'), "utf-8")
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert report.embedded == 0 and emb.encoded == [] and not report.full
    index = open_index(cfg)
    try:
        assert {c.page for c in index.article_chunks("long")} == {"7"}
    finally:
        index.close()
