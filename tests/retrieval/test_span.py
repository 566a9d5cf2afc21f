"""What a question asks for and the checks read off it: types, slots, units, offices, places."""

from __future__ import annotations

import pytest

from newsqa.index import normalize, tokenize
from newsqa.retrieval._highlight import locate
from newsqa.retrieval._span import (
    analyse,
    place_missing,
    role_missing,
    slot_score,
    unit_missing,
)


def _ask(question: str, text: str) -> tuple[str, str | None]:
    qnorm = normalize(question)
    idf = {t: 3.0 for t in tokenize(qnorm, normalized=True)}
    (start, end), answer = locate(qnorm, text, idf)
    return text[start:end], (text[answer[0] : answer[1]] if answer else None)


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


def test_place_missing_reads_a_province_run_into_its_city() -> None:
    # jieba reads 辽宁大连 as one place and leaves 市 to 市妇联
    question = normalize("辽宁大连市妇联开通的维权热线是哪个号码？")
    assert place_missing(question, normalize("近日，哈尔滨市妇联开通维权热线。"))
    assert not place_missing(question, normalize("近日，大连市妇联开通维权热线。"))
    assert not place_missing(question, normalize("辽宁大连妇联开通维权热线。"))


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
