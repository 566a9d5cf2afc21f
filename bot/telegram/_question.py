"""Finding the question in a message: commands, mentions, replies, captions, small talk
and empty questions."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, TypeAlias

from telegram import Message, MessageEntity

__all__ = [
    "SmallTalk",
    "addressed_question",
    "command_argument",
    "has_words",
    "message_text",
    "more_request",
    "small_talk",
    "strip_greeting",
]

SmallTalk: TypeAlias = Literal["greeting", "thanks", "about", "goodbye"]
"""What a small-talk message is: answered without searching."""

_GREETINGS = frozenset(
    "你好 您好 你们好 你們好 大家好 hi hello hey hiya 嗨 哈喽 哈啰 哈囉 嘿 早 早上好 早安 "
    "上午好 中午好 下午好 晚上好 在吗 在嗎 在么 在不在 goodmorning goodevening "
    "goodafternoon".split()
)
_THANKS = frozenset(
    "谢谢 謝謝 谢了 謝了 多谢 多謝 感谢 感謝 谢谢你 謝謝你 谢谢您 謝謝您 多谢你 多謝你 感谢你 "
    "感謝你 非常感谢 非常感謝 太感谢了 太感謝了 十分感谢 谢谢了 谢谢啦 感恩 thanks thank "
    "thankyou thx".split()
)
_ABOUT = frozenset(
    "你是谁 你是誰 你是什么 你是什麼 你是干什么的 你是幹什麼的 你能做什么 你能做什麼 你会什么 "
    "你會什麼 你会做什么 你會做什麼 你可以做什么 你可以做什麼 你有什么用 你有什麼用 能做什么 "
    "能做什麼 怎么用 怎麼用 如何使用 怎么使用 怎麼使用 怎么提问 怎麼提問 使用说明 使用說明 "
    "帮助 幫助 whoareyou whatcanyoudo help".split()
)
_GOODBYES = frozenset("再见 再見 拜拜 回见 回見 下次见 下次見 晚安 bye byebye goodbye".split())
_FILLERS = ("好的", "好", "嗯", "哦", "噢", "ok", "okay")
"""May precede thanks or a goodbye: 好的谢谢, ok 再见."""
_ADDRESS = ("机器人", "機器人", "小助手", "bot")
_PARTICLES = "呀啊吖哈呢嘛啦哦喔噢了"
_LONGEST = 16
"""Longer messages (letters and digits only) are never small talk."""

_GREETING_PREFIX = re.compile(
    r"^\s*(?:你好|您好|你们好|你們好|大家好|hi|hello|hey|嗨|哈喽|哈啰|早上好|早安|上午好|"
    r"中午好|下午好|晚上好)[呀啊吖]?(?:机器人|機器人)?[\s,，.。!！~～、:：;；]+",
    re.IGNORECASE,
)


def has_words(text: str) -> bool:
    """True if ``text`` holds a letter or digit (any script), not only emoji/punctuation."""
    return any(ch.isalnum() for ch in text)


def message_text(message: Message) -> str:
    """The text of ``message``, or the caption of a photo or document."""
    return message.text or message.caption or ""


def small_talk(text: str) -> SmallTalk | None:
    """What ``text`` is if it is clearly small talk (a short greeting, thanks, "你是谁",
    a goodbye), else None. Conservative: anything more is a question."""
    squashed = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())
    if not squashed or len(squashed) > _LONGEST:
        return None
    for word in _ADDRESS:
        squashed = squashed.removeprefix(word).removesuffix(word) or squashed
    base = squashed.rstrip(_PARTICLES) or squashed
    for candidate in {squashed, base}:
        if candidate in _GREETINGS:
            return "greeting"
        if candidate in _ABOUT:
            return "about"
        for filler in ("", *_FILLERS):
            rest = candidate.removeprefix(filler) if filler else candidate
            if rest in _THANKS:
                return "thanks"
            if rest in _GOODBYES:
                return "goodbye"
    return None


_MORE_WORDS = frozenset(
    "还有吗 还有呢 还有没有 还有别的吗 还有其他吗 还有其它吗 更多 更多结果 显示更多 下一条 "
    "下一个 再来一条 再来一个 继续 還有嗎 還有呢 還有沒有 還有別的嗎 更多結果 顯示更多 下一條 "
    "再來一條 再來一個 繼續 more next".split()
)
_MORE_LEADS = ("那么", "那", "好的", "好", "嗯", "请", "請")


def more_request(text: str) -> bool:
    """True if the whole of ``text`` asks for the next hits of the last answer
    ("还有吗？", "更多", "下一条", "那还有呢"): shown from the answer, no new question."""
    squashed = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())
    if not squashed or len(squashed) > 8:
        return False
    for lead in ("", *_MORE_LEADS):
        rest = squashed.removeprefix(lead) if lead else squashed
        if rest in _MORE_WORDS or (rest.rstrip("吧呀啊") or rest) in _MORE_WORDS:
            return True
    return False


def strip_greeting(text: str) -> str:
    """``text`` without a leading greeting ("你好，冠县妇联主席是谁？" → the question),
    or ``text`` itself when nothing with words would be left."""
    match = _GREETING_PREFIX.match(text)
    if match is None:
        return text
    rest = text[match.end() :].strip()
    return rest if has_words(rest) else text


def command_argument(message: Message) -> str:
    """The text after the leading ``/command`` (or ``/command@bot``) of ``message``."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return _cut(text, entity.offset, entity.length).strip()
    return text.partition(" ")[2].strip()


def _cut(text: str, offset: int, length: int) -> str:
    """``text`` without the entity at ``offset``/``length`` (UTF-16 units, as Telegram)."""
    raw = text.encode("utf-16-le")
    return (raw[: 2 * offset] + raw[2 * (offset + length) :]).decode("utf-16-le")


def addressed_question(message: Message, bot_id: int, bot_username: str) -> str | None:
    """In a group: the question if ``message`` (its text, or its caption) is addressed to
    the bot (a reply to one of its messages, or a mention of it), with the mention
    removed; None if it is not."""
    text = message_text(message)
    captioned = message.text is None and message.caption is not None
    entities = message.caption_entities if captioned else message.entities
    mention = "@" + bot_username.lower() if bot_username else None
    spans: list[tuple[int, int]] = []
    for entity in entities:
        if entity.type == MessageEntity.MENTION and mention is not None:
            shown = (
                message.parse_caption_entity(entity) if captioned else message.parse_entity(entity)
            )
            if shown.lower() == mention:
                spans.append((entity.offset, entity.length))
        elif (
            entity.type == MessageEntity.TEXT_MENTION
            and entity.user is not None
            and entity.user.id == bot_id
        ):
            spans.append((entity.offset, entity.length))
    replied = message.reply_to_message
    is_reply = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )
    if not spans and not is_reply:
        return None
    for offset, length in sorted(spans, reverse=True):
        text = _cut(text, offset, length)
    return text.strip()
