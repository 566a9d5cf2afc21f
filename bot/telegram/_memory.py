"""The last answer of each reader, kept in memory (bounded) so "更多" needs no new search;
and which message of the bot answered which message, so an edited question edits its
answer.

A reader is a chat in a private chat and one user of a group (``ReaderKey``): in a
group everyone keeps their own last answer and their own conversation.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from ._types import HitLike

__all__ = ["AnswerMemory", "ReaderKey", "Remembered", "ReplyMap"]

ReaderKey: TypeAlias = tuple[int, int]
"""``(chat_id, user_id)``; the user is 0 in a private chat (the chat is the reader)."""


@dataclass(slots=True)
class Remembered:
    """One reader's last answer: its hits and how many of them were already shown.

    ``hits`` grows when the conversation is asked for more after the prefetched ones;
    ``total`` is how many were fetched with the question (what "第 n/N 条" counts), and
    ``exhausted`` says the conversation had nothing beyond ``hits``.
    """

    key: str
    reader: ReaderKey
    hits: list[HitLike]
    shown: int
    total: int = 0
    exhausted: bool = False
    button: int | None = None
    """The bot's message that carries this answer's "更多" button now."""

    @property
    def remaining(self) -> int:
        return max(0, len(self.hits) - self.shown)

    @property
    def first_article(self) -> str:
        return self.hits[0].article_id if self.hits else ""


class AnswerMemory:
    """At most ``capacity`` readers' last answers; the least recently used is dropped."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self._entries: OrderedDict[ReaderKey, Remembered] = OrderedDict()
        self._readers: dict[str, ReaderKey] = {}
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, reader: ReaderKey, hits: Sequence[HitLike], shown: int) -> Remembered:
        """Keep ``hits`` as ``reader``'s last answer, replacing any earlier one."""
        entry = Remembered(
            key=format(next(self._ids), "x"),
            reader=reader,
            hits=list(hits),
            shown=shown,
            total=len(hits),
        )
        self.forget(reader)
        self._entries[reader] = entry
        self._readers[entry.key] = reader
        while len(self._entries) > self._capacity:
            _, dropped = self._entries.popitem(last=False)
            self._readers.pop(dropped.key, None)
        return entry

    def get(self, reader: ReaderKey) -> Remembered | None:
        """``reader``'s last answer, or None."""
        entry = self._entries.get(reader)
        if entry is not None:
            self._entries.move_to_end(reader)
        return entry

    def find(self, chat_id: int, key: str) -> Remembered | None:
        """The answer a "更多" button names (``key``) in ``chat_id``, if it is still the
        last answer of its reader (anyone in the chat may press the button)."""
        reader = self._readers.get(key)
        if reader is None or reader[0] != chat_id:
            return None
        return self.get(reader)

    def forget(self, reader: ReaderKey) -> None:
        entry = self._entries.pop(reader, None)
        if entry is not None:
            self._readers.pop(entry.key, None)


class ReplyMap:
    """Message id -> the id of the bot's reply, per chat: at most ``per_chat`` messages in
    each of at most ``chats`` chats (the least recently used are dropped)."""

    def __init__(self, chats: int, per_chat: int = 50) -> None:
        self._chats = max(1, chats)
        self._per_chat = max(1, per_chat)
        self._entries: OrderedDict[int, OrderedDict[int, int]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(replies) for replies in self._entries.values())

    def remember(self, chat_id: int, message_id: int, reply_id: int) -> None:
        replies = self._entries.get(chat_id)
        if replies is None:
            replies = self._entries[chat_id] = OrderedDict()
        replies[message_id] = reply_id
        replies.move_to_end(message_id)
        self._entries.move_to_end(chat_id)
        while len(replies) > self._per_chat:
            replies.popitem(last=False)
        while len(self._entries) > self._chats:
            self._entries.popitem(last=False)

    def get(self, chat_id: int, message_id: int) -> int | None:
        """The bot's reply to ``message_id`` in ``chat_id``, if still known."""
        replies = self._entries.get(chat_id)
        return None if replies is None else replies.get(message_id)
