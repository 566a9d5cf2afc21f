"""Assemble a paragraph's text from pieces of the source, keeping its map to the source.

A paragraph's text is not always one verbatim slice of its file: a column break is
rejoined, Markdown lines are unwrapped and markup dropped, JSON escapes are decoded.
:class:`ParagraphBuilder` records where each verbatim run begins so that
:attr:`newsqa.index._types.Paragraph.breaks` can map any text offset back to the source.
"""

from __future__ import annotations

import logging

from .._types import Paragraph

__all__ = ["MAX_BREAKS", "ParagraphBuilder"]

logger = logging.getLogger(__name__)

MAX_BREAKS = 64
"""Past this many breaks (a JSONL file written with ``ensure_ascii``) no map is kept."""


class ParagraphBuilder:
    """Collects ``(text, source offset)`` pieces; :meth:`build` makes the paragraph."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._breaks: list[tuple[int, int]] = []
        self._length = 0
        self._start = -1
        self._end = -1
        self._run_text = 0
        self._run_source = 0

    @property
    def empty(self) -> bool:
        """True until a piece with source has been added."""
        return self._start < 0

    @property
    def text(self) -> str:
        """The text collected so far."""
        return "".join(self._parts)

    def add(self, text: str, source: int, source_end: int | None = None) -> None:
        """Append ``text`` found at ``source`` (ending at ``source_end``, default verbatim)."""
        if not text:
            return
        if self._start < 0:
            self._start = source
            self._run_text, self._run_source = 0, source
        elif source != self._run_source + (self._length - self._run_text):
            self._breaks.append((self._length, source))
            self._run_text, self._run_source = self._length, source
        self._parts.append(text)
        self._length += len(text)
        self._end = source + len(text) if source_end is None else source_end

    def add_synthetic(self, text: str) -> None:
        """Append text that is not in the source (a space joining two wrapped lines)."""
        if self._start >= 0 and text:
            self._parts.append(text)
            self._length += len(text)

    def build(self, section: str = "") -> Paragraph:
        """The paragraph: text, span in the source and, when needed, its breaks."""
        if self._start < 0:
            raise ValueError("empty paragraph")
        breaks = tuple(self._breaks) if len(self._breaks) <= MAX_BREAKS else ()
        return Paragraph(
            text="".join(self._parts),
            section=section,
            start=self._start,
            end=self._end,
            breaks=breaks,
        )
