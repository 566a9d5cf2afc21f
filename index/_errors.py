"""The one exception hierarchy of newsqa.

Every expected failure is a :class:`NewsqaError`; the CLI and the bot turn it into
one line for the user. Errors from FAISS, SQLite, IO and the embedding model are
translated into these at the boundary where they enter.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CorpusError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStoreError",
    "ModelError",
    "NewsqaError",
]


class NewsqaError(Exception):
    """Base class of every error newsqa expects and reports in one line."""


class ConfigError(NewsqaError):
    """The configuration file or an environment override is unreadable or invalid."""


class CorpusError(NewsqaError):
    """A corpus path does not exist or holds nothing newsqa can ingest."""


class IndexStoreError(NewsqaError):
    """The index folder is unreadable, corrupt or cannot be written."""


class IndexNotFoundError(IndexStoreError):
    """No index has been built in the configured folder yet."""


class IndexMismatchError(IndexStoreError):
    """The index was built by another model or format version than the one configured."""


class ModelError(NewsqaError):
    """The embedding model cannot be loaded or fails to encode."""


IndexError_ = IndexStoreError
"""The former name of :class:`IndexStoreError`, kept for code written against it."""
