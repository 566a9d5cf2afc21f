"""Finding the question in a message: commands, mentions, replies, and empty questions."""

from __future__ import annotations

from telegram import Message, MessageEntity

__all__ = ["addressed_question", "command_argument", "has_words"]


def has_words(text: str) -> bool:
    """True if ``text`` holds a letter or digit (any script), not only emoji/punctuation."""
    return any(ch.isalnum() for ch in text)


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
    """In a group: the question if ``message`` is addressed to the bot (a reply to one of
    its messages, or a mention of it), with the mention removed; None if it is not."""
    text = message.text or ""
    mention = "@" + bot_username.lower() if bot_username else None
    spans: list[tuple[int, int]] = []
    for entity in message.entities:
        if entity.type == MessageEntity.MENTION and mention is not None:
            if message.parse_entity(entity).lower() == mention:
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
