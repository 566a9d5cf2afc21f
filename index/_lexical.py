"""The lexical side of the index: jieba tokens and a BM25 index over them (bm25s).

Text is tokenised in its normalised form (see :mod:`index._text`), so Traditional and
Simplified, full- and half-width spellings meet. Punctuation and a short list of
function words are dropped. Each chunk is indexed together with its article title,
which therefore takes part in lexical matching.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index._errors import IndexError_
from index._text import normalize

__all__ = ["TOKENIZER_ID", "Bm25Index", "tokenize"]

logger = logging.getLogger(__name__)

TOKENIZER_ID = "jieba-search+nfkc+t2s+lower/v1"
"""Recorded in the manifest: a different tokenizer means a full rebuild."""

_WORD = re.compile(r"\w", re.UNICODE)
_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 被 把 对 从 到 为 以 于 之 其 这 那 有 个 着 "
    "吗 呢 吧 啊 呀 什么 哪些 哪个 哪 谁 怎么 怎样 如何 多少 几 是否 为什么 何 请问 "
    "一下 我 你 他 她 它 我们 哪里 哪儿 何时 时候 这个 那个 一个 以及 并 等".split()
)


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Content tokens of ``text``: jieba search-mode words, no punctuation or stopwords."""
    norm = text if normalized else normalize(text)
    words = _jieba().lcut_for_search(norm)
    return [w for w in words if _WORD.search(w) and w not in _STOPWORDS and not w.isspace()]


class Bm25Index:
    """A BM25 index over pre-tokenised chunks; row ``i`` is chunk row ``i`` of the store."""

    def __init__(self, model: Any, n_docs: int) -> None:
        self._model = model
        self.n_docs = n_docs

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]]) -> Bm25Index:
        import bm25s

        model = bm25s.BM25(k1=1.2, b=0.75)
        if docs:
            model.index([list(d) or [""] for d in docs], show_progress=False)
        return cls(model, len(docs))

    def save(self, folder: Path) -> None:
        if self.n_docs:
            self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> Bm25Index:
        import bm25s

        if not n_docs:
            return cls(None, 0)
        try:
            model = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexError_(f"cannot read the BM25 index in {folder}: {exc}") from exc
        return cls(model, n_docs)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for ``query_tokens`` (zeros when nothing matches)."""
        if not self.n_docs or not query_tokens:
            return np.zeros(self.n_docs, dtype=np.float32)
        vocab = self._model.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def idf(self, tokens: Sequence[str]) -> list[float]:
        """Inverse document frequency of each token (unknown tokens get the maximum)."""
        n = max(self.n_docs, 1)
        vocab = self._model.vocab_dict if self._model is not None else {}
        out = []
        for tok in tokens:
            df = int(self._doc_freqs[vocab[tok]]) if tok in vocab else 0
            out.append(float(np.log(1.0 + (n - df + 0.5) / (df + 0.5))))
        return out

    @functools.cached_property
    def _doc_freqs(self) -> np.ndarray:
        # bm25s keeps a CSC matrix (documents x vocabulary): column sizes are doc counts.
        return np.diff(np.asarray(self._model.scores["indptr"]))
