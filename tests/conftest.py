"""Shared fixtures: paths to ../shared, a fast deterministic embedder, small corpora."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from newsqa.index import Config, ModelConfig
from newsqa.index._embedding import Vectors

if TYPE_CHECKING:
    from newsqa.index import Embedder
    from newsqa.retrieval import Retriever

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGE = SHARED / "corpus" / "000_27015f93c0a9216f.txt"
SEED_DEV = SHARED / "eval" / "seed_dev.jsonl"
needs_shared = pytest.mark.skipif(
    not PAGE.exists() or not SEED_DEV.exists(),
    reason="../shared (the real page and the evaluation sets) is not beside this checkout",
)
"""For tests that read ``../shared``: they skip cleanly where it is absent."""
RESULT_KEYS = {
    "rank",
    "score",
    "title",
    "section",
    "text",
    "highlight",
    "answer",
    "source",
    "citation",
    "publication",
    "date",
    "page",
    "url",
    "article_id",
    "chunk_id",
}
"""The fields of one result in the ``--json`` schema."""


class FakeEmbedder:
    """Character-bigram hashing vectors: deterministic, instant, no model download.

    Good enough to test building, incremental updates and fusion plumbing; retrieval
    quality is tested with the real model in the ``slow`` tests.
    """

    dim: int = 64

    def __init__(self, name: str = "fake-bigram") -> None:
        self.name = name
        self.encoded: list[str] = []
        self.config = ModelConfig(name=name)

    def identity(self) -> dict[str, object]:
        return {
            "name": self.name,
            "dim": self.dim,
            "query_prefix": "query: ",
            "passage_prefix": "passage: ",
            "weights": "test",
        }

    def _vec(self, text: str) -> Vectors:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in itertools.pairwise(text):
            h = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16)
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        if n:
            v /= n
        return v

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        self.encoded.extend(texts)
        return (
            np.stack([self._vec(t) for t in texts])
            if texts
            else np.zeros((0, self.dim), np.float32)
        )

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self._vec(t) for t in texts])

    def encode_query(self, text: str) -> Vectors:
        return self._vec(text)

    def use_query_threads(self) -> None:
        pass


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def make_config(tmp_path: Path, corpus: Sequence[Path], model: str = "fake-bigram") -> Config:
    cfg = Config()
    # tiny corpora lose a third of their chunks to one removed file: no removal guard
    cfg = cfg.with_section("index", dir=str(tmp_path / "index"), max_removal_share=1.0)
    cfg = cfg.with_section("corpus", paths=tuple(str(p) for p in corpus))
    return cfg.with_section("model", name=model)


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The bundled default model (converted once into ~/.cache/newsqa/models)."""
    from newsqa.index import Embedder

    return Embedder(Config().model)


@pytest.fixture(scope="session")
def page_config(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Config:
    """An index of the real newspaper page built with the default model."""
    from newsqa.index import build_index

    if not PAGE.exists():
        pytest.skip(f"the real page is not here: {PAGE}")
    tmp = tmp_path_factory.mktemp("page-index")
    cfg = Config().with_section("index", dir=str(tmp / "index"))
    cfg = cfg.with_section("corpus", paths=(str(PAGE),))
    build_index(cfg, embedder=real_embedder)
    return cfg


@pytest.fixture(scope="session")
def page_retriever(page_config: Config, real_embedder: Embedder) -> Retriever:
    from newsqa.retrieval import Retriever

    return Retriever.open(page_config, embedder=real_embedder)


ARTICLES = {
    "a1": ("山东冠县成立电商行业妇联", "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。"),
    "a2": ("福建宁德开展法治宣传", "蕉城区法院法官林芳玲现场为群众宣讲反家庭暴力法。"),
    "a3": ("湖南宁远巾帼助春耕", "志愿服务队由女党员干部和女农技人员组成，帮助农户春耕。"),
}
"""Three one-paragraph articles for build tests, by id."""


def write_articles(path: Path, ids: list[str], edits: dict[str, str] | None = None) -> Path:
    """Write the ``ids`` of :data:`ARTICLES` as JSONL, with ``edits`` replacing texts."""
    edits = edits or {}
    lines = [
        json.dumps(
            {"id": a, "title": ARTICLES[a][0], "text": edits.get(a, ARTICLES[a][1])},
            ensure_ascii=False,
        )
        for a in ids
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
