"""Building the index: incremental counts, forced full rebuilds, and the atomic swap."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from newsqa.index import CorpusError, IndexNotFoundError, IndexReader, build_index, index_status
from newsqa.index._backends.local._layout import IndexLayout
from newsqa.retrieval import Retriever
from tests.conftest import ROOT, FakeEmbedder, make_config, write_articles


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_articles(folder / "one.jsonl", ["a1", "a2"])
    return folder


def test_first_build_then_nothing_to_do(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = make_config(tmp_path, [corpus_dir])
    emb = FakeEmbedder()
    first = build_index(cfg, embedder=emb)
    assert (first.added, first.changed, first.removed, first.unchanged) == (2, 0, 0, 0)
    assert first.full and first.reason == "no previous index"
    emb.encoded.clear()
    second = build_index(cfg, embedder=emb)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 2)
    assert second.embedded == 0 and emb.encoded == []
    assert not second.full
    assert index_status(cfg).chunks == 2


def test_add_change_remove_files(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = make_config(tmp_path, [corpus_dir])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)

    write_articles(corpus_dir / "two.jsonl", ["a3"])  # add a file
    write_articles(
        corpus_dir / "one.jsonl", ["a1", "a2"], {"a2": "林芳玲法官讲解了民法典婚姻家庭编。"}
    )
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 0, 1)
    assert report.embedded == 2 and len(emb.encoded) == 2
    retriever = Retriever.open(cfg, embedder=emb)
    changed = retriever.ask("林芳玲讲解了民法典哪一编？", k=1).hits[0]
    assert changed.article_id == "a2" and "民法典" in changed.text
    assert retriever.ask("志愿服务队帮助农户春耕", k=1).hits[0].article_id == "a3"

    (corpus_dir / "one.jsonl").unlink()  # remove a file
    report = build_index(cfg, embedder=emb)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 2, 1)
    reader = IndexReader.open(cfg)
    assert reader.info.articles == 1 and reader.size == 1
    [chunk] = reader.chunks(reader.keys().tolist())
    assert chunk.article_id == "a3"
    assert reader.idf(["齐红梅"]) == reader.idf(["不存在的词"])  # gone from BM25 statistics
    keys, _, _ = reader.lexical_search("", ["齐红梅", "冠县"], 5, also=reader.keys())
    assert keys.tolist() == []  # and from BM25 search
    retriever = Retriever.open(cfg, embedder=emb)
    assert {h.article_id for h in retriever.ask("冠县妇联主席齐红梅", k=5).hits} == {"a3"}


def test_model_change_forces_full_rebuild(
    tmp_path: Path, corpus_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = make_config(tmp_path, [corpus_dir])
    build_index(cfg, embedder=FakeEmbedder())
    other = FakeEmbedder("another-model")
    report = build_index(cfg.with_section("model", name="another-model"), embedder=other)
    assert report.full and "embedding model changed" in report.reason
    assert report.embedded == 2
    assert any("full rebuild" in r.getMessage() for r in caplog.records)


def test_empty_corpus_is_an_error_and_keeps_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = make_config(tmp_path, [empty])
    with pytest.raises(CorpusError):
        build_index(cfg, embedder=FakeEmbedder())
    with pytest.raises(IndexNotFoundError):
        index_status(cfg)


_BUILD_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from tests.conftest import FakeEmbedder, make_config
    from newsqa.index import build_index
    cfg = make_config(Path({tmp!r}), [Path({corpus!r})])
    build_index(cfg, embedder=FakeEmbedder())
    """
)


def _run_build(
    tmp_path: Path, corpus: Path, kill_at: str | None = None, kill_after: float | None = None
) -> int:
    script = _BUILD_SCRIPT.format(root=str(ROOT), tmp=str(tmp_path), corpus=str(corpus))
    env = dict(os.environ)
    if kill_at:
        env["NEWSQA_TEST_KILL_AT"] = kill_at
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=120)


def _served_ids(tmp_path: Path, corpus: Path) -> set[str]:
    reader = IndexReader.open(make_config(tmp_path, [corpus]))
    try:
        keys = reader.keys().tolist()
        assert reader.size == len(keys) == reader.info.chunks
        return {c.article_id for c in reader.chunks(keys)}
    finally:
        reader.close()


@pytest.mark.parametrize("stage", ["embedded", "written", "manifest"])
def test_killed_build_leaves_previous_index_serving(
    tmp_path: Path, corpus_dir: Path, stage: str
) -> None:
    assert _run_build(tmp_path, corpus_dir) == 0
    before = IndexLayout(tmp_path / "index").current().name
    write_articles(corpus_dir / "two.jsonl", ["a3"])
    code = _run_build(tmp_path, corpus_dir, kill_at=stage)
    assert code == -signal.SIGKILL
    assert IndexLayout(tmp_path / "index").current().name == before
    assert _served_ids(tmp_path, corpus_dir) == {"a1", "a2"}
    # the next build recovers: cleans the debris and serves the new corpus
    assert _run_build(tmp_path, corpus_dir) == 0
    assert _served_ids(tmp_path, corpus_dir) == {"a1", "a2", "a3"}
    gens = list((tmp_path / "index" / "generations").iterdir())
    assert len(gens) <= 2


def test_killed_at_random_moments(tmp_path: Path, corpus_dir: Path) -> None:
    assert _run_build(tmp_path, corpus_dir) == 0
    write_articles(corpus_dir / "two.jsonl", ["a3"])
    rng = random.Random(7)
    for _ in range(4):
        _run_build(tmp_path, corpus_dir, kill_after=rng.uniform(0.2, 2.5))
        assert _served_ids(tmp_path, corpus_dir) in ({"a1", "a2"}, {"a1", "a2", "a3"})
