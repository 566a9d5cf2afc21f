"""Fixtures for the fault tests: a built sample index, copied fresh for each test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults._cli import answers, newsqa, sample_corpus


@dataclass(frozen=True, slots=True)
class Archive:
    """A corpus folder, the index built from it, and the answers it served then."""

    corpus: Path
    index: Path
    before: list[tuple[bool, list[str]]]


@pytest.fixture(scope="session")
def _built(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("fault-archive")
    corpus = sample_corpus(root / "corpus")
    run = newsqa("index", "build", "--corpus", str(corpus), index=root / "index")
    assert run.code == 0, run.stderr
    return Archive(corpus, root / "index", answers(root / "index"))


@pytest.fixture
def archive(_built: Archive, tmp_path: Path) -> Archive:
    """A private copy of the built sample archive (corpus and index) to damage.

    The copy's catalog names the original corpus paths, so a test that rebuilds
    passes ``--corpus`` of the copy and expects the files to be read again.
    """
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(_built.corpus, corpus)
    shutil.copytree(_built.index, index, symlinks=True)
    return Archive(corpus, index, _built.before)
