"""Near-duplicate paragraphs within one article, by character n-gram containment.

Pages sometimes repeat a paragraph: an early draft left beside the final one, so the
same text appears once short and once long. Paragraph ``a`` is a near-duplicate of a
longer paragraph ``b`` of the same article when at least :data:`THRESHOLD` of the
distinct character :data:`NGRAM`-grams of ``a`` (letters and digits only, NFKC, lower
case; no Traditional-to-Simplified step, which would cost 30 times the rest)
also occur in ``b``: containment ``|A ∩ B| / |A|``. Ordinary paragraphs of one article
share stock phrases but stay far below (at most 0.29 on the reference page); the repeated
draft there, edited in places, scores 0.87. 0.7 sits between with room on both sides.
Very short paragraphs (fewer than :data:`MIN_GRAMS` n-grams) count as duplicates only
when their content is identical.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence

__all__ = ["MIN_GRAMS", "NGRAM", "THRESHOLD", "containment", "content", "grams", "near_duplicates"]

logger = logging.getLogger(__name__)

NGRAM = 3
THRESHOLD = 0.7
MIN_GRAMS = 12
MAX_PARAGRAPHS = 2000
"""Articles with more paragraphs than this are not checked (quadratic cost)."""

_NON_CONTENT = re.compile(r"[\W_]+")


def content(text: str) -> str:
    """Letters and digits of ``text``, NFKC-folded and lower-cased."""
    return _NON_CONTENT.sub("", unicodedata.normalize("NFKC", text)).lower()


def grams(text: str) -> frozenset[str]:
    """The distinct character n-grams of the normalised content of ``text``."""
    chars = content(text)
    if len(chars) < NGRAM:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i : i + NGRAM] for i in range(len(chars) - NGRAM + 1))


def containment(small: frozenset[str], large: frozenset[str]) -> float:
    """Share of ``small``'s n-grams found in ``large`` (0 for an empty ``small``)."""
    if not small:
        return 0.0
    return len(small & large) / len(small)


def _duplicate_of(small: frozenset[str], large: frozenset[str]) -> bool:
    if len(small) < MIN_GRAMS:
        return bool(small) and small == large
    return containment(small, large) >= THRESHOLD


def near_duplicates(texts: Sequence[str]) -> set[int]:
    """Indexes of the paragraphs to drop: each is contained in a longer (or earlier equal) one."""
    if len(texts) < 2:
        return set()
    if len(texts) > MAX_PARAGRAPHS:
        logger.debug("near-duplicate check skipped for %d paragraphs", len(texts))
        return set()
    sets = [grams(t) for t in texts]
    sizes = [len(content(t)) for t in texts]
    drop: set[int] = set()
    for i, small in enumerate(sets):
        for j, large in enumerate(sets):
            if i == j or j in drop:
                continue
            longer = sizes[j] > sizes[i] or (sizes[j] == sizes[i] and j < i)
            if longer and _duplicate_of(small, large):
                drop.add(i)
                break
    return drop
