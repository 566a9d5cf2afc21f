"""Incremental updates at the level of files and segments: read little, write little."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from newsqa.index import IndexReader, build_index
from newsqa.index._backends.local._bm25 import Bm25, Postings
from newsqa.index._backends.local._layout import IndexLayout
from newsqa.index._tokens import tokenize
from newsqa.retrieval import Retriever
from tests.conftest import FakeEmbedder, make_config

TEXTS = [
    ("宁德法治宣传", "蕉城区法院法官林芳玲现场为群众宣讲反家庭暴力法。"),
    ("宁远巾帼助春耕", "志愿服务队由女党员干部和女农技人员组成，帮助农户春耕。"),
    ("冠县电商妇联", "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。"),
    ("扬中家庭教育", "扬中市妇联开设家长学校，每月举办两次家庭教育讲座。"),
    ("成都托育服务", "成都市新建普惠托育机构三十家，提供托位两千个。"),
    ("长江大桥通车", "长江新大桥于十月一日正式通车，全长四千六百米。"),
]


def _page(folder: Path, name: str, i: int, extra: str = "") -> Path:
    title, text = TEXTS[i]
    path = folder / name
    record = {"id": f"art{i}", "title": title, "text": text + extra}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(3):
        _page(folder, f"p{i}.jsonl", i)
    return folder


def _top_article(cfg, emb: FakeEmbedder, question: str) -> str:  # type: ignore[no-untyped-def]
    return Retriever.open(cfg, embedder=emb).ask(question, k=1).hits[0].article_id


def test_an_update_reads_only_new_files_and_adds_one_segment(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    first = build_index(cfg, embedder=emb)
    assert (first.files_read, first.segments) == (3, 1)
    _page(corpus, "p3.jsonl", 3)
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert (report.files_read, report.segments, report.added, report.unchanged) == (1, 2, 1, 3)
    assert report.embedded == 1 and len(emb.encoded) == 1
    assert _top_article(cfg, emb, "扬中市妇联家长学校讲座") == "art3"


def test_a_segment_left_without_live_rows_is_dropped(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    build_index(cfg, embedder=FakeEmbedder())
    _page(corpus, "p3.jsonl", 3)
    assert build_index(cfg, embedder=FakeEmbedder()).segments == 2
    _page(corpus, "p3.jsonl", 3, extra="讲座免费。")  # edit today's page again
    report = build_index(cfg, embedder=FakeEmbedder())
    assert (report.segments, report.changed, report.chunks) == (2, 1, 4)


def test_a_touched_file_is_read_but_not_reindexed(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    build_index(cfg, embedder=FakeEmbedder())
    path = corpus / "p1.jsonl"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = build_index(cfg, embedder=FakeEmbedder())
    assert report.files_read == 1 and report.segments == 1
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 3)
    again = build_index(cfg, embedder=FakeEmbedder())
    assert again.files_read == 0  # the new modification time was recorded


def test_a_moved_file_reuses_its_vectors(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    sub = corpus / "archive"
    sub.mkdir()
    (corpus / "p2.jsonl").rename(sub / "p2.jsonl")
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert report.removed == 1 and report.embedded == 0 and emb.encoded == []
    assert _top_article(cfg, emb, "冠县妇联主席齐红梅") == "art2"


def test_removing_an_article_removes_it_everywhere(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    (corpus / "p2.jsonl").unlink()
    report = build_index(cfg, embedder=emb)
    assert report.removed == 1 and report.chunks == 2 and report.articles == 2
    reader = IndexReader.open(cfg)
    keys = reader.keys()
    assert {c.article_id for c in reader.chunks(keys.tolist())} == {"art0", "art1"}
    assert reader.lexical_search("", tokenize("齐红梅"), 5, also=keys)[0].tolist() == []
    dense, _ = reader.dense_search(emb.encode_query("冠县妇联主席齐红梅"), 10)
    assert set(dense.tolist()) <= set(keys.tolist())
    assert reader.idf(["齐红梅"]) == reader.idf(["从未出现"])


def test_segments_merge_past_the_limit_and_edits_still_find_their_rows(
    tmp_path: Path, corpus: Path
) -> None:
    cfg = make_config(tmp_path, [corpus]).with_section("index", max_segments=3)
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    merged = 0
    for i in range(3, 6):
        report = build_index(cfg, embedder=_fresh(emb, corpus, i))
        merged += report.merged
        assert report.segments <= 3
    assert merged > 0
    assert _top_article(cfg, emb, "长江新大桥通车") == "art5"
    # edit a file whose rows now live in a merged segment: its old row must disappear
    _page(corpus, "p0.jsonl", 0, extra="林芳玲还讲解了民法典。")
    report = build_index(cfg, embedder=emb)
    assert (report.changed, report.chunks) == (1, 6)
    reader = IndexReader.open(cfg)
    texts = [c.text for c in reader.chunks(reader.keys().tolist()) if c.article_id == "art0"]
    assert len(texts) == 1 and "民法典" in texts[0]


def _fresh(emb: FakeEmbedder, corpus: Path, i: int) -> FakeEmbedder:
    _page(corpus, f"p{i}.jsonl", i)
    return emb


def test_compact_merges_everything_without_reembedding(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    _page(corpus, "p3.jsonl", 3)
    (corpus / "p0.jsonl").unlink()
    build_index(cfg, embedder=emb)
    before = Retriever.open(cfg, embedder=emb).ask("冠县妇联主席齐红梅", k=3)
    emb.encoded.clear()
    report = build_index(cfg, compact=True, embedder=emb)
    assert (report.segments, report.merged, report.embedded) == (1, 2, 0)
    after = Retriever.open(cfg, embedder=emb).ask("冠县妇联主席齐红梅", k=3)
    assert [h.chunk_id for h in after.hits] == [h.chunk_id for h in before.hits]
    assert np.allclose([h.score for h in after.hits], [h.score for h in before.hits], atol=1e-5)
    layout = IndexLayout(cfg.index.dir)
    used = {s["name"] for s in layout.read_manifest(layout.current())["segments"]}
    assert len(used) == 1


def test_a_large_segment_gets_an_approximate_index(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    lines = [
        json.dumps(
            {"id": f"a{i}", "title": f"第{i}号通知", "text": f"编号{i}的文件由第{i % 7}科室发布。"}
        )
        for i in range(400)
    ]
    (folder / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    cfg = make_config(tmp_path, [folder]).with_section("index", approximate_threshold=100)
    emb = FakeEmbedder()
    report = build_index(cfg, embedder=emb)
    info = IndexReader.open(cfg).info
    assert report.chunks == 400 and "sq8" in info.vector_index
    assert _top_article(cfg, emb, "编号123的文件") == "a123"


def test_bm25_matches_bm25s_and_merged_postings_match_a_fresh_build() -> None:
    bm25s = pytest.importorskip("bm25s")
    docs = [tokenize(t + "。" + x) for t, x in TEXTS]
    ours = Bm25([(Postings.build(docs), None)])
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(docs, show_progress=False)
    query = tokenize("妇联主席齐红梅介绍电商行业")
    known = [t for t in query if t in reference.vocab_dict]
    assert np.allclose(ours.scores(known)[0], reference.get_scores(known), atol=1e-5)

    keep_a = np.array([True, False, True])
    keep_b = np.array([True, True, False])
    merged = Postings.merge(
        [(Postings.build(docs[:3]), keep_a), (Postings.build(docs[3:]), keep_b)]
    )
    fresh = Postings.build([docs[0], docs[2], docs[3], docs[4]])
    for name in ("terms", "indptr", "rows", "tfs", "lengths"):
        assert np.array_equal(getattr(merged, name), getattr(fresh, name)), name


def test_bm25_top_rows_equal_a_full_sort() -> None:
    rng = np.random.default_rng(3)
    vocab = [f"词{i}" for i in range(60)]
    weights = 1.0 / np.arange(1, 61)  # Zipf: a few very common words, many rare ones
    docs = [
        list(rng.choice(vocab, size=rng.integers(3, 30), p=weights / weights.sum()))
        for _ in range(3000)
    ]
    bm25 = Bm25([(Postings.build(docs), None)])
    for _ in range(30):
        query = list(rng.choice(vocab, size=rng.integers(1, 6)))
        for k in (1, 10, 50):
            [scores], [top] = bm25.search(query, k)
            expected = np.sort(scores[scores > 0])[::-1][:k]
            assert np.allclose(np.sort(scores[top])[::-1], expected)
