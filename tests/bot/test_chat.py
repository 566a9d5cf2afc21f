"""``newsqa chat``: one conversation over stdin (no terminal) and through a
pseudo-terminal, on a small fake-embedder index."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsqa.bot._chat import HELP, NEW_TOPIC, PROMPT
from newsqa.bot.cli import main
from newsqa.index import Config, build_index
from newsqa.retrieval import Retriever
from tests.conftest import ROOT, FakeEmbedder, make_config

ROWS = [
    {
        "id": "g1",
        "title": "山东冠县成立电商行业妇联",
        "source": "测试日报",
        "date": "2024-03-22",
        "text": "冠县成立电商行业妇联。冠县妇联主席齐红梅介绍情况。电商行业妇联现有会员二百名。",
    },
    {"id": "g2", "title": "福建宁德开展法治宣传", "text": "法官林芳玲现场宣讲反家庭暴力法。"},
    {"id": "g3", "title": "杭州举办茶叶博览会", "text": "博览会展出龙井新茶，吸引三万名观众。"},
]


@pytest.fixture
def chat_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An index of :data:`ROWS` served with the fake embedder; the config file's path
    (also in ``$NEWSQA_CONFIG``)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    page = folder / "c.jsonl"
    page.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    cfg = make_config(tmp_path, [folder])
    build_index(cfg, embedder=FakeEmbedder())
    toml = tmp_path / "newsqa.toml"
    toml.write_text(
        f'[index]\ndir = "{cfg.index.dir}"\n[corpus]\npaths = ["{folder}"]\n'
        f'[model]\nname = "fake-bigram"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSQA_CONFIG", str(toml))
    monkeypatch.setenv("NEWSQA_HISTORY", str(tmp_path / "history"))
    real_open = Retriever.open

    def fake_open(cls: type[Retriever], /, config: Config, **_: Any) -> Retriever:
        return real_open(config, embedder=FakeEmbedder())

    monkeypatch.setattr(Retriever, "open", classmethod(fake_open))
    yield toml


class Pipe(io.TextIOWrapper):
    """A stdin that is not a terminal, holding ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(io.BytesIO(text.encode()), encoding="utf-8")


def _chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", Pipe(text))
    code = main(["chat", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_stdin_json_one_answer_per_question_and_commands(
    chat_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "冠县成立了什么行业的妇联？",
        "那里的妇联主席是谁？",
        "/more",
        "",
        "/new",
        "/help",
        "/nonsense",
        "林芳玲宣讲了什么法？",
        "/quit",
        "这一行不会被回答",
    ]
    code, out, err = _chat(monkeypatch, capsys, "\n".join(lines) + "\n", "--json", "-k", "1")
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["question"] for a in answers] == [lines[0], lines[1], "还有吗", lines[7]]
    first, follow, more, fresh = answers
    assert first["results"][0]["article_id"] == "g1"
    assert first["results"][0]["citation"] == "测试日报 · 2024-03-22"
    assert follow["results"][0]["article_id"] == "g1"
    # asked in context (the conversation may complete it; it stays on the same article)
    assert follow["question"] == lines[1]
    assert all(r["chunk_id"] != first["results"][0]["chunk_id"] for r in more["results"])
    assert "searched" not in fresh and fresh["results"][0]["article_id"] == "g2"
    assert PROMPT not in out and HELP in err and NEW_TOPIC in err and "/nonsense" in err


def test_stdin_text_marks_the_answer_and_cites(
    chat_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _chat(monkeypatch, capsys, "冠县妇联主席是谁？\n", "-k", "1")
    assert code == 0, err
    assert out.startswith("问：冠县妇联主席是谁？\n") and "《山东冠县成立电商行业妇联》" in out
    assert "【" in out and "】" in out and "来源：测试日报 · 2024-03-22" in out
    assert PROMPT not in out and "\033[" not in out


def test_new_forgets_the_topic(
    chat_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "冠县成立了什么行业的妇联？\n/new\n那里的妇联主席是谁？\n/more\n"
    code, out, _ = _chat(monkeypatch, capsys, text, "--json")
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 3
    assert "searched" not in answers[1]  # nothing to follow up after /new
    assert answers[2]["confident"] is False and answers[2]["notice"]


def test_chat_without_index_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "newsqa.bot.cli", "--index", str(tmp_path / "none"), "chat"],
        input="问题\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("newsqa: error:") and proc.stdout == ""


_CHILD = (
    "import sys\n"
    "from newsqa.index import Config\n"
    "from newsqa.retrieval import Retriever\n"
    "from newsqa.bot.cli import main\n"
    "from tests.conftest import FakeEmbedder\n"
    "real = Retriever.open\n"
    "Retriever.open = classmethod(lambda cls, config, **_: real(config, embedder=FakeEmbedder()))\n"
    "sys.exit(main(['chat', '-k', '1']))\n"
)


def _read_until(fd: int, wanted: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {wanted!r} in {seen.decode(errors='replace')!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_session_prompt_bold_history_and_ctrl_d(chat_config: Path, tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "NEWSQA_CONFIG": str(chat_config), "TERM": "dumb"}
    env["NEWSQA_HISTORY"] = str(tmp_path / "history")
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    try:
        banner = _read_until(leader, PROMPT.encode())
        assert b"/new" in banner  # the help is shown once at the start
        os.write(leader, "冠县妇联主席是谁？\n".encode())
        answer = _read_until(leader, PROMPT.encode())
        assert "《山东冠县成立电商行业妇联》".encode() in answer
        assert b"\033[1m" in answer and "【".encode() not in answer  # bold on a terminal
        os.write(leader, b"/new\n")
        assert NEW_TOPIC.encode() in _read_until(leader, PROMPT.encode())
        os.write(leader, b"\x04")  # Ctrl-D
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    assert proc.returncode == 0
    history = (tmp_path / "history").read_text(encoding="utf-8", errors="replace")
    assert "冠县妇联主席是谁" in history or "\\345" in history  # readline may escape bytes
