"""Where an index is kept: the :class:`Backend` protocol and the one place choosing one.

:func:`backend_for` maps ``config.index.backend`` to a backend: the local segmented
folder (:mod:`.local`) or Milvus (:mod:`.milvus`). Each is imported only when chosen,
so pymilvus loads only for a Milvus index and numpy, FAISS and jieba only once an
index is built or opened. What both share (passage text, content hashes, the index
identity and rebuild reasons, change counts, vector reuse, :class:`BuildReport`)
lives below both, in this package's private modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._protocol import Backend
from ._report import BuildReport

if TYPE_CHECKING:
    from .._config import Config

__all__ = ["Backend", "BuildReport", "backend_for"]


def backend_for(config: Config) -> Backend:
    """The backend ``config.index.backend`` names (imported on first use)."""
    if config.index.backend == "milvus":
        from .milvus import MilvusBackend  # lazy: pymilvus only when chosen

        return MilvusBackend()
    from .local import LocalBackend

    return LocalBackend()
