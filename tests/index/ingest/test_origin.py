"""Where an article was published: file names, page headers, bylines, JSONL and
Markdown fields, and which of them wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsqa.index._ingest import ingest
from newsqa.index._ingest._blocks import Kind, is_page_header, page_blocks
from newsqa.index._ingest._origin import (
    Masthead,
    masthead,
    name_masthead,
    normalize_page,
    paper_in_credit,
)
from tests.conftest import PAGE, needs_shared

SAMPLE = Path(__file__).resolve().parents[3] / "index" / "sample_corpus"


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("2024-03-21_page01.txt", Masthead("", "2024-03-21", "1")),
        ("中国妇女报_2023-03-22_05.txt", Masthead("中国妇女报", "2023-03-22", "5")),
        ("20230322_05.txt", Masthead("", "2023-03-22", "5")),
        ("2023-03-22_第5版.txt", Masthead("", "2023-03-22", "5")),
        ("2024-03-23_features.md", Masthead("", "2024-03-23", "")),
        # conservative: no page from an id, a time or a lone number
        ("000_27015f93c0a9216f.txt", Masthead()),
        ("2024-03-21_1200.txt", Masthead("", "2024-03-21", "")),
        ("2024-03_briefs.jsonl", Masthead()),
        ("notes_05.txt", Masthead()),
        ("本报_2023-03-22.txt", Masthead("", "2023-03-22", "")),
    ],
)
def test_file_names(name: str, want: Masthead) -> None:
    assert name_masthead(name) == want


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("中国妇女报 2023年3月22日 第5版", Masthead("中国妇女报", "2023-03-22", "5")),
        ("2023年3月22日 星期三", Masthead("", "2023-03-22", "")),
        ("第5版", Masthead("", "", "5")),
        ("第五版 要闻", Masthead("", "", "5")),
        ("中国妇女报 第12版 综合", Masthead("中国妇女报", "", "12")),
        ("第5版 两会特刊", Masthead("", "", "5")),
        ("2023年3月22日 星期三 中国妇女报", Masthead("中国妇女报", "2023-03-22", "")),
    ],
)
def test_header_lines(line: str, want: Masthead) -> None:
    assert is_page_header(line)
    assert masthead(line) == want


@pytest.mark.parametrize(
    "line",
    [
        "2023年3月22日，第5版刊登了这篇报道。",  # a sentence of the text
        "（下转第3版）",  # a jump, not this page's number
        "中国妇女报全媒体记者了解到",
        "扬中市已建成“两新”组织妇联32家",
    ],
)
def test_text_is_not_a_header(line: str) -> None:
    assert not is_page_header(line)
    assert masthead("2023年3月22日，第5版刊登了这篇报道。") == Masthead()


def test_a_paper_and_page_line_is_page_furniture() -> None:
    [block] = page_blocks("中国妇女报 第5版\n")
    assert block.kind is Kind.SKIP


@pytest.mark.parametrize(
    ("text", "paper"),
    [
        ("□ 中国妇女报全媒体记者 茹希佳", "中国妇女报"),
        ("中国妇女报记者 顾欣 发自苏州 3月20日,全国首个", "中国妇女报"),
        ("中国妇女报全媒体记者林志文/林泳雨 发自中山", "中国妇女报"),
        ("人民日报记者 王五", "人民日报"),
        ("□ 本报记者 张三", ""),  # "this paper" names none
        ("新华社记者 李四", ""),  # an agency is not where it was published
        ("为进一步夯实基础,中国妇女报全媒体记者了解到", ""),  # not at the start
    ],
)
def test_papers_in_bylines(text: str, paper: str) -> None:
    assert paper_in_credit(text) == paper


@pytest.mark.parametrize(
    ("value", "page"),
    [("05", "5"), ("第5版", "5"), ("第五版", "5"), ("第十二版", "12"), ("A05", "A5")],
)
def test_page_values(value: str, page: str) -> None:
    assert normalize_page(value) == page


def _page(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


_STORY = [
    "江苏扬中创新实施妇建项目",
    "□ 中国妇女报全媒体记者 茹希佳",
    "扬中市已建成“两新”组织妇联32家,覆盖了企业、行业协会、社会组织等。",
]


def test_a_header_names_paper_date_and_page(tmp_path: Path) -> None:
    path = _page(tmp_path, "scan_0001.txt", ["新华日报 2023年3月22日 星期三 第5版", *_STORY])
    [article] = ingest([path]).articles
    # the header wins over the byline's paper, and is not part of the text
    assert (article.origin, article.date, article.page) == ("新华日报", "2023-03-22", "5")
    assert all("星期三" not in p.text for p in article.paragraphs)
    assert article.title == "江苏扬中创新实施妇建项目"


def test_a_header_below_the_text_counts_too(tmp_path: Path) -> None:
    path = _page(tmp_path, "2023-03-22_page05.txt", [*_STORY, "第5版 要闻"])
    [article] = ingest([path]).articles
    assert (article.origin, article.date, article.page) == ("中国妇女报", "2023-03-22", "5")


def test_the_byline_names_the_paper_of_the_whole_page(tmp_path: Path) -> None:
    brief = [
        "湖南长沙举办项目路演",
        "二十个女性创业项目亮相",
        "3月20日,由湖南省妇联主办的项目路演在长沙举行。",
    ]
    path = _page(tmp_path, "page.txt", [*_STORY, *brief])
    articles = ingest([path]).articles
    assert [a.origin for a in articles] == ["中国妇女报", "中国妇女报"]
    assert all(a.page == "" and a.date == "" for a in articles)


def test_the_file_name_paper_wins_over_a_byline(tmp_path: Path) -> None:
    path = _page(tmp_path, "新华日报_2023-03-22_05.txt", _STORY)
    [article] = ingest([path]).articles
    assert (article.origin, article.date, article.page) == ("新华日报", "2023-03-22", "5")


def test_a_page_naming_nothing_has_no_origin(tmp_path: Path) -> None:
    path = _page(tmp_path, "page.txt", ["江苏扬中创新实施妇建项目", "□ 本报记者 茹希佳", _STORY[2]])
    [article] = ingest([path]).articles
    assert (article.origin, article.page) == ("", "")


def test_jsonl_fields(tmp_path: Path) -> None:
    records = [
        {"title": "一", "text": "正文一。", "source": "中国妇女报", "page": 5, "url": "u1"},
        {"title": "二", "text": "正文二。", "page": "第3版", "date": "2023年3月22日"},
        {"title": "三", "text": "正文三。"},
    ]
    path = tmp_path / "中国妇女报_2023-03-21_07.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    one, two, three = ingest([path]).articles
    assert (one.origin, one.page, one.url, one.date) == ("中国妇女报", "5", "u1", "2023-03-21")
    assert (two.origin, two.page, two.date) == ("中国妇女报", "3", "2023-03-22")
    assert (three.origin, three.page, three.url) == ("中国妇女报", "7", "")


def test_markdown_front_matter_and_byline(tmp_path: Path) -> None:
    with_front = tmp_path / "a.md"
    with_front.write_text(
        "---\nsource: 新华日报\npage: 06\n---\n# 标题\n\n□ 中国妇女报全媒体记者 何静\n\n正文。\n",
        "utf-8",
    )
    [a] = ingest([with_front]).articles
    assert (a.origin, a.page, a.author) == ("新华日报", "6", "何静")
    bare = tmp_path / "b.md"
    bare.write_text("# 标题\n\n□ 中国妇女报全媒体记者 何静\n\n正文。\n", "utf-8")
    [b] = ingest([bare]).articles
    assert (b.origin, b.page) == ("中国妇女报", "")


def test_sample_corpus_publication() -> None:
    articles = ingest([SAMPLE]).articles
    found = {(Path(a.source_path).name, a.origin, a.page, a.date) for a in articles}
    assert ("2024-03-22_page01.txt", "中国妇女报", "1", "2024-03-22") in found  # its header
    assert ("2024-03-21_page02.txt", "中国妇女报", "2", "2024-03-21") in found  # name, bylines
    assert {a.origin for a in articles if a.source_path.endswith(".jsonl")} == {
        "中国妇女报·地方简讯"
    }


@needs_shared
def test_the_real_page_is_credited_to_its_paper() -> None:
    articles = ingest([PAGE]).articles
    assert articles and {a.origin for a in articles} == {"中国妇女报"}
    assert {(a.page, a.date) for a in articles} == {("", "")}
