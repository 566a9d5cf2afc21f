"""A build never loses the archive, whatever the disk or the corpus mount does (real CLI).

Tests run as root here, where ``chmod 000`` does not stop a read. So the faults are
injected into the CLI's own process by a ``sitecustomize`` module put on its
``PYTHONPATH``: ``os.scandir`` of a chosen folder raises ``PermissionError`` (what
``os.walk`` meets listing a folder another user may not read, or a mount gone stale),
and a chosen write (``np.save`` of a segment's vectors at about 40% of a build, the
``os.replace`` of ``CURRENT`` at about 95%) raises ``ENOSPC``. One test also fills a
real tmpfs, where the machine lets the test mount one (it skips otherwise).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults._cli import answers, newsqa
from tests.faults.conftest import Archive

pytestmark = pytest.mark.slow

_HOOKS = textwrap.dedent(
    """
    import errno
    import os

    _block = os.environ.get("NEWSQA_TEST_UNLISTABLE")
    _full = os.environ.get("NEWSQA_TEST_ENOSPC")

    def _enospc(path):
        return OSError(errno.ENOSPC, "No space left on device", str(path))

    if _block:
        _scandir = os.scandir

        def scandir(path="."):
            if not isinstance(path, int) and os.fspath(path) == _block:
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return _scandir(path)

        os.scandir = scandir

    if _full == "swap":
        _replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if str(dst).endswith("CURRENT"):
                raise _enospc(dst)
            return _replace(src, dst, *args, **kwargs)

        os.replace = replace

    if _full == "vectors":
        import numpy

        _save = numpy.save

        def save(file, *args, **kwargs):
            if str(file).endswith("vectors.npy"):
                raise _enospc(file)
            return _save(file, *args, **kwargs)

        numpy.save = save
    """
)


@pytest.fixture
def hooks(tmp_path: Path) -> dict[str, str]:
    """The environment that loads the fault hooks into the CLI's process."""
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(_HOOKS, encoding="utf-8")
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    }


def _state(index: Path) -> tuple[list[str], list[str], str]:
    """Generations, segments and the served generation's name."""
    gens = sorted(p.name for p in (index / "generations").iterdir())
    segs = sorted(p.name for p in (index / "segments").iterdir())
    return gens, segs, (index / "CURRENT").read_text("utf-8").strip()


def test_a_corpus_folder_that_cannot_be_listed_is_kept(
    archive: Archive, _built: Archive, hooks: dict[str, str]
) -> None:
    """The archive's corpus folder cannot be listed: its files are kept, not removed."""
    blocked = str(_built.corpus.resolve())
    env = {**hooks, "NEWSQA_TEST_UNLISTABLE": blocked}
    run = newsqa("index", "build", "--corpus", str(_built.corpus), index=archive.index, env=env)
    run.assert_clean()
    assert run.code == 0, run.stderr
    warned = [ln for ln in run.stderr.splitlines() if "cannot list the folder" in ln]
    assert len(warned) == 1 and blocked in warned[0] and "keeping the" in warned[0]
    assert answers(archive.index) == archive.before
    status = newsqa("index", "status", index=archive.index)
    assert status.code == 0 and "unreadable" in status.stdout + status.stderr


def test_an_empty_corpus_root_is_refused_then_allowed(archive: Archive, tmp_path: Path) -> None:
    """An unmounted (empty) corpus root: refused; --allow-mass-removal lets a clear-out in."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    run = newsqa("index", "build", "--corpus", str(mount), index=archive.index)
    run.assert_one_line_failure(1, says="this update would remove 100% of the archive's chunks")
    assert "--allow-mass-removal" in run.errors[0]
    assert answers(archive.index) == archive.before

    allowed = ("index", "build", "--corpus", str(mount), "--allow-mass-removal")
    run = newsqa(*allowed, index=archive.index)  # allowed, but nothing would be left
    run.assert_one_line_failure(1, says="no articles found")
    assert answers(archive.index) == archive.before

    shutil.copy(sorted(archive.corpus.iterdir())[0], mount)
    refused = newsqa("index", "build", "--corpus", str(mount), index=archive.index)
    refused.assert_one_line_failure(1, says="more than index.max_removal_share = 20%")
    run = newsqa(*allowed, index=archive.index)
    run.assert_clean()
    assert run.code == 0, run.stderr
    assert answers(archive.index) != archive.before


@pytest.mark.parametrize("where", ["vectors", "swap"])
def test_a_full_disk_fails_in_one_line_and_keeps_serving(
    archive: Archive, hooks: dict[str, str], where: str
) -> None:
    """ENOSPC writing the new segment (~40%) or swapping CURRENT (~95%)."""
    before = _state(archive.index)
    build = ("index", "build", "--corpus", str(archive.corpus))
    env = {**hooks, "NEWSQA_TEST_ENOSPC": where}
    run = newsqa(*build, index=archive.index, env=env)
    run.assert_one_line_failure(1, says="no space left on ")
    assert str(archive.index) in run.errors[0]
    assert _state(archive.index) == before  # nothing half-written left in the way
    assert answers(archive.index) == archive.before
    run = newsqa(*build, index=archive.index)
    assert run.code == 0, run.stderr
    assert answers(archive.index) == archive.before


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextlib.contextmanager
def _tmpfs(where: Path, size: int) -> Iterator[Path]:
    where.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + made.stderr.decode(errors="replace").strip())
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_really_full_tmpfs(archive: Archive, tmp_path: Path) -> None:
    """A real full disk: the index on a small tmpfs with little room left."""
    need = _size(archive.index)
    with _tmpfs(tmp_path / "disk", 3 * need + (4 << 20)) as disk:
        index = disk / "index"
        shutil.copytree(archive.index, index, symlinks=True)
        filler = disk / "filler"
        free = shutil.disk_usage(disk).free
        with filler.open("wb") as fh:
            fh.write(b"\0" * max(0, free - need // 3))
        before = _state(index)
        build = ("index", "build", "--corpus", str(archive.corpus))
        run = newsqa(*build, index=index)
        run.assert_one_line_failure(1, says="no space left on ")
        assert _state(index) == before
        assert answers(index) == archive.before
        filler.unlink()
        run = newsqa(*build, index=index)
        assert run.code == 0, run.stderr
        assert answers(index) == archive.before
