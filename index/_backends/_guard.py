"""The mass removal guard both backends apply before an update changes anything."""

from __future__ import annotations

from collections.abc import Callable

from .._errors import CorpusError

__all__ = ["removal_guard"]


def removal_guard(
    removed: int, before: int, share: float, allow: bool, moved: Callable[[], int]
) -> None:
    """Refuse an update that would remove more than ``share`` of the ``before`` chunks.

    ``removed`` chunks are gone from the new generation; ``moved()`` (called only when
    the update is over the limit) says how many of them come back elsewhere with the
    same text (a renamed file or folder), which are not lost.
    """
    if allow or before <= 0 or removed <= share * before:
        return
    lost = removed - moved()
    if lost <= share * before:
        return
    percent = 100 * lost / before
    shown = f"{percent:.0f}%" if percent >= 1 else "under 1%"
    raise CorpusError(
        f"this update would remove {shown} of the archive's chunks"
        f" (more than index.max_removal_share = {100 * share:.0f}%):"
        " check corpus.paths or the mount, or pass --allow-mass-removal"
    )
