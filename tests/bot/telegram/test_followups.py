"""Conversations in the bot, with the request layer stubbed and a fake conversation:
follow-ups per private chat and per group member, ``/new``, expiry, paging past the
prefetched hits, edited questions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from newsqa.bot.telegram import _texts, build_application
from newsqa.bot.telegram._conversations import ConversationStore, Stateless
from newsqa.retrieval import Config
from tests.bot.telegram.bot_fakes import (
    TOKEN,
    FakeConversation,
    FakeRetriever,
    StubRequest,
    bot_message,
    callback_update,
    message_update,
)
from tests.bot.telegram.html_check import visible_text

GROUP = -4242


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def talks() -> list[FakeConversation]:
    return []


@pytest.fixture
async def app(
    fake: FakeRetriever, stub: StubRequest, talks: list[FakeConversation]
) -> AsyncIterator[Any]:
    config = Config().with_section("bot", rate_limit_count=100, max_hits=3)
    application = build_application(
        config, fake, TOKEN, request=stub, conversations=lambda: FakeConversation(fake, talks)
    )
    await application.initialize()
    stub.clear()
    try:
        yield application
    finally:
        await application.shutdown()


async def ask(app: Any, text: str, **kw: Any) -> None:
    await app.process_update(message_update(app.bot, text, **kw))


async def test_private_follow_up_is_asked_in_context(
    app: Any, stub: StubRequest, fake: FakeRetriever, talks: list[FakeConversation]
) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=501)
    await ask(app, "那它有几条车道？", user_id=501)
    assert fake.calls[-1][0] == "长江大桥通车 那它有几条车道？"
    assert len(talks) == 1 and talks[0].asked == ["长江大桥什么时候通车？", "那它有几条车道？"]
    first, second = stub.texts()
    assert "<b>长江大桥通车</b>" in first and "<b>长江大桥通车</b>" in second


async def test_group_members_keep_their_own_context(
    app: Any, stub: StubRequest, fake: FakeRetriever, talks: list[FakeConversation]
) -> None:
    where = {"chat_id": GROUP, "kind": "supergroup"}
    await ask(app, "/ask 长江大桥什么时候通车？", user_id=1, **where)
    await ask(app, "/ask 社区图书馆周末开到几点？", user_id=2, **where)
    await ask(app, "/ask 那它全长多少？", user_id=1, **where)
    assert fake.calls[-1][0].startswith("长江大桥通车 ")
    reply = {"reply_to_message": bot_message(5, GROUP, kind="supergroup")}
    await ask(app, "那它有什么新区域？", user_id=2, **where, **reply)
    assert fake.calls[-1][0].startswith("社区图书馆开放 ")
    assert len(talks) == 2
    texts = stub.texts()
    assert "<b>长江大桥通车</b>" in texts[2] and "<b>社区图书馆开放</b>" in texts[3]


async def test_private_chats_do_not_share_context(
    app: Any, fake: FakeRetriever, talks: list[FakeConversation]
) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=601)
    await ask(app, "那它几点开放？", user_id=602)
    assert fake.calls[-1][0] == "那它几点开放？" and len(talks) == 2


async def test_new_forgets_the_conversation_and_the_last_answer(
    app: Any, stub: StubRequest, fake: FakeRetriever, talks: list[FakeConversation]
) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=701)
    await ask(app, "/new", user_id=701)
    assert stub.texts()[-1] == _texts.NEW_DONE and talks[0].resets == 1
    await ask(app, "/more", user_id=701)
    assert stub.texts()[-1] == _texts.MORE_NONE
    await ask(app, "那它几点开放？", user_id=701)
    assert fake.calls[-1][0] == "那它几点开放？"  # asked as written, by a fresh conversation
    assert len(talks) == 2
    await ask(app, "/new", user_id=702)  # nothing live: still a friendly answer
    assert stub.texts()[-1] == _texts.NEW_DONE


async def test_help_lists_new() -> None:
    assert "/new" in _texts.INTRO_HTML
    assert "new" in [name for name, _ in _texts.COMMANDS]


async def test_more_past_the_prefetched_hits_asks_the_conversation(
    app: Any, stub: StubRequest, fake: FakeRetriever
) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=801)
    for _ in range(2):
        await ask(app, "/more", user_id=801)
    assert len(fake.calls) == 1
    stub.clear()
    await ask(app, "还有吗", user_id=801)  # the 4th article, found by conversation.more
    (sent,) = stub.sent()
    assert "（第 4 条）" in visible_text(sent["text"]) and len(fake.calls) == 2
    await ask(app, "/more", user_id=801)
    assert stub.texts()[-1] == _texts.MORE_DONE and len(fake.calls) == 3
    await ask(app, "/more", user_id=801)  # known to be exhausted: no more searches
    assert stub.texts()[-1] == _texts.MORE_DONE and len(fake.calls) == 3


async def test_more_button_after_a_newer_question_is_expired(app: Any, stub: StubRequest) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=901)
    data = stub.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await ask(app, "那它有几条车道？", user_id=901)
    stub.clear()
    await app.process_update(callback_update(app.bot, data, message_id=1001, user_id=901))
    assert stub.sent("answerCallbackQuery")[0]["text"] == _texts.MORE_EXPIRED


async def test_edited_question_is_asked_again_and_its_answer_edited(
    app: Any, stub: StubRequest, fake: FakeRetriever, talks: list[FakeConversation]
) -> None:
    await ask(app, "长江大桥什么时候通车？", user_id=911, message_id=77)
    stub.clear()
    await ask(app, "社区图书馆周末开到几点？", user_id=911, message_id=77, edited=True)
    (edit,) = stub.sent("editMessageText")
    assert "<b>社区图书馆开放</b>" in edit["text"] and stub.sent() == []
    assert talks[0].asked[-1] == "社区图书馆周末开到几点？"


async def test_small_talk_does_not_touch_the_conversation(
    app: Any, stub: StubRequest, talks: list[FakeConversation]
) -> None:
    await ask(app, "你好", user_id=921)
    assert stub.texts() == [_texts.SMALL_TALK_GREETING] and talks == []


def test_store_expires_idle_conversations_and_is_bounded(fake: FakeRetriever) -> None:
    clock = Clock()
    made: list[FakeConversation] = []
    store = ConversationStore(
        lambda: FakeConversation(fake, made), capacity=2, ttl_s=60, clock=clock
    )
    first = store.get((1, 0))
    assert store.get((1, 0)) is first and len(made) == 1
    clock.now += 61
    assert (1, 0) not in store and store.get((1, 0)) is not first  # expired: a fresh one
    store.get((2, 0))
    store.get((1, 0))  # touched: (2, 0) is now the least recently used
    store.get((3, 0))
    assert (2, 0) not in store and (1, 0) in store and len(store) == 2
    assert store.reset((1, 0)) is True and store.reset((1, 0)) is False
    assert made[1].resets == 1


def test_fakes_get_a_stateless_conversation(
    fake: FakeRetriever, make_app: Callable[..., Any]
) -> None:
    stateless = Stateless(fake)
    assert stateless.ask("长江大桥什么时候通车？", 2).hits
    assert not stateless.more(2).hits and not stateless.more().confident
    stateless.reset()
    make_app()  # build_application over a fake needs no conversation factory


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("还有吗？", True),
        ("还有吗", True),
        ("還有嗎", True),
        ("更多", True),
        ("那还有呢", True),
        ("下一条", True),
        ("继续吧", True),
        ("more", True),
        ("还有多少人参加？", False),
        ("更多的人去了哪里", False),
        ("换一个", False),  # the conversation's own command: asked through it
        ("", False),
    ],
)
def test_more_request_is_the_whole_message(text: str, wanted: bool) -> None:
    from newsqa.bot.telegram._question import more_request

    assert more_request(text) is wanted
