"""A build never loses the archive: unreadable input, mass removal, a full disk, modes.

Tests run as root here, where ``chmod 000`` does not stop a read, so "cannot be read"
is simulated in-process: ``os.scandir`` (what ``os.walk`` lists a folder with) or
``os.open`` (what the corpus reader opens a file with) raise ``PermissionError`` for
the chosen path, exactly as they would for another user.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsqa.index import (
    Config,
    CorpusError,
    IndexReader,
    IndexStoreError,
    build_index,
    index_status,
)
from newsqa.index._backends.local import _store
from newsqa.index._backends.local._layout import IndexLayout
from newsqa.index._backends.local._safety import store_error
from tests.conftest import FakeEmbedder, make_config

PLACES = ("冠县", "宁德", "宁远", "固原", "哈尔滨", "延安", "赣州", "遵义", "大理", "喀什")


def _news(folder: Path, i: int) -> Path:
    place = PLACES[i]
    record = {
        "id": f"n{i}",
        "title": f"{place}开展第{i}次志愿服务",
        "text": f"{place}的志愿者第{i}次走进社区，为{i + 3}户居民修理家电、讲解政策。",
    }
    path = folder / f"n{i}.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Ten one-article files: five at the top, five in ``sub/``."""
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    for i in range(10):
        _news(folder if i < 5 else folder / "sub", i)
    return folder


def _config(tmp_path: Path, corpus: Path, share: float = 0.2) -> Config:
    return make_config(tmp_path, [corpus]).with_section("index", max_removal_share=share)


def _served(cfg: Config) -> list[str]:
    reader = IndexReader.open(cfg)
    try:
        return sorted(c.chunk_id for c in reader.chunks(reader.keys().tolist()))
    finally:
        reader.close()


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Iterator[tuple[Config, FakeEmbedder, list[str]]]:
    cfg = _config(tmp_path, corpus)
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    yield cfg, emb, _served(cfg)


def _block(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """``os.scandir(target)`` raises PermissionError: a folder that cannot be listed."""
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if not isinstance(path, int) and os.fspath(path) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def _unopenable(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """The corpus reader's ``os.open(target)`` raises PermissionError."""
    real = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)  # what _readfile opens a file with


# 1. unreadable is not removed -------------------------------------------------------


def test_a_folder_that_cannot_be_listed_keeps_its_chunks(
    built: tuple[Config, FakeEmbedder, list[str]],
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg, emb, before = built
    _block(monkeypatch, corpus / "sub")
    report = build_index(cfg, embedder=emb)
    assert (report.removed, report.files_unreadable) == (0, 5)
    assert _served(cfg) == before
    lines = [r.getMessage() for r in caplog.records if "sub" in r.getMessage()]
    assert len(lines) == 1 and "cannot list the folder (Permission denied)" in lines[0]
    assert "keeping the 5 files" in lines[0]
    assert index_status(cfg).files_unreadable == 5
    monkeypatch.undo()
    again = build_index(cfg, embedder=emb)  # readable again: nothing changed, nothing read
    assert (again.removed, again.files_unreadable, again.unchanged) == (0, 0, 10)
    assert index_status(cfg).files_unreadable == 0


def test_an_unlistable_corpus_root_keeps_everything(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, emb, before = built
    _block(monkeypatch, corpus.resolve())
    report = build_index(cfg, embedder=emb)
    assert (report.removed, report.files_unreadable, report.chunks) == (0, 10, 10)
    assert _served(cfg) == before


def test_a_file_that_cannot_be_opened_keeps_its_chunks_and_is_read_again(
    built: tuple[Config, FakeEmbedder, list[str]],
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg, emb, before = built
    target = corpus / "n1.jsonl"
    os.utime(target, ns=(1, 1))  # another mtime: the build must read it
    _unopenable(monkeypatch, target.resolve())
    report = build_index(cfg, embedder=emb)
    assert (report.removed, report.changed, report.files_unreadable) == (0, 0, 1)
    assert _served(cfg) == before
    lines = [r.getMessage() for r in caplog.records if "n1.jsonl" in r.getMessage()]
    assert len(lines) == 1 and "keeping its 1 chunks" in lines[0]
    monkeypatch.undo()
    again = build_index(cfg, embedder=emb)
    assert again.files_read == 1 and again.files_unreadable == 0 and _served(cfg) == before


def test_a_new_file_that_cannot_be_opened_is_read_once_it_can(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, emb, _ = built
    new = _news(corpus, 0).rename(corpus / "new.jsonl")
    _news(corpus, 0)
    new.write_text(new.read_text("utf-8").replace('"n0"', '"fresh"'), "utf-8")
    _unopenable(monkeypatch, new.resolve())
    report = build_index(cfg, embedder=emb)
    assert (report.added, report.files_unreadable) == (0, 1)
    monkeypatch.undo()
    assert build_index(cfg, embedder=emb).added == 1  # not remembered as read


def test_a_bad_file_that_was_read_is_still_replaced(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path
) -> None:
    """Read but bad (undecodable) is not unreadable: as before, its old chunks go."""
    cfg, emb, _ = built
    (corpus / "n2.jsonl").write_bytes(b"\xff\xfe\x00garbage\x00" * 50)
    report = build_index(cfg, embedder=emb)
    assert report.files_unreadable == 0 and report.removed == 1


def test_a_vanished_corpus_path_keeps_its_files(tmp_path: Path, corpus: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _news(other, 9).rename(other / "x.jsonl")
    cfg = make_config(tmp_path, [corpus, other])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    before = _served(cfg)
    corpus.rename(tmp_path / "away")  # an unmounted disk
    report = build_index(cfg, embedder=emb)
    assert (report.removed, report.files_unreadable) == (0, 10)
    assert _served(cfg) == before


def test_a_missing_corpus_path_on_a_first_build_is_still_an_error(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, [tmp_path / "nowhere"])
    with pytest.raises(CorpusError, match="corpus path not found"):
        build_index(cfg, embedder=FakeEmbedder())


def test_a_full_rebuild_that_would_drop_an_unreadable_folder_is_refused(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, emb, before = built
    _block(monkeypatch, corpus / "sub")
    with pytest.raises(CorpusError, match=r"cannot read .*sub: a full rebuild would drop"):
        build_index(cfg, full=True, embedder=emb)
    assert _served(cfg) == before
    report = build_index(cfg, full=True, embedder=emb, allow_mass_removal=True)
    assert report.chunks == 5


# 2. mass removal guard ----------------------------------------------------------------


def test_an_emptied_corpus_is_refused_then_allowed(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path
) -> None:
    cfg, emb, before = built
    for path in sorted(corpus.rglob("*.jsonl"))[1:]:
        path.unlink()
    with pytest.raises(CorpusError) as refused:
        build_index(cfg, embedder=emb)
    assert str(refused.value) == (
        "this update would remove 90% of the archive's chunks"
        " (more than index.max_removal_share = 20%):"
        " check corpus.paths or the mount, or pass --allow-mass-removal"
    )
    assert _served(cfg) == before
    report = build_index(cfg, embedder=emb, allow_mass_removal=True)
    assert (report.removed, report.chunks) == (9, 1)


def test_an_empty_root_is_refused(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path
) -> None:
    cfg, emb, before = built
    for path in corpus.rglob("*.jsonl"):
        path.unlink()
    with pytest.raises(CorpusError, match="would remove 100% of the archive's chunks"):
        build_index(cfg, embedder=emb)
    with pytest.raises(CorpusError, match="no articles found"):  # allowed: nothing to serve
        build_index(cfg, embedder=emb, allow_mass_removal=True)
    assert _served(cfg) == before


def test_small_removals_and_moves_pass_the_guard(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path
) -> None:
    cfg, emb, _ = built
    (corpus / "n0.jsonl").unlink()
    (corpus / "n1.jsonl").unlink()  # 20%: not more than the limit
    assert build_index(cfg, embedder=emb).removed == 2
    (corpus / "sub").rename(corpus / "moved")  # 5 of 8 chunks "removed", all back
    report = build_index(cfg, embedder=emb)
    assert (report.removed, report.added, report.chunks) == (5, 5, 8)


def test_a_first_build_and_a_full_rebuild_are_not_refused(
    built: tuple[Config, FakeEmbedder, list[str]], corpus: Path
) -> None:
    cfg, emb, _ = built
    for path in sorted(corpus.rglob("*.jsonl"))[1:]:
        path.unlink()
    assert build_index(cfg, full=True, embedder=emb).chunks == 1


def test_share_zero_refuses_any_removal(tmp_path: Path, corpus: Path) -> None:
    cfg = _config(tmp_path, corpus, share=0.0)
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    (corpus / "n0.jsonl").unlink()
    with pytest.raises(CorpusError, match=r"remove 10% .* = 0%\)"):
        build_index(cfg, embedder=emb)


# 3. a full disk -----------------------------------------------------------------------


def _enospc(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", None if path is None else str(path))


def _failing_save(real: Callable[..., Any], name: str) -> Callable[..., Any]:
    def save(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith(name):
            raise _enospc(file)
        return real(file, *args, **kwargs)

    return save


def _faults() -> dict[str, Callable[[pytest.MonkeyPatch], None]]:
    real_replace = os.replace
    real_write_text = Path.write_text

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith("CURRENT"):
            raise _enospc(dst)
        real_replace(src, dst, *args, **kwargs)

    def write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith("manifest.json"):
            raise _enospc(self)
        return real_write_text(self, *args, **kwargs)

    def store_write(self: Any, *args: Any, **kwargs: Any) -> None:
        raise self._fail(sqlite3.OperationalError("database or disk is full"))

    return {
        "vectors (40%)": lambda mp: mp.setattr(np, "save", _failing_save(np.save, "vectors.npy")),
        "sqlite (40%)": lambda mp: mp.setattr(_store.MetaStore, "write", store_write),
        "manifest (95%)": lambda mp: mp.setattr(Path, "write_text", write_text),
        "swap (99%)": lambda mp: mp.setattr(os, "replace", replace),
    }


@pytest.mark.parametrize("where", list(_faults()))
def test_a_full_disk_fails_in_one_line_and_keeps_serving(
    built: tuple[Config, FakeEmbedder, list[str]],
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    cfg, emb, before = built
    layout = IndexLayout(cfg.index.dir)
    gens = sorted(p.name for p in layout.generations.iterdir())
    segs = sorted(p.name for p in layout.segments.iterdir())
    _news(corpus, 0).write_text(
        json.dumps({"id": "new", "title": "新稿件", "text": "全新的一篇稿件。"}) + "\n", "utf-8"
    )
    _faults()[where](monkeypatch)
    with pytest.raises(IndexStoreError) as failed:
        build_index(cfg, embedder=emb)
    message = str(failed.value)
    assert message.startswith("no space left on ") and "\n" not in message
    monkeypatch.undo()
    assert _served(cfg) == before
    assert sorted(p.name for p in layout.generations.iterdir()) == gens  # nothing half-written
    assert sorted(p.name for p in layout.segments.iterdir()) == segs
    assert build_index(cfg, embedder=emb).added == 1  # the next build works


def test_store_error_names_the_path_and_reads_other_failures() -> None:
    root = Path("/idx")
    full = store_error(_enospc("/idx/segments/s/vectors.npy"), root)
    assert full is not None and str(full).startswith("no space left on /idx/segments/s/vectors.npy")
    faiss_full = RuntimeError("fwrite failed: No space left on device")
    wrapped = IndexStoreError("cannot write the vector index /idx/s/ann.faiss")
    wrapped.__cause__ = faiss_full
    assert str(store_error(wrapped, root)).startswith("no space left on /idx")
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    assert str(store_error(sqlite_full, root)).startswith("no space left on /idx")
    denied = PermissionError(errno.EACCES, "Permission denied", "/idx/CURRENT")
    assert str(store_error(denied, root)).startswith("cannot write /idx/CURRENT: Permission")
    short = OSError("100000 requested and 16352 written")  # np.save on a full disk
    assert str(store_error(short, root)).startswith("no space left on /idx:")
    assert store_error(ValueError("x"), root) is None


# 4. file permissions ------------------------------------------------------------------


def _modes(root: Path) -> set[tuple[str, int]]:
    out = {("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        kind = "dir" if path.is_dir() else "file"
        out.add((kind, stat.S_IMODE(path.lstat().st_mode)))
    return out


def test_the_index_is_private_by_default(tmp_path: Path, corpus: Path) -> None:
    old = os.umask(0o022)
    try:
        cfg = _config(tmp_path, corpus)
        build_index(cfg, embedder=FakeEmbedder())
        assert _modes(Path(cfg.index.dir)) == {("dir", 0o700), ("file", 0o600)}
    finally:
        os.umask(old)


def test_private_false_keeps_the_umask(tmp_path: Path, corpus: Path) -> None:
    old = os.umask(0o022)
    try:
        cfg = _config(tmp_path, corpus).with_section("index", private=False)
        build_index(cfg, embedder=FakeEmbedder())
        modes = _modes(Path(cfg.index.dir))
        assert ("dir", 0o755) in modes and ("file", 0o644) in modes
        assert ("file", 0o600) not in modes
    finally:
        os.umask(old)


# 5. SQLite durability -----------------------------------------------------------------


def test_an_unpublished_segment_is_discarded_by_the_next_build(
    built: tuple[Config, FakeEmbedder, list[str]],
) -> None:
    """journal_mode=OFF is safe: a segment cut short by a power cut is never served.

    A segment is published only after it and its generation were fsynced; one left
    by a crash (here: a torn SQLite file and no generation naming it) is removed.
    """
    cfg, emb, before = built
    layout = IndexLayout(cfg.index.dir)
    torn = layout.segments / "20990101T000000-deadbeef"
    torn.mkdir()
    (torn / "meta.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (layout.generations / "20990101T000000-dead").mkdir()
    assert _served(cfg) == before
    build_index(cfg, embedder=emb)
    assert not torn.exists() and not (layout.generations / "20990101T000000-dead").exists()
    assert _served(cfg) == before
