"""What a chunk is matched and embedded as, and the reuse of vectors already embedded.

:func:`passage_text` is the text both backends embed and analyse; its
:func:`content_hash` identifies a vector, so a text seen before (in any file, any
segment) is never embedded again: :func:`to_embed` picks the first chunk of each
text that has no vector yet and :func:`embed_into` adds those vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from .._progress import Progress, reporting
from .._text import normalize

if TYPE_CHECKING:
    from .._embedding._protocol import TextEncoder, Vectors
    from .._types import Chunk

__all__ = ["content_hash", "embed_into", "passage_text", "to_embed"]


def passage_text(chunk: Chunk) -> str:
    """What represents a chunk for matching: its normalised title and text."""
    return normalize(chunk.title) + "\n" + normalize(chunk.text)


def content_hash(text: str) -> str:
    """The 32-hex-digit SHA-256 prefix both backends record for a passage text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def to_embed(
    hashes: Sequence[str], known: Iterable[str], rows: Iterable[int] | None = None
) -> list[int]:
    """The first of ``rows`` (default: all) for each hash with no vector in ``known``."""
    seen = set(known)
    todo: list[int] = []
    for i in range(len(hashes)) if rows is None else rows:
        if hashes[i] not in seen:
            seen.add(hashes[i])
            todo.append(i)
    return todo


def embed_into(
    known: MutableMapping[str, Any],
    embedder: TextEncoder,
    texts: Sequence[str],
    hashes: Sequence[str],
    todo: Sequence[int],
    *,
    show_progress: bool = False,
    slice_size: int = 0,
    on_slice: Callable[[list[str], Vectors], None] | None = None,
) -> None:
    """Embed the texts of ``todo`` and add their vectors to ``known`` by hash.

    With ``slice_size`` the texts are embedded ``slice_size`` at a time and
    ``on_slice(hashes, vectors)`` is called after each slice (a build keeps them, to
    resume from there if it is killed). Progress is one bar on a terminal
    (``show_progress``), otherwise a log line every few seconds (:mod:`.._progress`).
    """
    step = slice_size if slice_size > 0 else max(1, len(todo))
    with Progress(len(todo), "embedding", bar=show_progress) as progress, reporting(progress):
        for start in range(0, len(todo), step):
            part = todo[start : start + step]
            fresh = embedder.encode_passages([texts[i] for i in part])
            progress.reach(start + len(part))  # an encoder that does not report batches
            done = [hashes[i] for i in part]
            for j, h in enumerate(done):
                known[h] = fresh[j]
            if on_slice is not None:
                on_slice(done, fresh)
