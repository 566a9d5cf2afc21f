"""Each reader's :class:`~newsqa.retrieval.Conversation`: made when first needed,
forgotten after ``ttl_s`` idle seconds, at most ``capacity`` of them (least recently
used dropped first), one search at a time per reader.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._memory import ReaderKey
from ._types import AnswerLike, ConversationFactory, ConversationLike, HitLike, RetrieverLike

__all__ = ["ConversationStore", "Stateless"]


@dataclass(slots=True)
class Slot:
    """One reader's conversation, the lock that keeps its turns in order, its last use."""

    conversation: ConversationLike
    used: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ConversationStore:
    """The live conversations, keyed by reader."""

    def __init__(
        self,
        factory: ConversationFactory,
        *,
        capacity: int = 10_000,
        ttl_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self._capacity = max(1, capacity)
        self._ttl_s = ttl_s
        self._clock = clock
        self._slots: OrderedDict[ReaderKey, Slot] = OrderedDict()

    def __len__(self) -> int:
        self._prune()
        return len(self._slots)

    def __contains__(self, reader: object) -> bool:
        self._prune()
        return reader in self._slots

    def get(self, reader: ReaderKey) -> Slot:
        """``reader``'s conversation, a fresh one if none is live."""
        self._prune()
        now = self._clock()
        slot = self._slots.get(reader)
        if slot is None:
            slot = self._slots[reader] = Slot(self._factory(), now)
            while len(self._slots) > self._capacity:
                self._slots.popitem(last=False)
        slot.used = now
        self._slots.move_to_end(reader)
        return slot

    def reset(self, reader: ReaderKey) -> bool:
        """Forget ``reader``'s conversation (``/new``); True if there was a live one."""
        self._prune()
        slot = self._slots.pop(reader, None)
        if slot is None:
            return False
        slot.conversation.reset()
        return True

    def _prune(self) -> None:
        """Drop the conversations idle for longer than ``ttl_s`` (the oldest are first)."""
        now = self._clock()
        while self._slots:
            reader, slot = next(iter(self._slots.items()))
            if now - slot.used <= self._ttl_s or slot.lock.locked():
                break
            del self._slots[reader]


@dataclass(frozen=True, slots=True)
class _Nothing:
    confident: bool = False
    hits: Sequence[HitLike] = ()
    notice: str = ""


class Stateless:
    """A retriever that is not newsqa's own (a test's fake) as a conversation without
    memory: every question is asked as written, and there is never more."""

    def __init__(self, retriever: RetrieverLike) -> None:
        self._retriever = retriever

    def ask(self, question: str, k: int | None = None) -> AnswerLike:
        return self._retriever.ask(question, k)

    def more(self, k: int | None = None) -> AnswerLike:
        return _Nothing()

    def reset(self) -> None:
        return None
