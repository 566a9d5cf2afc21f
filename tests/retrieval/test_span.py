"""The answer locator: which sentence to highlight and which phrase to mark."""

from __future__ import annotations

import pytest

from newsqa.index import normalize, tokenize
from newsqa.retrieval._span import (
    analyse,
    locate,
    place_missing,
    role_missing,
    slot_score,
    unit_missing,
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
    assert highlight == "大桥全长1200米，于2001年建成通车。"


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


_ARTICLE = "扬中市妇联主席耿晓晴介绍，全市已建成妇女微家70余家，共有执委320人。"


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("扬中建成了多少家妇女微家？", False),
        ("扬中妇联有多少名执委？", False),  # 320人: 人 counts people, as 名 does
        ("美都华庭小区住着多少户居民？", True),  # no number of 户
        ("扬中妇联主席是谁？", False),  # asks for no unit
        ("微家建设一共投入了多少钱？", True),  # no sum of money
        ("扬中妇联是哪一年成立的？", True),  # no year
        ("扬中妇联是哪一天换届的？", True),  # no day
        ("扬中妇联有多少名院士？", True),  # numbers of people, but none of 院士
        ("扬中妇联有多少名执委参加？", False),  # the counted noun is 执委, not 参加
        ("扬中妇联的热线电话是多少？", True),  # no telephone number
        ("妇女微家设在扬中哪个村？", True),  # no village named
    ],
)
def test_unit_missing_needs_the_unit_the_answer_comes_in(question: str, missing: bool) -> None:
    assert unit_missing(normalize(question), normalize(_ARTICLE)) is missing


def test_unit_missing_finds_money_years_and_days() -> None:
    text = normalize("2019年3月8日，工坊投资120万元建成，每天18点关门。")
    for question in ("总投资是多少？", "是哪一年建成的？", "是哪一天建成的？", "每天几点关门？"):
        assert not unit_missing(normalize(question), text), question


def test_slot_score_rewards_the_asked_phrase_where_the_question_puts_it() -> None:
    text = normalize(_ARTICLE)
    named = slot_score(normalize("扬中市妇联主席是谁？"), text)
    missing = slot_score(normalize("扬中市妇联副秘书长是谁？"), text)
    assert named >= 1.2  # 耿晓晴, right after 妇联主席
    assert 0 < missing < named  # a person, but not where the question puts one
    assert slot_score(normalize("介绍一下扬中妇联"), text) == 0.0  # no asked type


def test_unit_missing_accepts_a_named_village_not_a_common_word() -> None:
    question = normalize("工坊在天荒坪镇哪个村？")
    assert unit_missing(question, normalize("她带着5名同村姐妹在天荒坪镇起步。"))
    assert not unit_missing(question, normalize("工坊位于天荒坪镇大溪村。"))


def test_a_role_question_asks_for_a_person() -> None:
    assert analyse(normalize("沧州市妇联的主席叫什么名字？")).kind == "person"
    assert analyse(normalize("那幅刺绣作品叫什么名字？")).kind == "what"  # no office


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("扬中市妇联主席是谁？", False),
        ("扬中市妇联现任主席叫什么名字？", False),  # 现任 is not part of the office
        ("扬中市妇联副主席是谁？", True),  # only the 主席 is named
        ("扬中市妇联秘书长是谁？", True),
        ("扬中妇联建了多少家微家？", False),  # asks for no office holder
    ],
)
def test_role_missing_needs_the_asked_office(question: str, missing: bool) -> None:
    assert role_missing(normalize(question), normalize(_ARTICLE)) is missing


def test_a_vice_chair_question_is_not_anchored_at_the_chair() -> None:
    text = normalize(_ARTICLE)
    chair = slot_score(normalize("扬中市妇联主席是谁？"), text)
    vice = slot_score(normalize("扬中市妇联副主席是谁？"), text)
    assert chair >= 1.2 > vice


def test_byline_names_and_datelines_answer_nothing() -> None:
    text = normalize("中国妇女报全媒体记者吴军华/李青雯 发自宁德 近日，宁德市妇联举办活动。")
    assert slot_score(normalize("宁德市妇联主席是谁？"), text) == 0.0
    _, answer = _ask("宁德市妇联主席是谁？", text)
    assert answer is None


def test_place_missing_reads_the_places_the_question_names() -> None:
    text = normalize("近日，哈尔滨市妇联开通维权热线。")
    assert not place_missing(normalize("哈尔滨市妇联开通了什么热线？"), text)
    assert not place_missing(normalize("哈尔滨妇联开通了什么热线？"), text)
    assert place_missing(normalize("大庆市妇联开通了什么热线？"), text)
    # a place named without its suffix (a country, 辽宁) is often named in passing
    assert not place_missing(normalize("美国哪家公司开通了维权热线？"), text)


def test_a_province_before_a_held_place_only_locates_it() -> None:
    text = normalize("福州市简称榕，也称榕城。")
    assert not place_missing(normalize("福建省福州市简称是什么？"), text)
    assert place_missing(normalize("福建省泉州市简称是什么？"), text)
    # a region is named by its name: 香港 for 香港地区
    question = normalize("香港地区的哪位演员主演了这部剧？")
    assert not place_missing(question, normalize("香港演员主演。"))


def test_a_share_asks_for_a_percentage_not_a_count() -> None:
    question = normalize("电商从业者中女性占了多大比例？")
    assert not unit_missing(question, normalize("其中女性占比达到70%。"))
    assert not unit_missing(question, normalize("女性约占三分之二。"))
    assert unit_missing(question, normalize("全县有电商从业者1200人。"))


def test_a_telephone_question_asks_for_its_digits() -> None:
    question = normalize("遇到家暴可以拨打哪个号码求助？")
    assert analyse(question).kind == "number"
    assert not unit_missing(question, normalize("可拨打12338维权热线求助。"))
    assert unit_missing(question, normalize("可拨打维权热线求助。"))
    assert slot_score(question, normalize("可拨打12338维权热线求助。")) >= 1.2


def test_the_counted_noun_must_stand_with_the_number() -> None:
    question = normalize("妈妈课堂一共有多少名讲师？")
    # 40多名 counts the learners; the 讲师 are named in another sentence
    assert unit_missing(question, normalize("课堂培训了40多名学员。讲师来自州医院。"))
    assert not unit_missing(question, normalize("课堂共有12名讲师，培训了40多名学员。"))


def test_a_named_venue_is_needed_for_which_hotel() -> None:
    question = normalize("大会在成都哪家酒店举行？")
    assert unit_missing(question, normalize("首届大会在成都举行，200余人参会。"))
    assert not unit_missing(question, normalize("首届大会在成都锦江宾馆举行。"))


def test_a_verb_tagged_as_a_noun_is_not_the_counted_noun() -> None:
    # jieba tags 参赛 as a noun: the text must hold one of 女选手 / 参赛 with the number
    question = normalize("大赛有多少名女选手参赛？")
    assert not unit_missing(question, normalize("来自4个县的216名女选手同台竞技。"))
    assert unit_missing(question, normalize("来自4个县的216名评委到场。"))


def test_a_name_ending_in_an_ordinal_is_a_named_venue() -> None:
    question = normalize("联盟由哪家医院和区妇联共同发起？")
    assert not unit_missing(question, normalize("联盟由苏州大学附属第一医院和区妇联共同发起。"))
    assert unit_missing(question, normalize("联盟由同一医院的医生发起。"))
