"""The local backend: immutable segments and generations in the index folder.

:class:`LocalBackend` is the :class:`~newsqa.index._backends.Backend` of
``index.backend = "local"``: :mod:`._build` builds and updates (incrementally, with an
atomic swap, see :mod:`._layout`), :mod:`._reader` opens the served generation for
search (:class:`IndexReader`).
"""

from __future__ import annotations

from ..._config import Config
from ..._embedding._protocol import TextEncoder
from ..._search import IndexInfo, SearchIndex
from .._report import BuildReport
from ._build import build_local
from ._reader import IndexReader, local_status

__all__ = ["IndexReader", "LocalBackend"]


class LocalBackend:
    """Segments in ``config.index.dir``: FAISS (or exact) vectors, BM25, SQLite."""

    def build(
        self,
        config: Config,
        *,
        full: bool = False,
        compact: bool = False,
        show_progress: bool = False,
        embedder: TextEncoder | None = None,
        allow_mass_removal: bool = False,
    ) -> BuildReport:
        return build_local(
            config,
            full=full,
            compact=compact,
            show_progress=show_progress,
            embedder=embedder,
            allow_mass_removal=allow_mass_removal,
        )

    def open(self, config: Config, *, previous: SearchIndex | None = None) -> SearchIndex:
        """Open the served generation, sharing the segments ``previous`` has open."""
        before = previous if isinstance(previous, IndexReader) else None
        return IndexReader.open(config, previous=before)

    def status(self, config: Config) -> IndexInfo:
        return local_status(config)

    def check(self, config: Config) -> list[str]:
        """Verify checksums and structure of the served generation (see :mod:`._integrity`)."""
        from ._integrity import check_local

        return check_local(config)
