"""The one logging set-up of both front ends (the ``newsqa`` commands and the bot).

Lines go to stderr as ``<time> <LEVEL> <logger>: <message>``. Every handler of the
root logger carries a :class:`RedactingFilter`, so no secret (the bot token, the
webhook secret, ``NEWSQA_MILVUS_TOKEN``) reaches a log line, and other libraries are
kept quiet here, never in library code: below WARNING their records are dropped (``-v``
lets them through), and a few loggers get fixed levels (httpx logs request URLs, and
with them the bot token, at INFO; pymilvus and milvus-lite log tracebacks for failures
newsqa reports in one line itself). Importing this module is cheap.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from newsqa.index import MILVUS_TOKEN_ENV

__all__ = ["FORMAT", "RedactingFilter", "redact", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""Every log line of both front ends: with a timestamp."""
_MASK = "[REDACTED]"

_NOISY = frozenset(
    {
        "httpx",
        "httpcore",
        "sentence_transformers",
        "transformers",
        "jieba",
        "bm25s",
        "faiss",
        "urllib3",
        "filelock",
        "huggingface_hub",
    }
)
"""Libraries whose records below WARNING are dropped unless ``-v`` (some reset their
own level on import, so a filter on the handler is what holds)."""

_LEVELS = {
    "httpx": logging.WARNING,  # request URLs hold the bot token
    "httpcore": logging.WARNING,
    "jieba": logging.WARNING,  # "Building prefix dict ..." on first use
    # pymilvus logs every failed call with a traceback; newsqa reports it in one line
    "pymilvus": logging.CRITICAL,
    # milvus-lite runs in this process and talks at INFO (background segment work), and
    # logs a traceback when its server cannot start: newsqa says that in one line
    "milvus_lite": logging.WARNING,
    "milvus_lite.server_manager": logging.CRITICAL,
    # the embedded server's gRPC layer logs a traceback for each call milvus-lite does
    # not implement (pymilvus falls back by itself)
    "grpc._server": logging.CRITICAL,
}
"""Levels that hold even with ``-v``."""

_RESET_ON_IMPORT = frozenset({"jieba", "pymilvus.settings"})
"""Modules that set their loggers' levels when imported (jieba: DEBUG; pymilvus: a
``dictConfig``): :data:`_LEVELS` is applied again right after they load."""

_DROPPED_HINTS = ("Please consider to run pre-processing before quantization",)
"""Advice onnxruntime logs on the root logger at WARNING on every int8 export."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[REDACTED]``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records so no secret reaches a handler: message, arguments,
    traceback and stack. Attach it to handlers (filters on loggers do not see records
    propagated from child loggers)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # The token, and its secret half alone (it may show up URL-split).
        found: set[str] = set()
        for secret in secrets:
            if secret:
                found.add(secret)
                if ":" in secret:
                    tail = secret.split(":", 1)[1]
                    if len(tail) >= 16:
                        found.add(tail)
        self._secrets = tuple(sorted(found, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw parts
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


class _QuietLibraries(logging.Filter):
    """Drop other libraries' records below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] not in _NOISY


class _DropHints(logging.Filter):
    """Drop the advice other libraries log that a newsqa user cannot act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(hint in str(record.msg) for hint in _DROPPED_HINTS)


def _set_levels() -> None:
    for name, level in _LEVELS.items():
        logging.getLogger(name).setLevel(level)


class _LevelsAfterImport(importlib.abc.MetaPathFinder):
    """Applies :data:`_LEVELS` again once a module of :data:`_RESET_ON_IMPORT` has run."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _RESET_ON_IMPORT:
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec: importlib.machinery.ModuleSpec | None = finder.find_spec(
                    fullname, path, target
                )
                if spec is not None:
                    if spec.loader is not None:
                        spec.loader = _ThenSetLevels(spec.loader)
                    return spec
        return None


class _ThenSetLevels(importlib.abc.Loader):
    """A module's own loader, then :func:`_set_levels`."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _set_levels()

    def __getattr__(self, name: str) -> Any:  # get_source, resource readers, ...
        return getattr(self._loader, name)


def setup_logging(
    secrets: Iterable[str] = (),
    *,
    level: int | str = "INFO",
    verbose: bool | None = None,
) -> RedactingFilter:
    """Log to stderr with timestamps, secrets redacted and other libraries quiet.

    Called once by the CLI at start (every command) and again by the bot with its
    secrets; each call replaces the previous redaction filter. ``level`` applies when
    this call creates the stderr handler (as :func:`logging.basicConfig`, nothing is
    added where the root logger already has handlers). ``verbose`` lets other
    libraries' records below WARNING through; ``None`` keeps what an earlier call chose.
    """
    root = logging.getLogger()
    if not root.handlers:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(stderr)
        if isinstance(level, str):
            level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        root.setLevel(level)
        verbose = bool(verbose)
    filt = RedactingFilter([*secrets, os.environ.get(MILVUS_TOKEN_ENV, "")])
    for handler in root.handlers:
        for ours in [f for f in handler.filters if isinstance(f, RedactingFilter | _DropHints)]:
            handler.removeFilter(ours)
        handler.addFilter(_DropHints())
        handler.addFilter(filt)
        if verbose is not None:
            for quiet in [f for f in handler.filters if isinstance(f, _QuietLibraries)]:
                handler.removeFilter(quiet)
            if not verbose:
                handler.addFilter(_QuietLibraries())
    _set_levels()
    if not any(isinstance(f, _LevelsAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _LevelsAfterImport())
    return filt
