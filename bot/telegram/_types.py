"""The shapes the bot needs from retrieval, as structural protocols.

:class:`newsqa.retrieval.Retriever`, :class:`~newsqa.retrieval.Answer`,
:class:`~newsqa.retrieval.Hit` and :class:`~newsqa.retrieval.IndexInfo` satisfy them;
tests pass small fakes. Keeping the bot on these protocols means importing
:mod:`newsqa.bot.telegram` does not load the model stack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias

__all__ = [
    "AnswerLike",
    "ConversationFactory",
    "ConversationLike",
    "HitLike",
    "IndexInfoLike",
    "RetrieverLike",
]


class HitLike(Protocol):
    """One quoted paragraph (see :class:`newsqa.retrieval.Hit`)."""

    @property
    def title(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def highlight_span(self) -> tuple[int, int]: ...
    @property
    def source(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def article_id(self) -> str: ...
    @property
    def answer_span(self) -> tuple[int, int] | None: ...
    @property
    def url(self) -> str: ...
    def citation(self) -> str:
        """Publication, date and page (or the file name), e.g. ``中国妇女报 · 2023-03-22``."""
        ...


class AnswerLike(Protocol):
    """The outcome of one question (see :class:`newsqa.retrieval.Answer`)."""

    @property
    def confident(self) -> bool: ...
    @property
    def hits(self) -> Sequence[HitLike]: ...
    @property
    def notice(self) -> str: ...


class IndexInfoLike(Protocol):
    """A summary of the served index (see :class:`newsqa.retrieval.IndexInfo`)."""

    @property
    def articles(self) -> int: ...
    @property
    def chunks(self) -> int: ...
    @property
    def newest_date(self) -> str: ...
    @property
    def generation(self) -> str: ...


class RetrieverLike(Protocol):
    """What the bot calls: ``Retriever.ask``, ``reload`` and ``info`` (newsqa.retrieval)."""

    def ask(self, question: str, k: int | None = None) -> AnswerLike:
        """Search synchronously (CPU-bound, thread-safe); never raises for a bad question."""
        ...

    def reload(self) -> bool:
        """Switch to a rebuilt index; True if it switched."""
        ...

    @property
    def info(self) -> IndexInfoLike: ...


class ConversationLike(Protocol):
    """One reader's follow-up state (see :class:`newsqa.retrieval.Conversation`)."""

    def ask(self, question: str, k: int | None = None) -> AnswerLike:
        """Answer ``question`` in the context of the earlier turns (CPU-bound)."""
        ...

    def more(self, k: int | None = None) -> AnswerLike:
        """The next hits of the last answer, beyond those already returned."""
        ...

    def reset(self) -> None:
        """Forget the earlier turns (``/new``)."""
        ...


ConversationFactory: TypeAlias = Callable[[], ConversationLike]
"""Makes a fresh conversation for a reader who has none (or whose one expired)."""
