"""The public build, open, status and check functions: thin calls into the chosen backend.

Each asks :func:`~newsqa.index._backends.backend_for` which backend
``config.index.backend`` names and calls it; the backend's modules (numpy, FAISS,
jieba, pymilvus) load on that first call, not with ``import newsqa.index``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._backends import BuildReport, backend_for

if TYPE_CHECKING:
    from ._config import Config
    from ._embedding._protocol import TextEncoder
    from ._search import IndexInfo, SearchIndex

__all__ = ["build_index", "check_index", "index_status", "open_index"]


def build_index(
    config: Config,
    *,
    full: bool = False,
    compact: bool = False,
    show_progress: bool = False,
    embedder: TextEncoder | None = None,
    allow_mass_removal: bool = False,
) -> BuildReport:
    """Build or incrementally update the index of ``config``.

    ``full`` re-reads and re-embeds everything; ``compact`` merges every segment of a
    local index into one (no re-embedding). Raises :class:`~newsqa.index.CorpusError`
    when the corpus holds no article, and :class:`~newsqa.index.IndexStoreError` when
    the index cannot be written; for the local backend the previously served index is
    untouched in both cases.
    """
    return backend_for(config).build(
        config,
        full=full,
        compact=compact,
        show_progress=show_progress,
        embedder=embedder,
        allow_mass_removal=allow_mass_removal,
    )


def open_index(config: Config, *, previous: SearchIndex | None = None) -> SearchIndex:
    """Open the served index of ``config``'s backend for search.

    ``previous``, an index of the same backend opened before, lets the local backend
    share the segments the two generations have in common; closing ``previous``
    afterwards closes only what the new index does not share.
    """
    return backend_for(config).open(config, previous=previous)


def index_status(config: Config) -> IndexInfo:
    """Summary of the served index without loading it (raises if none was built)."""
    return backend_for(config).status(config)


def check_index(config: Config) -> list[str]:
    """Verify the served index of ``config`` and describe what is damaged.

    Returns one line per damaged file (``"segment s000003: meta.sqlite does not match
    its checksum"``), empty when the index is intact. For the local backend every
    recorded checksum is verified (a full read of the index, read-only) along with the
    structure of the served generation; ``newsqa index build`` repairs what it finds.
    Raises :class:`~newsqa.index.IndexNotFoundError` when no index was built.
    """
    return backend_for(config).check(config)
