"""Follow-up questions: a short conversation state and the resolution of a new question.

A :class:`Conversation` keeps the last few turns of one reader and decides, for each new
message, what it is (no language model, only rules over jieba's words):

* a command on the last answer: "还有吗" / "下一条" / "更多" (:meth:`Conversation.more`:
  its next hits), "换一个" / "不是这个" (the best hits from *another* article than the
  one shown), "第二条详细说说" / "详细说说第2条" (:meth:`Conversation.detail`: that hit's
  paragraph with its neighbours);
* a follow-up: it points back (它, 他们, 那里, 这个活动, 该协会, 该市, 其...) or it has no
  subject of its own and all its words are in the article being talked about ("有多少
  会员？", "主席是谁？"). It is searched *completed* with the topic of the previous turn
  (那里 → 冠县; the topic put in front of an elided question), and the previous
  article gets a bonus in the ranking (``Retriever._ask(searched=, prior=)``). It is
  first asked as written: when that alone lands, confident, in the article being talked
  about, its own wording ranks the paragraphs and it is kept (``searched`` empty);
* a question on its own: it names its own place, person, organisation or quoted thing
  that the previous article does not hold, or most of its (IDF-weighted) words are new
  to that article. It is answered exactly as :meth:`Retriever.ask` would: context never
  drags an unrelated question into the old article. (One that names only what the
  previous article holds gets a small bonus for that article, and is searched as
  written.)

What a turn was is recorded as :attr:`Turn.kind`; the completed question is
:attr:`Answer.searched <newsqa.retrieval.Answer.searched>` (empty when it was searched
as written).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from newsqa.index import content_chars, normalize, pos_tag, tokenize

from ._answer import Answer, Hit
from ._retriever import _SURROGATE, Retriever

__all__ = ["Conversation", "Turn", "TurnKind"]

logger = logging.getLogger(__name__)

TurnKind = Literal["question", "followup", "more", "another", "detail"]
"""What a turn was: a question on its own, a follow-up completed from the previous turn,
the next hits of the last answer, hits from another article, or one hit in context."""

PRIOR_BONUS = 0.4
"""Added to the fused score (about 0..2) of the article a follow-up is about."""
RELATED_BONUS = 0.2
"""The smaller bonus for a question naming only things the previous article holds."""
NOVELTY_LIMIT = 0.5
"""A question without its own name is a follow-up when at most this share of its
(IDF-weighted) words is missing from the previous article."""

ASK_AS_WRITTEN = True
"""Also ask a follow-up as written; keep that answer when it is confident and lands in
the article the conversation is about (its own wording then ranks the paragraphs)."""

_NO_CONTEXT = "没有可以接着回答的上一个问题（或已过期）：请直接提一个完整的问题。"
_NO_MORE = "上一个问题没有更多结果了。"
_NO_OTHER = "没有找到其他文章里的结果。"
_NO_RANK = "上一个回答里没有第 {rank} 条。"

# -- what a message is --------------------------------------------------------------

_NUM = r"[0-9一二两三四五六七八九十]{1,3}"
_MORE = re.compile(
    r"(还有吗|还有呢|还有没有|还有别的吗|还有其他的?吗|还有其它的?吗|下一条|下一个|"
    r"下一篇|再来一条|再来一个|再来|更多|更多结果|继续|接着说|more|next)"
)
_OTHER = re.compile(
    r"(换一个|换一条|换一篇|换个|换条|换篇|不是这个|不是这条|不是这篇|不是这个意思|"
    r"不对|不是|别的文章|其他文章|其它文章|换个文章|另一篇|另一个|another)"
)
_FILLER = r"(吧|呢|啊|呀|吗|了|，)*"
_MORE_ALL = re.compile(rf"({_MORE.pattern}{_FILLER})+")
_OTHER_ALL = re.compile(rf"({_OTHER.pattern}{_FILLER})+")
"""One or more of the phrases ("不是这个换一篇吧")."""
_DETAIL_WORDS = (
    r"(详细说说|详细讲讲|详细点|详细|具体说说|具体讲讲|具体点|展开说说|展开讲讲|展开|"
    r"全文|原文|上下文|多说点|说说)"
)
_DETAIL = (
    re.compile(rf"第?(?P<n>{_NUM})[条个篇]?(的)?{_DETAIL_WORDS}(一下)?"),
    re.compile(rf"{_DETAIL_WORDS}(一下)?(第(?P<n>{_NUM})[条个篇]?)?"),
    re.compile(rf"第(?P<n>{_NUM})[条个篇]"),
)
_DET_NOUNS = (
    "服务队|志愿队|工作室|合作社|宣讲团|联谊会|数据库|协会|联盟|组织|活动|项目|公司|企业|机构|"
    "单位|妇联|基地|车间|驿站|工坊|课堂|医院|品牌|案例|热线|大赛|比赛|会议|大会|展会|团队|队伍|"
    "学校|小学|中学|大学|社区|街道|平台|沙龙|中心|政策|计划|行动|工程|论坛|仪式|网络|小区|家庭|"
    "模式|制度|产业|女士|医生|老师|书记|主席|负责人|地方|城市|县城"
)
_ANAPHORS = re.compile(
    r"(^|[，,、。；;：:？?！!\s])(?P<pron>他们|她们|它们|他|她|它|其)(?![他中实余次间后])"
    r"|(?P<pron2>他们|她们|它们|他|她|它)(?=的)"
    r"|(?P<place>那里|这里|那儿|这儿|那边|这边|当地|该地|此地|本地)"
    r"|(?P<det>(?<![应活])该(?![怎如不死])|这个|那个|这项|那项|这条|那条|这篇|那篇|这次|那次|此次|此项|本次|"
    r"这些|那些|这家|那家|这位|那位|这支|那支|这所|那所|上述|这场|那场)"
    r"(?P<noun>" + _DET_NOUNS + r"|[\u4e00-\u9fff])"
)
"""Words that point back to the previous turn: pronouns, place words, 该/这个 + noun."""

_ADMIN = re.compile(
    r"^(?![全本该此各每])[\u4e00-\u9fff]{1,6}(省|市|县|区|州|镇|乡|村|旗|街道|社区)$"
)
_NOT_PLACES = frozenset(
    "城市 市区 县区 社区 小区 街区 园区 地区 山区 景区 农村 乡村 城乡 市县".split()
)
_QUOTED = re.compile(r"[“\"「『《【]([^”\"」』》】]{2,20})[”\"」』》】]")
_PROPER = frozenset({"ns", "nr", "nrt", "nrfg", "nt", "nz"})
_NOUNISH = frozenset({"n", "nz", "nt", "ns", "nr", "nrt", "nrfg", "j", "b", "vn", "an", "l"})
_ROLES = frozenset(
    "主席 副主席 会长 副会长 名誉会长 理事长 书记 主任 负责人 创办人 名字 人数 数量 成员 会员 "
    "理事 员工 工作 理念 时间 地点 口号".split()
)
"""Nouns a question asks about, not part of the name it is about ("冠县妇联|主席")."""
_NAMEISH = re.compile(r"[\u4e00-\u9fff·]{2,12}")
"""An answer phrase that can stand for "它"/"她": a short name, no digits or punctuation."""
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True, slots=True)
class Turn:
    """One answered message of a conversation."""

    question: str
    answer: Answer
    at: float
    """``clock()`` time it was answered."""
    kind: TurnKind = "question"
    searched: str = ""
    """The question as searched when it was completed from an earlier turn (else empty)."""


@dataclass(slots=True)
class _Thread:
    """The last searched question: what "还有吗", "换一个" and "第二条" act on."""

    question: str
    searched: str | None
    prior: dict[str, float]
    confident: bool
    shown: list[Hit]
    exclude: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Topic:
    """What the conversation is about: the article shown and the name it goes by."""

    entity: str
    article_id: str
    title: str
    words: set[str] | None = None
    """The previous article's tokens (fetched when first needed)."""
    text: str = ""
    """The previous article's normalised text (fetched with ``words``)."""
    answer: str = ""
    """The phrase the previous answer gave (a name, an organisation), when one was marked."""


class Conversation:
    """One reader's conversation with the archive (one per chat, per user in groups).

    >>> chat = Conversation(retriever)
    >>> chat.ask("冠县成立了什么行业的妇联？")
    >>> chat.ask("那里的妇联主席是谁？")   # searched as "冠县的妇联主席是谁？"

    ``ask`` answers a question in the context of the previous turns when it needs it
    (pronouns, elided subjects, "还有吗", "换一个", "第二条详细说说"); a question that
    stands on its own is answered on its own. The state expires ``ttl_s`` seconds
    after the last turn; :meth:`reset` clears it. ``ttl_s`` and ``max_turns`` default to
    the retriever's ``retrieval.conversation_ttl_s`` and ``retrieval.conversation_turns``.
    Not thread-safe: one per reader.
    """

    def __init__(
        self,
        retriever: Retriever,
        *,
        ttl_s: float | None = None,
        max_turns: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        cfg = getattr(getattr(retriever, "_config", None), "retrieval", None)
        self._retriever = retriever
        self._ttl_s = float(
            ttl_s if ttl_s is not None else getattr(cfg, "conversation_ttl_s", 600.0)
        )
        self._max_turns = max(
            1, int(max_turns if max_turns is not None else getattr(cfg, "conversation_turns", 4))
        )
        self._clock = clock
        self._turns: list[Turn] = []
        self._thread: _Thread | None = None
        self._topic: _Topic | None = None

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The live turns, oldest first (empty once expired or reset)."""
        self._expire()
        return tuple(self._turns)

    def reset(self) -> None:
        """Forget the conversation (``/new``)."""
        self._turns.clear()
        self._thread = None
        self._topic = None

    # -- the public moves -----------------------------------------------------------

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer ``question``, resolved against the live turns when it follows up.

        A command ("还有吗", "换一个", "第二条详细说说") acts on the last answer; with no
        live turn it gets a non-confident answer with a ``notice``. "第N条详细说说"
        answers with one hit whose text is that paragraph with its neighbours.
        """
        self._expire()
        # lone surrogates (undecodable bytes) break the text tools: the Retriever
        # replaces them (with a notice) when it searches; commands are read without them
        command = _command(_SURROGATE.sub("\ufffd", question))
        if command is not None:
            verb, rank = command
            if verb == "more":
                return self._more(question, k)
            if verb == "another":
                return self._another(question, k)
            return self._detail_answer(question, rank)
        return self._question(question, k)

    def more(self, k: int | None = None) -> Answer:
        """The next hits of the last answer ("还有吗", ``/more``); not confident if none."""
        self._expire()
        return self._more("还有吗", k)

    def another(self, k: int | None = None) -> Answer:
        """The best hits of the last question from another article ("换一个")."""
        self._expire()
        return self._another("换一个", k)

    def detail(self, rank: int) -> list[Hit]:
        """Hit ``rank`` of the last answer with its neighbouring paragraphs, in order.

        The hit itself keeps its rank, score and highlight; its neighbours come from
        :meth:`Retriever.article` (rank 0). Empty when the last answer has no such hit.
        """
        self._expire()
        hit = self._shown(rank)
        return [] if hit is None else self._around(hit)

    # -- questions ------------------------------------------------------------------

    def _question(self, question: str, k: int | None) -> Answer:
        topic = self._topic
        searched: str | None = None
        prior: dict[str, float] = {}
        kind: TurnKind = "question"
        if topic is not None:
            searched, prior, kind = self._resolve(question, topic)
        answer = None
        if kind == "followup" and topic is not None and ASK_AS_WRITTEN:
            plain = self._retriever._ask(question, k)
            if plain.confident and plain.hits and plain.hits[0].article_id == topic.article_id:
                answer, searched, prior = plain, None, {}  # it found the topic on its own
        if answer is None:
            answer = self._retriever._ask(question, k, searched=searched, prior=prior or None)
        logger.debug("conversation: %s %r searched %r prior %s", kind, question, searched, prior)
        self._thread = _Thread(question, searched, prior, answer.confident, list(answer.hits))
        self._remember(question, answer, kind)
        self._focus(answer, question, inherit=kind == "followup")
        return answer

    def _resolve(
        self, question: str, topic: _Topic
    ) -> tuple[str | None, dict[str, float], TurnKind]:
        """``(searched, prior, kind)`` of a new question given the conversation's topic."""
        norm = normalize(question)
        names = _names(norm)
        words = self._article_words(topic)
        held = [n for n in names if _held(n, words, topic)]
        match = _ANAPHORS.search(norm)
        if match and (held or not names):
            # it points back (and names nothing new that "她"/"那里" could mean instead)
            completed = _substitute(norm, topic.entity) if topic.entity else norm
            if match.group("place") is None and topic.answer and topic.answer not in completed:
                completed = f"{completed} {topic.answer}"  # "它" may be what was answered
            return completed, {topic.article_id: PRIOR_BONUS}, "followup"
        if names:
            if len(held) == len(names):
                return None, {topic.article_id: RELATED_BONUS}, "question"
            return None, {}, "question"
        tokens = [
            t for t in dict.fromkeys(tokenize(norm, normalized=True)) if len(t) > 1 or t.isdigit()
        ]
        if not tokens:
            return _prefix(norm, topic.entity), {topic.article_id: PRIOR_BONUS}, "followup"
        weights = self._idf(tokens)
        total = sum(weights.values()) or 1.0
        novel = sum(w for t, w in weights.items() if t not in words) / total
        if novel <= NOVELTY_LIMIT:
            return _prefix(norm, topic.entity), {topic.article_id: PRIOR_BONUS}, "followup"
        return None, {}, "question"

    def _focus(self, answer: Answer, question: str, *, inherit: bool) -> None:
        """The topic for the next question: the top hit's article and its name.

        The name is the question's own (its first place, person or organisation with the
        nouns after it); a follow-up keeps the name of the topic it followed; else the
        name in the top hit's title.
        """
        if not answer.hits:
            return  # nothing shown: keep talking about the previous topic
        top = answer.hits[0]
        previous = self._topic
        entity = _entity(normalize(question))
        if inherit and previous is not None and previous.entity:
            entity = entity or previous.entity
        entity = entity or _entity(normalize(top.title))
        phrase = normalize(top.answer) if answer.confident else ""
        if not _NAMEISH.fullmatch(phrase) or phrase in entity or not _nounish(phrase):
            phrase = ""
        if previous is not None and previous.article_id == top.article_id:
            self._topic = _Topic(
                entity, top.article_id, top.title, previous.words, previous.text, phrase
            )
        else:
            self._topic = _Topic(entity, top.article_id, top.title, answer=phrase)

    # -- commands -------------------------------------------------------------------

    def _more(self, question: str, k: int | None) -> Answer:
        thread = self._thread
        if thread is None:
            return self._declined(question, _NO_CONTEXT, "more")
        k = self._k(k)
        fresh = self._fetch(thread, len(thread.shown) + k)
        hits = _renumber(fresh[:k], start=len(thread.shown) + 1)
        thread.shown.extend(hits)
        if not hits:
            return self._declined(question, _NO_MORE, "more", searched=thread.searched)
        answer = Answer(
            question=question,
            confident=thread.confident,
            hits=tuple(hits),
            searched=thread.searched or thread.question,
        )
        self._remember(question, answer, "more")
        return answer

    def _another(self, question: str, k: int | None) -> Answer:
        thread = self._thread
        if thread is None or not thread.shown:
            return self._declined(question, _NO_CONTEXT, "another")
        k = self._k(k)
        thread.exclude.add(thread.shown[0].article_id)
        thread.prior = {a: b for a, b in thread.prior.items() if a not in thread.exclude}
        answer = self._retriever._ask(
            thread.question,
            k,
            searched=thread.searched,
            prior=thread.prior or None,
            exclude=frozenset(thread.exclude),
        )
        hits = _renumber([h for h in answer.hits if h.article_id not in thread.exclude][:k], 1)
        if not hits:
            return self._declined(question, _NO_OTHER, "another", searched=thread.searched)
        thread.shown = list(hits)
        result = Answer(
            question=question,
            confident=answer.confident,
            hits=tuple(hits),
            notice=answer.notice,
            searched=thread.searched or thread.question,
        )
        thread.confident = result.confident
        self._remember(question, result, "another")
        self._focus(result, thread.question, inherit=True)
        return result

    def _detail_answer(self, question: str, rank: int) -> Answer:
        if self._thread is None:
            return self._declined(question, _NO_CONTEXT, "detail")
        hit = self._shown(rank)
        if hit is None:
            return self._declined(question, _NO_RANK.format(rank=rank), "detail")
        merged = _merge(self._around(hit), hit)
        answer = Answer(
            question=question,
            confident=True,
            hits=(merged,),
            searched=self._thread.searched or self._thread.question,
        )
        self._remember(question, answer, "detail")
        return answer

    # -- helpers ----------------------------------------------------------------------

    def _shown(self, rank: int) -> Hit | None:
        thread = self._thread
        if thread is None:
            return None
        return next((h for h in thread.shown if h.rank == rank), None)

    def _around(self, hit: Hit, width: int = 1) -> list[Hit]:
        try:
            chunks = self._retriever.article(hit.article_id)
        except (AttributeError, NotImplementedError):
            chunks = []
        at = next((i for i, c in enumerate(chunks) if c.chunk_id == hit.chunk_id), None)
        if at is None:
            return [hit]
        window = chunks[max(0, at - width) : at + width + 1]
        return [hit if c.chunk_id == hit.chunk_id else c for c in window]

    def _fetch(self, thread: _Thread, upto: int) -> list[Hit]:
        """Hits of the thread's question not shown yet, best first."""
        answer = self._retriever._ask(
            thread.question,
            upto,
            searched=thread.searched,
            prior=thread.prior or None,
            exclude=frozenset(thread.exclude),
        )
        seen = {h.chunk_id for h in thread.shown}
        return [
            h for h in answer.hits if h.chunk_id not in seen and h.article_id not in thread.exclude
        ]

    def _article_words(self, topic: _Topic) -> set[str]:
        if topic.words is None:
            try:
                hits = self._retriever.article(topic.article_id)
            except (AttributeError, NotImplementedError):
                hits = []
            if not hits and self._thread is not None:
                hits = [h for h in self._thread.shown if h.article_id == topic.article_id]
            topic.text = normalize(topic.title + "\n" + "\n".join(h.text for h in hits))
            topic.words = set(tokenize(topic.text, normalized=True))
        return topic.words

    def _idf(self, tokens: Sequence[str]) -> dict[str, float]:
        try:
            values = self._retriever.index.idf(list(tokens))
        except Exception:  # no index (a fake) or one being replaced: plain weights
            values = [1.0] * len(tokens)
        return {t: max(float(v), 0.05) for t, v in zip(tokens, values, strict=True)}

    def _k(self, k: int | None) -> int:
        if k is not None:
            return max(1, k)
        cfg = getattr(getattr(self._retriever, "_config", None), "retrieval", None)
        return int(getattr(cfg, "top_k", 5))

    def _declined(
        self, question: str, notice: str, kind: TurnKind, *, searched: str | None = None
    ) -> Answer:
        answer = Answer(
            question=question, confident=False, hits=(), notice=notice, searched=searched or ""
        )
        if self._turns:
            self._remember(question, answer, kind)
        return answer

    def _remember(self, question: str, answer: Answer, kind: TurnKind) -> None:
        self._turns.append(Turn(question, answer, self._clock(), kind, answer.searched))
        del self._turns[: -self._max_turns]

    def _expire(self) -> None:
        if self._turns and self._clock() - self._turns[-1].at > self._ttl_s:
            logger.debug("conversation expired after %.0f s", self._clock() - self._turns[-1].at)
            self.reset()


# -- message analysis ---------------------------------------------------------------


def _command(question: str) -> tuple[str, int] | None:
    """``("more" | "another" | "detail", rank)`` when the whole message is a command."""
    text = content_chars(question)
    if not text or len(text) > 14:
        return None
    text = re.sub(r"^(那么|那|好的|好|嗯|请|麻烦你|麻烦)", "", text)
    bare = re.sub(r"(吧|呢|啊|呀|吗|谢谢)+$", "", text)
    if _MORE_ALL.fullmatch(text) or _MORE_ALL.fullmatch(bare):
        return "more", 0
    if _OTHER_ALL.fullmatch(text) or _OTHER_ALL.fullmatch(bare):
        return "another", 0
    for pattern in _DETAIL:
        match = pattern.fullmatch(bare)
        if match:
            return "detail", _number(match.group("n") or "1")
    return None


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_NUM.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_NUM.get(tens, 1) * 10 + _CN_NUM.get(ones, 0)
    return _CN_NUM.get(text, 1)


def _pos(text: str) -> list[tuple[str, str]]:
    """jieba's words of normalised ``text`` with their part of speech (unknown names too)."""
    return pos_tag(text, hmm=True)


def _is_name(word: str, flag: str) -> bool:
    if len(word) < 2:
        return False
    if flag in _PROPER:
        return True
    return bool(_ADMIN.match(word)) and word not in _NOT_PLACES


def _nounish(phrase: str) -> bool:
    """Whether ``phrase`` reads as a name, not a clause ("她当即向医院提议"): no pronoun,
    no verb, adverb or conjunction of two characters or more."""
    return not any(
        flag.startswith("r") or (len(word) > 1 and flag[:1] in {"v", "d", "c", "u"})
        for word, flag in _pos(phrase)
    )


def _names(norm: str) -> list[str]:
    """The question's own names: places, people, organisations, quoted things."""
    names = [m.group(1) for m in _QUOTED.finditer(norm)]
    names += [w for w, f in _pos(norm) if _is_name(w, f)]
    return list(dict.fromkeys(names))


def _entity(norm: str) -> str:
    """The name a question (or title) is about: its first name with the nouns after it.

    "四川省女科技工作者协会有多少名理事" → "四川省女科技工作者协会"; "冠县成立了…" → "冠县".
    """
    quoted = _QUOTED.search(norm)
    words = _pos(norm)
    for i, (word, flag) in enumerate(words):
        if _is_name(word, flag):
            run = [word]
            for nxt, nflag in words[i + 1 :]:
                if nflag not in _NOUNISH or nxt in _ROLES or len(run) >= 6:
                    break
                run.append(nxt)
            return "".join(run)
    return quoted.group(1) if quoted else ""


def _held(name: str, words: set[str], topic: _Topic) -> bool:
    """Whether the previous article (or its topic name) already holds ``name``."""
    return name in words or name in topic.entity or name in topic.text


def _prefix(norm: str, entity: str) -> str:
    """An elided question with the topic put in front: "主席是谁" → "冠县 主席是谁"."""
    return f"{entity} {norm}" if entity and entity not in norm else norm


def _substitute(norm: str, entity: str) -> str:
    """Replace the words pointing back with the topic's name ("那里的…" → "冠县的…")."""
    place = next((w for w, f in _pos(entity) if _is_name(w, f)), entity)

    def swap(match: re.Match[str]) -> str:
        if match.group("pron") is not None:
            return f"{match.group(1)}{entity}"
        if match.group("pron2") is not None:
            return entity
        if match.group("place") is not None:
            return place
        noun = match.group("noun") or ""
        if noun in {"省", "市", "县", "区", "镇", "村", "州", "地", "乡"}:
            return place
        if noun and noun in entity:
            return entity
        return f"{entity}{noun}"

    out = _ANAPHORS.sub(swap, norm, count=2)
    return out if entity in out or place in out else _prefix(out, entity)


def _renumber(hits: Sequence[Hit], start: int) -> list[Hit]:
    return [replace(h, rank=start + i) for i, h in enumerate(hits)]


def _merge(window: Sequence[Hit], hit: Hit) -> Hit:
    """One hit quoting ``window``'s paragraphs, its highlight still on ``hit``'s sentence."""
    if len(window) <= 1:
        return hit
    parts: list[str] = []
    offset = 0
    for h in window:
        if h is hit:
            offset = sum(len(p) + 2 for p in parts)
        parts.append(h.text)
    start, end = hit.highlight_span
    answer = hit.answer_span
    return replace(
        hit,
        text="\n\n".join(parts),
        highlight_span=(start + offset, end + offset),
        answer_span=(answer[0] + offset, answer[1] + offset) if answer else None,
    )
