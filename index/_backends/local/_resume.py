"""Vectors a build has embedded so far, kept so that a killed build resumes from there.

A bulk build embeds its new texts in slices of ``index.resume_slice`` texts; after
each slice its vectors are written here, so a build killed at minute 80 of 84 loses
at most one slice, not 80 minutes::

    INDEX_DIR/resume/<model digest>/slice-000001.npz   hashes (S32), vectors (float32 n x dim)
                                    slice-000002.npz   ...

``<model digest>`` is the first 16 hex digits of the SHA-256 of the model's identity
(name, dimension, prefixes, weights, quantisation), so vectors of another model are
never reused: their folder is removed. Each slice is written to a ``.tmp`` file,
fsynced, renamed, and the folder fsynced: a slice is there whole or not at all (a
``.tmp`` left by a kill is removed, and an unreadable slice is ignored with a
warning). The folder is removed once a generation is published. Nothing here is
ever served: it only spares the next build work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._disk import fsync_dir

__all__ = ["RESUME", "Resume", "clear_resume", "model_digest"]

logger = logging.getLogger(__name__)

RESUME = "resume"
"""The folder, inside the index folder, of an unfinished build's vectors."""

_SLICE = "slice-{:06d}.npz"


def model_digest(identity: Mapping[str, object]) -> str:
    """16 hex digits naming a model identity (the same identity: the same vectors)."""
    text = json.dumps(dict(identity), sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def clear_resume(root: Path) -> None:
    """Remove every kept slice (after a generation is published)."""
    shutil.rmtree(root / RESUME, ignore_errors=True)


class Resume:
    """The kept slices of one index folder for one model identity."""

    def __init__(self, root: Path, identity: Mapping[str, object], slice_size: int) -> None:
        self.top = root / RESUME
        self.folder = self.top / model_digest(identity)
        self.slice_size = slice_size
        self.written = 0
        """Slices written by this build."""
        self._next = 1
        self._broken = False

    def load(self, wanted: set[str], dim: int) -> dict[str, npt.NDArray[np.float32]]:
        """Kept vectors of the hashes ``wanted``; removes other models' slices first."""
        if not self.top.is_dir():
            return {}
        for other in self.top.iterdir():
            if other != self.folder:
                logger.info("removing the kept vectors of another model: %s", other.name)
                _remove(other)
        if not self.folder.is_dir():
            return {}
        found: dict[str, npt.NDArray[np.float32]] = {}
        for path in sorted(self.folder.iterdir()):
            number = _number(path.name)
            if number is None:
                _remove(path)  # a .tmp a kill left behind, or a stranger
                continue
            self._next = max(self._next, number + 1)
            got = _read_slice(path, dim)
            if got is None:
                logger.warning("ignoring a damaged slice of kept vectors: %s", path)
                continue
            hashes, vectors = got
            for h, row in zip(hashes, vectors, strict=True):
                if h in wanted:
                    found[h] = np.array(row, dtype=np.float32)
        return found

    def append(self, hashes: Sequence[str], vectors: npt.NDArray[np.float32]) -> int:
        """Keep one slice on disk (whole or not at all); how many this build has kept.

        A slice that cannot be written (a full disk) is one warning, and the build goes
        on without keeping more: keeping is only a saving for the next build.
        """
        if self.slice_size <= 0 or self._broken or not len(hashes):
            return self.written
        path = self.folder / _SLICE.format(self._next)
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                np.savez(
                    fh,
                    hashes=np.array(list(hashes), dtype="S32"),
                    vectors=np.asarray(vectors, dtype=np.float32),
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            fsync_dir(self.folder)
        except OSError as exc:
            self._broken = True
            tmp.unlink(missing_ok=True)
            logger.warning(
                "cannot keep embedded vectors in %s (%s): a killed build would embed them again",
                self.folder,
                exc.strerror or exc,
            )
            return self.written
        self._next += 1
        self.written += 1
        return self.written


def _number(name: str) -> int | None:
    if not (name.startswith("slice-") and name.endswith(".npz")):
        return None
    digits = name[len("slice-") : -len(".npz")]
    return int(digits) if digits.isdigit() else None


def _read_slice(path: Path, dim: int) -> tuple[list[str], npt.NDArray[np.float32]] | None:
    """A slice's hashes and vectors, or None when it is unreadable or malformed."""
    try:
        with np.load(path, allow_pickle=False) as data:
            raw = data["hashes"]
            vectors = data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if (
        raw.dtype != np.dtype("S32")
        or vectors.dtype != np.float32
        or vectors.shape != (len(raw), dim)
        or not np.isfinite(vectors).all()
    ):
        return None
    return [h.decode("ascii", errors="replace") for h in raw.tolist()], vectors


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
