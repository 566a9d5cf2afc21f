"""What keeps a build from losing the archive: unreadable input, mass removal, full disks.

- :func:`kept_under` finds the files the previous generation indexed under a folder
  that could not be listed (or a corpus path that went away), so the build keeps
  them instead of taking them for removed.
- :func:`removal_guard` refuses an update that would remove more than
  ``index.max_removal_share`` of the archive's chunks (an emptied corpus folder, an
  unmounted disk) unless ``allow_mass_removal``.
- :func:`writing` turns an ``OSError`` raised while the build writes (``ENOSPC`` above
  all, from ``np.save``, SQLite, FAISS, JSON writes or ``os.replace``) into one
  :class:`~newsqa.index.IndexStoreError` line naming the path, and removes what the
  failed build left half-written. The served generation is never touched before the
  swap, so it keeps serving.
- :func:`make_private` gives the index folder mode 0700 and its files 0600.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from ..._errors import IndexStoreError
from .._guard import removal_guard

__all__ = ["kept_under", "make_private", "removal_guard", "store_error", "writing"]

logger = logging.getLogger(__name__)

E = TypeVar("E")

_FULL_WORDS = ("no space left", "disk is full", "database or disk is full", "quota exceeded")
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")
"""numpy's ``tofile``/``np.save`` on a full disk: an ``OSError`` with no errno."""


def kept_under(folder: str, catalog: Mapping[str, E]) -> dict[str, E]:
    """The entries of ``catalog`` (keyed by resolved path) at or under ``folder``."""
    prefix = folder.rstrip(os.sep) + os.sep
    return {src: e for src, e in catalog.items() if src == folder or src.startswith(prefix)}


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == 13:
        return True  # SQLITE_FULL
    text = str(exc).lower()
    return any(word in text for word in _FULL_WORDS) or bool(_SHORT_WRITE.search(text))


def store_error(exc: BaseException, root: Path) -> IndexStoreError | None:
    """The one-line error for ``exc`` raised while writing under ``root``, or None.

    A full disk (``ENOSPC``, ``EDQUOT``, SQLite's "database or disk is full", or an
    ``IndexStoreError`` caused by one) reads ``no space left on <path>``; another
    ``OSError`` reads ``cannot write <path>: <reason>``. Anything else is None (not a
    write failure: the caller re-raises it as it is).
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    full = next((e for e in chain if _is_full(e)), None)
    if full is not None:
        where = _where(full, root)
        return IndexStoreError(
            f"no space left on {where}: the build stopped and the previous index is still"
            " served (free some space and build again)"
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return IndexStoreError(
            f"cannot write {_where(exc, root)}: {reason}; the previous index is still served"
        )
    return None


def _where(exc: BaseException, root: Path) -> str:
    name = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    return str(name) if name else str(root)


@contextlib.contextmanager
def writing(root: Path, cleanup: Callable[[], None] | None = None) -> Iterator[None]:
    """Translate write failures under ``root`` into one line; run ``cleanup`` after one.

    ``cleanup`` (best effort, its own errors ignored) removes what the failed build
    wrote, so a full disk gets its space back at once rather than at the next build.
    """
    try:
        yield
    except (OSError, IndexStoreError, sqlite3.Error, RuntimeError) as exc:
        error = store_error(exc, root)
        if cleanup is not None and (error is not None or isinstance(exc, IndexStoreError)):
            with contextlib.suppress(Exception):
                cleanup()
        if error is None:
            raise
        raise error from exc


def make_private(root: Path, *, files: bool = True) -> None:
    """Mode 0700 for ``root`` and (with ``files``) its folders, 0600 for its files.

    Never follows a symlink, and only changes what the process owns; a failure is one
    warning line (the index still works, only less private).
    """
    try:
        os.chmod(root, 0o700)
        if not files:
            return
        uid = os.geteuid()
        for folder, dirs, names in os.walk(root):
            for name in dirs:
                _chmod(Path(folder) / name, 0o700, uid)
            for name in names:
                _chmod(Path(folder) / name, 0o600, uid)
    except OSError as exc:
        logger.warning("cannot make the index folder %s private: %s", root, exc.strerror or exc)


def _chmod(path: Path, mode: int, uid: int) -> None:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or info.st_uid != uid or stat.S_IMODE(info.st_mode) == mode:
        return
    os.chmod(path, mode)
