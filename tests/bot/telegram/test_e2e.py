"""End to end: a reader talks to the bot through the telegram-test-api emulator.

The bot is the real thing (``build_application`` or ``run_bot``) over the real retriever
and model, on an index built from a four-article corpus. Needs Node.js; run
``.ci/install-node-deps.sh`` once (the fixture does it if node_modules is missing).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsqa.bot.telegram import _texts
from newsqa.index import build_index
from newsqa.retrieval import Config
from tests.bot.telegram.conftest import (
    ADMIN_CHAT,
    CORPUS,
    E2E_RATE_LIMIT,
    E2E_TOKEN,
    LATE_ARTICLE,
    ROOT,
    write_corpus,
)
from tests.bot.telegram.html_check import visible_text
from tests.emulator import Emulator, Reader

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_start_introduces_the_archive(reader: Reader) -> None:
    reader.say("/start")
    reply = reader.reply()
    assert reply.parse_mode == "HTML"
    text = visible_text(reply.text)
    assert "读过 4 篇新闻文章" in text and "2024-03-22" in text and "/ask" in text


@pytest.mark.parametrize(
    "question",
    [
        "西湖龙井什么时候开始采摘明前茶？",
        "西湖龍井什麼時候開始採摘明前茶？",
    ],
)
def test_simplified_and_traditional_questions(reader: Reader, question: str) -> None:
    reader.say(question)
    reply = reader.reply()
    assert reply.parse_mode == "HTML"
    assert reply.text.startswith("<b>西湖龙井春茶开采</b>\n<blockquote>")
    assert "<b><u>三月二十五日</u></b>" in reply.text
    shown = visible_text(reply.text)
    assert "来源：测试晚报 · 2024-03-22" in shown


def test_more_button_keeps_the_first_answer(reader: Reader, emulator: Emulator) -> None:
    reader.say("长江新大桥什么时候通车？")
    first = reader.reply()
    assert "<b>长江新大桥正式通车</b>" in first.text and "第 1/3 条" in first.text
    ((label, data),) = first.buttons
    assert label.startswith("更多")
    reader.press(first, data)
    second = reader.reply()
    assert second.message_id != first.message_id and not second.edited
    assert "第 2/3 条" in second.text and second.buttons
    assert any(a.get("callback_query_id") for a in emulator.callback_answers(E2E_TOKEN))
    assert _buttons_removed(emulator, reader, 1) == [first.message_id]  # the button moved on
    assert reader.silence(0.5) == []  # the first answer was not edited
    reader.say("还有吗？")
    third = reader.reply()
    assert third.message_id not in (first.message_id, second.message_id)
    assert "第 3/3 条" in third.text and third.buttons == ()
    assert "（另一篇文章）" in third.text and "（另一篇文章）" not in second.text


def _buttons_removed(emulator: Emulator, reader: Reader, count: int) -> list[int]:
    """The ids of the messages in ``reader``'s chat whose keyboard the bot changed."""
    deadline = time.monotonic() + 10
    while True:
        found = [
            int(e["message_id"])
            for e in emulator.reply_markup_edits(E2E_TOKEN)
            if str(e["chat_id"]) == str(reader.chat["id"])
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_two_turn_conversation_and_new(reader: Reader) -> None:
    reader.say("长江新大桥什么时候通车？")
    assert "<b>长江新大桥正式通车</b>" in reader.reply().text
    reader.say("它的设计时速是多少？")
    follow = reader.reply()
    assert "<b>长江新大桥正式通车</b>" in follow.text
    assert "一百公里" in visible_text(follow.text)
    reader.say("/new")
    assert reader.reply().text == _texts.NEW_DONE
    reader.say("/more")
    assert reader.reply().text == _texts.MORE_NONE
    reader.say("社区图书馆周末开到几点？")
    assert "<b>社区图书馆延长开放时间</b>" in reader.reply().text


def test_group_members_keep_their_own_conversations(emulator: Emulator, e2e_bot: Config) -> None:
    alice = emulator.reader(E2E_TOKEN, user_id=7101, chat_id=-100881, chat_type="supergroup")
    bob = emulator.reader(E2E_TOKEN, user_id=7102, chat_id=-100881, chat_type="supergroup")
    alice.say("/ask 长江新大桥什么时候通车？")
    to_alice = alice.reply()
    bob.say("/ask 社区图书馆周末开到几点？")
    to_bob = bob.reply()
    assert "<b>社区图书馆延长开放时间</b>" in to_bob.text
    alice.reply_to(to_alice, "它的设计时速是多少？")
    assert "<b>长江新大桥正式通车</b>" in alice.reply().text
    bob.reply_to(to_bob, "还有吗？")  # bob's own last answer, not alice's
    more = bob.reply()
    assert "第 2/3 条" in more.text and "长江新大桥" not in visible_text(more.text).split("\n")[0]
    bob.say("/new")
    assert bob.reply().text == _texts.NEW_DONE
    alice.say("/more")  # alice's conversation survived bob's /new
    assert "第 2/3 条" in alice.reply().text


def test_edited_question_edits_its_answer(reader: Reader) -> None:
    reader.say("长江新大桥什么时候通车？", message_id=880001)
    first = reader.reply()
    assert "<b>长江新大桥正式通车</b>" in first.text
    reader.edit(880001, "社区图书馆周末开到几点？")
    edited = reader.reply()
    assert edited.message_id == first.message_id and edited.edited
    assert "<b>社区图书馆延长开放时间</b>" in edited.text


def test_source_line_and_answer_phrase(reader: Reader) -> None:
    reader.say("大桥全长多少米？")
    reply = reader.reply()
    assert "<b><u>" in reply.text  # the answer phrase, not the whole sentence
    link = '<a href="https://news.example.com/bridge?id=7&amp;from=test">'
    assert f"<i>来源：{link}测试晚报 · 2024-03-18 · 第 3 版</a>" in reply.text
    shown = visible_text(reply.text)
    assert "四千二百米" in shown and "来源：测试晚报 · 2024-03-18 · 第 3 版" in shown
    reader.say("社区图书馆周末开到几点？")  # no URL: the citation is plain text
    assert "<i>来源：测试晚报 · 2024-03-21" in reader.reply().text


def test_not_confident_question_quotes_nothing(reader: Reader) -> None:
    reader.say("火星上今天天气怎么样？")
    reply = reader.reply()
    assert reply.text == _texts.NOT_FOUND and reply.parse_mode == ""


def test_paragraph_with_html_special_characters(reader: Reader) -> None:
    reader.say("评测报告里粗体标签和A&B公司的代码怎么了？")
    reply = reader.reply()  # the emulator validated the HTML, or this would be an apology
    assert reply.text.startswith("<b>编程语言评测：C&amp;C++ 与 &lt;Rust&gt;</b>")
    assert "&lt;b&gt;粗体&lt;/b&gt;" in reply.text and "A&amp;B" in reply.text
    shown = visible_text(reply.text)
    assert "把 <b>粗体</b> 标签和 A&B 公司" in shown


def test_non_text_message(reader: Reader) -> None:
    reader.send(
        sticker={
            "file_id": "CAAD",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    )
    assert reader.reply().text == _texts.NON_TEXT


def test_emoji_only_and_4000_character_questions(reader: Reader) -> None:
    reader.say("🤔🤔❓")
    assert reader.reply().text == _texts.NO_WORDS
    reader.say("长江新大桥什么时候通车？" + "啊" * 3988)
    reply = reader.reply()
    # the notice comes first, in italics above a quote or as plain text before "not
    # found" (the learned verdict may find 3988 padding characters too far off the news)
    assert reply.text.startswith(
        ("<i>问题太长，只用了前 500 个字搜索。</i>", "问题太长，只用了前 500 个字搜索。")
    )
    assert "<b>长江新大桥正式通车</b>" in reply.text or _texts.NOT_FOUND in reply.text


def test_rate_limit(reader: Reader) -> None:
    for _ in range(E2E_RATE_LIMIT + 2):
        reader.say("社区图书馆周末开到几点？")
    replies = reader.replies(E2E_RATE_LIMIT + 1)
    texts = [r.text for r in replies]
    assert sum("社区图书馆延长开放时间" in t for t in texts) == E2E_RATE_LIMIT
    assert sum(t.startswith("提问有点太快了") for t in texts) == 1
    assert reader.silence(1.0) == []  # told once, then a reaction, no more messages
    chat = str(reader.chat["id"])
    seen = [r for r in reader.emulator.reactions(E2E_TOKEN) if str(r["chat_id"]) == chat]
    assert len(seen) == 1 and seen[0]["emoji"] == ["👀"]


def test_small_talk_is_answered_without_not_found(reader: Reader) -> None:
    reader.say("你好")
    assert reader.reply().text == _texts.SMALL_TALK_GREETING
    reader.say("谢谢！")
    assert reader.reply().text == _texts.SMALL_TALK_THANKS
    reader.say("你是谁？")
    about = reader.reply()
    assert about.parse_mode == "HTML" and "读过 4 篇新闻文章" in visible_text(about.text)
    reader.say("再见")
    assert reader.reply().text == _texts.SMALL_TALK_GOODBYE
    reader.say("你好，长江新大桥什么时候通车？")  # a greeting, then a question
    assert "<b>长江新大桥正式通车</b>" in reader.reply().text


def test_group_thanks_gets_a_reaction(emulator: Emulator, e2e_bot: Config) -> None:
    member = emulator.reader(E2E_TOKEN, user_id=7003, chat_id=-100779, chat_type="supergroup")
    member.say("/ask 大桥全长多少米？")
    reply = member.reply()
    member.reply_to(reply, "谢谢！")
    assert member.silence(1.5) == []  # nothing said to the whole group
    seen = [r for r in emulator.reactions(E2E_TOKEN) if str(r["chat_id"]) == "-100779"]
    assert len(seen) == 1 and seen[0]["emoji"] == ["👍"]


def test_photo_with_caption_is_asked(reader: Reader) -> None:
    reader.send(
        photo=[{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 90}],
        caption="长江新大桥什么时候通车？",
    )
    assert "<b>长江新大桥正式通车</b>" in reader.reply().text


def test_groups_answer_ask_and_ignore_chatter(emulator: Emulator, e2e_bot: Config) -> None:
    member = emulator.reader(E2E_TOKEN, user_id=7001, chat_id=-100777, chat_type="supergroup")
    member.say("大家周末去图书馆吗？")
    assert member.silence(1.0) == []
    member.say("/ask 大桥全长多少米？")
    reply = member.reply()
    assert "<b>长江新大桥正式通车</b>" in reply.text
    member.reply_to(reply, "设计时速是多少？")
    assert "<b>长江新大桥正式通车</b>" in member.reply().text


def test_reload_after_rebuild(emulator: Emulator, e2e_bot: Config) -> None:
    admin = emulator.reader(E2E_TOKEN, user_id=ADMIN_CHAT)
    someone = emulator.reader(E2E_TOKEN, user_id=7002)
    admin.say("大熊猫双胞胎哥哥出生体重多少？")
    assert admin.reply().text == _texts.NOT_FOUND

    someone.say("/reload")
    assert someone.reply().text == _texts.RELOAD_DENIED
    corpus = Path(e2e_bot.corpus.paths[0])
    write_corpus(corpus, [*CORPUS, LATE_ARTICLE])
    build_index(e2e_bot)
    admin.say("/reload")
    done = admin.reply(timeout=120)
    assert done.text.startswith("已载入新的索引：5 篇文章")
    admin.say("大熊猫双胞胎哥哥出生体重多少？")
    assert "<b>大熊猫双胞胎在成都出生</b>" in admin.reply().text
    admin.say("/reload")
    assert admin.reply().text.startswith("索引没有变化：5 篇文章")


def test_emulator_rejects_bad_html_like_telegram(emulator: Emulator) -> None:
    url = f"{emulator.base_url}{E2E_TOKEN}/sendMessage"
    for text in ("<b>unclosed", "A&B", "<p>x</p>", "<b><i>x</b></i>", "1 < 2"):
        answer = httpx.post(url, data={"chat_id": "1", "text": text, "parse_mode": "HTML"})
        assert answer.status_code == 400, text
        assert answer.json()["description"].startswith("Bad Request: can't parse entities")
    too_long = httpx.post(url, data={"chat_id": "1", "text": "长" * 4097})
    assert too_long.json()["description"] == "Bad Request: message is too long"
    fine = httpx.post(
        url, data={"chat_id": "1", "text": "<b>A&amp;B</b> &lt;ok&gt;", "parse_mode": "HTML"}
    )
    assert fine.status_code == 200 and isinstance(fine.json()["result"]["date"], int)
    assert fine.json()["result"]["date"] < 10_000_000_000  # seconds, not milliseconds


# ---- webhook mode, through run_bot in a child process -------------------------------------

WEBHOOK_TOKEN = "515151:AAWebhookTestTokenForTheEmulator_xyz12"
SECRET = "s3cret_Token-for-tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_webhook(emulator: Emulator, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"run_bot exited with {proc.returncode}: {log.read_text()[-3000:]}")
        info = httpx.get(f"{emulator.base_url}{WEBHOOK_TOKEN}/getWebhookInfo").json()
        if info["result"]["url"]:
            return
        time.sleep(0.5)
    pytest.fail(f"the bot never set its webhook: {log.read_text()[-3000:]}")


def test_webhook_mode_with_secret_token(
    emulator: Emulator, e2e_config: Config, tmp_path: Path
) -> None:
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    toml = tmp_path / "newsqa.toml"
    toml.write_text(
        f'log_level = "INFO"\n'
        f'[index]\ndir = "{e2e_config.index.dir}"\n'
        f'[corpus]\npaths = ["{e2e_config.corpus.paths[0]}"]\n'
        f'[bot]\nmode = "webhook"\nbase_url = "{emulator.base_url}"\n'
        f'webhook_listen = "127.0.0.1"\nwebhook_port = {port}\nwebhook_path = "hook"\n'
        f'webhook_url = "{hook}"\nwebhook_secret_token = "{SECRET}"\n',
        encoding="utf-8",
    )
    log = tmp_path / "bot.log"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": WEBHOOK_TOKEN}
    env.pop("NEWSQA_CONFIG", None)
    code = (
        "import sys; from newsqa.retrieval import load_config; "
        "from newsqa.bot.telegram import run_bot; "
        "sys.exit(run_bot(load_config(sys.argv[1])))"
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(toml)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_webhook(emulator, proc, log)
        reader = emulator.reader(WEBHOOK_TOKEN, user_id=8001)
        update = {
            "update_id": 999_001,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "长江新大桥什么时候通车？",
                "chat": {"id": 8001, "type": "private", "first_name": "x"},
                "from": {"id": 8001, "is_bot": False, "first_name": "x"},
            },
        }
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            rejected = httpx.post(hook, json=update, headers=headers)
            assert rejected.status_code == 403
        assert reader.silence(1.0) == []  # the forged update was not answered

        reader.say("长江新大桥什么时候通车？")
        reply = reader.reply(timeout=60)
        assert "<b>长江新大桥正式通车</b>" in reply.text
        delivered = [d for d in emulator.webhook_deliveries() if d["url"] == hook]
        assert delivered and all(d["status"] == 200 for d in delivered)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert WEBHOOK_TOKEN not in output and WEBHOOK_TOKEN.split(":")[1] not in output
    assert SECRET not in output
    assert f"listening on 127.0.0.1:{port}/hook" in output and hook in output


def test_run_bot_polling_exits_cleanly_and_never_logs_the_token(
    emulator: Emulator, e2e_config: Config, tmp_path: Path
) -> None:
    token = "616161:AAPollingTestTokenForTheEmulator_xyz1"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "NEWSQA_BOT_BASE_URL": emulator.base_url,
        "NEWSQA_INDEX_DIR": e2e_config.index.dir,
        "NEWSQA_BOT_POLL_TIMEOUT": "2",
        "NEWSQA_LOG_LEVEL": "DEBUG",
    }
    env.pop("NEWSQA_CONFIG", None)
    code = (
        "import sys; from newsqa.retrieval import load_config; "
        "from newsqa.bot.telegram import run_bot; "
        "sys.exit(run_bot(load_config()))"
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        reader = emulator.reader(token, user_id=8101)
        reader.say("/start")
        assert "读过" in visible_text(reader.reply(timeout=180).text)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert "getUpdates" in output or "bot @" in output  # DEBUG logging really ran
    assert token not in output and token.split(":")[1] not in output
