"""A killed bulk build resumes without embedding again what it had embedded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from newsqa.index import build_index
from newsqa.index._backends.local._resume import RESUME, Resume, model_digest
from newsqa.index._embedding import Vectors
from newsqa.retrieval import Retriever
from tests.conftest import ROOT, FakeEmbedder, make_config
from tests.faults._cli import answers, newsqa

IDENTITY = FakeEmbedder().identity()
QUESTIONS = ("第17号新闻讲了什么？", "济南的志愿服务队", "农户春耕的第203号报道")


def write_corpus(folder: Path, n: int) -> Path:
    """``n`` one-chunk articles with distinct texts, in one JSONL file."""
    folder.mkdir(parents=True, exist_ok=True)
    cities = ("济南", "成都", "哈尔滨", "固原", "冠县", "杭州", "西宁")
    topics = ("志愿服务队帮助农户春耕", "妇联开通热线", "竹艺工坊带动就业", "巾帼车间开工")
    lines = []
    for i in range(n):
        city, topic = cities[i % len(cities)], topics[i % len(topics)]
        text = f"第{i}号新闻：{city}{topic}，参与者{i * 7 % 101}人，记者第{i}次报道此事。"
        lines.append(
            json.dumps({"id": f"n{i}", "title": f"{city}新闻{i}", "text": text}, ensure_ascii=False)
        )
    (folder / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _vecs(n: int, dim: int = 4) -> Vectors:
    rng = np.random.default_rng(n)
    return rng.standard_normal((n, dim)).astype(np.float32)


def test_slices_round_trip_and_other_models_are_removed(tmp_path: Path) -> None:
    resume = Resume(tmp_path, IDENTITY, slice_size=2)
    assert resume.load({"a" * 32}, 4) == {}
    first, second = _vecs(2), _vecs(1)
    assert resume.append(["a" * 32, "b" * 32], first) == 1
    assert resume.append(["c" * 32], second) == 2
    other = tmp_path / RESUME / model_digest({**IDENTITY, "weights": "other"})
    other.mkdir()
    (other / "slice-000001.npz").write_bytes(b"x")

    again = Resume(tmp_path, IDENTITY, slice_size=2)
    got = again.load({"a" * 32, "c" * 32, "z" * 32}, 4)
    assert set(got) == {"a" * 32, "c" * 32}
    np.testing.assert_array_equal(got["c" * 32], second[0])
    assert not other.exists()  # another model's vectors are never reused
    assert again.append(["d" * 32], _vecs(1)) == 1  # numbered after the kept ones
    assert sorted(p.name for p in again.folder.iterdir())[-1] == "slice-000003.npz"


def test_torn_and_damaged_slices_are_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    resume = Resume(tmp_path, IDENTITY, slice_size=2)
    resume.append(["a" * 32], _vecs(1))
    resume.append(["b" * 32], _vecs(1))
    (resume.folder / "slice-000003.npz.tmp").write_bytes(b"torn")  # a kill mid-write
    damaged = resume.folder / "slice-000002.npz"
    damaged.write_bytes(damaged.read_bytes()[:40])
    got = Resume(tmp_path, IDENTITY, 2).load({"a" * 32, "b" * 32}, 4)
    assert set(got) == {"a" * 32}
    assert not (resume.folder / "slice-000003.npz.tmp").exists()
    assert "damaged slice" in caplog.text
    assert Resume(tmp_path, IDENTITY, 2).load({"a" * 32}, 8) == {}  # another dimension


def test_slice_size_zero_keeps_nothing(tmp_path: Path) -> None:
    resume = Resume(tmp_path, IDENTITY, slice_size=0)
    assert resume.append(["a" * 32], _vecs(1)) == 0
    assert not (tmp_path / RESUME).exists()


class _Crashing(FakeEmbedder):
    """Fails (as a Ctrl-C would) on its ``fail_at``-th call."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_at = fail_at

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt
        return super().encode_passages(texts, show_progress=show_progress)


def test_interrupted_build_resumes_and_serves_the_same(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 50)
    cfg = make_config(tmp_path / "a", [corpus]).with_section("index", resume_slice=8)
    with pytest.raises(KeyboardInterrupt):
        build_index(cfg, embedder=_Crashing(fail_at=4))  # 3 slices kept
    index = Path(cfg.index.dir)
    assert len(list((index / RESUME).rglob("slice-*.npz"))) == 3
    emb = FakeEmbedder()
    report = build_index(cfg, embedder=emb)
    assert report.embedded == 50 - 24 == len(emb.encoded)
    assert not (index / RESUME).exists()  # published: removed

    plain = make_config(tmp_path / "b", [corpus]).with_section("index", resume_slice=0)
    assert build_index(plain, embedder=FakeEmbedder()).embedded == 50
    assert not (Path(plain.index.dir) / RESUME).exists()
    for question in QUESTIONS:
        got = [
            [h.chunk_id for h in Retriever.open(c, embedder=FakeEmbedder()).ask(question).hits]
            for c in (cfg, plain)
        ]
        assert got[0] == got[1]


_BUILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from tests.conftest import FakeEmbedder, make_config
    from newsqa.index import build_index
    cfg = make_config(Path({tmp!r}), [Path({corpus!r})]).with_section("index", resume_slice=16)
    print(json.dumps({{"embedded": build_index(cfg, embedder=FakeEmbedder()).embedded}}))
    """
)


def test_sigkilled_build_resumes_after_its_kept_slices(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 120)
    script = _BUILD.format(root=str(ROOT), tmp=str(tmp_path), corpus=str(corpus))
    env = {**os.environ, "NEWSQA_TEST_KILL_AT": "embedded-slice-3"}
    killed = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing published
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True
    )
    assert json.loads(done.stdout)["embedded"] == 120 - 3 * 16
    assert not (tmp_path / "index" / RESUME).exists()


@pytest.mark.slow
def test_cli_build_killed_after_two_slices_resumes(tmp_path: Path) -> None:
    """The real kill path: ``newsqa index build`` with the bundled model, SIGKILLed."""
    corpus = write_corpus(tmp_path / "corpus", 300)
    index = tmp_path / "index"
    env = {"NEWSQA_INDEX_RESUME_SLICE": "64", "NEWSQA_TEST_KILL_AT": "embedded-slice-2"}
    killed = newsqa("index", "build", "--corpus", str(corpus), "--json", index=index, env=env)
    assert killed.code == -signal.SIGKILL, killed.stderr
    assert len(list((index / RESUME).rglob("slice-*.npz"))) == 2

    env.pop("NEWSQA_TEST_KILL_AT")
    run = newsqa("index", "build", "--corpus", str(corpus), "--json", index=index, env=env)
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["chunks"] == 300 and report["embedded"] == 300 - 2 * 64
    assert not (index / RESUME).exists()

    whole = tmp_path / "whole"
    run = newsqa("index", "build", "--corpus", str(corpus), "--json", index=whole)
    assert run.code == 0 and json.loads(run.stdout)["embedded"] == 300
    assert answers(index, QUESTIONS) == answers(whole, QUESTIONS)
