"""Chunking: paragraphs as chunks, long ones as sentence-aligned windows with exact spans."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from newsqa.index._ingest import chunk_articles, ingest
from newsqa.index._ingest._chunk import windows
from newsqa.index._text import split_sentences
from newsqa.index._types import Article, Paragraph

REAL_PAGE = Path(__file__).resolve().parents[3].parent / "shared/corpus/000_27015f93c0a9216f.txt"
SAMPLE = Path(__file__).resolve().parents[3] / "index/sample_corpus"


def article(*texts: str, source: str = "") -> Article:
    paragraphs, offset = [], 0
    for i, text in enumerate(texts):
        paragraphs.append(
            Paragraph(text=text, section=f"s{i}", start=offset, end=offset + len(text))
        )
        offset += len(text) + 2
    return Article(
        article_id="abc",
        title="标题",
        paragraphs=tuple(paragraphs),
        source_path="/x/p.txt",
        author="张三",
        date="2024-03-21",
    )


def test_short_paragraphs_are_one_chunk_each() -> None:
    art = article("第一段。", "第二段很短。")
    chunks = chunk_articles([art], 300)
    assert [c.chunk_id for c in chunks] == ["abc:0", "abc:1"]
    assert [c.text for c in chunks] == ["第一段。", "第二段很短。"]
    c = chunks[1]
    assert (c.article_id, c.title, c.section, c.paragraph_index) == ("abc", "标题", "s1", 1)
    assert (c.start, c.end, c.source_path, c.date, c.author) == (
        6,
        12,
        "/x/p.txt",
        "2024-03-21",
        "张三",
    )


def test_long_paragraph_windows_are_bounded_and_sentence_aligned() -> None:
    sentences = [f"这是第{i}句话,内容长短不一" + "很" * (i % 7) + "。" for i in range(40)]
    text = "".join(sentences)
    chunks = chunk_articles([article(text)], 60)
    assert len(chunks) > 1
    assert [c.chunk_id for c in chunks] == [f"abc:0.{i}" for i in range(len(chunks))]
    assert "".join(c.text for c in chunks) == text
    ends = {e for _, e in split_sentences(text)}
    pos = 0
    for c in chunks:
        assert 0 < len(c.text) <= 60
        assert c.text.endswith("。")
        pos += len(c.text)
        assert pos in ends  # every window ends at a sentence end
        assert text[c.start : c.end] == c.text  # the paragraph starts at offset 0
        assert c.paragraph_index == 0 and c.section == "s0"
    # windows are packed: two neighbours would not have fitted in one
    for a, b in itertools.pairwise(chunks):
        first_of_b = next(text[s:e] for s, e in split_sentences(b.text))
        assert len(a.text) + len(first_of_b) > 60


def test_over_long_sentence_is_cut_hard() -> None:
    text = "甲" * 250 + "。短句。"
    spans = windows(text, 100)
    assert spans == [(0, 100), (100, 200), (200, 254)]  # the cut tail packs the next sentences
    assert "".join(text[s:e] for s, e in spans) == text
    with pytest.raises(ValueError):
        windows(text, 0)


def test_windows_of_a_rejoined_paragraph_map_to_the_source() -> None:
    first, second = "甲乙丙。丁戊己庚辛主动适", "应女性就业。更多内容在这里。"
    source = "标题\n\n" + first + "\n\n" + second
    start = source.index(first)
    para = Paragraph(
        text=first + second,
        start=start,
        end=len(source),
        breaks=((len(first), source.index(second)),),
    )
    art = Article(article_id="x", title="t", paragraphs=(para,), source_path="p")
    chunks = chunk_articles([art], 12)
    assert [c.text for c in chunks] == [
        "甲乙丙。",
        "丁戊己庚辛主动适应女性就",
        "业。更多内容在这里。",
    ]
    assert source[chunks[1].start : chunks[1].end] == "丁戊己庚辛主动适\n\n应女性就"
    assert source[chunks[2].start : chunks[2].end] == "业。更多内容在这里。"
    assert chunks[0].start == start and chunks[2].end == len(source)


def test_real_page_chunks_keep_metadata_and_spans() -> None:
    if not REAL_PAGE.exists():
        pytest.skip("reference page not found")
    source = REAL_PAGE.read_text(encoding="utf-8")
    corpus = ingest([REAL_PAGE])
    chunks = chunk_articles(corpus.articles, 120)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(len(c.text) <= 120 for c in chunks)
    n_paragraphs = sum(len(a.paragraphs) for a in corpus.articles)
    assert len(chunks) > n_paragraphs
    for c in chunks:
        assert source[c.start : c.end].replace("\n", "") == c.text
    rejoined = [c for c in chunks if "主动适应女性就业" in c.text]
    assert len(rejoined) == 1 and "\n\n" in source[rejoined[0].start : rejoined[0].end]
    by_id = {a.article_id: a for a in corpus.articles}
    for c in chunks:
        art = by_id[c.article_id]
        assert (c.title, c.source_path, c.author, c.date) == (
            art.title,
            art.source_path,
            art.author,
            art.date,
        )
        assert c.section == art.paragraphs[c.paragraph_index].section


def test_sample_corpus_chunks_at_default_size() -> None:
    corpus = ingest([SAMPLE])
    chunks = chunk_articles(corpus.articles, 300)
    assert all(0 < len(c.text) <= 300 for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    sources = {f.path: Path(f.path).read_text(encoding="utf-8") for f in corpus.files}
    for c in chunks:
        if c.source_path.endswith(".txt"):
            assert sources[c.source_path][c.start : c.end].replace("\n", "") == c.text
