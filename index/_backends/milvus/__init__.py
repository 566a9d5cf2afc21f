"""The Milvus backend: chunks, vectors and BM25 kept in Milvus collections.

:class:`MilvusBackend` is the :class:`~newsqa.index._backends.Backend` of
``index.backend = "milvus"``: :mod:`._client` connects (milvus-lite file or server),
:mod:`._collections` holds the three collections, :mod:`._build` updates them
incrementally and :mod:`._reader` searches them (:class:`MilvusIndex`). Imported
only when a configuration chooses Milvus.
"""

from __future__ import annotations

from ..._config import Config
from ..._embedding._protocol import TextEncoder
from ..._search import IndexInfo, SearchIndex
from .._report import BuildReport
from ._build import build_milvus
from ._reader import MilvusIndex, milvus_status

__all__ = ["MilvusBackend", "MilvusIndex"]


class MilvusBackend:
    """Three Milvus collections named after ``[milvus] collection``."""

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
        """Update the collections; ``compact`` means nothing here (Milvus compacts itself)."""
        return build_milvus(
            config,
            full=full,
            show_progress=show_progress,
            embedder=embedder,
            allow_mass_removal=allow_mass_removal,
        )

    def open(self, config: Config, *, previous: SearchIndex | None = None) -> SearchIndex:
        """A new client on the collections (``previous`` shares nothing; close it apart)."""
        return MilvusIndex.open(config)

    def status(self, config: Config) -> IndexInfo:
        return milvus_status(config)

    def check(self, config: Config) -> list[str]:
        """Milvus keeps its own data consistent: only that the collections exist."""
        milvus_status(config)  # raises IndexNotFoundError when nothing was built
        return []
