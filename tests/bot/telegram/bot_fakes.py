"""Fakes for the bot's unit tests: a retriever, PTB's request layer, and hand-built updates."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from newsqa.retrieval import Answer, Hit

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 777
BOT_USERNAME = "NewsqaUnitBot"

_T2S = str.maketrans(
    "龍開採麼時來國與會議長橋鐵這個們說為紀錄報導", "龙开采么时来国与会议长桥铁这个们说为纪录报导"
)


@dataclass(frozen=True)
class FakeInfo:
    articles: int
    chunks: int
    newest_date: str
    generation: str


@dataclass
class Article:
    title: str
    text: str
    section: str = ""
    date: str = ""
    source: str = "/srv/corpus/news.jsonl"


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text.translate(_T2S) if c.isalnum()]
    return {a + b for a, b in itertools.pairwise(chars)}


class FakeRetriever:
    """Scores paragraphs by shared character bigrams; confident at 3 or more."""

    def __init__(self, articles: list[Article], *, generation: str = "g1") -> None:
        self.articles = articles
        self.generation = generation
        self.pending: list[Article] = []
        self.calls: list[tuple[str, int | None]] = []
        self.threads: list[int] = []
        self.delay: dict[str, float] = {}
        self.fail: BaseException | None = None
        self.reload_error: BaseException | None = None
        self.reloads = 0
        self._lock = threading.Lock()

    @property
    def info(self) -> FakeInfo:
        return FakeInfo(len(self.articles), len(self.articles), "2024-03-22", self.generation)

    def reload(self) -> bool:
        self.reloads += 1
        if self.reload_error is not None:
            raise self.reload_error
        if not self.pending:
            return False
        self.articles = self.articles + self.pending
        self.pending = []
        self.generation = f"g{int(self.generation[1:]) + 1}"
        return True

    def ask(self, question: str, k: int | None = None) -> Answer:
        with self._lock:
            self.calls.append((question, k))
            self.threads.append(threading.get_ident())
        for marker, seconds in self.delay.items():
            if marker in question:
                time.sleep(seconds)
        if self.fail is not None:
            raise self.fail
        notice = ""
        text = question.strip()
        if len(text) > 500:
            text, notice = text[:500], "问题太长，只用了前 500 个字搜索。"
        wanted = _bigrams(text)
        scored = sorted(
            ((len(wanted & _bigrams(a.title + a.text)), i, a) for i, a in enumerate(self.articles)),
            key=lambda t: (-t[0], t[1]),
        )
        hits = []
        for rank, (score, i, art) in enumerate(scored[: k or 5], start=1):
            sentence_end = art.text.find("。") + 1 or len(art.text)
            hits.append(
                Hit(
                    rank=rank,
                    score=float(score),
                    title=art.title,
                    section=art.section,
                    text=art.text,
                    highlight=art.text[:sentence_end],
                    highlight_span=(0, sentence_end),
                    source=art.source,
                    article_id=f"a{i}",
                    chunk_id=f"a{i}-0",
                    date=art.date,
                )
            )
        confident = bool(scored) and scored[0][0] >= 3
        return Answer(question=question, confident=confident, hits=tuple(hits), notice=notice)


ARTICLES = [
    Article(
        "西湖龙井春茶开采",
        "杭州西湖龙井茶园三月二十五日开始采摘明前茶。今年春茶产量预计增长一成。",
        section="经济",
        date="2024-03-22",
    ),
    Article(
        "长江大桥通车",
        "新建的长江大桥于三月十八日正式通车。大桥全长四千米，设双向六车道。",
        section="交通",
        date="2024-03-18",
    ),
    Article(
        "编程语言评测：C&C++",
        "评测报告把 <b>粗体</b> 标签和 A&B 公司的代码放在一起测试。结果令人意外。",
        section="科技",
        date="2024-03-20",
    ),
    Article(
        "社区图书馆开放",
        "社区图书馆周末开放时间延长到晚上九点。馆内新增儿童阅读区。",
        section="社会",
        date="2024-03-21",
    ),
]


# ---- PTB request stub -------------------------------------------------------------------


class StubRequest(BaseRequest):
    """Records every Bot API call and answers with canned JSON; never touches a network."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, tuple[int, dict[str, Any]]] = {}
        self.next_message_id = 1000

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def texts(self) -> list[str]:
        return [p["text"] for p in self.sent("sendMessage")]

    def clear(self) -> None:
        self.calls.clear()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        self.calls.append((name, params))
        if name in self.failures:
            code, body = self.failures[name]
            return code, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Newsqa",
                "username": BOT_USERNAME,
                "can_join_groups": True,
            }
        if name in {"sendMessage", "editMessageText"}:
            self.next_message_id += 1
            message: dict[str, Any] = {
                "message_id": params.get("message_id", self.next_message_id),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newsqa"},
                "text": params.get("text", ""),
            }
            return message
        if name == "getUpdates":
            return []
        return True


# ---- hand-built updates -----------------------------------------------------------------

_update_ids = iter(range(1, 1_000_000))
_message_ids = iter(range(1, 1_000_000))


def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "读者", "username": f"u{user_id}"}


def chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "读者"}
    return {"id": chat_id, "type": kind, "title": "测试群"}


def message_update(
    bot: Any,
    text: str | None = None,
    *,
    user_id: int = 42,
    chat_id: int | None = None,
    kind: str = "private",
    edited: bool = False,
    **extra: Any,
) -> Update:
    """A message update (an ``edited_message`` one if ``edited``; pass ``message_id`` to
    name the message edited); a leading /command gets its bot_command entity."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat(user_id if chat_id is None else chat_id, kind),
        "from": user(user_id),
        **extra,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            message.setdefault("entities", []).insert(
                0,
                {"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2},
            )
    if edited:
        message.setdefault("edit_date", int(time.time()))
    key = "edited_message" if edited else "message"
    return Update.de_json({"update_id": next(_update_ids), key: message}, bot)


def bot_message(
    message_id: int, chat_id: int, text: str = "…", kind: str = "private"
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat(chat_id, kind),
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newsqa", "username": BOT_USERNAME},
        "text": text,
    }


def callback_update(
    bot: Any,
    data: str,
    *,
    message_id: int,
    user_id: int = 42,
    chat_id: int | None = None,
    kind: str = "private",
) -> Update:
    cid = user_id if chat_id is None else chat_id
    return Update.de_json(
        {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": str(next(_update_ids)),
                "from": user(user_id),
                "chat_instance": "ci",
                "data": data,
                "message": bot_message(message_id, cid, kind=kind),
            },
        },
        bot,
    )


# ---- a conversation -----------------------------------------------------------------------


class FakeConversation:
    """Follow-ups by a simple rule: a question starting with 那 or holding 它 is searched
    with the last answer's title in front; ``more`` asks for the hits after those given."""

    def __init__(self, retriever: FakeRetriever, log: list[FakeConversation] | None = None) -> None:
        self.retriever = retriever
        self.topic = ""
        self.last = ""
        self.given = 0
        self.resets = 0
        self.asked: list[str] = []
        if log is not None:
            log.append(self)

    def ask(self, question: str, k: int | None = None) -> Answer:
        self.asked.append(question)
        searched = ""
        if self.topic and (question.startswith("那") or "它" in question):
            searched = self.topic + " " + question
        answer = self.retriever.ask(searched or question, k)
        self.last, self.given = searched or question, len(answer.hits)
        if answer.confident and answer.hits:
            self.topic = answer.hits[0].title
        return replace(answer, question=question, searched=searched)

    def more(self, k: int | None = None) -> Answer:
        if not self.last:
            return Answer(question="还有吗", confident=False, hits=(), notice="没有上一个问题")
        answer = self.retriever.ask(self.last, self.given + (k or 5))
        hits = answer.hits[self.given :]
        self.given += len(hits)
        return replace(answer, question="还有吗", hits=hits)

    def reset(self) -> None:
        self.resets += 1
        self.topic = self.last = ""
        self.given = 0
