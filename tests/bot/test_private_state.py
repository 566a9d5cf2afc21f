"""What third-party libraries leave behind or send: jieba's cache file, ONNX telemetry.

jieba writes its dictionary cache (a ``marshal`` file it loads back) under a fixed
name in the shared temporary folder unless told otherwise; newsqa keeps it in its own
private cache folder. ONNX Runtime's telemetry is switched off before a session exists.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import ROOT

_TOKENIZE = "from newsqa.index import tokenize; print(tokenize('冠县妇联主席是谁'))"


def _tokenize_in(tmp: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", _TOKENIZE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )


def test_jieba_cache_goes_to_a_private_newsqa_folder(tmp_path: Path) -> None:
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    proc = _tokenize_in(tmp, cache)
    assert "妇联" in proc.stdout
    assert list(tmp.iterdir()) == [], "nothing in the shared temporary folder"
    folder = cache / "newsqa" / "jieba"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [cached] = folder.iterdir()
    assert cached.name.startswith("jieba-") and cached.name.endswith(".cache")
    _tokenize_in(tmp, cache)  # loads it back, still nothing in TMPDIR
    assert list(tmp.iterdir()) == [] and list(folder.iterdir()) == [cached]


def test_jieba_cache_avoids_a_folder_others_can_write(tmp_path: Path) -> None:
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    shared = cache / "newsqa" / "jieba"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    _tokenize_in(tmp, cache)
    assert list(shared.iterdir()) == []
    [own] = tmp.iterdir()  # a fresh private folder instead of /tmp/jieba.cache
    assert own.name.startswith("newsqa-jieba-") and stat.S_IMODE(own.stat().st_mode) == 0o700
    assert not (tmp / "jieba.cache").exists()


def test_onnx_telemetry_is_disabled_before_a_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsqa.index._embedding import _runtimes

    calls: list[str] = []

    class FakeSession:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            calls.append("session")

    class Options:
        def add_session_config_entry(self, key: str, value: str) -> None:
            pass

    fake = SimpleNamespace(
        disable_telemetry_events=lambda: calls.append("telemetry off"),
        SessionOptions=Options,
        GraphOptimizationLevel=SimpleNamespace(ORT_ENABLE_ALL=99),
        InferenceSession=FakeSession,
    )
    monkeypatch.setitem(sys.modules, "onnxruntime", fake)
    monkeypatch.setattr(_runtimes, "_Tokens", lambda folder, meta: SimpleNamespace(max_length=8))
    _runtimes.OnnxEncoder(tmp_path / "m.onnx", threads_hint=1, meta={"dim": 4})
    assert calls == ["telemetry off", "session"]


def test_onnx_without_the_telemetry_switch_still_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsqa.index._embedding import _runtimes

    _runtimes._no_telemetry(SimpleNamespace())  # an older or custom build: nothing to call

    def broken() -> None:
        raise RuntimeError("not supported")

    _runtimes._no_telemetry(SimpleNamespace(disable_telemetry_events=broken))  # logged only
