"""Tokens for lexical matching: jieba search-mode words of the normalised text.

Text is tokenised in its normalised form (see :mod:`newsqa.index._text`), so
Traditional and Simplified, full- and half-width spellings meet. Punctuation and a
short list of function words are dropped. Shared by both backends (the local BM25
postings and the Milvus analyzer's stop list) and by retrieval's question analysis.

jieba caches its prefix dictionary (a ``marshal`` file it loads back) under a fixed
name in the shared temporary folder by default; here it goes to newsqa's own cache
folder instead, ``$XDG_CACHE_HOME/newsqa/jieba`` (``~/.cache/newsqa/jieba``), created
private (0700), or to a fresh private temporary folder when that one is unusable.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ._text import normalize

__all__ = ["STOPWORDS", "TOKENIZER_ID", "tokenize", "tokenize_many"]

logger = logging.getLogger(__name__)

TOKENIZER_ID = "jieba-search+nfkc+t2s+lower/v1"
"""Recorded in the manifest: a different tokenizer means a full rebuild."""

_WORD = re.compile(r"\w", re.UNICODE)
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 被 把 对 从 到 为 以 于 之 其 这 那 有 个 着 "
    "吗 呢 吧 啊 呀 什么 哪些 哪个 哪 谁 怎么 怎样 如何 多少 几 是否 为什么 何 请问 "
    "一下 我 你 他 她 它 我们 哪里 哪儿 何时 时候 这个 那个 一个 以及 并 等".split()
)
_PARALLEL_FROM = 20_000
"""Tokenise in worker processes from this many texts on (jieba holds the GIL)."""


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.dt.tmp_dir = str(_jieba_cache_dir())
    jieba.dt.cache_file = f"jieba-{getattr(jieba, '__version__', 'x')}.cache"
    jieba.initialize()
    return jieba


def _jieba_cache_dir() -> Path:
    """A folder only this user can write, for jieba's dictionary cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "newsqa" / "jieba"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        private = not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if private and info.st_uid == os.getuid():
            return folder
        logger.warning("%s is writable by others: jieba's cache goes elsewhere", folder)
    except OSError as exc:
        logger.debug("cannot use %s for jieba's cache: %s", folder, exc)
    return Path(tempfile.mkdtemp(prefix="newsqa-jieba-"))  # 0700, new: nobody else's file


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Content tokens of ``text``: jieba search-mode words, no punctuation or stopwords."""
    norm = text if normalized else normalize(text)
    words = _jieba().lcut_for_search(norm)
    return [w for w in words if _WORD.search(w) and w not in STOPWORDS and not w.isspace()]


def _tokenize_normalized(text: str) -> list[str]:
    return tokenize(text, normalized=True)


def tokenize_many(texts: Sequence[str], *, processes: int = 0) -> Iterator[list[str]]:
    """Tokens of many already-normalised texts, in order, on every core when there are many.

    A generator, so a large build never holds every token list at once.
    """
    workers = processes or os.cpu_count() or 1
    if len(texts) < _PARALLEL_FROM or workers < 2:
        yield from (_tokenize_normalized(t) for t in texts)
        return
    import multiprocessing

    _jieba()  # load the dictionary once, before forking, so workers share it
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_tokenize_normalized, texts, chunksize=1000)
