"""Running the ``newsqa`` CLI as a user would, and judging what it printed.

Each fault test runs the real command in a subprocess (``python -m newsqa.bot.cli``)
with the bundled model, so these tests are marked ``slow``. The helpers check what
the issue asks of every failure: an exit status, exactly one ``newsqa: error:`` line on
stderr, and no traceback; and they compare the answers served before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "answers", "ask_batch", "newsqa", "sample_corpus"]

ROOT = Path(__file__).resolve().parents[2]

QUESTIONS = ("月娥竹艺工坊是谁创办的？", "哈尔滨开通了什么热线？", "固原有多少个巾帼乡村振兴车间？")
"""Questions whose answers are compared before and after a fault."""


@dataclass(frozen=True, slots=True)
class Run:
    """One finished command: exit status and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        """The ``newsqa: error:`` lines (and ``newsqa bot: error:``) on stderr."""
        return [ln for ln in self.stderr.splitlines() if ": error: " in ln]

    def assert_clean(self) -> None:
        """No traceback, and at most one error line."""
        assert "Traceback" not in self.stderr, self.stderr
        assert len(self.errors) <= 1, self.stderr

    def assert_one_line_failure(self, code: int = 1, *, says: str = "") -> None:
        """Failed with ``code``, exactly one error line (containing ``says``), no traceback."""
        self.assert_clean()
        assert self.code == code, (self.code, self.stderr)
        assert len(self.errors) == 1, self.stderr
        assert says in self.errors[0], self.errors[0]


def newsqa(
    *argv: str,
    index: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
) -> Run:
    """Run ``newsqa -q [--index DIR] ARGV`` (warnings and errors only on stderr)."""
    args = [sys.executable, "-m", "newsqa.bot.cli", "-q"]
    if index is not None:
        args += ["--index", str(index)]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NEWSQA_CONFIG", None)
    proc = subprocess.run(
        [*args, *argv],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
        check=False,
    )
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    return Run(proc.returncode, out, err)


def ask_batch(index: Path, questions: Sequence[str] = QUESTIONS) -> Run:
    """``newsqa ask --batch - --json -k 3`` over ``questions``."""
    stdin = "\n".join(questions).encode("utf-8")
    return newsqa("ask", "--batch", "-", "--json", "-k", "3", index=index, stdin=stdin)


def answers(index: Path, questions: Sequence[str] = QUESTIONS) -> list[tuple[bool, list[str]]]:
    """``(confident, chunk ids of the hits)`` per question, from ``ask --batch --json``."""
    run = ask_batch(index, questions)
    assert run.code == 0, run.stderr
    out = []
    for line in run.stdout.splitlines():
        data = json.loads(line)
        out.append((bool(data["confident"]), [r["chunk_id"] for r in data["results"]]))
    return out


def sample_corpus(dest: Path) -> Path:
    """A writable copy of the bundled sample corpus in ``dest`` (returned)."""
    import shutil

    shutil.copytree(ROOT / "index" / "sample_corpus", dest)
    return dest
