"""Bad input to the real ``newsqa`` CLI: undecodable questions, batch alignment, paths.

Also the new index commands and flags on an intact sample archive: ``index check``,
``index build --allow-mass-removal`` and the report's new fields. Every case checks the
exit status, that stderr holds no traceback (and at most one error line), and that the
index serves the same answers afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.faults._cli import QUESTIONS, answers, newsqa
from tests.faults.conftest import Archive

pytestmark = pytest.mark.slow


def _served_as_before(archive: Archive) -> None:
    assert answers(archive.index) == archive.before


def _json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_undecodable_question_on_argv_is_answered(archive: Archive) -> None:
    # what a shell passes for `newsqa ask $'\xff\xfe'月娥竹艺工坊是谁创办的？`
    run = newsqa("ask", "\udcff\udcfe" + QUESTIONS[0], "--json", "-k", "3", index=archive.index)
    run.assert_clean()
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["question"] == "\ufffd\ufffd" + QUESTIONS[0]
    assert "无法识别" in str(data["notice"])
    assert [r["chunk_id"] for r in data["results"]] == archive.before[0][1]

    only_bytes = newsqa("ask", "\udcff\udcfe", index=archive.index)
    only_bytes.assert_clean()
    assert only_bytes.code == 0 and "无法识别" in only_bytes.stdout
    _served_as_before(archive)


def test_printing_to_a_strict_ascii_pipe_does_not_crash(archive: Archive) -> None:
    env = {"PYTHONIOENCODING": "ascii"}  # strict errors, as a non-UTF-8 pipe would be
    run = newsqa("ask", "\udcff" + QUESTIONS[1], index=archive.index, env=env)
    run.assert_clean()
    assert run.code == 0, run.stderr
    assert run.stdout.isascii() and "\\u" in run.stdout
    run = newsqa("ask", "\udcff" + QUESTIONS[1], "--json", index=archive.index, env=env)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["question"] == "\ufffd" + QUESTIONS[1]


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_batch_answers_every_line_even_blank_or_undecodable(
    archive: Archive, tmp_path: Path, where: str
) -> None:
    raw = b"\n".join(
        [
            QUESTIONS[0].encode(),
            b"",
            b"\xff\xfe\x81 bad bytes",
            b"   ",
            QUESTIONS[1].encode() + b"\r",
            QUESTIONS[2].encode(),
        ]
    )
    path = tmp_path / "q.txt"
    path.write_bytes(raw + b"\n")
    source = str(path) if where == "file" else "-"
    stdin = raw if where == "stdin" else None
    run = newsqa("ask", "--batch", source, "--json", "-k", "3", index=archive.index, stdin=stdin)
    run.assert_clean()
    assert run.code == 0, run.stderr
    lines = _json_lines(run.stdout)
    assert len(lines) == 6  # output line N answers input line N
    served = [(bool(a["confident"]), [r["chunk_id"] for r in a["results"]]) for a in lines]
    assert [served[0], served[4], served[5]] == archive.before
    for blank in (lines[1], lines[3]):
        assert blank["results"] == [] and "空" in str(blank["notice"])
    assert "无法识别" in str(lines[2]["notice"])

    readable = newsqa("ask", "--batch", str(path), "-k", "1", index=archive.index)
    assert readable.code == 0, readable.stderr
    assert readable.stdout.count("问：") == 6
    _served_as_before(archive)


def test_index_check_on_an_intact_index(archive: Archive, tmp_path: Path) -> None:
    run = newsqa("index", "check", index=archive.index)
    run.assert_clean()
    assert run.code == 0, run.stderr
    [line] = run.stdout.splitlines()
    assert line.startswith("index OK: ")
    run = newsqa("index", "check", "--json", index=archive.index)
    assert run.code == 0 and json.loads(run.stdout)["damaged"] == []

    newsqa("index", "check", index=tmp_path / "none").assert_one_line_failure(1, says="no index")
    _served_as_before(archive)


def _config(archive: Archive, tmp_path: Path) -> Path:
    toml = tmp_path / "newsqa.toml"
    toml.write_text(
        f"[index]\ndir = {json.dumps(str(archive.index))}\n"
        f"[corpus]\npaths = [{json.dumps(str(archive.corpus))}]\n",
        encoding="utf-8",
    )
    return toml


def test_build_report_and_relative_paths(archive: Archive, tmp_path: Path) -> None:
    toml = _config(archive, tmp_path)
    run = newsqa("--config", str(toml), "index", "build", "--allow-mass-removal", "--json")
    run.assert_clean()
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    # every file moved (the copy's paths): re-read, nothing unreadable or skipped
    assert (report["files_unreadable"], report["files_skipped"], report["repaired"]) == (0, 0, [])
    assert report["files_read"] == report["files"] == 5
    status = newsqa("--config", str(toml), "index", "status", "--json")
    assert status.code == 0 and json.loads(status.stdout)["files_unreadable"] == 0
    readable = newsqa("--config", str(toml), "index", "build")
    assert readable.code == 0, readable.stderr
    assert "skipped (see warnings above)" not in readable.stdout

    # the index now names the copy's files: shown relative to corpus.paths
    run = newsqa("--config", str(toml), "ask", QUESTIONS[0], "--json", "-k", "3")
    assert run.code == 0, run.stderr
    sources = [r["source"] for r in json.loads(run.stdout)["results"]]
    assert sources and all(not os.path.isabs(s) for s in sources), sources
    assert all((archive.corpus / s).is_file() for s in sources)
    run = newsqa(
        "--config", str(toml), "ask", QUESTIONS[0], "--json", "-k", "3", "--absolute-paths"
    )
    assert run.code == 0, run.stderr
    absolute = [r["source"] for r in json.loads(run.stdout)["results"]]
    assert absolute == [str(archive.corpus / s) for s in sources]
    run = newsqa("--config", str(toml), "ask", QUESTIONS[0], "-k", "1")
    assert run.code == 0 and str(archive.corpus) not in run.stdout

    # without a corpus root holding them, sources stay as stored (absolute)
    run = newsqa("ask", QUESTIONS[0], "--json", "-k", "1", index=archive.index)
    assert run.code == 0 and os.path.isabs(json.loads(run.stdout)["results"][0]["source"])
    assert answers(archive.index) == archive.before


def test_chat_over_stdin_answers_each_line_like_ask(archive: Archive) -> None:
    # a conversation through a pipe: a question, "还有吗", undecodable bytes, /new, and
    # a question on its own: one JSON answer per question, notes only on stderr
    stdin = (
        QUESTIONS[0].encode()
        + b"\n\xe8\xbf\x98\xe6\x9c\x89\xe5\x90\x97\n"  # 还有吗
        + b"\xff\xfe"
        + QUESTIONS[2].encode()
        + b"\n/new\n"
        + QUESTIONS[1].encode()
        + b"\n"
    )
    run = newsqa("chat", "--json", "-k", "3", index=archive.index, stdin=stdin)
    run.assert_clean()
    assert run.code == 0, run.stderr
    first, more, bad, fresh = _json_lines(run.stdout)
    assert [r["chunk_id"] for r in first["results"]] == archive.before[0][1]
    shown = {r["chunk_id"] for r in first["results"]}
    assert not shown & {r["chunk_id"] for r in more["results"]}  # the next hits, not again
    assert "无法识别" in str(bad["notice"])
    assert [r["chunk_id"] for r in fresh["results"]] == archive.before[1][1]
    assert all("citation" in r and "answer" in r for r in first["results"])
    _served_as_before(archive)
