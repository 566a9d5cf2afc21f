"""What a chunk is matched and embedded as, and the reuse of vectors already embedded.

:func:`passage_text` is the text both backends embed and analyse; its
:func:`content_hash` identifies a vector, so a text seen before (in any file, any
segment) is never embedded again: :func:`to_embed` picks the first chunk of each
text that has no vector yet and :func:`embed_into` adds those vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from .._text import normalize

if TYPE_CHECKING:
    from .._embedding._protocol import TextEncoder
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
) -> None:
    """Embed the texts of ``todo`` and add their vectors to ``known`` by hash."""
    fresh = embedder.encode_passages([texts[i] for i in todo], show_progress=show_progress)
    for j, i in enumerate(todo):
        known[hashes[i]] = fresh[j]
