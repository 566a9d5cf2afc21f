"""Part-of-speech tags for the answer locator."""

from __future__ import annotations

from newsqa.index._phrases import tag


def test_tags_cover_the_text_exactly() -> None:
    text = "亚洲协会在加尔各答举行会议, 共有12人 参加。"
    pairs = tag(text)
    assert "".join(word for word, _ in pairs) == text
    assert all(flag for _, flag in pairs)


def test_proper_nouns_are_tagged() -> None:
    flags = dict(tag("亚洲协会在加尔各答举行"))
    assert flags["亚洲协会"] == "nt"
    assert flags["加尔各答"] == "ns"


def test_empty_text() -> None:
    assert tag("") == []
