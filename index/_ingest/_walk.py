"""Walk the corpus paths: the files to read, in walk order, and those refused on the way.

Folders are walked recursively in sorted order, skipping hidden files and folders and
any file whose extension is not in :data:`SUFFIXES` (debug log). Symlinked folders are
not followed; one pointing back to a folder above it is a loop and is named in a
warning. A file that is a symlink loop, or whose path is not valid UTF-8 (it could not
be shown, stored or printed), is refused with a one-line warning: a :class:`Refused`
in the walk. Every name in a warning goes through :func:`printable`.

A folder that exists but cannot be listed (permissions, a mount that went away) is not
an empty folder: it is a :class:`Refused` with ``folder`` set, so that a build keeps
what the archive had under it instead of taking its files for removed ones. With
``missing_ok``, a corpus path that does not exist is reported the same way.
"""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import CorpusError

__all__ = ["SUFFIXES", "Refused", "WalkItem", "printable", "refusal", "safe_resolve", "walk_items"]

logger = logging.getLogger(__name__)

SUFFIXES = frozenset({".txt", ".jsonl", ".md", ".markdown"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Refused:
    """A corpus entry that is not read: its printable path and the one-line warning."""

    path: str
    warning: str
    folder: str = ""
    """For a folder that could not be listed (or a missing corpus path): its real path,
    under which the previous index's files are kept. Empty for a refused file."""

    @property
    def unreadable(self) -> bool:
        """True for a folder or corpus path that could not be read (not a refused file)."""
        return bool(self.folder)


WalkItem = tuple[Path, str] | Refused


def printable(text: str) -> str:
    """``text`` on one printable line: undecodable bytes and control characters escaped."""
    if _SURROGATE.search(text):
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that did not come from a file name byte
            raw = text.encode("utf-8", "backslashreplace")
        text = raw.decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


def safe_resolve(path: Path) -> Path | None:
    """``path.resolve()``, or None where it cannot be resolved (a symlink loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python < 3.13 raises RuntimeError for a loop
        return None


def _is_loop(path: str | Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return safe_resolve(Path(path)) is None


def refusal(path: Path) -> Refused | None:
    """Why the file ``path`` must not be read (a bad name, a symlink loop), or None."""
    shown = printable(str(path))
    if _SURROGATE.search(str(path)):
        return Refused(shown, f"{shown}: file name is not valid UTF-8 (rename it); file skipped")
    if os.path.islink(path) and _is_loop(path):
        return Refused(shown, f"{shown}: symlink loop; file skipped")
    return None


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _folder_refusal(folder: str, name: str) -> Refused | None:
    """Why the subfolder ``name`` of the real folder ``folder`` is refused, or None."""
    full = os.path.join(folder, name)
    shown = printable(full)
    if _SURROGATE.search(name):
        return Refused(shown, f"{shown}: folder name is not valid UTF-8 (rename it); not read")
    if not os.path.islink(full):
        return None
    target = os.path.realpath(full)
    if _is_loop(full) or folder == target or folder.startswith(target.rstrip(os.sep) + os.sep):
        return Refused(shown, f"{shown}: symlink loop (to {printable(target)}); not followed")
    return None


def _unlistable(exc: OSError, fallback: Path) -> Refused:
    where = str(exc.filename) if exc.filename is not None else str(fallback)
    shown = printable(where)
    reason = exc.strerror or type(exc).__name__
    return Refused(shown, f"{shown}: cannot list the folder ({reason}); not read", folder=where)


def _walk(root: Path) -> Iterator[WalkItem]:
    """Files under ``root`` (sorted, hidden skipped) with their key ``<root name>/<rel>``.

    A folder that cannot be listed is yielded as a :class:`Refused` with ``folder`` set.
    """
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        while errors:
            yield _unlistable(errors.pop(0), root)
        kept: list[str] = []
        for name in sorted(d for d in dirs if not _hidden(d)):
            problem = _folder_refusal(folder, name)
            if problem is not None:
                yield problem
            else:
                kept.append(name)  # a symlinked folder stays listed: os.walk does not follow it
        dirs[:] = kept
        for name in sorted(files):
            if _hidden(name):
                continue
            path = Path(folder) / name
            if path.suffix.lower() not in SUFFIXES:
                logger.debug("ignored (not .txt/.jsonl/.md): %s", printable(str(path)))
                continue
            yield refusal(path) or (path, f"{root.name}/{path.relative_to(root).as_posix()}")
    for exc in errors:
        yield _unlistable(exc, root)


def _missing(given: str | Path, path: Path) -> Refused | None:
    """How the corpus path ``path`` cannot be reached, or None when it can.

    A path that cannot even be looked at (a permission refused on the way, an I/O error)
    is unreadable; one that does not exist is None-or-raise in :func:`_files`.
    """
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
        shown = printable(str(given))
        reason = exc.strerror or type(exc).__name__
        real = os.path.realpath(path)
        return Refused(shown, f"{shown}: cannot read the corpus path ({reason})", folder=real)
    return None


def _files(paths: Sequence[str | Path], missing_ok: bool) -> Iterator[WalkItem]:
    for given in paths:
        path = Path(given).expanduser()
        blocked = _missing(given, path)
        if blocked is not None:
            yield blocked
            continue
        if not path.exists():
            if os.path.islink(path) and _is_loop(path):
                raise CorpusError(f"corpus path is a symlink loop: {printable(str(given))}")
            if missing_ok:
                shown = printable(str(given))
                real = os.path.realpath(path)
                yield Refused(shown, f"{shown}: corpus path not found", folder=real)
                continue
            raise CorpusError(f"corpus path not found: {printable(str(given))}")
        if path.is_dir():
            yield from _walk(path.resolve())
        else:
            yield refusal(path) or (path, path.name)


def walk_items(paths: Sequence[str | Path], *, missing_ok: bool = False) -> list[WalkItem]:
    """Every corpus file under ``paths`` once, in walk order, and every refused entry.

    Raises :class:`CorpusError` for a path that does not exist, unless ``missing_ok``:
    then it is a :class:`Refused` with ``folder`` set (a build decides what it means).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[WalkItem] = []
    seen: set[Path] = set()
    for item in list(_files(paths, missing_ok)):
        if isinstance(item, Refused):
            out.append(item)
            continue
        path = item[0]
        resolved = safe_resolve(path)
        if resolved is None:  # pragma: no cover - loops are refused above
            shown = printable(str(path))
            out.append(Refused(shown, f"{shown}: symlink loop; file skipped"))
            continue
        if resolved in seen:
            logger.debug("listed twice, read once: %s", printable(str(path)))
            continue
        seen.add(resolved)
        out.append(item)
    return out
