"""The Retriever's served reader: close, context manager, reload closing the old reader
only after the questions running on it have finished. Uses an in-memory SearchIndex."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pytest

from newsqa.index import Chunk, Config, IndexInfo, SearchIndex
from newsqa.retrieval import Retriever
from newsqa.retrieval import _retriever as retriever_module
from tests.conftest import FakeEmbedder

TEXTS = ["冠县妇联主席齐红梅介绍电商行业妇联。", "蕉城区法院法官林芳玲宣讲反家庭暴力法。"]


class FakeIndex:
    """Two chunks, every chunk scoring the same; records close() and what searched it."""

    def __init__(self, generation: str, *, gate: threading.Event | None = None) -> None:
        self.generation = generation
        self.closed = 0
        self.searches = 0
        self.gate = gate  # when set, dense_search waits for it (a question in flight)
        self.entered = threading.Event()
        self.events: list[str] = []

    @property
    def info(self) -> IndexInfo:
        return SimpleNamespace(generation=self.generation)  # type: ignore[return-value]

    @property
    def size(self) -> int:
        return len(TEXTS)

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self.searches += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never released the question"
        self.events.append("searched")
        keys = np.arange(min(k, len(TEXTS)), dtype=np.int64)
        return keys, np.ones(len(keys), dtype=np.float32)

    def dense_scores(self, query: np.ndarray, keys: np.ndarray) -> np.ndarray:
        return np.full(len(keys), 0.5, dtype=np.float32)

    def lexical_search(
        self, text: str, tokens: Sequence[str], k: int, *, also: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.float32), np.zeros(len(also), dtype=np.float32)

    def idf(self, tokens: Sequence[str]) -> list[float]:
        return [1.0] * len(tokens)

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        return [
            Chunk(
                chunk_id=f"a{k}:0",
                article_id=f"a{k}",
                title=f"文章{k}",
                section="",
                paragraph_index=0,
                text=TEXTS[k],
                start=0,
                end=len(TEXTS[k]),
                source_path="mem.jsonl",
            )
            for k in keys
        ]

    def close(self) -> None:
        self.closed += 1
        self.events.append("closed")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A Retriever on a FakeIndex; ``publish(index)`` makes ``reload`` find ``index``."""
    state = SimpleNamespace(published=None, opened_with=[])

    def fake_status(config: Config) -> SimpleNamespace:
        return SimpleNamespace(generation=state.published.generation)

    def fake_open(config: Config, *, previous: SearchIndex | None = None) -> SearchIndex:
        state.opened_with.append(previous)
        return state.published  # type: ignore[no-any-return]

    monkeypatch.setattr(retriever_module, "index_status", fake_status)
    monkeypatch.setattr(retriever_module, "open_index", fake_open)
    state.first = FakeIndex("g1")
    state.published = state.first
    state.retriever = Retriever(Config(), state.first, FakeEmbedder())
    return state


def test_index_property_is_the_served_reader(served: SimpleNamespace) -> None:
    assert served.retriever.index is served.first
    assert served.retriever.info.generation == "g1"
    assert served.retriever.ask("齐红梅是谁？").hits


def test_close_is_idempotent_and_a_context_manager(served: SimpleNamespace) -> None:
    with served.retriever as r:
        assert r is served.retriever
    assert served.first.closed == 1
    served.retriever.close()
    served.retriever.close()
    assert served.first.closed == 1
    with pytest.raises(RuntimeError):
        served.retriever.ask("齐红梅是谁？")


def test_reload_closes_the_reader_it_replaces(served: SimpleNamespace) -> None:
    assert served.retriever.reload() is False  # nothing new published
    assert served.first.closed == 0
    served.published = second = FakeIndex("g2")
    assert served.retriever.reload() is True
    assert served.opened_with == [served.first]  # the new reader may share segments
    assert served.first.closed == 1 and second.closed == 0
    assert served.retriever.index is second
    served.retriever.ask("林芳玲宣讲了什么？")
    assert second.searches == 1 and served.first.searches == 0
    served.retriever.close()
    assert second.closed == 1 and served.first.closed == 1


def test_a_question_in_flight_finishes_on_the_old_reader(served: SimpleNamespace) -> None:
    gate = threading.Event()
    served.first.gate = gate
    answers = []
    asking = threading.Thread(target=lambda: answers.append(served.retriever.ask("齐红梅？")))
    asking.start()
    assert served.first.entered.wait(10)
    served.published = second = FakeIndex("g2")
    assert served.retriever.reload() is True
    assert served.retriever.index is second
    assert served.first.closed == 0  # still answering a question
    served.retriever.ask("林芳玲？")  # new questions go to the new reader meanwhile
    assert second.searches == 1
    gate.set()
    asking.join(10)
    assert answers and answers[0].hits and answers[0].hits[0].title.startswith("文章")
    assert served.first.events == ["searched", "closed"]
    assert second.closed == 0


def test_close_waits_for_questions_in_flight(served: SimpleNamespace) -> None:
    gate = threading.Event()
    served.first.gate = gate
    asking = threading.Thread(target=lambda: served.retriever.ask("齐红梅？"))
    asking.start()
    assert served.first.entered.wait(10)
    served.retriever.close()
    assert served.first.closed == 0
    gate.set()
    asking.join(10)
    assert served.first.events == ["searched", "closed"]
    served.retriever.close()
    assert served.first.closed == 1


def test_open_closes_the_reader_when_the_model_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    index = FakeIndex("g1")
    monkeypatch.setattr(retriever_module, "open_index", lambda config: index)

    class Broken(FakeEmbedder):
        def encode_query(self, text: str) -> np.ndarray:
            raise OSError("no model")

    with pytest.raises(OSError):
        Retriever.open(Config(), embedder=Broken())
    assert index.closed == 1
