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
    "ModelError",
    "NewsqaError",
    "QueryError",
]


class NewsqaError(Exception):
    """Base class of every error newsqa expects and reports in one line."""


class ConfigError(NewsqaError):
    """The configuration file or an environment override is unreadable or invalid."""


class CorpusError(NewsqaError):
    """A corpus path does not exist or holds nothing newsqa can ingest."""


class IndexError_(NewsqaError):
    """The index folder is unreadable, corrupt or cannot be written."""


class IndexNotFoundError(IndexError_):
    """No index has been built in the configured folder yet."""


class IndexMismatchError(IndexError_):
    """The index was built by another model or format version than the one configured."""


class ModelError(NewsqaError):
    """The embedding model cannot be loaded or fails to encode."""


class QueryError(NewsqaError):
    """A question that cannot be searched (empty, only punctuation, ...)."""
