"""Golden questions: retrieval quality on the real page with the default model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from newsqa.index import Article, Config, build_index, content_chars, inspect_corpus
from newsqa.retrieval import Answer, Retriever
from tests.conftest import PAGE, ROOT, SEED_DEV, needs_shared

if TYPE_CHECKING:
    from newsqa.index import Embedder

pytestmark = pytest.mark.slow


def _seed() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for line in SEED_DEV.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _gold_rank(answer: Answer, gold: list[str]) -> int | None:
    wanted = [content_chars(g) for g in gold]
    for hit in answer.hits:
        if any(w in content_chars(hit.text) for w in wanted):
            return int(hit.rank)
    return None


def test_seed_dev_in_corpus_questions(page_retriever: Retriever) -> None:
    at1 = confident = 0
    in_corpus = [row for row in _seed() if row["gold_contains"]]
    assert len(in_corpus) == 13
    for row in in_corpus:
        answer = page_retriever.ask(str(row["question"]), k=3)
        rank = _gold_rank(answer, cast(list[str], row["gold_contains"]))
        assert rank is not None, f"{row['qid']} {row['question']}: gold not in top 3"
        confident += answer.confident
        fragment = content_chars(str(row["gold_title_contains"]))
        if rank == 1:
            at1 += 1
            assert fragment in content_chars(answer.hits[0].title)
    # 12 of 13 at rank 1 on the page alone (as the fixed fusion; over the archive 11,
    # README "Trust"), every gold in the top 3
    assert at1 >= 12
    # every right answer confident (the least, "楼道妇女微家的成员在商量什么事情？" and
    # "扬中市妇联在采访中提出了什么工作理念？", at 0.10 against the default 0.095:
    # loosely worded, half their words absent from the answer; README "Trust")
    assert confident == 13


def test_seed_dev_out_of_corpus_is_not_confident(page_retriever: Retriever) -> None:
    for row in _seed():
        if not row["gold_contains"]:
            answer = page_retriever.ask(str(row["question"]))
            assert not answer.confident, row["question"]


@pytest.mark.parametrize(
    "question",
    ["今天上海的天气怎么样？", "苹果公司最新款手机的价格是多少？", "如何学习Python编程？"],
)
def test_own_out_of_corpus_questions(page_retriever: Retriever, question: str) -> None:
    assert not page_retriever.ask(question).confident


def test_traditional_and_simplified_agree(page_retriever: Retriever) -> None:
    simp = page_retriever.ask("冠县电商行业妇联的主席是谁？", k=1)
    trad = page_retriever.ask("冠縣電商行業婦聯的主席是誰？", k=1)
    assert simp.hits[0].chunk_id == trad.hits[0].chunk_id
    assert "冠县" in trad.hits[0].title  # quotes keep the original (Simplified) text


# -- calibrated confidence (issue 9): decline what the archive does not hold ----------
#
# Over an index of the real page plus the bundled sample corpus. The questions are a
# few robust ones from benchmarks/data/absent.jsonl and page_questions.jsonl; every
# decline case has a test id starting ``decline-`` so a failing one is easy to spot.

SAMPLE_CORPUS = ROOT / "index" / "sample_corpus"


@pytest.fixture(scope="module")
def archive_retriever(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
) -> Iterator[Retriever]:
    """The page and the sample corpus in one index, with the default model."""
    if not PAGE.exists():
        pytest.skip(f"the real page is not here: {PAGE}")
    tmp = tmp_path_factory.mktemp("archive-index")
    cfg = Config().with_section("index", dir=str(tmp / "index"))
    cfg = cfg.with_section("corpus", paths=(str(PAGE), str(SAMPLE_CORPUS)))
    build_index(cfg, embedder=real_embedder)
    retriever = Retriever.open(cfg, embedder=real_embedder)
    yield retriever
    retriever.close()


NEAR_MISS = {
    # the right article is found, but it does not hold the asked fact
    "decline-near-miss-supervisors": "四川省女科技工作者协会设有几名监事？",  # directors only
    "decline-near-miss-cangzhou-chair": "沧州市妇联的主席叫什么名字？",  # no chair named
    "decline-near-miss-ningde-chair": "宁德市妇联主席是谁？",  # no chair named
    "decline-near-miss-court-president": "广西壮族自治区高级人民法院院长是谁？",
    "decline-near-miss-orchid-acreage": "百草坪村种了多少亩兰花？",  # no 亩 at all
    "decline-near-miss-prize-money": "怒江州女性职业技能大赛一等奖能拿多少奖金？",
    # the model alone was confident on these; a check vetoes them (_features.VETO)
    "decline-near-miss-academicians": "四川省女科技工作者协会的会员里有多少名院士？",
    "decline-near-miss-which-village": "潘月娥的月娥竹艺工坊在天荒坪镇哪个村？",
    "decline-near-miss-elders-served": "湖里区“银龄之家”累计服务了多少名老人？",
}
OUT_OF_ARCHIVE = {
    "decline-out-weather": "明天北京会下雨吗？",
    "decline-out-phone-price": "iPhone 16 多少钱？",
    "decline-out-bitcoin": "比特币现在一个多少美元？",
    "decline-out-cooking": "红烧肉怎么做才好吃？",
    # archive style, but about places the archive has no article on
    "decline-out-sanya-chair": "海南三亚市妇联主席是谁？",
    "decline-out-dalian-hotline": "辽宁大连市妇联开通的维权热线是哪个号码？",
}
CONFIDENT = {
    # (question, a phrase the top hit holds, a fragment of its article's title)
    "answer-directors": ("四川省女科技工作者协会有多少名理事？", "101名理事", "四川"),
    "answer-zhongshan-chair": ("中山市妇联主席是谁？", "余建思", "中山"),
    "answer-anji-chair": ("安吉县妇联主席是谁？", "蒋慧芳", "安吉"),
    "answer-guyuan-chair": ("固原市妇联主席是谁？", "李红梅", "固原"),
    "answer-hotline": ("在哈尔滨遇到家暴的妇女可以拨打哪个号码求助？", "12338", "冰城姐妹"),
    "answer-contestants": ("怒江首届女性职业技能大赛有多少名女选手参赛？", "216名", "怒江"),
}


@pytest.mark.parametrize("question", list(NEAR_MISS.values()), ids=list(NEAR_MISS))
def test_near_miss_is_declined(archive_retriever: Retriever, question: str) -> None:
    answer = archive_retriever.ask(question, k=1)
    top = answer.hits[0].title if answer.hits else ""
    assert not answer.confident, f"{question} -> confident on {top!r}"


@pytest.mark.parametrize("question", list(OUT_OF_ARCHIVE.values()), ids=list(OUT_OF_ARCHIVE))
def test_out_of_archive_is_declined(archive_retriever: Retriever, question: str) -> None:
    answer = archive_retriever.ask(question, k=1)
    top = answer.hits[0].title if answer.hits else ""
    assert not answer.confident, f"{question} -> confident on {top!r}"


@pytest.mark.parametrize(
    ("question", "gold", "title"), list(CONFIDENT.values()), ids=list(CONFIDENT)
)
def test_answerable_is_confident(
    archive_retriever: Retriever, question: str, gold: str, title: str
) -> None:
    answer = archive_retriever.ask(question, k=1)
    assert answer.hits, question
    hit = answer.hits[0]
    assert content_chars(gold) in content_chars(hit.text), f"{question} -> {hit.title!r}"
    assert content_chars(title) in content_chars(hit.title)
    assert answer.confident, f"{question}: right answer but not confident"


def test_answer_sets_are_well_formed() -> None:
    """benchmarks/data: unique ids, the agreed kinds and splits, both splits in each kind."""
    data = ROOT / "benchmarks" / "data"
    absent = _rows(data / "absent.jsonl")
    page = _rows(data / "page_questions.jsonl")
    qids = [str(r["qid"]) for r in absent + page]
    assert len(qids) == len(set(qids))
    kinds = {
        "near_miss": 60,
        "out_of_archive": 60,
        "factoid": 1,
        "paraphrase": 1,
    }
    for kind, least in kinds.items():
        rows = [r for r in absent + page if r["kind"] == kind]
        assert len(rows) >= least, kind
        splits = [r["split"] for r in rows]
        assert set(splits) == {"tune", "heldout"}, kind
        assert abs(splits.count("tune") - splits.count("heldout")) <= 1, kind
    assert len(page) >= 40
    for r in absent:
        assert str(r["question"]).strip() and r["why"]
        assert bool(r.get("article")) == (r["kind"] == "near_miss"), r["qid"]
    for r in page:
        assert r["gold_contains"] and r["gold_title_contains"], r["qid"]


@needs_shared
def test_page_questions_gold_is_in_its_article() -> None:
    """Every gold phrase is in a paragraph of the named article; near misses name one."""
    articles = inspect_corpus([PAGE, SAMPLE_CORPUS]).articles
    data = ROOT / "benchmarks" / "data"

    def article(fragment: str) -> Article:
        found = [a for a in articles if content_chars(fragment) in content_chars(a.title)]
        assert len(found) == 1, fragment
        return found[0]

    for r in _rows(data / "page_questions.jsonl"):
        paragraphs = [
            content_chars(p.text) for p in article(str(r["gold_title_contains"])).paragraphs
        ]
        gold = [content_chars(str(g)) for g in cast(list[str], r["gold_contains"])]
        assert any(g in p for g in gold for p in paragraphs), r["qid"]
    for r in _rows(data / "absent.jsonl"):
        if r["kind"] == "near_miss":
            article(str(r["article"]))


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
