"""The last answer of each chat, kept in memory (bounded) so "更多" needs no new search;
and which message of the bot answered which message, so an edited question edits its
answer."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass

from ._types import AnswerLike

__all__ = ["AnswerMemory", "Remembered", "ReplyMap"]


@dataclass(slots=True)
class Remembered:
    """One chat's last answer and how many of its hits were already shown."""

    key: str
    answer: AnswerLike
    shown: int

    @property
    def remaining(self) -> int:
        return max(0, len(self.answer.hits) - self.shown)


class AnswerMemory:
    """At most ``capacity`` chats' last answers; the least recently used chat is dropped."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self._entries: OrderedDict[int, Remembered] = OrderedDict()
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, chat_id: int, answer: AnswerLike, shown: int) -> Remembered:
        """Keep ``answer`` as ``chat_id``'s last one, replacing any earlier one."""
        entry = Remembered(key=format(next(self._ids), "x"), answer=answer, shown=shown)
        self._entries[chat_id] = entry
        self._entries.move_to_end(chat_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return entry

    def get(self, chat_id: int, key: str | None = None) -> Remembered | None:
        """``chat_id``'s last answer, or None (also when ``key`` names an older one)."""
        entry = self._entries.get(chat_id)
        if entry is None or (key is not None and entry.key != key):
            return None
        self._entries.move_to_end(chat_id)
        return entry

    def forget(self, chat_id: int) -> None:
        self._entries.pop(chat_id, None)


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
