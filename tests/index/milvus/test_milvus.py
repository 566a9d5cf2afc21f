"""The Milvus backend against milvus-lite (an embedded database file in tmp_path)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from newsqa.index import (
    Config,
    ConfigError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
    build_index,
    index_status,
    load_config,
    open_index,
)
from newsqa.retrieval import Retriever
from tests.conftest import (
    PAGE,
    RESULT_KEYS,
    ROOT,
    FakeEmbedder,
    make_config,
    needs_shared,
    write_articles,
)

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus")
pytest.importorskip("milvus_lite", reason="milvus-lite runs the Milvus tests")


def _milvus(cfg: Config, **milvus: object) -> Config:
    cfg = cfg.with_section("index", backend="milvus")
    return cfg.with_section("milvus", **milvus) if milvus else cfg


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_articles(folder / "one.jsonl", ["a1", "a2"])
    return folder


def test_build_then_search(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = _milvus(make_config(tmp_path, [corpus_dir]))
    emb = FakeEmbedder()
    report = build_index(cfg, embedder=emb)
    assert (report.added, report.changed, report.removed, report.unchanged) == (2, 0, 0, 0)
    assert report.full and report.reason == "no previous index" and report.embedded == 2
    assert (tmp_path / "index" / "milvus.db").exists()  # the default: a milvus-lite file

    info = index_status(cfg)
    assert info.backend == "milvus" and info.chunks == 2 and info.articles == 2
    assert info.model == "fake-bigram" and info.generation == report.generation

    retriever = Retriever.open(cfg, embedder=emb)
    answer = retriever.ask("冠县妇联主席是谁？", k=2)
    assert answer.hits[0].article_id == "a1" and "齐红梅" in answer.hits[0].text
    assert answer.confident


def test_search_index_protocol(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = _milvus(make_config(tmp_path, [corpus_dir]), vector_index="FLAT")
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    index = open_index(cfg)
    try:
        assert index.size == 2
        q = emb.encode_query("蕉城区法院法官林芳玲")
        keys, scores = index.dense_search(q, 5)
        assert len(keys) == 2 and scores[0] >= scores[1]
        [top] = index.chunks([int(keys[0])])
        assert top.article_id == "a2"
        exact = index.dense_scores(q, keys)
        assert abs(float(exact[0]) - float(scores[0])) < 1e-4
        lk, ls, also = index.lexical_search("林芳玲 法官", ["林芳玲", "法官"], 5, also=keys)
        assert [c.article_id for c in index.chunks(lk.tolist())] == ["a2"] and ls[0] > 0
        assert sorted(also.tolist(), reverse=True)[1] == 0.0  # a1 matches nothing
        idf = index.idf(["法官", "妇联", "从未出现"])
        assert idf[0] == pytest.approx(idf[1]) and idf[2] > idf[0]  # df 1, 1, 0 of N=2
        assert [c.article_id for c in index.chunks([int(keys[1]), int(keys[0])])] == [
            index.chunks([int(keys[1])])[0].article_id,
            "a2",
        ]
    finally:
        index.close()


def test_incremental_embeds_changed_and_deletes_removed(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = _milvus(make_config(tmp_path, [corpus_dir]))
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)

    emb.encoded.clear()
    again = build_index(cfg, embedder=emb)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 2)
    assert again.embedded == 0 and emb.encoded == [] and not again.full

    write_articles(corpus_dir / "two.jsonl", ["a3"])
    write_articles(corpus_dir / "one.jsonl", ["a2"], {"a2": "林芳玲法官讲解了民法典婚姻家庭编。"})
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 0)
    assert report.embedded == 2 and len(emb.encoded) == 2 and not report.full
    assert index_status(cfg).chunks == 2

    retriever = Retriever.open(cfg, embedder=emb)
    hit = retriever.ask("林芳玲讲解了民法典哪一编？", k=1).hits[0]
    assert hit.article_id == "a2" and "民法典" in hit.text
    ids = {h.article_id for h in retriever.search("冠县妇联主席齐红梅", 5)}
    assert "a1" not in ids  # the removed article is gone from both rankers
    index = open_index(cfg)
    try:
        # document frequencies follow the change: 反家庭暴力法 left with the old a2 text
        gone, kept = index.idf(["反家庭暴力法", "林芳玲"])
        assert gone > kept
    finally:
        index.close()


def test_model_change_forces_full_rebuild_and_mismatch_at_open(
    tmp_path: Path, corpus_dir: Path
) -> None:
    cfg = _milvus(make_config(tmp_path, [corpus_dir]))
    build_index(cfg, embedder=FakeEmbedder())
    other = cfg.with_section("model", name="other-model")
    with pytest.raises(IndexMismatchError, match="fake-bigram"):
        open_index(other)
    emb = FakeEmbedder("other-model")
    report = build_index(other, embedder=emb)
    assert report.full and "embedding model changed" in report.reason
    assert report.embedded == 2
    assert open_index(other).info.model == "other-model"
    with pytest.raises(IndexMismatchError):
        open_index(cfg)


def test_full_flag_and_reload(tmp_path: Path, corpus_dir: Path) -> None:
    cfg = _milvus(make_config(tmp_path, [corpus_dir]))
    emb = FakeEmbedder()
    first = build_index(cfg, embedder=emb)
    retriever = Retriever.open(cfg, embedder=emb)
    assert not retriever.reload()
    assert retriever.ask("冠县妇联主席是谁？", k=1).hits[0].article_id == "a1"  # still open
    second = build_index(cfg, full=True, embedder=emb)
    assert second.full and second.reason == "requested with --full" and second.embedded == 2
    assert second.generation != first.generation
    assert retriever.reload() and retriever.info.generation == second.generation
    assert retriever.ask("冠县妇联主席是谁？", k=1).hits[0].article_id == "a1"


def test_no_index_and_bad_uri_are_index_errors(tmp_path: Path) -> None:
    cfg = _milvus(make_config(tmp_path, []))
    with pytest.raises(IndexNotFoundError, match="no Milvus index"):
        index_status(cfg)
    assert not (tmp_path / "index" / "milvus.db").exists()  # reading creates nothing
    bad = _milvus(make_config(tmp_path, []), uri="http://127.0.0.1:1", timeout=2.0)
    with pytest.raises(IndexStoreError, match=r"Milvus: connecting to http://127\.0\.0\.1:1"):
        open_index(bad)


def test_config_backend_and_milvus_section(tmp_path: Path) -> None:
    cfg = load_config(
        environ={
            "NEWSQA_INDEX_BACKEND": "milvus",
            "NEWSQA_MILVUS_URI": "http://milvus.internal:19530",
            "NEWSQA_MILVUS_SEARCH_EF": "64",
            "NEWSQA_MILVUS_TOKEN": "root:Milvus",  # the secret: not a config key
        }
    )
    assert cfg.index.backend == "milvus" and cfg.milvus.search_ef == 64
    assert cfg.milvus.uri == "http://milvus.internal:19530"
    assert "root:Milvus" not in repr(cfg)
    with pytest.raises(ConfigError, match=r"index\.backend"):
        load_config(environ={"NEWSQA_INDEX_BACKEND": "elastic"})
    bad = tmp_path / "bad.toml"
    bad.write_text('[milvus]\ntoken = "secret"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown config key milvus\.token"):
        load_config(bad, environ={})


def test_example_documents_every_milvus_key() -> None:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    defaults = Config()
    assert {f.name for f in dataclasses.fields(defaults.milvus)} == set(data["milvus"])
    assert data["index"]["backend"] == "local"
    for key, value in data["milvus"].items():
        assert getattr(defaults.milvus, key) == value, key


def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsqa.bot.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def test_cli_bad_uri_is_one_line(tmp_path: Path) -> None:
    env = {
        "NEWSQA_INDEX_BACKEND": "milvus",
        "NEWSQA_MILVUS_URI": "http://127.0.0.1:1",
        "NEWSQA_MILVUS_TIMEOUT": "2",
        "NEWSQA_MILVUS_TOKEN": "user:supersecret",
    }
    proc = _run("--index", str(tmp_path / "i"), "index", "status", env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("newsqa: error:")]
    assert len(errors) == 1 and "Milvus" in errors[0], proc.stderr
    assert "supersecret" not in proc.stderr


def test_cli_ask_without_milvus_index_is_one_line(tmp_path: Path) -> None:
    proc = _run(
        "--index", str(tmp_path / "i"), "ask", "问题", env={"NEWSQA_INDEX_BACKEND": "milvus"}
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "newsqa: error: no Milvus index" in proc.stderr


@pytest.mark.slow
@needs_shared
def test_cli_build_and_ask_json_with_the_real_model(tmp_path: Path) -> None:
    env = {"NEWSQA_INDEX_BACKEND": "milvus"}
    index = str(tmp_path / "i")
    build = _run("--index", index, "index", "build", "--corpus", str(PAGE), "--json", env=env)
    assert build.returncode == 0, build.stderr
    assert json.loads(build.stdout)["chunks"] > 0
    proc = _run("--index", index, "ask", "冠县妇联主席是谁？", "-k", "2", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["confident"] is True and len(data["results"]) == 2
    assert set(data["results"][0]) == RESULT_KEYS
    assert "冠县" in data["results"][0]["title"]


def test_interrupted_build_is_completed_by_the_next(tmp_path: Path, corpus_dir: Path) -> None:
    from newsqa.index._backends.milvus._client import connect as _connect
    from newsqa.index._backends.milvus._collections import Collections as _Collections

    cfg = _milvus(make_config(tmp_path, [corpus_dir]))
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    index = open_index(cfg)
    expected = index.idf(["法官", "妇联"])
    index.close()
    # what a build killed midway leaves: the meta row says "building", the term
    # table is behind the chunks
    client, target = _connect(cfg, create=False)
    store = _Collections(client, cfg, target)
    meta = store.read_meta()
    assert meta is not None
    store.write_meta({**meta, "state": "building"})
    store.delete(store.terms, [int(r["pk"]) for r in store.scan(store.terms, ["pk"])])
    client.close()

    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert not report.full and report.embedded == 0 and report.unchanged == 2
    index = open_index(cfg)
    try:
        assert index.idf(["法官", "妇联"]) == pytest.approx(expected)
    finally:
        index.close()
