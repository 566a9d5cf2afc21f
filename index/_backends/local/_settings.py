"""What a local manifest records about how its index was made, and what a change means.

:func:`settings` is the manifest's ``settings`` object; :data:`IDENTITY` compares two
of them (a full rebuild and its one-line reason) and refuses to serve an index the
configuration cannot (:class:`~newsqa.index.IndexMismatchError`).
"""

from __future__ import annotations

from typing import Any

from ..._config import Config
from ..._tokens import TOKENIZER_ID
from .._identity import Identity
from ._layout import FORMAT_VERSION

__all__ = ["IDENTITY", "settings"]

IDENTITY = Identity(
    format_key="format_version",
    format=FORMAT_VERSION,
    stale_format="index format version",
    other_format="the index has format version",
    tokenizers={"tokenizer": TOKENIZER_ID},
    compared=("tokenizer", "max_chunk_chars"),
)
"""The settings keys of a local manifest, and how a change of them is reported."""


def settings(config: Config, model: dict[str, Any]) -> dict[str, Any]:
    """Everything that, when it changes, makes the stored vectors or tokens stale."""
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "tokenizer": TOKENIZER_ID,
        "max_chunk_chars": config.index.max_chunk_chars,
    }
