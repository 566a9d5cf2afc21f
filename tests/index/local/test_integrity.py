"""A damaged local index: refused in one line, found by ``check_index``, repaired by a build.

Each case damages one file of a two-segment index (``one.jsonl`` in the first segment,
``two.jsonl`` in the second), then checks that opening or asking fails with a one-line
:class:`IndexStoreError` (or serves only what it served before), that
:func:`check_index` names the damaged file, and that an incremental build repairs it:
afterwards the check is clean, the answers are those of before, and only the chunks
of the damaged segment were embedded again.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsqa.index import (
    Config,
    IndexNotFoundError,
    IndexReader,
    IndexStoreError,
    build_index,
    check_index,
)
from newsqa.index._backends.local._layout import IndexLayout
from newsqa.retrieval import Retriever
from tests.conftest import FakeEmbedder, make_config, write_articles

QUESTIONS = ("民法典婚姻家庭编", "志愿服务队帮助农户春耕", "巾帼", "茶园采茶")

_EXTRA = (
    ("福建安溪茶园迎来春茶采摘", "茶农们清晨上山采茶，今年春茶产量比去年增加两成。"),
    ("云南普洱咖啡豆丰收", "咖啡种植户引进新品种，亩产提高，收购价格稳定。"),
    ("黑龙江冰雪旅游火热", "哈尔滨冰雪大世界接待游客超过百万人次，带动周边消费。"),
    ("广西桂林山水骑行节开幕", "来自各地的骑行爱好者沿漓江骑行，欣赏山水风光。"),
)
"""One-article files beside one.jsonl in the first segment (so a removal stays a deletion)."""


@pytest.fixture
def built(tmp_path: Path) -> tuple[Config, FakeEmbedder]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_articles(corpus / "one.jsonl", ["a1", "a2"])
    for i, (title, text) in enumerate(_EXTRA):
        line = {"id": f"x{i}", "title": title, "text": text}
        (corpus / f"x{i}.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    write_articles(corpus / "two.jsonl", ["a3"])
    build_index(cfg, embedder=emb)
    return cfg, emb


def _answers(cfg: Config, emb: FakeEmbedder) -> list[list[str]]:
    retriever = Retriever.open(cfg, embedder=emb)
    try:
        return [[h.chunk_id for h in retriever.ask(q, k=3).hits] for q in QUESTIONS]
    finally:
        retriever.close()


def _layout(cfg: Config) -> tuple[IndexLayout, Path, dict[str, Any], list[Path]]:
    layout = IndexLayout(cfg.index.dir)
    gen = layout.current()
    manifest = layout.read_manifest(gen)
    segs = [layout.segments / s["name"] for s in manifest["segments"]]
    return layout, gen, manifest, segs


def _first(cfg: Config) -> Path:
    return _layout(cfg)[3][0]


# -- the damage ----------------------------------------------------------------------


def text_changed(cfg: Config) -> None:
    with sqlite3.connect(_first(cfg) / "meta.sqlite") as conn:
        conn.execute("UPDATE chunks SET text = '假消息：法官从未讲解民法典。'")


def nan_vector(cfg: Config) -> None:
    vectors = np.load(_first(cfg) / "vectors.npy", mmap_mode="r+")
    vectors[0, :] = np.nan
    vectors.flush()
    del vectors


def other_dimension(cfg: Config) -> None:
    path = _first(cfg) / "vectors.npy"
    np.save(path, np.zeros((len(np.load(path)), 32), dtype=np.float32))


def fewer_vectors(cfg: Config) -> None:
    path = _first(cfg) / "vectors.npy"
    np.save(path, np.load(path)[:-1])


def postings_past_rows(cfg: Config) -> None:
    path = _first(cfg) / "postings" / "rows.npy"
    rows = np.load(path)
    rows[-1] = 1000
    np.save(path, rows)


def _write_manifest(cfg: Config, change: Callable[[Any], object]) -> None:
    _, gen, _, _ = _layout(cfg)
    path = gen / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def manifest_wrong_types(cfg: Config) -> None:
    _write_manifest(cfg, lambda m: m["segments"][0].update(rows="2"))


def manifest_odd_rows(cfg: Config) -> None:
    _write_manifest(cfg, lambda m: m["segments"][0].update(rows=-7))


def manifest_unknown_key(cfg: Config) -> None:
    _write_manifest(cfg, lambda m: m.update(weights={"dense": "heavy"}))


def current_binary(cfg: Config) -> None:
    (Path(cfg.index.dir) / "CURRENT").write_bytes(b"\x00\xff\xfe\x89PNG")


def _write_catalog(cfg: Config, change: Callable[[Any], object]) -> None:
    _, gen, _, _ = _layout(cfg)
    path = gen / "files.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def catalog_wrong_types(cfg: Config) -> None:
    _write_catalog(cfg, lambda c: [e.update(count="many") for e in c.values()])


def catalog_unknown_key(cfg: Config) -> None:
    _write_catalog(cfg, lambda c: [e.update(owner="x") for e in c.values()])


def _deleted_path(cfg: Config) -> Path:
    _, gen, _, segs = _layout(cfg)
    return gen / "deleted" / f"{segs[0].name}.npy"


def deleted_pickled(cfg: Config) -> None:
    with _deleted_path(cfg).open("wb") as fh:
        np.save(fh, np.array([{"row": 0}], dtype=object), allow_pickle=True)


def deleted_wrong_dtype(cfg: Config) -> None:
    np.save(_deleted_path(cfg), np.array([0.5, 1.5]))


def deleted_out_of_range(cfg: Config) -> None:
    np.save(_deleted_path(cfg), np.array([5000], dtype=np.int32))


def deleted_pickle_file(cfg: Config) -> None:
    _deleted_path(cfg).write_bytes(pickle.dumps([0, 1]))


CASES: dict[str, tuple[Callable[[Config], None], str]] = {
    "text changed": (text_changed, "meta.sqlite"),
    "nan vector": (nan_vector, "vectors.npy"),
    "other dimension": (other_dimension, "vectors.npy"),
    "fewer vectors": (fewer_vectors, "vectors.npy"),
    "postings past rows": (postings_past_rows, "rows.npy"),
    "manifest wrong types": (manifest_wrong_types, "manifest.json"),
    "manifest odd rows": (manifest_odd_rows, "manifest.json"),
    "manifest unknown key": (manifest_unknown_key, "manifest.json"),
    "current binary": (current_binary, "CURRENT"),
    "catalog wrong types": (catalog_wrong_types, "files.json"),
    "catalog unknown key": (catalog_unknown_key, "files.json"),
    "deleted pickled": (deleted_pickled, "deleted/"),
    "deleted wrong dtype": (deleted_wrong_dtype, "deleted/"),
    "deleted out of range": (deleted_out_of_range, "deleted/"),
    "deleted pickle file": (deleted_pickle_file, "deleted/"),
}


def _needs_deleted(name: str, cfg: Config) -> None:
    """Deleted-rows cases need a deleted-rows file to damage: remove x3.jsonl first."""
    if name.startswith("deleted"):
        (Path(cfg.corpus.paths[0]) / "x3.jsonl").unlink()
        build_index(cfg, embedder=FakeEmbedder())
        assert _deleted_path(cfg).is_file()


@pytest.mark.parametrize("name", sorted(CASES))
def test_damage_is_refused_found_and_repaired(
    name: str, built: tuple[Config, FakeEmbedder]
) -> None:
    cfg, emb = built
    _needs_deleted(name, cfg)
    before = _answers(cfg, emb)
    assert check_index(cfg) == []
    damage, file = CASES[name]
    damage(cfg)

    # asking either fails in one line or serves exactly what it served before
    try:
        served = _answers(cfg, emb)
    except IndexStoreError as exc:
        assert "\n" not in str(exc) and "damaged" in str(exc), exc
        assert "newsqa index build" in str(exc)
    else:
        assert served == before, name

    lines = check_index(cfg)
    assert lines, name
    assert any(file in line for line in lines), lines
    assert all("\n" not in line for line in lines)

    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert report.repaired or report.full, report
    assert check_index(cfg) == []
    assert _answers(cfg, emb) == before
    if name in ("text changed", "nan vector", "postings past rows"):
        # only the first segment's texts were embedded again, a3 kept its vector
        assert len(emb.encoded) == 2 + len(_EXTRA), emb.encoded
        assert any("segment" in line for line in report.repaired), report.repaired


def test_cheap_checks_refuse_on_open(built: tuple[Config, FakeEmbedder]) -> None:
    cfg, _ = built
    other_dimension(cfg)
    with pytest.raises(IndexStoreError, match=r"vectors\.npy has dimension 32"):
        IndexReader.open(cfg)


def test_generation_damage_updates_from_previous(built: tuple[Config, FakeEmbedder]) -> None:
    cfg, emb = built
    time.sleep(1.1)  # generation names order by the second: keep the older one older
    (Path(cfg.corpus.paths[0]) / "x3.jsonl").unlink()
    build_index(cfg, embedder=emb)
    before = _answers(cfg, emb)
    catalog_wrong_types(cfg)
    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert not report.full, report
    assert any("updated from generation" in line for line in report.repaired), report.repaired
    assert emb.encoded == []  # the older generation's segments are intact: nothing embedded
    assert _answers(cfg, emb) == before


def test_checksums_are_recorded(built: tuple[Config, FakeEmbedder]) -> None:
    cfg, _ = built
    _, _, manifest, segs = _layout(cfg)
    assert "files.json" in manifest["checksums"]
    for seg in segs:
        data = json.loads((seg / "checksums.json").read_text(encoding="utf-8"))
        assert {"meta.sqlite", "vectors.npy", "postings/rows.npy"} <= set(data["files"])


def test_index_without_checksums_is_served_and_checked(
    built: tuple[Config, FakeEmbedder],
) -> None:
    cfg, emb = built
    before = _answers(cfg, emb)
    segs = _layout(cfg)[3]
    for seg in segs:
        (seg / "checksums.json").unlink()
    _write_manifest(cfg, lambda m: m.pop("checksums"))
    assert _answers(cfg, emb) == before
    assert check_index(cfg) == []
    text_changed(cfg)  # still found: the content hashes witness the text
    assert any("meta.sqlite" in line for line in check_index(cfg))
    report = build_index(cfg, embedder=emb)  # repaired, and gets checksums
    assert any("meta.sqlite" in line for line in report.repaired), report.repaired
    assert check_index(cfg) == []
    assert _answers(cfg, emb) == before
    _, _, manifest, segs = _layout(cfg)
    assert "checksums" in manifest and all((s / "checksums.json").is_file() for s in segs)


def test_no_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        check_index(make_config(tmp_path, [tmp_path]))
