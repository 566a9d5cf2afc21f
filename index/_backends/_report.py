"""What a build did, for both backends: :class:`BuildReport` and its change counts."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict, TypeVar

__all__ = ["BuildReport", "ChangeCounts"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did. Counts are chunks compared with the previously served index."""

    generation: str
    full: bool
    reason: str
    added: int
    changed: int
    removed: int
    unchanged: int
    embedded: int
    articles: int
    chunks: int
    files: int
    warnings: tuple[str, ...]
    duplicates_dropped: int
    seconds: float
    files_read: int = 0
    """Corpus files read this time (the others were unchanged since the last build)."""
    segments: int = 0
    """Segments of the new generation."""
    merged: int = 0
    """Segments merged into one by this build (0: none)."""
    files_unreadable: int = 0
    """Corpus files that could not be read; their previous chunks were kept."""
    repaired: tuple[str, ...] = ()
    """One line per damaged part of the previous index found and repaired (local)."""
    files_skipped: int = 0
    """Corpus files skipped with a warning (not decodable or parsable, not a regular file)."""


class CountFields(TypedDict):
    """The change counts as keyword arguments of :class:`BuildReport`."""

    added: int
    changed: int
    removed: int
    unchanged: int


@dataclass
class ChangeCounts:
    """Chunks added, changed, removed and unchanged since the previous index."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0

    def fields(self) -> CountFields:
        """The four counts as :class:`BuildReport` fields."""
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }

    def compare(self, now: Iterable[tuple[K, str]], before: Mapping[K, str]) -> None:
        """Count chunks ``(id, content hash)`` against the ``before`` ones by id.

        A chunk whose id is new is added, one whose hash differs is changed, the rest
        unchanged; ids of ``before`` not seen in ``now`` are removed.
        """
        seen: set[K] = set()
        for key, content_hash in now:
            seen.add(key)
            old_hash = before.get(key)
            if old_hash is None:
                self.added += 1
            elif old_hash != content_hash:
                self.changed += 1
            else:
                self.unchanged += 1
        self.removed += sum(1 for key in before if key not in seen)
