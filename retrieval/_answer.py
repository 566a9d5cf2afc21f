"""The result objects of a search: :class:`Hit` and :class:`Answer`.

Contract: ``score`` is higher-is-better and only comparable within one answer.
``text`` is the paragraph exactly as printed in the source; ``highlight`` is the
sentence of ``text`` that holds the answer (or best matches the question), and
``highlight_span`` its character span inside ``text`` (``text[start:end] ==
highlight``). ``answer`` is the phrase the question asks for (a name, number, date or
place) when one was found inside the highlight, ``answer_span`` its span in ``text``
(``text[start:end] == answer``); both are empty / ``None`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
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
    answer: str = ""
    answer_span: tuple[int, int] | None = None
    publication: str = ""
    """The paper or feed (``中国妇女报``), where ingestion knew it."""
    page: str = ""
    """The printed page (``"5"``), where ingestion knew it."""
    url: str = ""

    def citation(self) -> str:
        """Where the quote comes from, for a reader: ``中国妇女报 · 2023-03-22 · 第 5 版``.

        Publication, date and page where known; the source file's name only when none
        of them is.
        """
        parts = [p for p in (self.publication, self.date) if p]
        if self.page:
            parts.append(f"第 {self.page} 版")
        if parts:
            return " · ".join(parts)
        return PurePath(self.source).name if self.source else ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema of one result (``answer`` is null when none was marked)."""
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "highlight": self.highlight,
            "answer": self.answer or None,
            "source": self.source,
            "citation": self.citation(),
            "publication": self.publication,
            "date": self.date,
            "page": self.page,
            "url": self.url,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one question.

    ``confident`` is false when the best hit is not good enough to present as an
    answer (the honest "nothing relevant" outcome) and when the question itself could
    not be searched; ``notice`` then says why in one short line (or is empty).
    ``confidence`` is the calibrated probability, in ``[0, 1]``, that the top hit
    answers the question (``confident`` is ``confidence >= retrieval.min_confidence``
    under the default ``"learned"`` verdict). ``searched`` is the question as it was
    searched when a conversation completed it from an earlier turn (else empty).
    """

    question: str
    confident: bool
    hits: tuple[Hit, ...]
    notice: str = ""
    confidence: float = 0.0
    searched: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema: ``{"question", "confident", "results": [...]}``."""
        data: dict[str, Any] = {
            "question": self.question,
            "confident": self.confident,
            "confidence": round(self.confidence, 4),
            "results": [h.to_json() for h in self.hits],
        }
        if self.searched:
            data["searched"] = self.searched
        if self.notice:
            data["notice"] = self.notice
        return data
