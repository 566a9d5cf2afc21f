"""Conversational touches with the request layer stubbed: small talk, edited questions,
captions, reactions after the rate-limit notice, and start-up behaviour."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsqa.bot.telegram import TOKEN_ENV, _texts, run_bot
from newsqa.bot.telegram._memory import ReplyMap
from newsqa.bot.telegram._question import small_talk, strip_greeting
from newsqa.bot.telegram._ratelimit import RateLimiter
from newsqa.retrieval import Config
from tests.bot.telegram.bot_fakes import (
    BOT_USERNAME,
    TOKEN,
    FakeRetriever,
    StubRequest,
    bot_message,
    message_update,
)
from tests.bot.telegram.html_check import visible_text

ROOT = Path(__file__).resolve().parents[3]
PHOTO = [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]
DOCUMENT = {"file_id": "d1", "file_unique_id": "u4", "file_name": "a.pdf"}


async def ask(app: Any, text: str | None, **kw: Any) -> None:
    await app.process_update(message_update(app.bot, text, **kw))


# ---- small talk ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("Hi", "greeting"),
        ("hello~", "greeting"),
        ("早上好", "greeting"),
        ("你好呀机器人", "greeting"),
        ("谢谢", "thanks"),
        ("多谢！", "thanks"),
        ("感谢", "thanks"),
        ("好的，谢谢啦", "thanks"),
        ("謝謝", "thanks"),
        ("Thank you!", "thanks"),
        ("你是谁？", "about"),
        ("你能做什么", "about"),
        ("怎么用？", "about"),
        ("再见", "goodbye"),
        ("拜拜～", "goodbye"),
        ("你好，冠县妇联主席是谁？", None),
        ("谢谢你告诉我大桥的长度", None),
        ("长江大桥什么时候通车？", None),
        ("好", None),
        ("早上好，今天有什么新闻说到大熊猫？", None),
    ],
)
def test_small_talk_is_recognised_conservatively(text: str, kind: str | None) -> None:
    assert small_talk(text) == kind


def test_strip_greeting_keeps_the_question() -> None:
    assert strip_greeting("你好，冠县妇联主席是谁？") == "冠县妇联主席是谁？"
    assert strip_greeting("Hello! 长江大桥通车了吗") == "长江大桥通车了吗"
    assert strip_greeting("你好！！") == "你好！！"  # nothing left to ask: unchanged
    assert strip_greeting("你好冠县") == "你好冠县"  # no separator: not a greeting prefix


@pytest.mark.parametrize(
    "text, reply",
    [
        ("你好", _texts.SMALL_TALK_GREETING),
        ("您好！", _texts.SMALL_TALK_GREETING),
        ("hi", _texts.SMALL_TALK_GREETING),
        ("早上好", _texts.SMALL_TALK_GREETING),
        ("谢谢", _texts.SMALL_TALK_THANKS),
        ("多谢", _texts.SMALL_TALK_THANKS),
        ("感谢！", _texts.SMALL_TALK_THANKS),
        ("再见", _texts.SMALL_TALK_GOODBYE),
        ("拜拜", _texts.SMALL_TALK_GOODBYE),
    ],
)
async def test_private_small_talk_gets_a_friendly_reply_without_searching(
    app: Any, stub: StubRequest, fake: FakeRetriever, text: str, reply: str
) -> None:
    await ask(app, text)
    assert stub.texts() == [reply]
    assert fake.calls == [] and _texts.NOT_FOUND not in stub.texts()


@pytest.mark.parametrize("text", ["你是谁？", "你能做什么", "怎么用", "你好，你是谁？"])
async def test_who_are_you_gets_the_help_text(
    app: Any, stub: StubRequest, fake: FakeRetriever, text: str
) -> None:
    await ask(app, text)
    (sent,) = stub.sent()
    assert sent["parse_mode"] == "HTML"
    shown = visible_text(sent["text"])
    assert "新闻问答机器人" in shown and "/ask" in shown and "4 篇新闻文章" in shown
    assert fake.calls == []


async def test_greeting_before_a_question_is_stripped(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "你好，长江大桥什么时候通车？")
    assert fake.calls == [("长江大桥什么时候通车？", 3)]
    assert "<b>长江大桥通车</b>" in stub.texts()[0]


async def test_group_thanks_to_the_bot_is_a_reaction_not_a_message(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    for text in ("谢谢！", "拜拜"):
        await ask(app, text, chat_id=-100, kind="supergroup", reply_to_message=bot_message(5, -100))
    assert stub.sent() == [] and fake.calls == []
    reactions = stub.sent("setMessageReaction")
    assert len(reactions) == 2
    assert all(r["chat_id"] == -100 and r["reaction"][0]["emoji"] == "👍" for r in reactions)


async def test_group_thanks_reaction_failure_is_quiet(app: Any, stub: StubRequest) -> None:
    stub.failures["setMessageReaction"] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: REACTION_INVALID"},
    )
    await ask(app, "谢谢", chat_id=-100, kind="supergroup", reply_to_message=bot_message(5, -100))
    assert stub.sent() == []  # no apology to everyone either


async def test_group_chatter_thanks_is_ignored_and_mention_greeting_answered(
    app: Any, stub: StubRequest
) -> None:
    await ask(app, "谢谢", chat_id=-100, kind="supergroup")  # not addressed to the bot
    assert stub.calls == []
    await ask(
        app,
        f"@{BOT_USERNAME} 你好",
        chat_id=-100,
        kind="supergroup",
        entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
    )
    (sent,) = stub.sent()
    assert sent["text"] == _texts.SMALL_TALK_GREETING and "reply_parameters" in sent


# ---- edited questions ------------------------------------------------------------------------


async def test_edited_question_edits_the_earlier_answer(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "火星上今天天气怎么样？", message_id=501)
    (first,) = stub.sent()
    assert first["text"] == _texts.NOT_FOUND
    answer_id = stub.next_message_id  # the stub's id for the answer it just sent
    stub.clear()
    await ask(app, "长江大桥什么时候通车？", message_id=501, edited=True)
    assert [q for q, _ in fake.calls] == ["火星上今天天气怎么样？", "长江大桥什么时候通车？"]
    assert stub.sent() == []
    (edit,) = stub.sent("editMessageText")
    assert edit["message_id"] == answer_id and edit["chat_id"] == 42
    assert "<b>长江大桥通车</b>" in edit["text"] and edit["parse_mode"] == "HTML"
    assert edit["reply_markup"]["inline_keyboard"][0][0]["text"].startswith("更多")
    stub.clear()
    await ask(app, "谢谢", message_id=501, edited=True)  # edited again, into small talk
    (edit,) = stub.sent("editMessageText")
    assert edit["message_id"] == answer_id and edit["text"] == _texts.SMALL_TALK_THANKS
    assert "parse_mode" not in edit


async def test_edited_question_with_unknown_answer_is_answered_anew(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "长江大桥什么时候通车？", message_id=777_001, edited=True)
    assert stub.sent("editMessageText") == []
    (sent,) = stub.sent()
    assert "<b>长江大桥通车</b>" in sent["text"]


async def test_edit_that_telegram_refuses_is_answered_anew(app: Any, stub: StubRequest) -> None:
    await ask(app, "长江大桥什么时候通车？", message_id=502)
    stub.clear()
    stub.failures["editMessageText"] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
    )
    await ask(app, "社区图书馆开放到几点？", message_id=502, edited=True)
    assert len(stub.sent("editMessageText")) == 1
    (sent,) = stub.sent()
    assert "<b>社区图书馆开放</b>" in sent["text"]


async def test_unchanged_edit_sends_nothing_more(app: Any, stub: StubRequest) -> None:
    await ask(app, "长江大桥什么时候通车？", message_id=503)
    stub.clear()
    stub.failures["editMessageText"] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"},
    )
    await ask(app, "长江大桥什么时候通车？", message_id=503, edited=True)
    assert stub.sent() == [] and len(stub.sent("editMessageText")) == 1


async def test_edited_group_message_follows_the_addressing_rules(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "长江大桥什么时候通车？", chat_id=-100, kind="supergroup", edited=True)
    assert stub.calls == [] and fake.calls == []
    await ask(
        app,
        f"/ask@{BOT_USERNAME} 长江大桥什么时候通车？",
        chat_id=-100,
        kind="supergroup",
        edited=True,
    )
    assert len(fake.calls) == 1 and len(stub.sent()) == 1


def test_reply_map_is_bounded() -> None:
    replies = ReplyMap(2, per_chat=2)
    for message_id in (1, 2, 3):
        replies.remember(10, message_id, 100 + message_id)
    assert replies.get(10, 1) is None and replies.get(10, 3) == 103
    replies.remember(20, 1, 201)
    replies.remember(30, 1, 301)  # chat 10 is the least recently used
    assert replies.get(10, 3) is None and replies.get(30, 1) == 301 and len(replies) == 2


# ---- captions --------------------------------------------------------------------------------


@pytest.mark.parametrize("attachment", [{"photo": PHOTO}, {"document": DOCUMENT}])
async def test_private_photo_or_document_is_asked_by_its_caption(
    app: Any, stub: StubRequest, fake: FakeRetriever, attachment: dict[str, Any]
) -> None:
    await ask(app, None, caption="长江大桥什么时候通车？", **attachment)
    assert fake.calls == [("长江大桥什么时候通车？", 3)]
    assert "<b>长江大桥通车</b>" in stub.texts()[0]


async def test_group_caption_follows_the_addressing_rules(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, None, chat_id=-100, kind="supergroup", photo=PHOTO, caption="长江大桥通车了吗")
    assert stub.calls == [] and fake.calls == []
    caption = f"@{BOT_USERNAME} 长江大桥什么时候通车？"
    await ask(
        app,
        None,
        chat_id=-100,
        kind="supergroup",
        photo=PHOTO,
        caption=caption,
        caption_entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
    )
    await ask(
        app,
        None,
        chat_id=-100,
        kind="supergroup",
        document=DOCUMENT,
        caption="社区图书馆开放到几点？",
        reply_to_message=bot_message(5, -100),
    )
    assert [q for q, _ in fake.calls] == ["长江大桥什么时候通车？", "社区图书馆开放到几点？"]
    assert len(stub.sent()) == 2


# ---- rate limit ------------------------------------------------------------------------------


async def test_refusals_after_the_notice_get_a_reaction(
    make_app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    app = make_app(rate_limit_count=1, rate_limit_seconds=600)
    async with app:
        stub.clear()
        for _ in range(4):
            await ask(app, "长江大桥什么时候通车？", user_id=5)
    texts = stub.texts()
    assert len(fake.calls) == 1 and len(texts) == 2
    assert texts[1] == _texts.RATE_LIMITED.format(seconds=600)
    reactions = stub.sent("setMessageReaction")
    assert len(reactions) == 2 and all(r["reaction"][0]["emoji"] == "👀" for r in reactions)


def test_rate_limit_notice_repeats_at_most_once_a_minute() -> None:
    now = [0.0]
    limiter = RateLimiter(1, 600.0, clock=lambda: now[0])
    assert limiter.check(1).allowed
    notices = []
    for t in (1.0, 2.0, 30.0, 61.5, 70.0, 122.0):
        now[0] = t
        verdict = limiter.check(1)
        assert not verdict.allowed
        notices.append(verdict.notify)
    assert notices == [True, False, False, True, False, True]


# ---- start-up --------------------------------------------------------------------------------


def test_retriever_open_initialises_jieba(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jieba

    from newsqa.index import build_index
    from newsqa.retrieval import Retriever
    from tests.conftest import FakeEmbedder, make_config, write_articles

    corpus = write_articles(tmp_path / "news.jsonl", ["a1", "a2"])
    config = make_config(tmp_path, [corpus])
    build_index(config, embedder=FakeEmbedder())
    monkeypatch.setattr(jieba.dt, "initialized", False)  # as in a fresh `newsqa bot`
    with Retriever.open(config, embedder=FakeEmbedder()):
        assert jieba.dt.initialized


_UNREACHABLE = """
import sys
import newsqa.retrieval as retrieval
from newsqa.bot.telegram import run_bot
from newsqa.retrieval import Config
from tests.bot.telegram.bot_fakes import ARTICLES, FakeRetriever

fake = FakeRetriever(list(ARTICLES))
retrieval.Retriever.open = classmethod(lambda cls, config: fake)
config = Config().with_section("bot", base_url=sys.argv[1])
sys.exit(run_bot(config))
"""


def test_unreachable_bot_api_at_start_up_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/bot"
    env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: TOKEN, "HOME": str(Path.home())}
    done = subprocess.run(
        [sys.executable, "-c", _UNREACHABLE, base_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr and TOKEN not in done.stderr
    assert lines[-1].startswith(f"newsqa bot: error: cannot reach the Bot API at {base_url}")
    errors = [line for line in lines if "error" in line.lower()]
    assert errors == [lines[-1]]
    for line in lines[:-1]:  # every log line carries a timestamp
        assert line[:4].isdigit() and line[4] == "-" and line[13] == ":", line


def test_webhook_mode_logs_port_and_url_without_the_secret(
    monkeypatch: pytest.MonkeyPatch, fake: FakeRetriever, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.ext import Application

    import newsqa.retrieval as retrieval

    monkeypatch.setattr(retrieval.Retriever, "open", classmethod(lambda cls, config: fake))
    seen: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: seen.update(kw))
    config = Config().with_section(
        "bot",
        mode="webhook",
        webhook_url="https://bot.example/hook",
        webhook_port=8443,
        webhook_path="hook",
        webhook_secret_token="Very_Secret-42",
    )
    with caplog.at_level(logging.INFO):
        assert run_bot(config, environ={TOKEN_ENV: TOKEN}) == 0
    assert seen["port"] == 8443 and seen["secret_token"] == "Very_Secret-42"
    assert "8443" in caplog.text and "https://bot.example/hook" in caplog.text
    assert "Very_Secret-42" not in caplog.text
