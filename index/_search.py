"""What retrieval needs from a stored index, whatever keeps it: :class:`SearchIndex`.

Two backends implement it: the local one (FAISS + BM25 segments + SQLite in the index
folder, :mod:`._backends.local`) and Milvus (:mod:`._backends.milvus`).
``newsqa.retrieval`` only talks to this protocol, so ranking, fusion and answers are
the same code for both.

Chunks are addressed by *keys*: 64-bit integers, stable for the life of the opened
index (a row for the local backend, the primary key for Milvus). Scores are higher
is better: cosine similarity for the dense side, BM25 for the lexical side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:  # numpy only for annotations: importing this module stays light
    import numpy as np
    import numpy.typing as npt

    from ._types import Chunk

__all__ = ["IndexInfo", "Keys", "Scores", "SearchIndex"]

Keys: TypeAlias = "npt.NDArray[np.int64]"
Scores: TypeAlias = "npt.NDArray[np.float32]"


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """A summary of the served index, for ``newsqa index status`` and the bot's /start."""

    path: str
    generation: str
    articles: int
    chunks: int
    newest_date: str
    built_at: str
    model: str
    vector_index: str
    backend: str = "local"
    segments: int = 1
    files_unreadable: int = 0
    """Corpus files the last build could not read (their previous chunks were kept)."""


class SearchIndex(Protocol):
    """One opened, immutable view of an index; thread-safe for concurrent questions."""

    @property
    def info(self) -> IndexInfo:
        """An :class:`~newsqa.index.IndexInfo` summary (generation, counts, model)."""
        ...

    @property
    def size(self) -> int:
        """Live (searchable) chunks."""
        ...

    def dense_search(self, query: npt.NDArray[np.float32], k: int) -> tuple[Keys, Scores]:
        """The ``k`` chunks nearest to the unit vector ``query``, best first."""
        ...

    def dense_scores(self, query: npt.NDArray[np.float32], keys: Keys) -> Scores:
        """Exact cosine of ``query`` with each chunk of ``keys``."""
        ...

    def lexical_search(
        self, text: str, tokens: Sequence[str], k: int, *, also: Keys
    ) -> tuple[Keys, Scores, Scores]:
        """BM25: the ``k`` best chunks for the question, and the scores of ``also``.

        ``text`` is the normalised question and ``tokens`` its jieba tokens; a backend
        uses whichever its lexical index was built from. Returns ``(keys, scores,
        scores of also)``; chunks matching nothing score 0.
        """
        ...

    def idf(self, tokens: Sequence[str]) -> list[float]:
        """Inverse document frequency of each token over the live chunks."""
        ...

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        """The chunks of ``keys``, in the order asked (missing keys are left out)."""
        ...

    def article_chunks(self, article_id: str) -> list[Chunk]:
        """Every live chunk of one article, in reading order (empty if it has none)."""
        ...

    def close(self) -> None:
        """Release what this view holds; idempotent. Closing a view opened before
        (``open_index(config, previous=view)``) leaves the newer one searchable."""
        ...
