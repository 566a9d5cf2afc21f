"""A Milvus index's client: each open has its own; close is idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsqa.index import build_index, open_index
from tests.conftest import FakeEmbedder, make_config, write_articles

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus")
pytest.importorskip("milvus_lite", reason="milvus-lite runs the Milvus tests")


def test_close_twice_and_close_the_previous_after_reopening(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_articles(folder / "one.jsonl", ["a1", "a2"])
    cfg = make_config(tmp_path, [folder]).with_section("index", backend="milvus")
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    old = open_index(cfg)
    old.close()
    old.close()
    old = open_index(cfg)
    new = open_index(cfg, previous=old)
    old.close()
    try:
        keys, _ = new.dense_search(emb.encode_query("冠县妇联主席是谁？"), 1)
        assert [c.article_id for c in new.chunks(keys.tolist())] == ["a1"]
    finally:
        new.close()
        new.close()
