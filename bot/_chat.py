"""``newsqa chat``: a conversation with the archive in the terminal.

Each line is a question, answered in the context of the earlier ones
(:class:`newsqa.retrieval.Conversation`: "那里的妇联主席是谁？", "还有吗", "换一个",
"第二条详细说说"); ``/more``, ``/new``, ``/help`` and ``/quit`` (or Ctrl-D) are
commands. On a terminal there is a prompt and, when :mod:`readline` is available, line
editing and a history file (``$NEWSQA_HISTORY``, else ``~/.newsqa_history``). Without
a terminal the lines are read from stdin and stdout holds only the answers (one JSON
object per line with ``--json``); help and notes go to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ._exits import EXIT_OK
from .cli import _print_answer, _print_json, _relative_sources

if TYPE_CHECKING:
    from newsqa.retrieval import Answer, Config

__all__ = ["HELP", "run_chat"]

logger = logging.getLogger(__name__)

PROMPT = "问> "
HELP = (
    "直接输入问题；可以接着上一个问题追问（例如「那里的妇联主席是谁？」「还有吗」"
    "「换一个」「第二条详细说说」）。\n"
    "  /more  上一个问题的下一批结果\n"
    "  /new   开始新的话题（忘掉之前的问题）\n"
    "  /help  显示这段说明\n"
    "  /quit  退出（或按 Ctrl-D）"
)
NEW_TOPIC = "（新的话题：之前的问题已忘掉）"
_QUIT = frozenset({"/quit", "/exit", "/q"})
_HISTORY_LENGTH = 1000


def run_chat(
    config: Config,
    *,
    k: int | None = None,
    as_json: bool = False,
    absolute: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Answer the lines of ``stdin`` as one conversation until EOF or ``/quit``."""
    from newsqa.retrieval import Conversation, Retriever

    source = stdin if stdin is not None else sys.stdin
    out = stdout if stdout is not None else sys.stdout
    interactive = source.isatty() and out.isatty()
    roots = () if absolute else config.corpus.paths
    retriever = Retriever.open(config)
    conversation = Conversation(
        retriever,
        ttl_s=config.retrieval.conversation_ttl_s,
        max_turns=config.retrieval.conversation_turns,
    )
    notes = out if interactive else sys.stderr
    history = _start_history() if interactive else None
    if interactive:
        out.write(HELP + "\n\n")
    try:
        while True:
            line = _read(source, interactive)
            if line is None:
                if interactive:
                    out.write("\n")
                return EXIT_OK
            text = line.strip()
            if not text:
                continue
            command = text.split(maxsplit=1)[0].lower() if text.startswith("/") else ""
            if command in _QUIT:
                return EXIT_OK
            if command == "/help":
                notes.write(HELP + "\n")
            elif command == "/new":
                conversation.reset()
                notes.write(NEW_TOPIC + "\n")
            elif command == "/more":
                _show(_relative_sources(conversation.more(k), roots), out, as_json)
            elif command:
                notes.write(f"不认识的命令 {command}；输入 /help 查看用法。\n")
            elif _undecodable(text):
                # bytes that were not UTF-8: asked on its own, the retriever says so
                _show(_relative_sources(retriever.ask(text, k), roots), out, as_json)
            else:
                _show(_relative_sources(conversation.ask(text, k), roots), out, as_json)
            out.flush()
    finally:
        if history is not None:
            _save_history(history)
        retriever.close()


def _read(source: TextIO, interactive: bool) -> str | None:
    """The next line (without its newline), or None at end of input."""
    if interactive and source is sys.stdin:
        try:
            return input(PROMPT)
        except EOFError:
            return None
    buffer = getattr(source, "buffer", None)
    if buffer is not None:
        raw: bytes = buffer.readline()
        if not raw:
            return None
        text = raw.decode(source.encoding or "utf-8", errors="surrogateescape")
    else:
        text = source.readline()
        if not text:
            return None
    return text.removeprefix("\ufeff").rstrip("\r\n")


def _undecodable(text: str) -> bool:
    """Whether ``text`` holds lone surrogates (undecodable input bytes)."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _show(answer: Answer, out: TextIO, as_json: bool) -> None:
    if as_json:
        _print_json(answer.to_json(), indent=None)
    else:
        _print_answer(answer, out)


def _history_path() -> Path:
    return Path(os.environ.get("NEWSQA_HISTORY") or Path.home() / ".newsqa_history")


def _start_history() -> Path | None:
    """Load the history file into readline; None when readline is not available."""
    try:
        import readline
    except ImportError:
        return None
    path = _history_path()
    readline.set_history_length(_HISTORY_LENGTH)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    return path


def _save_history(path: Path) -> None:
    try:
        import readline

        readline.write_history_file(path)
    except (ImportError, OSError) as exc:
        logger.debug("could not save the chat history to %s: %s", path, exc)
