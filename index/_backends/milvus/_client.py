"""Connecting to Milvus: where an index is (:class:`Target`), and its errors in one line.

``[milvus] uri`` says where: empty (a milvus-lite file ``<index.dir>/milvus.db``,
embedded in the process), a ``.db`` path, or the URL of a Milvus server or cluster
(token from ``NEWSQA_MILVUS_TOKEN`` only, never shown in a message). Every pymilvus or
gRPC failure reaches the caller once, as a one-line
:class:`~newsqa.index.IndexStoreError` (:func:`milvus_errors`), its cause kept. How
loud pymilvus, milvus-lite and gRPC log is the front end's choice, not this module's.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..._config import MILVUS_TOKEN_ENV, Config
from ..._errors import IndexNotFoundError, IndexStoreError, NewsqaError

__all__ = ["Target", "connect", "milvus_errors", "target_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Target:
    uri: str
    local_file: Path | None
    """The milvus-lite database file, or None for a server."""

    @property
    def shown(self) -> str:
        return str(self.local_file) if self.local_file is not None else self.uri


def target_of(config: Config) -> Target:
    uri = config.milvus.uri.strip()
    if not uri:
        path = Path(config.index.dir).expanduser().absolute() / "milvus.db"
        return Target(str(path), path)
    if "://" not in uri and uri.endswith(".db"):
        path = Path(uri).expanduser().absolute()
        return Target(str(path), path)
    return Target(uri, None)


def _line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    token = os.environ.get(MILVUS_TOKEN_ENV, "")
    return text.replace(token, "***") if token else text


@contextlib.contextmanager
def milvus_errors(what: str) -> Iterator[None]:
    """Translate pymilvus (and gRPC) failures into one-line :class:`IndexStoreError`."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except NewsqaError:
        raise
    except MilvusException as exc:
        raise IndexStoreError(f"Milvus: {what} failed: {_line(exc)}") from exc
    except Exception as exc:  # grpc.RpcError and transport errors alike
        if type(exc).__module__.split(".")[0] in {"grpc", "pymilvus", "milvus_lite"}:
            raise IndexStoreError(f"Milvus: {what} failed: {_line(exc)}") from exc
        raise


def connect(config: Config, *, create: bool) -> tuple[Any, Target]:
    """A connected ``MilvusClient`` and where it points.

    ``create=False`` refuses to create a milvus-lite file that does not exist yet
    (:class:`IndexNotFoundError`): reading never leaves an empty database behind.
    """
    target = target_of(config)
    if target.local_file is not None:
        if not create and not target.local_file.exists():
            raise IndexNotFoundError(
                f"no Milvus index in {target.local_file} yet: run `newsqa index build` first"
            )
        try:
            target.local_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexStoreError(f"cannot create {target.local_file.parent}: {exc}") from exc
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - pymilvus is a dependency
        raise IndexStoreError(f"the Milvus backend needs pymilvus: {exc}") from exc
    hint = ""
    if target.local_file is not None:
        hint = " (a milvus-lite file serves one process at a time; see README, Milvus backend)"
    with milvus_errors(f"connecting to {target.shown}{hint}"):
        client = MilvusClient(
            uri=target.uri,
            token=os.environ.get(MILVUS_TOKEN_ENV, ""),
            db_name=config.milvus.db_name,
            timeout=config.milvus.timeout,
        )
    return client, target
