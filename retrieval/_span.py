"""What a question asks for, and the phrase in a sentence that answers it.

Pure functions of the question and a text (no index, no model); which sentence of a
hit holds the answer is for :mod:`._highlight` (:func:`~._highlight.locate`) to say.
This module

1. reads the *answer type* off the question's interrogative: a person (谁, 哪位), a
   number (多少, 几 + measure word, 多大), a date or time (何时, 哪一年, 什么时候), a
   place (哪里, 哪个国家), a title (哪部, 什么作品) or, for 什么 / 哪个 / 哪 and the
   like, a phrase of any kind;
2. finds a sentence's candidate phrases (numbers, dates, quantities with their measure
   word, 《titles》, quotations, and jieba's person / place / organisation names);
3. in the sentence :mod:`._highlight` chose, picks the candidate (:func:`_phrase`) that
   fits the type and stands where the question's own context puts it: the words just
   before and after the interrogative in the question are looked up in the sentence,
   and the answer is what lies between them.

The same reading of the question checks a hit for the verdict: :func:`slot_score`
(how well a text fills the asked slot next to the question's words) and
:func:`unit_missing` (a 多少户 question over a text with no number of 户).

Spans index the *original* text; matching happens on the normalised form
(:func:`newsqa.index.normalize`), mapped back character by character.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from newsqa.index import normalize, pos_tag, split_sentences

__all__ = ["analyse", "place_missing", "role_missing", "slot_score", "unit_missing"]

Span = tuple[int, int]

_CN = "零〇一二两三四五六七八九十百千万亿"
_NUM = rf"(?:\d+(?:[.,]\d+)*|[{_CN}]+)"
_UNITS = sorted(
    (
        "个 人 名 位 岁 天 次 种 座 条 部 本 家 件 只 头 匹 米 千米 公里 平方公里 平方米 "
        "平方千米 公顷 亩 吨 公斤 千克 克 元 美元 亿元 万元 英镑 欧元 港元 日元 台币 新台币 "
        "倍 % 度 分 秒 小时 分钟 周 届 场 集 首 张 层 所 支 辆 艘 架 颗 项 款 队 英里 英尺 "
        "厘米 毫米 升 毫升 公升 章 卷 册 代 世 岁 年 个月 多 余 万 亿 千 百 万人 亿人 光年 "
        "千瓦 瓦 伏 赫兹 节 话 季 期 届 轮 局 分钟 位数 级 等 门 例 户 幅 篇 句 字 票 枚 "
        "尊 株 棵 种 类 国 省 州 县 市 区 岛 城 間 间 栋 趟 遍 回 批 群 对 双 套"
    ).split(),
    key=len,
    reverse=True,
)
_UNIT = "|".join(re.escape(u) for u in dict.fromkeys(_UNITS))
_DATE = re.compile(
    rf"(?:公元前?|西元前?)?{_NUM}(?:年代|世纪(?:{_NUM}年代)?|年(?:{_NUM}月(?:{_NUM}[日号]|初[{_CN}]{{1,2}})?)?)"
    rf"|{_NUM}月(?:{_NUM}[日号]|初[{_CN}]{{1,2}})?|{_NUM}[日号]"
)
_TITLE = re.compile(r"《[^《》]{1,40}》")
_RANGE = re.compile(r"\s*(?:至|到|[-－–—~～]{1,2})\s*")
_QUOTE = re.compile(r"[“「『\"]([^“”「」『』\"]{1,30})[”」』\"]")
_PUNCT = re.compile(r"[\s,，、。;；:：!！?？()（）\[\]【】“”「」『』\"'·]+")

_PERSON = re.compile(r"谁|哪位|哪一位|何人|什么人|哪个人|哪些人|哪名|哪一名")
_DATE_Q = re.compile(
    r"哪一?年|哪一?天|何时|何年|何日|什么时候|什么时间|什么时期|几月|几号|几日|几时|"
    r"哪个月|哪一?个?年代|哪个世纪|几世纪|哪个时期|什么年代|哪一?个?朝代|哪个时代|"
    r"什么日子|哪个日期|哪一?日"
)
_PLACE_Q = re.compile(
    r"哪里|哪儿|何处|何地|什么地方|哪个地方|哪一?个?国家|哪国|哪一?个?城市|哪座城市|"
    r"哪一?个?省|哪一?个?地区|哪座|在哪|哪一?个?州|哪一?个?县|哪一?个?市|哪一?个?岛|"
    r"什么国家|什么城市|什么地区"
)
_ORG_Q = re.compile(r"哪一?个?公司|哪一?家|哪一?个?组织|哪一?个?机构|哪一?所|哪一?个?大学|哪一?支")
_TITLE_Q = re.compile(r"哪一?部|哪一?本|哪一?首|什么作品|什么歌|什么书|哪一?篇|什么电影|哪张专辑")
_NUMBER_Q = re.compile(
    rf"(多少|(?<![为是])几(?![乎何])|多大|多长|多高|多远|多重|多深|多宽|多久|第几)({_UNIT})?"
)
_PHONE_Q = re.compile(r"(?:哪一?个|什么)(?=(?:电话|手机|热线|求助|服务|咨询)?(?:号码|电话|热线))")
"""哪个号码 / 什么电话: the answer is a number (digits), not a "what"."""
_ROLE = (
    r"(?:首任|现任|新任|前任|原)?"
    r"((?:副|常务|执行|名誉)?"
    r"(?:主席|主任|书记|秘书长|理事长|会长|团长|队长|组长|社长|院长|校长|局长|部长|厅长|处长|"
    r"科长|市长|县长|省长|区长|镇长|乡长|村长|站长|所长|馆长|行长|台长|董事长|总裁|总经理|"
    r"经理|厂长|负责人|创始人|创办人|发起人|带头人|主编|总编辑|教练|领队|发言人))"
)
"""A role or office a person holds: a question about one asks for a name."""
_NAME_Q = re.compile(rf"{_ROLE}的?(?:名字)?(?:叫|是)(?P<wh>什么名字|什么|何名)")
"""A role followed by 叫什么名字 / 叫什么 / 是什么: a person question ("主席叫什么名字")."""
_ROLE_Q = re.compile(rf"{_ROLE}的?(?:名字)?(?:是|为|叫)?(?:谁|哪位|哪一位|何人|什么名字|什么|何名)")
"""A question for the holder of a role; group 1 is the role ("副主席", not "现任")."""
_MODIFIERS = ("常务", "执行", "名誉", "副")
"""What makes another office of the same title (a 副主席 is not the 主席)."""
_CREDIT = re.compile(
    r"(?:记者|通讯员|实习生|撰稿人?|摄影|编辑)[\u4e00-\u9fff·/、 ]{2,24}?(?= |发自|$)"
    r"|发自[\u4e00-\u9fff]{2,8}"
    r"|[（(][^（）()]{1,24}摄[)）]"
    r"|[\u4e00-\u9fff]{2,4}/?摄(?= |$)"
)
"""Bylines, datelines and photo credits: their names and places answer no question."""
_WHAT_Q = re.compile(
    r"什么|哪些|哪个|哪一?种|哪一?项|哪一?类|哪一|哪|何种|(?<![如为任])何(?![以况])"
)

_ORG_END = "局部厅署院校会社团队所司行馆台报厂处委党军"
_STRIP = "的是了为在和与及而于由被将把对从向就也都并以其之这那该"
_KINDS = ("date", "person", "place", "org", "title", "number")
_POS_KIND = {
    "nr": "person",
    "nrt": "person",
    "nrfg": "person",
    "ns": "place",
    "nt": "org",
    "nz": "name",
}


@dataclass(frozen=True, slots=True)
class _Question:
    kind: str
    """One of _KINDS, or "what" (any phrase), or "" (no interrogative found)."""
    wh: Span
    """The interrogative phrase in the question."""
    measure: str
    """The measure word after 多少 / 几 (``number`` only)."""


@lru_cache(maxsize=256)
def analyse(question: str) -> _Question:
    """The asked type of a normalised question, its interrogative and measure word."""
    for kind, pattern in (
        ("date", _DATE_Q),
        ("person", _PERSON),
        ("place", _PLACE_Q),
        ("org", _ORG_Q),
        ("title", _TITLE_Q),
    ):
        m = pattern.search(question)
        if m:
            return _Question(kind, m.span(), "")
        if kind == "person":
            m = _NAME_Q.search(question)
            if m:
                return _Question(kind, m.span("wh"), "")
    m = _PHONE_Q.search(question)
    if m:
        return _Question("number", m.span(), "")
    m = _NUMBER_Q.search(question)
    if m:
        return _Question("number", m.span(), m.group(2) or "")
    m = _WHAT_Q.search(question)
    if m:
        return _Question("what", m.span(), "")
    return _Question("", (len(question), len(question)), "")


def _mapped(text: str) -> tuple[str, list[int]]:
    """The normalised text and, per normalised character, its original character."""
    norm = normalize(text)
    if len(norm) == len(text):
        return norm, list(range(len(text)))
    parts = [normalize(c) for c in text]
    owner = [i for i, p in enumerate(parts) for _ in p]
    return "".join(parts), owner


def _occurrences(sentence: str, idf: Mapping[str, float]) -> list[tuple[int, int, float]]:
    out = []
    for term, weight in idf.items():
        pos = sentence.find(term)
        while pos >= 0:
            out.append((pos, pos + len(term), weight))
            pos = sentence.find(term, pos + 1)
    return out


@lru_cache(maxsize=512)
def _typed(sentence: str, kind: str, measure: str) -> tuple[tuple[int, int, str], ...]:
    """Candidate phrases of ``sentence``: ``(start, end, kind)``.

    Cached: the top hit's sentences are read both by :func:`locate` and by
    :func:`slot_score`, and jieba's tagger is the cost.
    """
    out: list[tuple[int, int, str]] = []
    for m in _DATE.finditer(sentence):
        if out and _RANGE.fullmatch(sentence, out[-1][1], m.start()):  # 10月2日至4日: one
            out[-1] = (out[-1][0], m.end(), "date")
        else:
            out.append((m.start(), m.end(), "date"))
    unit = f"{re.escape(measure)}|{_UNIT}" if measure else _UNIT
    for m in re.finditer(rf"(?:约|大约|近|超过|逾|共|达)?{_NUM}(?:多|余)?(?:{unit})?", sentence):
        if m.end() - m.start() >= 1 and not any(s <= m.start() < e for s, e, _ in out):
            out.append((m.start(), m.end(), "number"))
    for m in _TITLE.finditer(sentence):
        out.append((m.start(), m.end(), "title"))
    for m in _QUOTE.finditer(sentence):
        out.append((m.start(1), m.end(1), "quote"))
    if kind in ("person", "place", "org", "what", "title"):
        pos = 0
        run: tuple[int, int, str] | None = None
        for word, flag in pos_tag(sentence):
            k = _POS_KIND.get(flag)
            end = pos + len(word)
            if k is not None and run is not None and run[2] == k and run[1] == pos:
                run = (run[0], end, k)
            elif (run is not None and run[2] == "person" and run[1] == pos and word == "·") or (
                run is not None
                and run[2] == "person"
                and sentence[run[1] - 1] == "·"
                and flag != "x"
            ):
                run = (run[0], end, "person")
            elif (
                run is not None
                and run[2] in ("place", "org")
                and run[1] == pos
                and (k in ("place", "org") or (flag.startswith("n") and word[-1] in _ORG_END))
            ):  # 武汉 + 铁路局, 香港 + 中文大学: one organisation
                run = (run[0], end, "org")
            else:
                if run is not None:
                    out.append(run)
                run = (pos, end, k) if k is not None else None
            pos = end
        if run is not None:
            out.append(run)
    credits = [m.span() for m in _CREDIT.finditer(sentence)]
    if credits:
        out = [c for c in out if not any(a <= c[0] < b for a, b in credits)]
    return tuple(_whole_name(sentence, c) for c in out)


def _whole_name(sentence: str, cand: tuple[int, int, str]) -> tuple[int, int, str]:
    """A lone surname (the dictionary split "潘月娥" into 潘 / 月 / 娥) completed by
    jieba's guess for unknown words, run on the few characters after it only."""
    start, end, kind = cand
    if kind != "person" or end - start != 1:
        return cand
    words = pos_tag(sentence[start : start + 4], hmm=True)
    if words and words[0][1].startswith("nr") and 2 <= len(words[0][0]) <= 3:
        return start, start + len(words[0][0]), kind
    return cand


def _fits(cand_kind: str, kind: str) -> float:
    if cand_kind == kind:
        return 1.0
    if kind == "place" and cand_kind in ("org", "name"):
        return 0.5
    if kind == "org" and cand_kind in ("place", "name"):
        return 0.5
    if kind == "person" and cand_kind == "name":
        return 0.5
    if kind == "title" and cand_kind in ("quote", "name"):
        return 0.6
    if kind == "number" and cand_kind == "date":
        return 0.3
    if kind == "what" and cand_kind in ("title", "quote", "name", "person", "place", "org"):
        return 0.4
    return 0.0


def _modifier(text: str, end: int) -> str:
    """The office modifier (:data:`_MODIFIERS`) ending at ``end`` in ``text``, or ""."""
    return next((m for m in _MODIFIERS if text.endswith(m, 0, end)), "")


def _left_anchor(left: str, sentence: str) -> tuple[int, int] | None:
    """``(length, end)`` of the longest tail of ``left`` in ``sentence`` (its last
    occurrence), or ``None``. A tail that is an office named without the question's
    modifier (主席 for 副主席), or found inside another office (副主席 for 主席), does
    not count."""
    for n in range(min(len(left), 12), 1, -1):
        tail = left[-n:]
        want = _modifier(left, len(left) - n)
        pos = sentence.rfind(tail)
        while pos >= 0:
            if _modifier(sentence, pos) == want:
                return n, pos + n
            pos = sentence.rfind(tail, 0, pos + n - 1)
    return None


def _anchors(question: str, wh: Span, sentence: str) -> tuple[int | None, int | None]:
    """Where the question's context around the interrogative sits in ``sentence``.

    ``(end of the longest tail of the words before it, start of the longest head of
    the words after it)``, each ``None`` when no two-character piece of it occurs. A
    copula just before the interrogative may be left out: "主席是谁" is anchored after
    主席 in "主席耿晓晴".
    """
    left = _PUNCT.sub("", question[: wh[0]])
    right = _PUNCT.sub("", question[wh[1] :])
    found = _left_anchor(left, sentence)
    if left[-1:] in ("是", "为") and len(left) > 2:
        bare = _left_anchor(left[:-1], sentence)
        if bare is not None and (found is None or bare[0] >= found[0]):
            found = bare
    left_end = found[1] if found is not None else None
    right_start: int | None = None
    start_from = left_end or 0
    for skip in range(min(len(right), 8)):
        piece = right[skip:]
        for n in range(min(len(piece), 12), 1, -1):
            pos = sentence.find(piece[:n], start_from)
            if pos >= 0:
                right_start = pos
                break
        if right_start is not None:
            break
    return left_end, right_start


def _anchor_bonus(start: int, end: int, left_end: int | None, right_start: int | None) -> float:
    """How closely a candidate phrase ``[start, end)`` sits where the question's context
    words put the answer: up to 0.6 for each side, less with each character between."""
    bonus = 0.0
    if left_end is not None and 0 <= start - left_end <= 6:
        bonus += 0.6 - 0.05 * (start - left_end)
    if right_start is not None and 0 <= right_start - end <= 6:
        bonus += 0.6 - 0.05 * (right_start - end)
    return bonus


def slot_score(question: str, text: str) -> float:
    """How well ``text`` fills the slot a typed question asks for (0 when untyped).

    The best phrase of the asked type (:func:`analyse`; a person for 谁, a number for
    多少, ...) over the sentences of ``text``, scored by how well it fits the type (1 for
    an exact fit) plus how closely the question's own words frame it
    (:func:`_anchors`: up to 0.6 per side). A text that names the asked thing next to
    the question's words scores 1.2 or more; one that only holds some phrase of the
    type, 1; a near miss (the right article without the asked fact) rarely more.
    Both strings are normalised.
    """
    q = analyse(question)
    if q.kind not in _KINDS:
        return 0.0
    qflat = _PUNCT.sub("", question)
    wh = q.wh
    best = 0.0
    for a, b in split_sentences(text) or [(0, len(text))]:
        sentence = text[a:b]
        left_end, right_start = _anchors(question, wh, sentence)
        for start, end, ckind in _typed(sentence, q.kind, q.measure):
            fit = _fits(ckind, q.kind)
            if fit > 0 and sentence[start:end] not in qflat:
                best = max(best, fit + _anchor_bonus(start, end, left_end, right_start))
    return best


_MEASURE_KIN = ("名人位", "个家所座处", "次场期届")
"""Measure words that count the same things (people; units and places; events)."""

_MONEY_Q = re.compile(
    r"钱|投资|销售额|营业额|利润|资金|经费|收入|产值|月薪|工资|薪资|奖金|价格|价钱|融资|票价|"
    r"费用|预算|补贴|罚款"
)
_RATIO_Q = re.compile(r"比例|比重|占比|比率|百分比|百分之几|几成")
"""A question for a share: its answer is a percentage or a fraction, not a count."""
_MONEY = re.compile(rf"{_NUM}(?:多|余)?(?:万|亿|千|百)?(?:元|美元|欧元|英镑|港元|日元|块)")
_ASKED_UNIT = (  # (the question asks for ..., a text that holds one has ...)
    (re.compile(r"哪一?年|何年|什么年份"), re.compile(rf"{_NUM}年")),
    (re.compile(r"哪一?天|哪一?日|几月几[日号]|几号|何日|什么日子"), re.compile(rf"{_NUM}[日号]")),
    (re.compile(r"几点"), re.compile(rf"{_NUM}[点时]")),
    (  # a share: a percentage or a fraction (占比达到70%, 三分之一, 七成)
        _RATIO_Q,
        re.compile(rf"%|百分之|分之|{_NUM}成"),
    ),
    (  # a telephone number: three or more digits that count nothing (not 320人)
        re.compile(r"电话|热线|号码|手机号"),
        re.compile(r"\d{3,}(?![\d.]|[万亿千百]|[人名位个家所座处元年月日号次场户份米岁])"),
    ),
)


_SUBPLACE_Q = re.compile(r"哪一?个?(村|镇|乡|街道|社区|小区|区)")
"""A question for a place of a named level ("在天荒坪镇哪个村")."""
_HEADS = {
    "酒店": "酒店|宾馆|饭店",
    "宾馆": "酒店|宾馆|饭店",
    "医院": "医院",
    "学校": "学校|中学|小学|大学|学院",
    "大学": "大学|学院",
    "场馆": "馆|中心|体育场|剧院",
    "会场": "会场|礼堂|中心|广场|会堂|厅",
    "公司": "公司|集团",
    "银行": "银行",
    "广场": "广场",
    "剧院": "剧院|剧场",
    "博物馆": "博物馆",
    "图书馆": "图书馆",
    "公园": "公园",
}
"""What the name asked by "哪家酒店" / "哪个场馆" ends in (XX宾馆, XX体育中心)."""
_HEAD_Q = re.compile(
    rf"哪一?(?:个|家|所|座|间|处)?({'|'.join(sorted(_HEADS, key=len, reverse=True))})"
)
_NOT_NAME = "同本全各每该此邻外进驻两三多一"
"""Characters before 村 / 镇 that make a common word (同村, 全镇), not a name."""
_ORDINAL = re.compile(r"第[一二三四五六七八九十]+$")
"""A name ending in an ordinal (苏州大学附属第一医院), not a common word (同一医院)."""
_STOP_FLAGS = ("v", "p", "u", "d", "c", "r", "y", "f")


def _counted(question: str, end: int) -> tuple[str, ...]:
    """The nouns a 多少 / 几 question counts: the nouns of the words after its measure
    word, up to the first verb after one ("多少名院士" -> 院士, "多少名学生参加" ->
    学生, "多少家妇女微家" -> 妇女, 微家), or none. Several, because jieba tags some
    verbs as nouns ("多少名女选手参赛": 参赛); the text must hold one of them."""
    nouns: list[str] = []
    for word, flag in pos_tag(question[end:]):
        if flag.startswith("x"):
            break
        if flag.startswith("n") or flag == "vn":
            nouns.append(word)
        elif nouns and (flag.startswith(_STOP_FLAGS) and flag != "vn"):
            break
    return tuple(n for n in nouns if len(n) >= 2)


def unit_missing(question: str, text: str) -> bool:
    """Whether ``text`` lacks the unit the question's answer must come in.

    A 多少 / 几 question's measure word after a number ("有多少户居民" over a text with
    no "N户"; a kindred measure word counts, such as 人 for 名) and the thing it counts,
    in one sentence with such a number ("多少名院士" over a text that never says 院士,
    or says it apart from every "N名"), a percentage or a fraction for a share (多大比例,
    占比), a sum of money for "多少钱" / "总投资是多少" / "销售额有多少", a year for
    哪一年, a day for 哪一天, an hour for 几点, a telephone number for 电话 / 热线, a
    named village for 哪个村 (a town for 哪个镇, ...), a name ending in the asked kind for
    哪家酒店 / 哪个场馆 (XX宾馆): a text without it cannot answer. False when the
    question asks for none of these. Both strings normalised.
    """
    q = analyse(question)
    measured = _measured(q.measure) if q.kind == "number" and q.measure not in ("", "多") else None
    if measured is not None and measured.search(text) is None:
        return True
    if q.kind == "number" and _RATIO_Q.search(question) is None and not _PHONE_Q.search(question):
        nouns = _counted(question, q.wh[1])
        held = [c for c in nouns if c in text]
        if nouns and not any(
            measured is None or _counted_together(text, measured, c) for c in held
        ):
            return True
    money = q.kind == "number" and not q.measure and _MONEY_Q.search(question) is not None
    if money and _MONEY.search(text) is None:
        return True
    m = _SUBPLACE_Q.search(question)
    if m is not None:
        level = m.group(1)
        names = re.finditer(rf"[\u4e00-\u9fff]{{2,6}}?(?={level})", text)
        if not any(
            n.group()[-1] not in _NOT_NAME and n.group() + level not in question for n in names
        ):
            return True
    m = _HEAD_Q.search(question)
    if m is not None:
        names = re.finditer(rf"([\u4e00-\u9fffa-z0-9]{{2,10}}?)(?:{_HEADS[m.group(1)]})", text)
        if not any(
            n.group(1)[0] not in _NOT_NAME
            and (n.group(1)[-1] not in _NOT_NAME or _ORDINAL.search(n.group(1)) is not None)
            and n.group() not in question
            for n in names
        ):
            return True
    return any(
        asked.search(question) is not None and held.search(text) is None
        for asked, held in _ASKED_UNIT
    )


@lru_cache(maxsize=64)
def _measured(measure: str) -> re.Pattern[str]:
    """A number with ``measure`` or a measure word counting the same things
    (:data:`_MEASURE_KIN`: 人 for 名)."""
    kin = {measure}.union(*(set(g) for g in _MEASURE_KIN if measure in g))
    units = "|".join(re.escape(m) for m in sorted(kin, key=len, reverse=True))
    return re.compile(rf"{_NUM}(?:多|余)?(?:{units})")


def _counted_together(text: str, measured: re.Pattern[str], counted: str) -> bool:
    """Whether one sentence of ``text`` holds both a ``measured`` number and the counted
    noun: "40多名80后" and "讲师" in sentences of their own count different things."""
    for a, b in split_sentences(text) or [(0, len(text))]:
        sentence = text[a:b]
        if counted in sentence and measured.search(sentence) is not None:
            return True
    return False


def role_missing(question: str, text: str) -> bool:
    """Whether ``text`` never names the office whose holder the question asks for.

    "扬中市妇联副主席是谁" over a text naming only the 主席, "秘书长叫什么名字" over one
    naming no 秘书长: a name found there belongs to someone else. False when the
    question asks for no holder of an office. Both strings normalised.
    """
    m = _ROLE_Q.search(question)
    return m is not None and m.group(1) not in text


_ADMIN_END = re.compile(r"(?:自治区|自治州|地区|省|市|县|区|州|镇|乡|村|街道)$")
_PROVINCE_END = re.compile(r"(?:省|自治区)$")
_SUFFIX_START = re.compile(r"^[省市县区州镇乡村]")
_PROVINCE_START = re.compile(
    "^(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南"
    "|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆)"
)
"""A province-level name at the start of a place jieba read as one word (辽宁大连)."""


def _named_places(question: str) -> list[str]:
    """The places ``question`` names with an administrative suffix (大连市, 湖里区).

    jieba sometimes reads a province and a city as one place and leaves the suffix to
    the next word ("辽宁大连" + "市妇联"): the suffix is put back (辽宁大连市). Only
    after a province's name: other words run into a suffix are not places (大洋 + 区,
    海宁 + 市民).
    """
    tags = list(pos_tag(question))
    out = []
    for i, (word, flag) in enumerate(tags):
        if flag != "ns":
            continue
        if _PROVINCE_START.match(word) and not _ADMIN_END.search(word) and i + 1 < len(tags):
            m = _SUFFIX_START.match(tags[i + 1][0])
            word += m.group(0) if m else ""
        if len(word) >= 3 and _ADMIN_END.search(word):
            out.append(word)
    return out


def place_missing(question: str, text: str) -> bool:
    """Whether a province, city, county, district, town or village the question names
    (jieba's ``ns`` with its administrative suffix: 大连市, 湖里区) is absent from
    ``text``, the suffix aside (大连 for 大连市): a hit about another city's 妇联 does not
    answer. Places named without a suffix (美国, 辽宁) are left out: a question names
    them in passing far more often (on 10% of the right WebQA hits, against 0.5% for
    suffixed ones). A province named beside another place that the text holds
    ("福建省福州市的简称") only says where that place is, and a region (香港地区) is
    named by its name. Both strings normalised."""
    places = _named_places(question)
    held = [_place_held(word, text) for word in places]
    for word, found in zip(places, held, strict=True):
        if not found and not (_PROVINCE_END.search(word) and any(held)):
            return True
    return False


def _place_held(word: str, text: str) -> bool:
    core = _ADMIN_END.sub("", word)
    rest = _PROVINCE_START.sub("", core)  # 大连 for 辽宁大连市
    return word in text or any(len(c) >= 2 and c in text for c in {core, rest})


def _trim(sentence: str, start: int, end: int) -> Span:
    while start < end and (
        sentence[start] in _STRIP or not sentence[start].strip() or _PUNCT.match(sentence[start])
    ):
        start += 1
    while end > start and (sentence[end - 1] in _STRIP or _PUNCT.match(sentence[end - 1])):
        end -= 1
    return start, end


def _phrase(question: str, q: _Question, sentence: str, idf: Mapping[str, float]) -> Span | None:
    """The answer phrase in ``sentence`` (offsets into it), or ``None``."""
    if not q.kind:
        return None
    qflat = _PUNCT.sub("", question)
    left_end, right_start = _anchors(question, q.wh, sentence)
    occ = _occurrences(sentence, idf)
    units = set(_UNITS) | {q.measure}
    solid = [(s, e) for s, e, _ in occ if sentence[s:e] not in units]
    best: Span | None = None
    best_score = 0.0
    for start, end, ckind in _typed(sentence, q.kind, q.measure):
        fit = _fits(ckind, q.kind)
        if fit <= 0:
            continue
        text = sentence[start:end]
        if text in qflat:
            continue  # the question's own words are not its answer...
        if ckind != "person" and any(s < end and start < e for s, e in solid):
            continue  # ...nor is a phrase built on them (a name may share a part: 潘月娥)
        score = fit + _anchor_bonus(start, end, left_end, right_start)
        near = sum(w / (1 + min(abs(start - e), abs(s - end)) / 8) for s, e, w in occ)
        score += 0.1 * near
        if score > best_score:
            best, best_score = (start, end), score
    aligned = _aligned(sentence, left_end, right_start, qflat)
    if (
        q.kind == "what"
        and aligned is not None
        and left_end is not None
        and right_start is not None
    ):
        return aligned  # the question's own words frame the answer
    if best is not None and (q.kind != "what" or best_score >= 1.0):
        return best
    return aligned or best


def _aligned(
    sentence: str, left_end: int | None, right_start: int | None, qflat: str
) -> Span | None:
    """What lies between the question's context words in ``sentence``, trimmed."""
    if left_end is None and right_start is None:
        return None
    if left_end is not None and right_start is not None and right_start > left_end:
        start, end = left_end, right_start
    elif left_end is not None:
        start, end = left_end, len(sentence)
        for stop in _PUNCT.finditer(sentence, left_end):
            if sentence[left_end : stop.start()].strip(_STRIP):
                end = stop.start()
                break
            left_end = stop.end()  # an empty clause, e.g. "（）": look past it
        start = left_end
    else:
        assert right_start is not None
        stop = None
        for m in _PUNCT.finditer(sentence, 0, right_start):
            stop = m
        start, end = (stop.end() if stop else 0), right_start
    start, end = _trim(sentence, start, end)
    if 0 < end - start <= 30 and sentence[start:end] not in qflat:
        return start, end
    return None


def _bigrams(text: str) -> set[str]:
    flat = _PUNCT.sub("", text)
    return {flat[i : i + 2] for i in range(len(flat) - 1)}
