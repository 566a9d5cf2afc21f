"""Segmentation of raw newspaper pages: the reference page, the bundled sample, new layouts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsqa.index._ingest import Corpus, ingest
from newsqa.index._ingest._page import parse_page
from newsqa.index._types import Article, Paragraph

REAL_PAGE = Path(__file__).resolve().parents[3].parent / "shared/corpus/000_27015f93c0a9216f.txt"
SAMPLE = Path(__file__).resolve().parents[3] / "index/sample_corpus"

TITLES = [
    "江苏扬中市创新实施“巾帼向党·全域绽放”妇建项目 持之以恒做好“三篇文章” 激活妇建“一池春水”",
    "带动更多女性解锁「共富」密码 杭州萧山激发创新创业新活力",
    "四川省女科技工作者协会 举办首届女科学家学术大会",
    "广东中山启动“树文明新风 建幸福家庭”系列活动",
    "巾帼田头助春耕",
    "河北沧州市建立四级妇联执委数据库 完善“头雁”管理体系 让执委“动”起来",
    "山东冠县成立电商行业妇联 为“四新”领域妇联组织注入活力动能",
    "广西发布维护妇女儿童权益十大典型案例",
    "福建宁德开展法治宣传活动",
]
AUTHORS = [
    "茹希佳",
    "姚改政 吴贞科",
    "任然",
    "林志文 林泳雨",
    "邵伟 李萍",
    "周丽婷 李倩",
    "姚建",
    "高峰",
    "吴军华 李青雯",
]


def from_source(source: str, p: Paragraph) -> str:
    """Rebuild a paragraph's text from the file through its span and breaks."""
    anchors = [(0, p.start), *p.breaks]
    pieces = []
    for k, (t, s) in enumerate(anchors):
        t_end = anchors[k + 1][0] if k + 1 < len(anchors) else len(p.text)
        pieces.append(source[s : s + (t_end - t)])
    return "".join(pieces)


def assert_spans(source: str, articles: tuple[Article, ...]) -> None:
    for article in articles:
        for p in article.paragraphs:
            assert from_source(source, p) == p.text
            assert re.sub(r"\s+", "", source[p.start : p.end]) == re.sub(r"\s+", "", p.text)
            if not p.breaks:
                assert source[p.start : p.end] == p.text


@pytest.fixture(scope="module")
def real() -> Corpus:
    if not REAL_PAGE.exists():
        pytest.skip(f"reference page not found: {REAL_PAGE}")
    return ingest([REAL_PAGE])


@pytest.fixture(scope="module")
def real_text() -> str:
    if not REAL_PAGE.exists():
        pytest.skip(f"reference page not found: {REAL_PAGE}")
    return REAL_PAGE.read_text(encoding="utf-8")


def by_title(articles: tuple[Article, ...], prefix: str) -> Article:
    found = [a for a in articles if a.title.startswith(prefix)]
    assert len(found) == 1, [a.title for a in articles]
    return found[0]


def test_real_page_nine_articles_with_full_titles(real: Corpus) -> None:
    assert [a.title for a in real.articles] == TITLES
    assert real.warnings == ()
    assert len(real.files) == 1 and not real.files[0].skipped


def test_real_page_authors(real: Corpus) -> None:
    assert [a.author for a in real.articles] == AUTHORS


def test_real_page_sections(real: Corpus) -> None:
    yangzhong, xiaoshan = real.articles[0], real.articles[1]
    sections = [p.section for p in yangzhong.paragraphs]
    assert sections[:3] == ["", "", ""]
    assert "完善“全面覆盖、量质兼备”的组织体系" in sections
    assert sections[-1] == "构建“全程提优、务实高效”的保障体系"
    assert [s for s in dict.fromkeys(p.section for p in xiaoshan.paragraphs)] == [
        "",
        "创新四新领域组织建设 成立人才公寓妇联",
        "搭建新服务平台 助力行业产业链发展",
        "强化共富工坊创建 携手奔向共同富裕",
    ]
    first = next(p for p in xiaoshan.paragraphs if p.section.startswith("创新四新领域"))
    assert first.text.startswith("3月中旬,人才公寓妇联")
    for article in real.articles[2:]:
        assert all(p.section == "" for p in article.paragraphs), article.title
    # subheads never become paragraph text or titles
    texts = [p.text for a in real.articles for p in a.paragraphs]
    assert "理顺“全力以赴、重点突出”的职能体系" not in texts


def test_real_page_rejoins_column_breaks(real: Corpus, real_text: str) -> None:
    texts = [p.text for a in real.articles for p in a.paragraphs]
    for joint in (
        "主动适应女性就业",
        "女性人才服务等活动",
        "便于最大限度实现聚力",
        "新就业群体妇联组织的覆盖",
    ):
        hits = [t for t in texts if joint in t]
        assert len(hits) == 1, joint
    for fragment in ("应女性就业", "务等活动", "度实现聚力"):
        assert not any(t.startswith(fragment) for t in texts)
    joined = next(p for a in real.articles for p in a.paragraphs if "主动适应女性就业" in p.text)
    assert joined.breaks  # text leaves the column break out, the span covers both parts
    span = real_text[joined.start : joined.end]
    assert span.startswith("为进一步夯实全域覆盖的工作基础") and span.endswith("获得服务。")
    assert "\n" in span


def test_real_page_near_duplicate_dropped(real: Corpus) -> None:
    assert real.files[0].duplicates_dropped == 1
    yangzhong = real.articles[0]
    both = [p for p in yangzhong.paragraphs if "纵向延伸" in p.text]
    assert len(both) == 1
    assert both[0].text.startswith("为进一步夯实全域覆盖的工作基础")  # the longer version
    following = [p.text for p in yangzhong.paragraphs if p.text.startswith("秉承微光成炬")]
    assert len(following) == 1 and following[0].endswith("其中11家获评镇江市级示范点。")


def test_real_page_keeps_bylines_credits_labels_out_of_text(real: Corpus) -> None:
    texts = [p.text for a in real.articles for p in a.paragraphs]
    for t in texts:
        assert "□" not in t
        assert "邵伟/文" not in t and "李萍/摄" not in t
        assert t != "两网之窗" and not t.startswith("两网之窗")
    assert all("两网之窗" not in a.title for a in real.articles)
    sichuan = real.articles[2]
    assert sichuan.paragraphs[0].text.startswith("中国妇女报全媒体记者任然 发自成都 3月18日,")


def test_real_page_spans_point_at_text(real: Corpus, real_text: str) -> None:
    assert_spans(real_text, real.articles)
    assert sum(len(a.paragraphs) for a in real.articles) == 11 + 9 + 4 + 2 + 2 + 5 + 5 + 3 + 4


def test_real_page_ids_stable_and_distinct(real: Corpus) -> None:
    again = ingest([REAL_PAGE])
    assert [a.article_id for a in again.articles] == [a.article_id for a in real.articles]
    assert len({a.article_id for a in real.articles}) == 9
    assert all(re.fullmatch(r"[0-9a-f]{16}", a.article_id) for a in real.articles)
    assert all(a.date == "" for a in real.articles)


SAMPLE_TITLES = {
    "2024-03-21_page01.txt": [
        "浙江安吉“竹乡巾帼”抱团创业 一根竹子撑起万名妇女就业梦",
        "云南怒江举办首届女性职业技能大赛",
        "春茶飘香采摘忙",
        "守护乡村孩子的“光明” ——记甘肃定西眼科医生吴静和她的流动眼科车",
    ],
    "2024-03-21_page02.txt": [
        "四川凉山“妈妈课堂”开进彝家新寨 三年培训彝族妇女1.2万人次",
        "江西赣州启动“家风润赣南”主题宣讲",
        "黑龙江哈尔滨开通“冰城姐妹”维权热线",
        "宁夏固原“巾帼乡村振兴车间”激活致富引擎 86个车间带动1.3万名妇女在家门口就业",
    ],
    "2024-03-22_page01.txt": [
        "全国首个“她健康”社区服务联盟在苏州成立",
        "聚焦“一老一小” 织密关爱网络 福建厦门湖里区妇联打造“15分钟巾帼服务圈”",
        "非遗剪纸进校园",
        "湖南长沙举办“她创业”项目路演",
    ],
}


@pytest.mark.parametrize("name", sorted(SAMPLE_TITLES))
def test_sample_pages_segment_as_intended(name: str) -> None:
    path = SAMPLE / name
    corpus = ingest([path])
    assert [a.title for a in corpus.articles] == SAMPLE_TITLES[name]
    assert corpus.warnings == ()
    assert all(a.date == name[:10] for a in corpus.articles)
    assert_spans(path.read_text(encoding="utf-8"), corpus.articles)
    for a in corpus.articles:
        for p in a.paragraphs:
            assert "□" not in p.text and "/摄" not in p.text and p.text != "巾帼风采"


def test_sample_page_details() -> None:
    corpus = ingest([SAMPLE / "2024-03-21_page01.txt", SAMPLE / "2024-03-22_page01.txt"])
    anji = by_title(corpus.articles, "浙江安吉")
    assert anji.author == "陈晓燕"
    assert [s for s in dict.fromkeys(p.section for p in anji.paragraphs)] == [
        "",
        "从“卖竹子”到“卖创意”",
        "抱团发展 让手艺变成产业",
    ]
    cut = [p for p in anji.paragraphs if "县人社局开展竹编技能等级认定" in p.text]
    assert len(cut) == 1 and cut[0].breaks
    assert by_title(corpus.articles, "云南怒江").author == "李娜"
    assert by_title(corpus.articles, "春茶飘香").author == "王海燕 刘明"
    assert by_title(corpus.articles, "守护乡村").author == "赵敏 郑雪"
    xiamen = by_title(corpus.articles, "聚焦“一老一小”")
    assert {p.section for p in xiamen.paragraphs} == {
        "",
        "四点半课堂 托起孩子的成长",
        "巾帼暖邻 守护老人的晚年",
    }
    # a photo story after an article with subheads is still an article of its own
    paper_cut = by_title(corpus.articles, "非遗剪纸进校园")
    assert paper_cut.author == "孙婷 王强" and len(paper_cut.paragraphs) == 2
    changsha = by_title(corpus.articles, "湖南长沙")  # follows a closed photo story
    assert changsha.author == "" and changsha.paragraphs[0].text.startswith("3月20日,由湖南省")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GENERIC_PAGE = "\r\n".join(
    [
        "",
        "本版导读",
        "",
        "山西大同启动“巾帼护河”行动",
        "",
        "本报讯（记者 王小丽 通讯员 陈东）近日,山西省大同市妇联启动“巾帼护河”志愿行动,"
        "组建护河队伍36支。",
        "",
        "　　行动将持续到年底,志愿者每周巡河一次。",
        "",
        "（下转第2版）",
        "",
        "云冈石窟迎来女讲解员",
        "",
        "新春走基层",
        "",
        "本报记者 刘洋",
        "",
        "大同市云冈石窟研究院今年新招募女讲解员12名,她们将用中、英、日三种语言为游客讲解。",
        "",
        "讲解员培训",
        "",
        "培训为期三个月,内容包括石窟历史和礼仪,全部由研究院专家授课,学员考核合格后上岗讲解,",
        "",
        "首批讲解员已于3月1日正式上岗。",
    ]
)


def test_generic_page_layout(tmp_path: Path) -> None:
    path = write(tmp_path, "20240305-page3.txt", GENERIC_PAGE, "gb18030")
    corpus = ingest([path])
    titles = [a.title for a in corpus.articles]
    # the short first line of a headline run is a column label; a trailing short line stays
    assert titles == ["山西大同启动“巾帼护河”行动", "云冈石窟迎来女讲解员 新春走基层"]
    datong, yungang = corpus.articles
    assert datong.author == "王小丽 陈东"
    assert datong.paragraphs[0].text.startswith("本报讯（记者 王小丽 通讯员 陈东）")
    assert [p.text for p in datong.paragraphs][1] == "行动将持续到年底,志愿者每周巡河一次。"
    assert all("下转" not in p.text for p in datong.paragraphs)
    assert yungang.author == "刘洋"
    assert [p.section for p in yungang.paragraphs] == ["", "讲解员培训"]
    assert yungang.paragraphs[1].text.endswith(
        "学员考核合格后上岗讲解,首批讲解员已于3月1日正式上岗。"
    )
    assert all(a.date == "2024-03-05" for a in corpus.articles)
    text = path.read_bytes().decode("gb18030")
    assert_spans(text, corpus.articles)


def test_single_headline_after_dateline_news_is_a_new_article() -> None:
    page = "\n\n".join(
        [
            "甲市召开妇女工作会议",
            "中国妇女报全媒体记者 张华 发自甲市 3月2日,甲市召开妇女工作会议,部署全年工作。",
            "会议表彰了先进集体10个。",
            "乙县开展家庭教育讲座",
            "近日,乙县妇联开展家庭教育讲座,300余名家长参加。",
        ]
    )
    parsed = parse_page(page, "p.txt")
    assert [a.title for a in parsed.articles] == ["甲市召开妇女工作会议", "乙县开展家庭教育讲座"]
    assert parsed.articles[0].author == "张华" and parsed.articles[1].author == ""


def test_orphan_text_and_empty_headline_warn(tmp_path: Path) -> None:
    page = "\n\n".join(
        [
            "上接第一版的文字延续到这里。这一段没有标题。",
            "某地举办女性创业培训班",
            "□ 本报记者 赵一",
            "培训班为期五天,共有学员80名。",
            "只有标题没有正文",
        ]
    )
    corpus = ingest([write(tmp_path, "page.txt", page)])
    titles = [a.title for a in corpus.articles]
    assert titles == ["上接第一版的文字延续到这里。", "某地举办女性创业培训班"]
    assert len(corpus.warnings) == 2
    assert "before the first headline" in corpus.warnings[0]
    assert "只有标题没有正文" in corpus.warnings[1] and "page.txt:9" in corpus.warnings[1]


def test_more_layout_variants() -> None:
    page = "\n".join(
        [
            "2024年3月25日 星期一",
            "第3版 要闻",
            "春风里,她们在田间地头忙碌",
            "□ 本报记者 苏小梅",
            "3月22日,丙县200余名女农技员走进田间,指导春播。",
            "巾帼护林员",
            "本报讯 近日,丁县组建巾帼护林队,队员共42名。",
            "护林队实行网格化管理。",
            "（王芳 李丽）",
            "戊市女子龙舟队成立",
            "陈晨/文 刘洋/摄",
            "3月20日,戊市女子龙舟队在江边举行成立仪式。",
            "队员们来自各行各业,平均年龄32岁。",
        ]
    )
    parsed = parse_page(page, "p.txt")
    assert parsed.warnings == ()
    titles = [a.title for a in parsed.articles]
    assert titles == ["春风里,她们在田间地头忙碌", "巾帼护林员", "戊市女子龙舟队成立"]
    spring, forest, dragon = parsed.articles
    assert spring.author == "苏小梅" and len(spring.paragraphs) == 1
    assert (
        forest.author == "王芳 李丽"
        and [p.text for p in forest.paragraphs][-1] == "护林队实行网格化管理。"
    )
    # a credit right after the headline opens the story instead of closing it
    assert dragon.author == "陈晨 刘洋" and len(dragon.paragraphs) == 2
    texts = [p.text for a in parsed.articles for p in a.paragraphs]
    assert not any("星期一" in t or "第3版" in t or "王芳" in t for t in texts)
