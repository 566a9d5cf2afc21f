"""Ingestion of files: encodings, JSONL, Markdown, walking folders, warnings, ids and dates."""

from __future__ import annotations

import codecs
import json
import logging
from pathlib import Path

import pytest

from newsqa.index._errors import CorpusError
from newsqa.index._ingest import ingest
from newsqa.index._types import Paragraph

PAGE = "\n\n".join(
    [
        "湖北恩施举办女性茶艺大赛",
        "□ 中国妇女报全媒体记者 田静",
        "3月10日,湖北恩施州举办首届女性茶艺大赛,来自8个县市的64名选手参赛。",
        "大赛设茶艺表演和制茶技艺两个项目,土家族选手向红获得一等奖。",
    ]
)


def rebuild(source: str, p: Paragraph) -> str:
    anchors = [(0, p.start), *p.breaks]
    out = []
    for k, (t, s) in enumerate(anchors):
        t_end = anchors[k + 1][0] if k + 1 < len(anchors) else len(p.text)
        out.append(source[s : s + (t_end - t)])
    return "".join(out)


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        ingest([tmp_path / "nope"])


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""), ("gbk", b""), ("utf-16", b"")],
)
def test_encodings_detected_and_spans_after_bom(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(prefix + PAGE.encode(encoding))
    corpus = ingest([path])
    assert corpus.warnings == ()
    (article,) = corpus.articles
    assert article.title == "湖北恩施举办女性茶艺大赛"
    assert article.author == "田静"
    assert (
        article.paragraphs[1].text == "大赛设茶艺表演和制茶技艺两个项目,土家族选手向红获得一等奖。"
    )
    for p in article.paragraphs:
        assert PAGE[p.start : p.end] == p.text  # offsets ignore the BOM


def test_binary_and_undecodable_files_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a_good.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "b_binary.txt").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    )
    (tmp_path / "c_controls.md").write_bytes(bytes(range(1, 9)) * 50)
    with caplog.at_level(logging.WARNING, logger="newsqa.index._ingest"):
        corpus = ingest([tmp_path])
    assert [a.title for a in corpus.articles] == ["湖北恩施举办女性茶艺大赛"]
    skipped = [f for f in corpus.files if f.skipped]
    assert [Path(f.path).name for f in skipped] == ["b_binary.txt", "c_controls.md"]
    assert len(corpus.warnings) == 2
    for report in skipped:
        (warning,) = report.warnings
        assert report.path in warning and "cannot decode" in warning and "\n" not in warning
    assert sum("cannot decode" in r.getMessage() for r in caplog.records) == 2


def test_jsonl_bad_lines_skipped_rest_ingested(tmp_path: Path) -> None:
    records = [
        {
            "id": "a1",
            "title": "贵州黔东南绣娘走上国际秀场",
            "text": '3月8日，黔东南州18名苗族绣娘的作品亮相巴黎。\n\n她们带去了"苗绣"作品46件。\n',
            "date": "2024/3/9",
            "source": "地方简讯",
            "url": "https://example.org/a1",
            "author": "龙梅",
        },
        {"title": "没有正文"},
        {
            "title": "广西柳州开展螺蛳粉技能培训",
            "text": "近日，柳州市妇联开展培训，200名妇女参加。",
        },
    ]
    lines = [json.dumps(records[0], ensure_ascii=False), "{not json", json.dumps(records[1]), ""]
    lines.append(json.dumps(records[2], ensure_ascii=True))
    path = tmp_path / "news_2024-03-10.jsonl"
    source = "\n".join(lines) + "\n"
    path.write_text(source, encoding="utf-8")
    corpus = ingest([path])
    titles = [a.title for a in corpus.articles]
    assert titles == ["贵州黔东南绣娘走上国际秀场", "广西柳州开展螺蛳粉技能培训"]
    warnings = corpus.warnings
    assert len(warnings) == 2
    assert f"{path.resolve()}:2: bad JSON" in warnings[0]
    assert f"{path.resolve()}:3: missing text" in warnings[1]
    first, second = corpus.articles
    assert first.article_id == "a1"
    assert (first.date, first.origin, first.url, first.author) == (
        "2024-03-09",
        "地方简讯",
        "https://example.org/a1",
        "龙梅",
    )
    assert [p.text for p in first.paragraphs] == [
        "3月8日，黔东南州18名苗族绣娘的作品亮相巴黎。",
        '她们带去了"苗绣"作品46件。',
    ]
    assert source[first.paragraphs[0].start : first.paragraphs[0].end] == first.paragraphs[0].text
    quoted = first.paragraphs[1]
    assert source[quoted.start : quoted.end] == '她们带去了\\"苗绣\\"作品46件。'
    assert quoted.breaks  # the escaped quotes are two characters each in the file
    assert len(second.article_id) == 16 and second.date == "2024-03-10"  # from the file name
    assert second.paragraphs[0].text == "近日，柳州市妇联开展培训，200名妇女参加。"
    assert source[second.paragraphs[0].start : second.paragraphs[0].end].startswith("\\u8fd1")
    assert source[second.paragraphs[0].end - 6 : second.paragraphs[0].end] == "\\u3002"


def test_jsonl_escape_breaks_map_exactly(tmp_path: Path) -> None:
    text = 'A "quoted" 词\tand more'
    line = json.dumps({"title": "t", "text": text}, ensure_ascii=False)
    path = tmp_path / "x.jsonl"
    path.write_text(line, encoding="utf-8")
    (p,) = ingest([path]).articles[0].paragraphs
    assert p.text == text
    assert p.breaks  # three escapes
    for i, ch in enumerate(text):
        k = max((b for b in [(0, p.start), *p.breaks] if b[0] <= i), key=lambda b: b[0])
        src = k[1] + (i - k[0])
        assert line[src] == ch or line[src] == "\\"


def test_markdown_articles_sections_bylines(tmp_path: Path) -> None:
    md = "\n".join(
        [
            "---",
            "date: 2024-03-12",
            "source: 周末版",
            "---",
            "",
            "# 河南兰考 **泡桐**琴声里的巾帼致富路",
            "",
            "□ 本报记者 马兰",
            "",
            "兰考县堌阳镇的民族乐器厂里,",
            "女工们正在给古筝上弦。",
            "",
            "## 从学徒到厂长",
            "",
            "厂长 [徐凤](https://example.org/xu) 是 2009 年进厂的",
            "first generation",
            "学徒。",
            "",
            "- 年产古筝3万台",
            "- 带动就业600人",
            "",
            "![照片](a.jpg)",
            "",
            "# 第二篇",
            "",
            "> 引用一段话。",
        ]
    )
    path = tmp_path / "weekend.md"
    path.write_text(md, encoding="utf-8")
    corpus = ingest([path])
    assert corpus.warnings == ()
    first, second = corpus.articles
    assert first.title == "河南兰考 泡桐琴声里的巾帼致富路"
    assert first.author == "马兰"
    assert (first.date, first.origin) == ("2024-03-12", "周末版")
    texts = [p.text for p in first.paragraphs]
    assert texts == [
        "兰考县堌阳镇的民族乐器厂里,女工们正在给古筝上弦。",
        "厂长 徐凤 是 2009 年进厂的first generation学徒。",
        "年产古筝3万台",
        "带动就业600人",
    ]
    assert [p.section for p in first.paragraphs] == [
        "",
        "从学徒到厂长",
        "从学徒到厂长",
        "从学徒到厂长",
    ]
    for p in first.paragraphs:
        assert rebuild(md, p) == p.text  # markup and line breaks are left out via breaks
        assert md[p.start : p.start + 2] == p.text[:2] and md[p.end - 1] == p.text[-1]
    unwrapped = first.paragraphs[0]
    assert unwrapped.breaks and rebuild(md, unwrapped) == unwrapped.text
    assert second.title == "第二篇" and second.paragraphs[0].text == "引用一段话。"


def test_markdown_unwraps_latin_lines_with_a_space(tmp_path: Path) -> None:
    path = tmp_path / "en.md"
    md = "# Title\n\nWomen in\nscience 女科学家\n论坛。\n"
    path.write_text(md, encoding="utf-8")
    (p,) = ingest([path]).articles[0].paragraphs
    assert p.text == "Women in science 女科学家论坛。"
    assert md[p.start : p.end] == "Women in\nscience 女科学家\n论坛。"


def test_markdown_without_headline_uses_file_name(tmp_path: Path) -> None:
    path = tmp_path / "2024-03-15 随笔.md"
    path.write_text("春天来了,田野里一片忙碌。\n", encoding="utf-8")
    (article,) = ingest([path]).articles
    assert article.title == "2024-03-15 随笔"
    assert article.date == "2024-03-15"


def test_walk_sorted_recursive_hidden_and_other_extensions_skipped(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "b" / "2024-03-02.txt").write_text(PAGE, encoding="utf-8")
    (root / "a.md").write_text("# 标题甲\n\n正文甲。\n", encoding="utf-8")
    (root / ".secret.md").write_text("# 隐藏\n\n不应出现。\n", encoding="utf-8")
    (root / ".hidden" / "x.md").write_text("# 隐藏二\n\n不应出现。\n", encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4")
    (root / "README").write_text("readme", encoding="utf-8")
    corpus = ingest([str(root), root / "a.md"])  # a file listed twice is read once
    assert [Path(f.path).name for f in corpus.files] == ["a.md", "2024-03-02.txt"]
    assert [a.title for a in corpus.articles] == ["标题甲", "湖北恩施举办女性茶艺大赛"]
    assert corpus.articles[1].date == "2024-03-02"
    assert corpus.articles[1].source_path == str((root / "b" / "2024-03-02.txt").resolve())


def test_explicit_file_with_other_extension_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    corpus = ingest([path])
    assert corpus.articles == ()
    assert corpus.files[0].skipped and "not a .txt" in corpus.warnings[0]


def test_ids_independent_of_location_and_other_files(tmp_path: Path) -> None:
    one, two = tmp_path / "x" / "corpus", tmp_path / "y" / "corpus"
    for root in (one, two):
        root.mkdir(parents=True)
        (root / "p.txt").write_text(PAGE, encoding="utf-8")
    (two / "extra.md").write_text("# 另一篇\n\n正文。\n", encoding="utf-8")
    id_one = ingest([one]).articles[0].article_id
    id_two = next(a.article_id for a in ingest([two]).articles if a.title.startswith("湖北"))
    assert id_one == id_two


def test_duplicate_titles_and_ids_made_unique(tmp_path: Path) -> None:
    md = "# 简讯\n\n第一条。\n\n# 简讯\n\n第二条。\n"
    (tmp_path / "a.md").write_text(md, encoding="utf-8")
    rec = json.dumps({"id": "same", "title": "t", "text": "x"})
    (tmp_path / "b.jsonl").write_text(rec + "\n" + rec + "\n", encoding="utf-8")
    corpus = ingest([tmp_path])
    ids = [a.article_id for a in corpus.articles]
    assert len(ids) == len(set(ids)) == 4
    assert ids[2] == "same"
    assert any("duplicate article id 'same'" in w for w in corpus.warnings)


def test_sample_corpus_is_complete() -> None:
    sample = Path(__file__).resolve().parents[3] / "index/sample_corpus"
    corpus = ingest([sample])
    assert corpus.warnings == ()
    assert {Path(f.path).suffix for f in corpus.files} == {".txt", ".jsonl", ".md"}
    assert 10 <= len(corpus.articles) <= 16
    assert all(a.date.startswith("2024-03") for a in corpus.articles)
    assert all(a.paragraphs for a in corpus.articles)


def test_jsonl_repeated_text_key_follows_json_semantics(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text('{"title": "t", "text": "旧的。", "text": "新的。"}\n', encoding="utf-8")
    (article,) = ingest([path]).articles
    assert [p.text for p in article.paragraphs] == ["新的。"]
