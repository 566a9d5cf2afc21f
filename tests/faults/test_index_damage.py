"""A damaged local index, through the real ``newsqa`` CLI: refused, found, repaired.

Each case damages one file of the built sample archive the way the issue describes
(text changed inside a segment's SQLite store, NaN in ``vectors.npy``, a manifest with
odd rows or wrong types, ``CURRENT`` made binary, a catalog with wrong types or unknown
keys, vectors of another dimension or with fewer rows than the store, postings
pointing past the rows, a bad deleted-rows file). For each: ``ask`` fails with one
error line (exit 1) or serves exactly the answers of before; ``newsqa index check``
exits 1 naming the damaged file; ``newsqa index build`` repairs it, after which the
check exits 0 and the answers are those of before.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.faults._cli import answers, ask_batch, newsqa
from tests.faults.conftest import Archive

pytestmark = pytest.mark.slow


def _generation(index: Path) -> Path:
    return index / "generations" / (index / "CURRENT").read_text(encoding="utf-8").strip()


def _manifest(index: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_generation(index) / "manifest.json").read_text("utf-8"))
    return data


def _segment(index: Path) -> Path:
    name: str = _manifest(index)["segments"][0]["name"]
    return index / "segments" / name


def _rewrite_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def text_changed(index: Path) -> None:
    with sqlite3.connect(_segment(index) / "meta.sqlite") as conn:
        conn.execute("UPDATE chunks SET text = '假消息：此事纯属虚构。'")


def nan_vector(index: Path) -> None:
    vectors = np.load(_segment(index) / "vectors.npy", mmap_mode="r+")
    vectors[:, 0] = np.nan
    vectors.flush()
    del vectors


def other_dimension(index: Path) -> None:
    path = _segment(index) / "vectors.npy"
    np.save(path, np.zeros((len(np.load(path)), 128), dtype=np.float32))


def fewer_vectors(index: Path) -> None:
    path = _segment(index) / "vectors.npy"
    np.save(path, np.load(path)[:-3])


def postings_past_rows(index: Path) -> None:
    path = _segment(index) / "postings" / "rows.npy"
    rows = np.load(path)
    rows[:] = rows.max() + 1000
    np.save(path, rows)


def manifest_odd_rows(index: Path) -> None:
    _rewrite_json(_generation(index) / "manifest.json", lambda m: m["segments"][0].update(rows=-1))


def manifest_wrong_types(index: Path) -> None:
    def change(m: dict[str, Any]) -> None:
        m["dim"] = "512"
        m["counts"] = [1, 2, 3]

    _rewrite_json(_generation(index) / "manifest.json", change)


def manifest_unknown_key(index: Path) -> None:
    change: Callable[[Any], None] = lambda m: m.update(weights={"dense": 1e9})  # noqa: E731
    _rewrite_json(_generation(index) / "manifest.json", change)


def current_binary(index: Path) -> None:
    (index / "CURRENT").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")


def catalog_wrong_types(index: Path) -> None:
    def change(c: dict[str, Any]) -> None:
        for entry in c.values():
            entry["start"] = "0"

    _rewrite_json(_generation(index) / "files.json", change)


def catalog_unknown_key(index: Path) -> None:
    def change(c: dict[str, Any]) -> None:
        for entry in c.values():
            entry["trusted"] = True

    _rewrite_json(_generation(index) / "files.json", change)


def _deleted(index: Path) -> Path:
    folder = _generation(index) / "deleted"
    folder.mkdir(exist_ok=True)
    return folder / f"{_segment(index).name}.npy"


def deleted_pickled(index: Path) -> None:
    np.save(_deleted(index), np.array([{"row": 0}], dtype=object), allow_pickle=True)


def deleted_wrong_dtype(index: Path) -> None:
    np.save(_deleted(index), np.array([[0.5, 1.5]]))


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "text changed in meta.sqlite": (text_changed, "meta.sqlite"),
    "nan in vectors.npy": (nan_vector, "vectors.npy"),
    "vectors of another dimension": (other_dimension, "vectors.npy"),
    "fewer vectors than the store": (fewer_vectors, "vectors.npy"),
    "postings past the rows": (postings_past_rows, "rows.npy"),
    "manifest with odd rows": (manifest_odd_rows, "manifest.json"),
    "manifest with wrong types": (manifest_wrong_types, "manifest.json"),
    "manifest with an unknown key": (manifest_unknown_key, "manifest.json"),
    "binary CURRENT": (current_binary, "CURRENT"),
    "catalog with wrong types": (catalog_wrong_types, "files.json"),
    "catalog with an unknown key": (catalog_unknown_key, "files.json"),
    "pickled deleted rows": (deleted_pickled, "deleted/"),
    "deleted rows of the wrong dtype": (deleted_wrong_dtype, "deleted/"),
}


def _ask_refuses_or_serves_as_before(archive: Archive) -> None:
    run = ask_batch(archive.index)
    run.assert_clean()
    if run.code != 0:
        run.assert_one_line_failure(1, says="damaged")
        assert "newsqa index build" in run.errors[0]
        return
    served = [json.loads(line) for line in run.stdout.splitlines()]
    got = [(bool(d["confident"]), [r["chunk_id"] for r in d["results"]]) for d in served]
    assert got == archive.before


@pytest.mark.parametrize("case", sorted(CASES))
def test_damage_is_refused_found_and_repaired(archive: Archive, case: str) -> None:
    damage, file = CASES[case]
    damage(archive.index)

    _ask_refuses_or_serves_as_before(archive)

    check = newsqa("index", "check", index=archive.index)
    check.assert_clean()
    assert check.code == 1, (check.stdout, check.stderr)
    assert file in check.stdout + check.stderr, (check.stdout, check.stderr)
    assert "Traceback" not in check.stdout

    build = newsqa("index", "build", "--corpus", str(archive.corpus), index=archive.index)
    build.assert_clean()
    assert build.code == 0, build.stderr

    after = newsqa("index", "check", index=archive.index)
    after.assert_clean()
    assert after.code == 0, (after.stdout, after.stderr)
    assert answers(archive.index) == archive.before


def test_intact_index_checks_clean(archive: Archive) -> None:
    run = newsqa("index", "check", index=archive.index)
    run.assert_clean()
    assert run.code == 0, run.stderr
    assert answers(archive.index) == archive.before
