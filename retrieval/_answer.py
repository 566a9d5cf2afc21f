"""The result objects of a search: :class:`Hit` and :class:`Answer`.

Contract: ``score`` is higher-is-better and only comparable within one answer.
``text`` is the paragraph exactly as printed in the source; ``highlight`` is the
sentence of ``text`` that best matches the question, and ``highlight_span`` its
character span inside ``text`` (``text[start:end] == highlight``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Answer", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One quoted paragraph with its article title and where it came from."""

    rank: int
    score: float
    title: str
    section: str
    text: str
    highlight: str
    highlight_span: tuple[int, int]
    source: str
    article_id: str
    chunk_id: str
    date: str = ""
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema of one result."""
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "highlight": self.highlight,
            "source": self.source,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one question.

    ``confident`` is false when the best hit is not good enough to present as an
    answer (the honest "nothing relevant" outcome) and when the question itself could
    not be searched; ``notice`` then says why in one short line (or is empty).
    """

    question: str
    confident: bool
    hits: tuple[Hit, ...]
    notice: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema: ``{"question", "confident", "results": [...]}``."""
        data: dict[str, Any] = {
            "question": self.question,
            "confident": self.confident,
            "results": [h.to_json() for h in self.hits],
        }
        if self.notice:
            data["notice"] = self.notice
        return data
