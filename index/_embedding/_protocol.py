"""What newsqa needs of an embedding model: the :class:`TextEncoder` protocol.

Builds, retrieval and tests type against this protocol rather than the concrete
:class:`~newsqa.index.Embedder`, so a test's fake needs no ``type: ignore``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["TextEncoder", "Vectors"]

Vectors = npt.NDArray[np.float32]
"""Unit-length float32 rows: a dot product is the cosine."""


class TextEncoder(Protocol):
    """Unit-length vectors for passages and questions, and the identity of the model."""

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        ...

    def identity(self) -> dict[str, object]:
        """What an index records to notice a change of model (name, dim, prefixes, ...)."""
        ...

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """``(len(texts), dim)`` vectors of passages, in the given order."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` vectors of questions."""
        ...

    def encode_query(self, text: str) -> Vectors:
        """The ``(dim,)`` vector of one question."""
        ...

    def use_query_threads(self) -> None:
        """From now on embed questions with the serving thread count."""
        ...
