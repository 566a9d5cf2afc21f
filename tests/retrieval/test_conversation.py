"""Conversation: follow-up resolution, commands on the last answer, expiry and reset.

The unit tests run against a fake retriever that records what it was asked to search
(``searched``, ``prior``, ``exclude``) and ranks a few scripted articles by shared
characters; one slow test asks a two-turn follow-up against the real page's index.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import cast

import pytest

from newsqa.index import Config
from newsqa.retrieval import Answer, Conversation, Hit, Retriever
from newsqa.retrieval._conversation import PRIOR_BONUS

from ..conftest import needs_shared

ARTICLES = {
    "guan": (
        "山东冠县成立电商行业妇联",
        [
            "冠县电子商务行业第一次妇女代表大会召开，新当选的妇联主席发言。",
            "冠县妇联党组书记、主席齐红梅说，电商从业群体中女性从业者占比达到70%。",
            "小贝壳服饰是冠县的一家婴幼儿服饰企业，直播间迎来了40多名女性学习。",
        ],
    ),
    "sichuan": (
        "四川省女科技工作者协会举办首届女科学家学术大会",
        [
            "四川省女科技工作者协会首届女科学家学术大会在成都召开，名誉会长王琪做了报告。",
            "协会目前共有33名常务理事、101名理事，会员344人。",
        ],
    ),
    "yangzhong": (
        "江苏扬中市创新实施妇建项目",
        [
            "扬中市三茅街道美都华庭小区楼道妇女微家，微家成员们正在商讨楼道文化布置。",
            "扬中市妇联主席耿晓晴介绍了工作理念。",
        ],
    ),
}


@dataclass
class Call:
    question: str
    k: int | None
    searched: str | None
    prior: dict[str, float] | None
    exclude: frozenset[str]


@dataclass
class FakeRetriever:
    """Ranks the paragraphs of :data:`ARTICLES` by characters shared with the search.

    Confident when the top paragraph holds most of the search's characters and the
    search has at least eight of them (a short follow-up alone is never confident).
    """

    calls: list[Call] = field(default_factory=list)
    _config: Config = field(default_factory=Config)

    def _hit(self, rank: int, score: float, aid: str, n: int) -> Hit:
        title, paragraphs = ARTICLES[aid]
        text = paragraphs[n]
        return Hit(
            rank=rank,
            score=score,
            title=title,
            section="",
            text=text,
            highlight=text,
            highlight_span=(0, len(text)),
            source=f"{aid}.txt",
            article_id=aid,
            chunk_id=f"{aid}:{n}",
        )

    def ask(self, question: str, k: int | None = None) -> Answer:
        return self._ask(question, k)

    def _ask(
        self,
        question: str,
        k: int | None = None,
        *,
        searched: str | None = None,
        prior: Mapping[str, float] | None = None,
        exclude: Collection[str] = (),
    ) -> Answer:
        self.calls.append(
            Call(question, k, searched, dict(prior) if prior else None, frozenset(exclude))
        )
        text = searched if searched is not None else question
        chars = set(text) - set("的是了有什么多少谁？?吗呢 ")
        scored = []
        for aid, (title, paragraphs) in ARTICLES.items():
            if aid in exclude:
                continue
            for n, para in enumerate(paragraphs):
                score = len(chars & set(title + para)) / max(len(chars), 1)
                scored.append((score + (prior or {}).get(aid, 0.0), aid, n))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        top = scored[: k or 5]
        hits = tuple(self._hit(i, s, a, n) for i, (s, a, n) in enumerate(top, start=1))
        return Answer(
            question=question,
            confident=bool(hits) and hits[0].score > 0.8 and len(chars) >= 8,
            hits=hits,
            searched=text if searched is not None else "",
        )

    def article(self, article_id: str) -> list[Hit]:
        paragraphs = ARTICLES.get(article_id, ("", []))[1]
        return [self._hit(0, 0.0, article_id, n) for n in range(len(paragraphs))]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeRetriever:
    return FakeRetriever()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(fake: FakeRetriever, clock: Clock) -> Conversation:
    return Conversation(cast(Retriever, fake), ttl_s=600.0, max_turns=4, clock=clock)


# -- resolution ------------------------------------------------------------------------


def test_first_question_is_asked_as_written(chat: Conversation, fake: FakeRetriever) -> None:
    answer = chat.ask("冠县成立了什么行业的妇联？")
    assert fake.calls[-1].searched is None and fake.calls[-1].prior is None
    assert answer.searched == ""
    assert [t.kind for t in chat.turns] == ["question"]


@pytest.mark.parametrize(
    ("first", "followup", "expect"),
    [
        ("冠县成立了什么行业的妇联？", "那里的妇联主席是谁？", "冠县的妇联主席是谁"),
        ("冠县成立了什么行业的妇联？", "这里的女性从业者占比多少？", "冠县的女性从业者"),
        ("四川省女科技工作者协会在哪里开会？", "该协会有多少名理事？", "四川省女科技工作者协会有"),
        ("四川省女科技工作者协会在哪里开会？", "它有多少会员？", "四川省女科技工作者协会有"),
        ("四川省女科技工作者协会在哪里开会？", "其名誉会长是谁？", "四川省女科技工作者协会名誉"),
    ],
)
def test_words_pointing_back_are_replaced_by_the_topic(
    chat: Conversation, fake: FakeRetriever, first: str, followup: str, expect: str
) -> None:
    chat.ask(first)
    top_article = fake.calls[-1]
    answer = chat.ask(followup)
    call = fake.calls[-1]
    assert call.searched is not None and expect in call.searched
    assert "协会协会" not in call.searched
    assert call.prior is not None and max(call.prior.values()) == pytest.approx(PRIOR_BONUS)
    assert answer.searched == call.searched
    assert chat.turns[-1].kind == "followup" and chat.turns[-1].searched == call.searched
    assert top_article.prior is None


@pytest.mark.parametrize("followup", ["有多少会员？", "名誉会长是谁？", "常务理事有几名？"])
def test_an_elided_subject_is_completed(
    chat: Conversation, fake: FakeRetriever, followup: str
) -> None:
    chat.ask("四川省女科技工作者协会有多少名理事？")
    answer = chat.ask(followup)
    call = fake.calls[-1]
    assert call.searched is not None and call.searched.startswith("四川省女科技工作者协会")
    assert call.prior is not None and call.prior.keys() == {"sichuan"}
    assert call.prior["sichuan"] == pytest.approx(PRIOR_BONUS)
    assert answer.hits[0].article_id == "sichuan"


@pytest.mark.parametrize(
    "second",
    [
        "四川省女科技工作者协会有多少名理事？",  # its own name
        "楼道妇女微家的成员在商量什么事情？",  # no name, but nothing of the old article
        "扬中市妇联主席是谁？",  # same shape as a follow-up, its own place
    ],
)
def test_a_question_on_its_own_is_not_dragged(
    chat: Conversation, fake: FakeRetriever, second: str
) -> None:
    chat.ask("冠县成立了什么行业的妇联？")
    answer = chat.ask(second)
    call = fake.calls[-1]
    assert call.searched is None and call.prior is None
    assert answer.hits == fake.ask(second).hits
    assert chat.turns[-1].kind == "question"


def test_a_follow_up_that_finds_the_topic_as_written_keeps_its_wording(
    chat: Conversation, fake: FakeRetriever
) -> None:
    chat.ask("冠县妇联主席是谁？")
    answer = chat.ask("电商从业群体中女性从业者占比多少？")  # every word is in the article
    assert chat.turns[-1].kind == "followup"
    assert fake.calls[-1].searched is None and fake.calls[-1].prior is None
    assert answer.confident and answer.hits[0].article_id == "guan" and answer.searched == ""


def test_a_pronoun_next_to_a_new_name_stays_with_it(
    chat: Conversation, fake: FakeRetriever
) -> None:
    chat.ask("冠县成立了什么行业的妇联？")
    chat.ask("耿晓晴和她的同事提出了什么理念？")
    assert fake.calls[-1].searched is None and fake.calls[-1].prior is None


def test_the_topic_follows_the_conversation(chat: Conversation, fake: FakeRetriever) -> None:
    chat.ask("冠县成立了什么行业的妇联？")
    chat.ask("四川省女科技工作者协会有多少名理事？")
    chat.ask("那里有多少会员？")
    assert fake.calls[-1].prior is not None
    assert fake.calls[-1].prior.keys() == {"sichuan"}
    chat.ask("名誉会长是谁？")  # a follow-up of a follow-up keeps the topic
    assert fake.calls[-1].searched is not None and "四川省" in fake.calls[-1].searched


# -- commands on the last answer ---------------------------------------------------------


@pytest.mark.parametrize("message", ["还有吗？", "还有呢", "下一条", "更多", "/more"])
def test_more_gives_the_next_hits(chat: Conversation, message: str) -> None:
    first = chat.ask("冠县妇联主席是谁？", k=2)
    more = chat.ask(message.lstrip("/"), k=2)
    assert [h.rank for h in more.hits] == [3, 4]
    shown = {h.chunk_id for h in first.hits}
    assert not shown & {h.chunk_id for h in more.hits}
    assert chat.turns[-1].kind == "more"


def test_more_until_nothing_is_left(chat: Conversation) -> None:
    chat.ask("冠县妇联主席是谁？", k=3)
    seen = 3
    while True:
        more = chat.more(k=3)
        if not more.hits:
            break
        seen += len(more.hits)
    assert seen == sum(len(p) for _, p in ARTICLES.values())
    assert not more.confident and more.notice


@pytest.mark.parametrize("message", ["换一个", "不是这个", "换一篇吧", "不是这个，换一篇吧"])
def test_another_article(chat: Conversation, fake: FakeRetriever, message: str) -> None:
    first = chat.ask("冠县妇联主席是谁？", k=2)
    assert first.hits[0].article_id == "guan"
    other = chat.ask(message, k=2)
    assert "guan" in fake.calls[-1].exclude
    assert other.hits and all(h.article_id != "guan" for h in other.hits)
    assert [h.rank for h in other.hits] == [1, 2]
    assert chat.turns[-1].kind == "another"
    again = chat.another(k=5)  # and once more: neither of the two shown articles
    assert {h.article_id for h in again.hits} == {"yangzhong", "sichuan"} - {
        other.hits[0].article_id
    }


@pytest.mark.parametrize("message", ["第二条详细说说", "详细说说第2条", "第2条", "第二条展开"])
def test_detail_quotes_a_hit_with_its_neighbours(chat: Conversation, message: str) -> None:
    first = chat.ask("冠县妇联主席是谁？", k=3)
    second = first.hits[1]
    answer = chat.ask(message)
    assert answer.confident and len(answer.hits) == 1
    merged = answer.hits[0]
    assert merged.rank == 2 and merged.chunk_id == second.chunk_id
    start, end = merged.highlight_span
    assert merged.text[start:end] == second.highlight
    paragraphs = ARTICLES[second.article_id][1]
    n = paragraphs.index(second.text)
    for neighbour in paragraphs[max(0, n - 1) : n + 2]:
        assert neighbour in merged.text
    assert chat.turns[-1].kind == "detail"


def test_detail_lists_the_neighbours(chat: Conversation) -> None:
    first = chat.ask("冠县妇联主席是谁？", k=3)
    hit = first.hits[0]
    around = chat.detail(1)
    assert hit in around
    assert all(h.article_id == hit.article_id for h in around)
    assert [h.rank for h in around].count(1) == 1 and len(around) >= 2
    assert chat.detail(9) == []
    assert not chat.ask("第九条详细说说").confident


@pytest.mark.parametrize("message", ["还有多少会员？", "更多的是什么？", "不是冠县的吗？"])
def test_questions_that_look_like_commands_are_questions(
    chat: Conversation, fake: FakeRetriever, message: str
) -> None:
    chat.ask("冠县妇联主席是谁？")
    chat.ask(message)
    assert [t.kind for t in chat.turns][-1] in ("question", "followup")
    assert fake.calls[-1].question == message


@pytest.mark.parametrize("message", ["还有吗", "换一个", "第二条详细说说"])
def test_commands_without_a_conversation(
    chat: Conversation, fake: FakeRetriever, message: str
) -> None:
    answer = chat.ask(message)
    assert not answer.confident and not answer.hits and answer.notice
    assert fake.calls == [] and chat.turns == ()
    assert chat.detail(1) == []


# -- expiry and reset -------------------------------------------------------------------


def test_the_conversation_expires(chat: Conversation, fake: FakeRetriever, clock: Clock) -> None:
    chat.ask("冠县成立了什么行业的妇联？")
    clock.now += 599
    chat.ask("那里的妇联主席是谁？")
    assert fake.calls[-1].prior is not None and len(chat.turns) == 2
    clock.now += 601
    assert not chat.turns
    assert not chat.more().hits  # the old answer is gone too
    chat.ask("那里的妇联主席是谁？")
    assert fake.calls[-1].searched is None and fake.calls[-1].prior is None


def test_reset_forgets(chat: Conversation, fake: FakeRetriever) -> None:
    chat.ask("冠县成立了什么行业的妇联？")
    chat.reset()
    assert not chat.turns
    chat.ask("那里的妇联主席是谁？")
    assert fake.calls[-1].prior is None
    assert [t.kind for t in chat.turns] == ["question"]


def test_only_the_last_turns_are_kept(chat: Conversation) -> None:
    for _ in range(6):
        chat.ask("冠县妇联主席是谁？")
    assert len(chat.turns) == 4


def test_defaults_come_from_the_configuration(fake: FakeRetriever, clock: Clock) -> None:
    fake._config = Config().with_section("retrieval", conversation_ttl_s=5.0, conversation_turns=2)
    chat = Conversation(cast(Retriever, fake), clock=clock)
    for _ in range(3):
        chat.ask("冠县妇联主席是谁？")
    assert len(chat.turns) == 2
    clock.now += 6
    assert not chat.turns


# -- a real index -----------------------------------------------------------------------


@pytest.mark.slow
@needs_shared
def test_two_turn_follow_up_on_the_real_page(page_retriever: Retriever) -> None:
    chat = Conversation(page_retriever)
    chat.ask("冠县成立了什么行业的妇联？")
    followup = chat.ask("那里有多少名80后女性来学习直播？")
    kinds = [t.kind for t in chat.turns]
    assert kinds == ["question", "followup"]
    assert followup.searched == "" or "冠县" in followup.searched  # "" : found as written
    assert "冠县" in followup.hits[0].title
    assert any("40多名" in h.text for h in followup.hits[:3])
    alone = page_retriever.ask("四川省女科技工作者协会有多少名理事？")
    switched = chat.ask("四川省女科技工作者协会有多少名理事？")
    assert switched.searched == "" and [t.kind for t in chat.turns][-1] == "question"
    assert [h.chunk_id for h in switched.hits] == [h.chunk_id for h in alone.hits]
    assert "101名理事" in switched.hits[0].text
