"""The highlight: which sentence of a hit holds the answer, and the phrase marked in it."""

from __future__ import annotations

import math

import pytest

from newsqa.index import normalize, tokenize
from newsqa.retrieval._highlight import (
    SELECTOR,
    SELECTOR_FEATURES,
    TIE,
    locate,
    sentence_features,
    sentences_of,
)

BRIDGE = "这座大桥位于江边。大桥全长1200米，于2001年建成通车。桥上每天通行车辆很多。"


def _ask(question: str, text: str) -> tuple[str, str | None]:
    qnorm = normalize(question)
    idf = {t: 3.0 for t in tokenize(qnorm, normalized=True)}
    (start, end), answer = locate(qnorm, text, idf)
    return text[start:end], (text[answer[0] : answer[1]] if answer else None)


@pytest.mark.parametrize(
    ("question", "text", "highlight", "answer"),
    [
        ("这座大桥全长多少米？", BRIDGE, "大桥全长1200米，于2001年建成通车。", "1200米"),
        ("这座大桥是哪一年建成的？", BRIDGE, "大桥全长1200米，于2001年建成通车。", "2001年"),
        (
            "这部小说的作者是谁？",
            "这部小说很受欢迎。这部小说的作者是鲁迅，写于上海。",
            None,
            "鲁迅",
        ),
        (
            "阿里巴巴总部位于哪里？",
            "阿里巴巴是一家公司。阿里巴巴总部位于杭州，员工众多。",
            None,
            "杭州",
        ),
        ("他写了哪部作品？", "他是一位作家。他写了《呐喊》这部作品，影响很大。", None, "《呐喊》"),
        ("公司有几名员工？", "公司成立很早。公司现有三百名员工，分布各地。", None, "三百名"),
        (  # a name the dictionary splits (潘 / 月 / 娥), sharing a part with the question
            "月娥竹艺工坊是谁创办的？",
            "镇上很忙碌。工坊创办人潘月娥正手把手地教学员编织。",
            None,
            "潘月娥",
        ),
        (  # the best sentence holds no year: its neighbour that does joins the highlight
            "大桥的设计在哪一年获得了国家大奖？",
            "这座大桥于1998年动工。同年，大桥的设计获得了国家大奖。桥上每天通行车辆很多。",
            "这座大桥于1998年动工。同年，大桥的设计获得了国家大奖。",
            "1998年",
        ),
        (  # a range of dates is one phrase, not one of its days
            "妇女代表大会是什么时候召开的？",
            "第十次妇女代表大会于2007年10月2日至4日召开，代表八百人。",
            None,
            "2007年10月2日至4日",
        ),
    ],
)
def test_each_question_type_marks_its_phrase(
    question: str, text: str, highlight: str | None, answer: str
) -> None:
    got_highlight, got_answer = _ask(question, text)
    assert got_answer == answer
    assert answer in got_highlight
    if highlight is not None:
        assert got_highlight == highlight


def test_a_neighbour_matching_as_well_joins_the_highlight() -> None:
    # both sentences hold only the subject: which one answers is unknown, both are shown
    highlight, _ = _ask("李华有什么爱好？", "李华是一名教师。李华喜欢书法。他住在北京。")
    assert highlight == "李华是一名教师。李华喜欢书法。"
    # a sentence that holds the asked word too wins alone
    highlight, _ = _ask("李华有什么爱好？", "他住在北京。李华是一名教师，爱好书法。他住在上海。")
    assert highlight == "李华是一名教师，爱好书法。"
    # an equal match two sentences away is no neighbour, and one sharing nothing never joins
    highlight, _ = _ask("李华有什么爱好？", "李华住在北京。他是一名教师。李华喜欢书法。")
    assert highlight == "李华住在北京。"


def test_traditional_full_width_text_is_indexed_in_the_original() -> None:
    text = "這座大橋位於江邊。大橋全長１２００米，於２００１年建成通車。"
    highlight, answer = _ask("这座大桥全长多少米？", text)
    assert highlight == "大橋全長１２００米，於２００１年建成通車。"
    assert answer == "１２００米"


def test_characters_that_normalise_longer_keep_offsets_right() -> None:
    # NFKC turns "㈱" into "(株)" and "①" into "1": offsets must still index the original
    text = "㈱公司成立很早①。这座大桥全长1200米，于2001年建成通车。"
    highlight, answer = _ask("这座大桥全长多少米？", text)
    assert highlight == "这座大桥全长1200米，于2001年建成通车。"
    assert answer == "1200米"


def test_no_interrogative_marks_no_phrase() -> None:
    highlight, answer = _ask("这座大桥通车", BRIDGE)
    assert answer is None
    assert "大桥全长1200米，于2001年建成通车。" in highlight


def test_the_phrase_never_repeats_the_question() -> None:
    text = "大桥全长1200米，宽30米。"
    _, answer = _ask("全长1200米的大桥宽多少米？", text)
    assert answer == "30米"


def test_sentence_scores_can_overrule() -> None:
    qnorm = normalize("这座大桥通行什么？")
    idf = {t: 3.0 for t in tokenize(qnorm, normalized=True)}
    (start, end), _ = locate(qnorm, BRIDGE, idf, sentence_scores=[10.0, 0.0, 0.0])
    assert BRIDGE[start:end] == "这座大桥位于江边。"


def test_clauses_ended_by_a_semicolon_belong_to_one_sentence() -> None:
    text = "该馆藏书十万册；其中古籍三千册，善本三百册。馆长是李明。"
    highlight, _ = _ask("古籍有多少册？", text)
    assert highlight == "该馆藏书十万册；其中古籍三千册，善本三百册。"


@pytest.mark.parametrize("text", ["", "   ", "没有句号的一段话"])
def test_degenerate_text(text: str) -> None:
    (start, end), answer = locate("谁", text, {})
    assert 0 <= start <= end <= len(text)
    assert text[start:end] == text.strip()
    assert answer is None or start <= answer[0] < answer[1] <= end


def test_whitespace_around_the_sentence_is_stripped() -> None:
    text = "  大桥全长1200米。\n  桥上车辆很多。  "
    highlight, answer = _ask("大桥全长多少米？", text)
    assert highlight == "大桥全长1200米。"
    assert answer == "1200米"


def test_the_selector_weighs_every_signal_it_is_given() -> None:
    assert tuple(SELECTOR) == SELECTOR_FEATURES
    assert all(math.isfinite(w) for w in SELECTOR.values())
    assert 0 < TIE < 1
    qnorm = normalize("这座大桥全长多少米？")
    _, sentences, _, _ = sentences_of(BRIDGE)
    rows = sentence_features(qnorm, sentences, {t: 3.0 for t in tokenize(qnorm, normalized=True)})
    assert len(rows) == len(sentences) == 3
    assert all(len(row) == len(SELECTOR_FEATURES) for row in rows)


def test_a_place_question_is_answered_where_the_text_says_where() -> None:
    # both sentences name the subject; the one saying 位于 answers 在哪里
    text = "阴阳海因海水颜色不同而得名，是一处著名景观。阴阳海位于新北市瑞芳区的海湾。"
    highlight, _ = _ask("阴阳海在哪里？", text)
    assert highlight == "阴阳海位于新北市瑞芳区的海湾。"
