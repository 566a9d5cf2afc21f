"""The `newsqa` command line with bad input, in-process on a fake-embedder index.

Bad questions (undecodable bytes, blank lines in a batch), an output stream that
cannot encode Chinese, shown corpus paths, and the new index commands and flags. The
same cases run against the real CLI and model in tests/faults/test_cli_input.py.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import newsqa.index
from newsqa.bot.cli import _build_notes, _read_batch, _shown_path, main
from newsqa.index import BuildReport, Config, IndexInfo, build_index
from newsqa.retrieval import Retriever
from tests.conftest import FakeEmbedder, make_config

ROWS = [
    {"id": "g1", "title": "山东冠县成立电商行业妇联", "text": "冠县妇联主席齐红梅介绍情况。"},
    {"id": "g2", "title": "福建宁德开展法治宣传", "text": "法官林芳玲现场宣讲反家庭暴力法。"},
]


@pytest.fixture
def corpus_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    """An index of :data:`ROWS` (corpus folder ``tmp/corpus``), served with the fake embedder.

    The config is written to a file and named by ``$NEWSQA_CONFIG``, so ``main`` sees it.
    """
    folder = tmp_path / "corpus"
    (folder / "news").mkdir(parents=True)
    page = folder / "news" / "c.jsonl"
    page.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    cfg = make_config(tmp_path, [folder])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    toml = tmp_path / "newsqa.toml"
    toml.write_text(
        f'[index]\ndir = "{cfg.index.dir}"\n[corpus]\npaths = ["{folder}"]\n'
        f'[model]\nname = "fake-bigram"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSQA_CONFIG", str(toml))
    real_open = Retriever.open

    def fake_open(cls: type[Retriever], /, config: Config, **_: Any) -> Retriever:
        return real_open(config, embedder=FakeEmbedder())

    monkeypatch.setattr(Retriever, "open", classmethod(fake_open))
    yield cfg


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


# -- reading questions -------------------------------------------------------------


def test_batch_file_keeps_blank_lines_and_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_bytes(b"\xef\xbb\xbf\xe9\x97\xae\n\n   \nbad \xff\xfe\r\nlast")
    assert _read_batch(str(path)) == ["问", "", "   ", "bad \udcff\udcfe", "last"]
    path.write_bytes(b"one\ntwo\n")  # the final newline ends a line, starts none
    assert _read_batch(str(path)) == ["one", "two"]
    path.write_bytes(b"")
    assert _read_batch(str(path)) == []


def test_batch_from_stdin_reads_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"a\n\n\xff\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert _read_batch("-") == ["a", "", "\udcff"]


def test_unreadable_batch_file_is_one_line(
    tmp_path: Path, corpus_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "--batch", str(tmp_path / "missing.txt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsqa: error: cannot read questions from") and err.count("\n") == 1


# -- answering them ------------------------------------------------------------------


def test_batch_json_answers_every_line_in_order(
    tmp_path: Path, corpus_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "q.txt"
    path.write_bytes(
        "林芳玲宣讲了什么法？\n\n\xff\xfe\n？？\n齐红梅是谁？\n".encode() + b"\xff\xfe\n"
    )
    assert main(["ask", "--batch", str(path), "--json"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert len(lines) == 6
    assert [a["question"] for a in lines[:2]] == ["林芳玲宣讲了什么法？", ""]
    assert lines[0]["results"][0]["article_id"] == "g2"
    assert "空" in lines[1]["notice"] and lines[1]["results"] == []
    assert lines[4]["results"][0]["article_id"] == "g1"
    assert lines[5]["question"] == "\ufffd\ufffd" and "无法识别" in lines[5]["notice"]


def test_batch_readable_output_has_one_block_per_line(
    tmp_path: Path, corpus_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "q.txt"
    path.write_text("林芳玲宣讲了什么法？\n\n齐红梅是谁？\n", encoding="utf-8")
    assert main(["ask", "--batch", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("问：") == 3 and "问：\n（问题是空的" in out


def test_surrogate_question_from_argv_is_answered_with_a_notice(
    corpus_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    # what Python makes of `newsqa ask $'\xff\xfe林芳玲'`: undecodable bytes as surrogates
    assert main(["ask", "\udcff\udcfe林芳玲", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "\ufffd\ufffd林芳玲"
    assert "无法识别" in data["notice"] and data["results"][0]["article_id"] == "g2"


@pytest.mark.parametrize("as_json", [True, False])
def test_ascii_stdout_does_not_crash(
    corpus_config: Config, monkeypatch: pytest.MonkeyPatch, *, as_json: bool
) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")  # strict, like PYTHONIOENCODING=ascii
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["ask", "\udcff林芳玲", *(["--json"] if as_json else [])]) == 0
    out.flush()
    text = raw.getvalue().decode("ascii")
    if as_json:
        assert json.loads(text)["question"] == "\ufffd林芳玲"  # \u escapes: still JSON
    else:
        assert "\\u6797" in text  # 林, escaped rather than a crash


# -- corpus paths --------------------------------------------------------------------


def test_shown_path() -> None:
    roots = ("/data/news", "/data/news/2024", "/other/page.txt")
    assert _shown_path("/data/news/a.md", roots) == "a.md"
    assert _shown_path("/data/news/2024/b.md", roots) == "b.md"  # the innermost root
    assert _shown_path("/other/page.txt", roots) == "page.txt"  # a root that is a file
    assert _shown_path("/data/newsroom/c.md", roots) == "/data/newsroom/c.md"
    assert _shown_path("/elsewhere/d.md", roots) == "/elsewhere/d.md"
    assert _shown_path("/data/news/a.md", ()) == "/data/news/a.md"


def test_sources_relative_to_the_corpus_unless_absolute_paths(
    tmp_path: Path, corpus_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "林芳玲", "--json"]) == 0
    [top, *_] = json.loads(capsys.readouterr().out)["results"]
    assert top["source"] == os.path.join("news", "c.jsonl")
    assert main(["ask", "林芳玲", "--json", "--absolute-paths"]) == 0
    [top, *_] = json.loads(capsys.readouterr().out)["results"]
    assert top["source"] == str(tmp_path / "corpus" / "news" / "c.jsonl")
    assert main(["ask", "林芳玲"]) == 0
    assert f"· {os.path.join('news', 'c.jsonl')}\n" in capsys.readouterr().out


def test_corpus_inspect_paths_relative_to_the_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.md").write_text("# 标题\n\n正文一段。\n", encoding="utf-8")
    assert main(["corpus", "inspect", str(tmp_path), "--json"]) == 0
    [page] = json.loads(capsys.readouterr().out)["files"]
    assert page["path"] == os.path.join("sub", "ok.md")
    assert main(["corpus", "inspect", str(tmp_path), "--json", "--absolute-paths"]) == 0
    [page] = json.loads(capsys.readouterr().out)["files"]
    assert page["path"] == str(tmp_path / "sub" / "ok.md")


# -- index build, status, check ------------------------------------------------------


def _report(**changes: Any) -> BuildReport:
    base: dict[str, Any] = {
        "generation": "g",
        "full": False,
        "reason": "",
        "added": 0,
        "changed": 0,
        "removed": 0,
        "unchanged": 1,
        "embedded": 0,
        "articles": 1,
        "chunks": 1,
        "files": 3,
        "warnings": (),
        "duplicates_dropped": 0,
        "seconds": 0.1,
    }
    return BuildReport(**{**base, **changes})


def test_build_notes_count_warnings_and_unreadable_files_apart() -> None:
    assert _build_notes(_report()) == []
    notes = _build_notes(_report(warnings=("a: line 3 skipped", "b: line 9 skipped")))
    assert notes == ["2 warnings (see above); 0 files skipped"]
    notes = _build_notes(
        _report(warnings=("x",), files_skipped=1, files_unreadable=1, repaired=("s1: bad",))
    )
    assert notes == [
        "1 warning (see above); 1 file skipped",
        "1 file unreadable: kept as indexed by the previous build",
        "repaired: s1: bad",
    ]


def test_build_passes_allow_mass_removal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake_build(config: Config, **kwargs: Any) -> BuildReport:
        seen.update(kwargs)
        return _report(files_unreadable=2)

    monkeypatch.setattr(newsqa.index, "build_index", fake_build)
    assert main(["index", "build", "--allow-mass-removal"]) == 0
    assert seen["allow_mass_removal"] is True
    assert "2 files unreadable" in capsys.readouterr().out
    assert main(["index", "build", "--json"]) == 0
    assert seen["allow_mass_removal"] is False
    assert json.loads(capsys.readouterr().out)["files_unreadable"] == 2


def _info(**changes: Any) -> IndexInfo:
    base: dict[str, Any] = {
        "path": "/idx/generations/g1",
        "generation": "g1",
        "articles": 2,
        "chunks": 3,
        "newest_date": "",
        "built_at": "now",
        "model": "m",
        "vector_index": "flat",
    }
    return IndexInfo(**{**base, **changes})


def test_status_shows_unreadable_files(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(newsqa.index, "index_status", lambda config: _info())
    assert main(["index", "status"]) == 0
    assert "unreadable" not in capsys.readouterr().out
    monkeypatch.setattr(newsqa.index, "index_status", lambda config: _info(files_unreadable=3))
    assert main(["index", "status"]) == 0
    assert "3 corpus files unreadable" in capsys.readouterr().out
    assert main(["index", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files_unreadable"] == 3


def test_check_prints_damage_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    damage = ["segment s000001: vectors.faiss does not match its checksum", "catalog missing"]
    monkeypatch.setattr(newsqa.index, "index_status", lambda config: _info())
    monkeypatch.setattr(newsqa.index, "check_index", lambda config: list(damage))
    assert main(["index", "check"]) == 1
    assert capsys.readouterr().out.splitlines() == damage
    assert main(["index", "check", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["damaged"] == damage
    monkeypatch.setattr(newsqa.index, "check_index", lambda config: [])
    assert main(["index", "check"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("index OK: /idx/generations/g1 (generation g1")


def test_check_without_index_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--index", str(tmp_path / "none"), "index", "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsqa: error: no index") and err.count("\n") == 1
