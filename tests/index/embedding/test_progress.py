"""Progress without a terminal: a log line every few seconds with the rate and time left."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from newsqa.index._backends._passages import content_hash, embed_into
from newsqa.index._embedding import Vectors
from newsqa.index._progress import Progress, current_progress, format_left, reporting
from tests.conftest import FakeEmbedder


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lines_every_ten_seconds_with_rate_and_time_left(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="newsqa.index._progress")
    clock = Clock()
    progress = Progress(80_000, "embedding", clock=clock)
    for _ in range(4):  # 4 s, 380 chunks: too soon for a line
        clock.now += 1
        progress.update(95)
    assert caplog.messages == []
    clock.now += 6  # 10 s
    progress.update(120)
    clock.now += 3
    progress.update(100)  # 3 s after the line: none
    assert caplog.messages == ["embedding: 500 / 80,000 chunks (50.0/s), about 27 min left"]
    clock.now = 1000.0 + 790
    progress.update(11_500)
    assert caplog.messages[-1] == (
        "embedding: 12,100 / 80,000 chunks (15.3/s), about 1 h 14 min left"
    )
    progress.reach(80_000)
    progress.close()
    assert len(caplog.messages) == 2  # the end came sooner than the next line


def test_time_left_wording() -> None:
    assert format_left(20) == "less than a minute left"
    assert format_left(150) == "about 3 min left"
    assert format_left(3600) == "about 1 h left"
    assert format_left(4440) == "about 1 h 14 min left"


def test_a_finished_step_has_no_time_left() -> None:
    clock = Clock()
    progress = Progress(10, "tokenising", clock=clock)
    assert list(progress.wrap("abcdefghij")) == list("abcdefghij")
    clock.now += 2
    assert progress.line() == "tokenising: 10 / 10 chunks (5.0/s)"


def test_reporting_makes_a_progress_ambient() -> None:
    progress = Progress(3, "embedding")
    assert current_progress() is None
    with reporting(progress):
        assert current_progress() is progress
    assert current_progress() is None


class _Reporting(FakeEmbedder):
    """Reports each text to the ambient progress, as the real embedder does per batch."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        outer = current_progress()
        assert outer is not None
        for _ in texts:
            outer.update(1)
        self.seen.append(outer.done)
        return super().encode_passages(texts)


def test_embed_into_slices_and_counts_once() -> None:
    texts = [f"第{i}条新闻" for i in range(10)]
    hashes = [content_hash(t) for t in texts]
    known: dict[str, object] = {}
    kept: list[list[str]] = []
    emb = _Reporting()
    embed_into(
        known, emb, texts, hashes, list(range(10)), slice_size=4,
        on_slice=lambda h, v: kept.append(h),
    )  # fmt: skip
    assert emb.seen == [4, 8, 10]  # one progress over the slices, not counted twice
    assert [len(k) for k in kept] == [4, 4, 2] and set(known) == set(hashes)
