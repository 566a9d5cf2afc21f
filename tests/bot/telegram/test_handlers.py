"""Handler behaviour with PTB's request layer stubbed out (no server, no network)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest

from newsqa.bot._logging import RedactingFilter
from newsqa.bot.telegram import _texts
from tests.bot.telegram.bot_fakes import (
    BOT_USERNAME,
    TOKEN,
    Article,
    FakeRetriever,
    StubRequest,
    bot_message,
    callback_update,
    message_update,
)
from tests.bot.telegram.html_check import tg_len, visible_text


async def ask(app: Any, text: str | None, **kw: Any) -> None:
    await app.process_update(message_update(app.bot, text, **kw))


# ---- /start, questions ------------------------------------------------------------------


async def test_start_and_help_introduce_the_archive(app: Any, stub: StubRequest) -> None:
    await ask(app, "/start")
    await ask(app, "/help")
    first, second = stub.sent()
    assert first["parse_mode"] == "HTML" and first["text"] == second["text"]
    text = visible_text(first["text"])
    assert "4 篇新闻文章" in text and "2024-03-22" in text and "/ask" in text


async def test_private_question_gets_title_quote_and_more_button(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "西湖龙井什么时候开始采摘明前茶？")
    assert fake.calls == [("西湖龙井什么时候开始采摘明前茶？", 3)]
    assert stub.methods() == ["sendChatAction", "sendMessage"]
    assert stub.sent("sendChatAction")[0]["action"] == "typing"
    (sent,) = stub.sent()
    html = sent["text"]
    assert sent["parse_mode"] == "HTML"
    assert html.startswith("<b>西湖龙井春茶开采</b>\n<blockquote><b>杭州西湖龙井茶园")
    assert "来源：2024-03-22 · 经济（第 1/3 条）" in visible_text(html)
    (button,) = sent["reply_markup"]["inline_keyboard"][0]
    assert button["text"].startswith("更多") and button["callback_data"].startswith("more:")
    assert "reply_parameters" not in sent  # private chat: no quoting


async def test_search_runs_off_the_event_loop(app: Any, fake: FakeRetriever) -> None:
    await ask(app, "长江大桥什么时候通车？")
    assert fake.threads and fake.threads[0] != threading.get_ident()


async def test_one_slow_question_does_not_block_others(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    fake.delay = {"慢": 1.0}
    started = time.perf_counter()
    slow = asyncio.create_task(ask(app, "慢慢问：长江大桥什么时候通车？", user_id=1))
    await asyncio.sleep(0.05)
    await ask(app, "社区图书馆开放到几点？", user_id=2)
    fast_done = time.perf_counter() - started
    await slow
    assert fast_done < 0.5
    assert len(stub.sent()) == 2


async def test_not_confident_answer_quotes_nothing(app: Any, stub: StubRequest) -> None:
    await ask(app, "火星上今天天气怎么样？")
    (sent,) = stub.sent()
    assert sent["text"] == _texts.NOT_FOUND
    assert "parse_mode" not in sent and "reply_markup" not in sent
    assert "<blockquote>" not in sent["text"]


async def test_special_characters_in_paragraph_are_escaped(app: Any, stub: StubRequest) -> None:
    await ask(app, "评测报告里的粗体标签和A&B公司代码")
    html = stub.sent()[0]["text"]
    assert "<b>编程语言评测：C&amp;C++</b>" in html
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html and "A&amp;B" in html
    assert "<b>粗体</b> 标签和 A&B" in visible_text(html)


@pytest.mark.parametrize(
    "question, reply",
    [
        ("   ", _texts.EMPTY_QUESTION),
        ("😀😀🎉", _texts.NO_WORDS),
        ("？？！！。。。", _texts.NO_WORDS),
        ("/ask", _texts.ASK_USAGE),
        ("/ask    ", _texts.ASK_USAGE),
    ],
)
async def test_empty_and_wordless_questions_get_a_clear_answer(
    app: Any, stub: StubRequest, fake: FakeRetriever, question: str, reply: str
) -> None:
    await ask(app, question)
    assert stub.texts() == [reply]
    assert fake.calls == []


async def test_4000_character_question_is_answered(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    question = "长江大桥什么时候通车？" + "啊" * 3989
    assert len(question) == 4000
    await ask(app, question)
    (sent,) = stub.sent()
    assert fake.calls[0][0] == question
    assert sent["text"].startswith("<i>问题太长，只用了前 500 个字搜索。</i>")
    assert "<b>长江大桥通车</b>" in sent["text"]


async def test_traditional_question_is_passed_through(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "西湖龍井什麼時候開始採摘明前茶？")
    assert fake.calls[0][0] == "西湖龍井什麼時候開始採摘明前茶？"
    assert "<b>西湖龙井春茶开采</b>" in stub.sent()[0]["text"]


@pytest.mark.parametrize(
    "extra",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 2}},
        {"document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "a.pdf"}},
    ],
)
async def test_non_text_messages_ask_for_text(
    app: Any, stub: StubRequest, fake: FakeRetriever, extra: dict[str, Any]
) -> None:
    await ask(app, None, **extra)
    assert stub.texts() == [_texts.NON_TEXT]
    assert fake.calls == []


async def test_unknown_command_in_private_points_to_help(app: Any, stub: StubRequest) -> None:
    await ask(app, "/foo")
    assert stub.texts() == [_texts.UNKNOWN_COMMAND]


# ---- groups -----------------------------------------------------------------------------


async def test_group_chatter_is_ignored(app: Any, stub: StubRequest, fake: FakeRetriever) -> None:
    await ask(app, "长江大桥什么时候通车？", chat_id=-100, kind="supergroup")
    await ask(
        app,
        None,
        chat_id=-100,
        kind="group",
        sticker={
            "file_id": "s",
            "file_unique_id": "u",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert stub.calls == [] and fake.calls == []


async def test_group_ask_command_mention_and_reply(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, f"/ask@{BOT_USERNAME} 长江大桥什么时候通车？", chat_id=-100, kind="supergroup")
    text = f"@{BOT_USERNAME} 社区图书馆开放到几点？"
    await ask(
        app,
        text,
        chat_id=-100,
        kind="supergroup",
        entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
    )
    await ask(
        app,
        "西湖龙井什么时候采摘？",
        chat_id=-100,
        kind="supergroup",
        reply_to_message=bot_message(5, -100),
    )
    assert [q for q, _ in fake.calls] == [
        "长江大桥什么时候通车？",
        "社区图书馆开放到几点？",
        "西湖龙井什么时候采摘？",
    ]
    sent = stub.sent()
    assert len(sent) == 3
    assert all("reply_parameters" in s for s in sent)  # quoted in groups


async def test_mention_of_someone_else_is_ignored(app: Any, stub: StubRequest) -> None:
    await ask(
        app,
        "@somebody 长江大桥什么时候通车？",
        chat_id=-100,
        kind="supergroup",
        entities=[{"type": "mention", "offset": 0, "length": 9}],
    )
    assert stub.calls == []


# ---- paging -----------------------------------------------------------------------------


async def test_more_button_sends_the_next_hit_and_keeps_the_first(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "长江大桥什么时候通车？")
    (first,) = stub.sent()
    data = first["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1001))
    assert len(fake.calls) == 1  # no new search
    assert stub.sent("editMessageText") == []  # the first answer stays as it was
    (second,) = stub.sent()
    assert second["parse_mode"] == "HTML" and "第 2/3 条" in visible_text(second["text"])
    assert "（另一篇文章）" in second["text"]  # not the best hit's article
    assert second["reply_markup"]["inline_keyboard"][0][0]["text"] == "更多（1）"
    assert "reply_parameters" not in second  # private chat: no quoting
    (moved,) = stub.sent("editMessageReplyMarkup")  # the button moved to the new message
    assert moved["message_id"] == 1001 and "reply_markup" not in moved
    assert stub.sent("answerCallbackQuery")
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1002))
    (third,) = stub.sent()
    assert "第 3/3 条" in visible_text(third["text"]) and "reply_markup" not in third
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1003))
    assert stub.sent("answerCallbackQuery")[0]["text"] == _texts.MORE_DONE


async def test_more_button_in_a_group_quotes_the_answer_and_anyone_may_press(
    app: Any, stub: StubRequest
) -> None:
    await ask(app, "/ask 长江大桥什么时候通车？", user_id=1, chat_id=-300, kind="supergroup")
    data = stub.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stub.clear()
    await app.process_update(
        callback_update(app.bot, data, message_id=1001, user_id=2, chat_id=-300, kind="supergroup")
    )
    (sent,) = stub.sent()
    assert "第 2/3 条" in visible_text(sent["text"])
    assert sent["reply_parameters"]["message_id"] == 1001
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1001, chat_id=-301))
    assert stub.sent("answerCallbackQuery")[0]["text"] == _texts.MORE_EXPIRED  # other chat


async def test_typed_more_request_pages_like_the_command(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "还有吗？")
    assert stub.texts() == [_texts.MORE_NONE] and fake.calls == []
    await ask(app, "长江大桥什么时候通车？")
    stub.clear()
    for text in ("还有吗？", "更多"):
        await ask(app, text)
    texts = [visible_text(t) for t in stub.texts()]
    assert "第 2/3 条" in texts[0] and "第 3/3 条" in texts[1]
    assert len(fake.calls) == 1  # paged, not asked
    stub.clear()
    await ask(app, "下一条")
    assert stub.texts() == [_texts.MORE_DONE]


async def test_stale_more_button_says_expired(app: Any, stub: StubRequest) -> None:
    await ask(app, "长江大桥什么时候通车？")
    old = stub.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await ask(app, "社区图书馆开放到几点？")
    stub.clear()
    await app.process_update(callback_update(app.bot, old, message_id=1001))
    assert stub.methods() == ["answerCallbackQuery"]
    assert stub.sent("answerCallbackQuery")[0]["text"] == _texts.MORE_EXPIRED


async def test_more_command_follows_up(app: Any, stub: StubRequest, fake: FakeRetriever) -> None:
    await ask(app, "/more")
    assert stub.texts() == [_texts.MORE_NONE]
    await ask(app, "长江大桥什么时候通车？")
    stub.clear()
    await ask(app, "/more")
    (sent,) = stub.sent()
    assert "第 2/3 条" in visible_text(sent["text"])
    await ask(app, "/more")
    await ask(app, "/more")
    assert stub.texts()[-1] == _texts.MORE_DONE
    assert len(fake.calls) == 1


async def test_memory_is_bounded(make_app: Any, stub: StubRequest) -> None:
    app = make_app(remembered_chats=2, max_hits=3)
    async with app:
        for uid in (1, 2, 3):
            await ask(app, "长江大桥什么时候通车？", user_id=uid)
        stub.clear()
        await ask(app, "/more", user_id=1)  # forgotten: least recently used
        await ask(app, "/more", user_id=3)
    assert stub.texts()[0] == _texts.MORE_NONE
    assert "第 2/3 条" in visible_text(stub.texts()[1])


async def test_long_page_is_split_between_hits(
    make_app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    fake.articles = [Article(f"长文{i}", "长江大桥通车。" + "细节" * 1500) for i in range(3)]
    app = make_app(hits_per_page=3, max_hits=3)
    async with app:
        stub.clear()
        await ask(app, "长江大桥通车")
    texts = stub.texts()
    assert len(texts) == 3
    for text in texts:
        assert tg_len(text) <= 4096
        visible_text(text)


# ---- rate limit, allow-list, /reload ------------------------------------------------------


async def test_rate_limit_refuses_politely_once(
    make_app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    app = make_app(rate_limit_count=2, rate_limit_seconds=60)
    async with app:
        stub.clear()
        for _ in range(4):
            await ask(app, "长江大桥什么时候通车？", user_id=5)
        await ask(app, "长江大桥什么时候通车？", user_id=6)  # another reader is unaffected
    texts = stub.texts()
    assert len(fake.calls) == 3
    assert texts.count(_texts.RATE_LIMITED.format(seconds=60)) == 1
    assert len(texts) == 4


async def test_allow_list(make_app: Any, stub: StubRequest, fake: FakeRetriever) -> None:
    app = make_app(allowed_chat_ids=(10, -200))
    async with app:
        stub.clear()
        await ask(app, "长江大桥什么时候通车？", user_id=11)
        await ask(app, "长江大桥什么时候通车？", user_id=12, chat_id=-300, kind="group")
        await ask(app, "长江大桥什么时候通车？", user_id=10)
    assert len(fake.calls) == 1
    texts = stub.texts()
    assert texts[0] == _texts.NOT_ALLOWED and len(texts) == 2


async def test_reload_needs_admin(app: Any, stub: StubRequest, fake: FakeRetriever) -> None:
    await ask(app, "/reload", user_id=50)
    assert stub.texts() == [_texts.RELOAD_DENIED] and fake.reloads == 0


async def test_reload_by_admin_switches_and_reports(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "/reload", user_id=900)
    fake.pending = [Article("新闻五", "新增的一篇新闻。")]
    await ask(app, "/reload", user_id=900)
    fake.reload_error = RuntimeError("index folder unreadable")
    await ask(app, "/reload", user_id=900)
    same, done, failed = stub.texts()
    assert same == _texts.RELOAD_SAME.format(articles=4, chunks=4, generation="g1")
    assert done == _texts.RELOAD_DONE.format(articles=5, chunks=5, generation="g2")
    assert failed == _texts.RELOAD_FAILED.format(reason="index folder unreadable")


# ---- errors -----------------------------------------------------------------------------


async def test_search_error_is_logged_and_apologised(
    app: Any, stub: StubRequest, fake: FakeRetriever, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail = RuntimeError(f"model crashed while calling https://api/bot{TOKEN}/x")
    handler_filter = RedactingFilter([TOKEN])
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.ERROR):
            await ask(app, "长江大桥什么时候通车？")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert stub.texts() == [_texts.APOLOGY]
    assert "model crashed" in caplog.text and "Traceback" in caplog.text
    assert TOKEN not in caplog.text and "[REDACTED]" in caplog.text


async def test_rejected_reply_gets_an_apology(app: Any, stub: StubRequest) -> None:
    await ask(app, "长江大桥什么时候通车？")
    data = stub.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stub.failures["sendMessage"] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: can't parse"},
    )
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1001))
    assert stub.texts()[-1] == _texts.APOLOGY and len(stub.texts()) == 2


async def test_error_handler_survives_a_failing_apology(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    fake.fail = RuntimeError("boom")
    stub.failures["sendMessage"] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )
    await ask(app, "长江大桥什么时候通车？")  # must not raise
    stub.failures.clear()
    fake.fail = None
    await ask(app, "长江大桥什么时候通车？")
    assert "<b>长江大桥通车</b>" in stub.texts()[-1]


async def test_set_my_commands_at_start(make_app: Any, stub: StubRequest) -> None:
    app = make_app()
    async with app:
        await app.post_init(app)
    (call,) = stub.sent("setMyCommands")
    assert [c["command"] for c in call["commands"]] == ["ask", "more", "new", "help", "start"]
