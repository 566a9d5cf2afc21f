"""The `newsqa` command line: output formats and one-line failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsqa.bot.cli import _parser, main
from newsqa.index import Config
from tests.conftest import PAGE, RESULT_KEYS, ROOT, needs_shared

CITED_KEYS = {"answer", "citation", "publication", "date", "page", "url"}
"""The result fields added with answer phrases and citations (the schema change is intended)."""


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsqa.bot.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
        check=False,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("newsqa: error:")]
    assert len(errors) == 1 and fragment in errors[0], proc.stderr


def test_ask_without_index_is_one_line(tmp_path: Path) -> None:
    _one_line_error(_run("--index", str(tmp_path / "none"), "ask", "问题"), "no index")


def test_unreadable_config_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[index\n", encoding="utf-8")
    _one_line_error(_run("--config", str(bad), "index", "status"), "cannot read config")


def test_missing_corpus_path_is_one_line(tmp_path: Path) -> None:
    proc = _run(
        "--index", str(tmp_path / "i"), "index", "build", "--corpus", str(tmp_path / "missing")
    )
    _one_line_error(proc, "missing")


@needs_shared
def test_corpus_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "inspect", str(PAGE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [page] = data["files"]
    assert len(page["articles"]) == 9
    titles = [a["title"] for a in page["articles"]]
    assert "带动更多女性解锁「共富」密码 杭州萧山激发创新创业新活力" in titles
    assert page["duplicates_dropped"] == 1


def test_corpus_inspect_readable_names_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ok.md").write_text("# 标题\n\n正文一段。\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00\x81\x00binary\x00junk")
    assert main(["corpus", "inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1. 标题" in out and "bad.txt" in out


@pytest.mark.slow
def test_ask_json_schema_batch_and_mismatch(page_config: Config, tmp_path: Path) -> None:
    index_dir = page_config.index.dir
    proc = _run("--index", index_dir, "ask", "冠县妇联主席是谁？", "-k", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"question", "confident", "confidence", "results"}
    assert data["confident"] is True and len(data["results"]) == 2
    assert set(data["results"][0]) == RESULT_KEYS | CITED_KEYS

    batch = tmp_path / "q.txt"
    batch.write_text(
        "冠县妇联主席是谁？\n\n😀😀\n" + "很长的问题" * 2000 + "\n北京到上海的高铁票多少钱？\n",
        encoding="utf-8",
    )
    proc = _run("--index", index_dir, "ask", "--batch", str(batch), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    # one line per input line, the blank one included (it gets the empty-question notice)
    assert [a["confident"] for a in lines] == [True, False, False, False, False]
    assert lines[1]["results"] == [] and lines[1]["notice"]
    assert lines[1]["question"] == "" and lines[2]["question"] == "😀😀"

    proc = _run("--index", index_dir, "ask", "冠县妇联主席是谁？")
    assert proc.returncode == 0 and "《山东冠县成立电商行业妇联" in proc.stdout
    assert "【" in proc.stdout  # the answer phrase (or the best sentence) is marked
    assert "来源：" in proc.stdout  # the citation

    cfg = tmp_path / "other.toml"
    cfg.write_text('[model]\nname = "BAAI/bge-small-zh-v1.5"\n', encoding="utf-8")
    _one_line_error(
        _run("--config", str(cfg), "--index", index_dir, "ask", "问题"), "built with model"
    )


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from newsqa.bot.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(','.join(m for m in ('numpy', 'torch', 'telegram', 'faiss') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "usage: newsqa" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "", proc.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ('[model]\nbackend = "tensorrt"\n', "model.backend"),
        ("[model]\nbatch_size = 0\n", "model.batch_size"),
        ('[bot]\nmode = "push"\n', "bot.mode"),
        ("[bot]\nwebhook_port = 70000\n", "bot.webhook_port"),
        ("[retrieval]\ntop_k = 0\n", "retrieval.top_k"),
        ('[index]\nbackend = "elastic"\n', "index.backend"),
    ],
)
def test_bad_config_makes_the_bot_exit_2_in_one_line(
    tmp_path: Path, section: str, fragment: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(section, encoding="utf-8")
    proc = _run("--config", str(bad), "bot")  # no token needed: config is checked first
    assert proc.returncode == 2, proc.stderr
    _one_line_error(proc, fragment)
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_bad_config_from_the_environment_is_one_line_for_other_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSQA_RETRIEVAL_TOP_K", "0")
    assert main(["ask", "x"]) == 1  # status 1 as every other expected failure
    err = capsys.readouterr().err
    assert err == "newsqa: error: config key retrieval.top_k: 0 is out of range (at least 1)\n"


def test_model_flag_choices_come_from_the_config_types() -> None:
    from typing import get_args

    from newsqa.index._config import ModelBackend

    with pytest.raises(SystemExit):
        main(["ask", "--model-backend", "tensorrt", "x"])
    for backend in get_args(ModelBackend):
        args = _parser().parse_args(["ask", "--model-backend", backend, "x"])
        assert args.model_backend == backend
    assert _parser().parse_args(["ask", "--quantize", "none", "x"]).quantize == "none"
