"""The :class:`Backend` protocol: what every place that keeps an index can do.

A backend builds or updates the index of a configuration, opens it for search (a
:class:`~newsqa.index.SearchIndex`) and summarises it without loading it. Two
implement it: :class:`~newsqa.index._backends.local.LocalBackend` (segments in the
index folder) and :class:`~newsqa.index._backends.milvus.MilvusBackend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .._config import Config
    from .._embedding._protocol import TextEncoder
    from .._search import IndexInfo, SearchIndex
    from ._report import BuildReport

__all__ = ["Backend"]


class Backend(Protocol):
    """Build, open and describe the index of one kind of store."""

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
        """Build or incrementally update the index of ``config``."""
        ...

    def open(self, config: Config, *, previous: SearchIndex | None = None) -> SearchIndex:
        """Open the served index for search; ``previous`` may share what is unchanged."""
        ...

    def status(self, config: Config) -> IndexInfo:
        """The served index's summary, without loading it."""
        ...

    def check(self, config: Config) -> list[str]:
        """One line per damaged part of the served index; empty when intact."""
        ...
