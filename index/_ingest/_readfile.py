"""Read the bytes of one corpus file, safely: regular files only, size-capped, unchanged.

Only a regular file is read (after following symlinks): a FIFO, socket or device is
refused without opening it for a blocking read, so a named pipe or a link to
``/dev/zero`` cannot hang or exhaust memory. Files over :data:`MAX_FILE_BYTES` are
refused, and at most that much is ever read. A file whose size, modification time or
inode differ before and after the read (it was being written) is refused too, so the
next build reads it again. Every refusal is a :class:`ReadError` with a short reason;
one where the system would not let the file be read (permissions, an I/O error, a mount
that went away) has ``unreadable`` set, so a build keeps what the file held before.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "ReadError", "read_regular_file"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check opens without blocking
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class ReadError(Exception):
    """The file cannot (or must not) be read now; the message is a short reason.

    ``unreadable`` is true when the system refused the read (an ``OSError``: permissions,
    I/O, a vanished mount), false when the file was looked at and refused (its kind, its
    size, or it changed while being read).
    """

    def __init__(self, reason: str, *, unreadable: bool = False) -> None:
        super().__init__(reason)
        self.unreadable = unreadable


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB"


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ReadError(f"not a regular file ({_kind(info.st_mode)})")
    if info.st_size > limit:
        raise ReadError(f"too large ({_megabytes(info.st_size)}; the limit is {_megabytes(limit)})")


def _read_fd(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes from ``fd`` (reads until end of file or the limit)."""
    parts: list[bytes] = []
    total = 0
    while total < limit:
        part = os.read(fd, min(_CHUNK, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (
        b.st_dev,
        b.st_ino,
        b.st_size,
        b.st_mtime_ns,
    )


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``; raises :class:`ReadError` with the reason.

    ``limit`` defaults to :data:`MAX_FILE_BYTES` (read at call time, so tests can lower it).
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        _check_regular(os.stat(path), limit)  # before opening: opening a FIFO could block
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ReadError(f"cannot read ({exc.strerror or exc})", unreadable=True) from exc
    try:
        before = os.fstat(fd)
        _check_regular(before, limit)  # the file may have been swapped since the check
        data = _read_fd(fd, limit + 1)
        after = os.fstat(fd)
        now = os.stat(path)
    except OSError as exc:
        raise ReadError(f"cannot read ({exc.strerror or exc})", unreadable=True) from exc
    finally:
        os.close(fd)
    if len(data) != before.st_size or not _same(before, after) or not _same(before, now):
        logger.debug(
            "%s: %d bytes read, size %d -> %d", path, len(data), before.st_size, now.st_size
        )
        raise ReadError("changed while being read (read again next build)")
    return data
