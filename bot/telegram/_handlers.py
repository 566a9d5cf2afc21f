"""What the bot does with each update: questions (also edited ones, and captions),
follow-ups, small talk, paging, commands, and errors.

Every question goes through the reader's conversation (one per private chat, one per
user in a group) so a follow-up ("那里的妇联主席是谁？") is understood; ``/new`` ends it.
"更多" (the button, ``/more``, or "还有吗" typed) shows the next hits as a new message,
so the best answer stays where it was.

Searches run in worker threads (:func:`asyncio.to_thread`) so the event loop keeps
serving other readers; one reader's turns run one at a time, in order; everything else
here is quick and runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode, ReactionEmoji
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import _texts
from ._conversations import ConversationStore, Stateless
from ._format import intro_html, render_page
from ._memory import AnswerMemory, ReaderKey, Remembered, ReplyMap
from ._question import (
    SmallTalk,
    addressed_question,
    command_argument,
    has_words,
    message_text,
    more_request,
    small_talk,
    strip_greeting,
)
from ._ratelimit import RateLimiter
from ._types import ConversationFactory, IndexInfoLike, RetrieverLike

__all__ = ["ALLOWED_UPDATES", "QABot"]

logger = logging.getLogger(__name__)

ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY)
"""The only update types the bot asks Telegram for."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_MORE_PREFIX = "more:"
_THANKED = ReactionEmoji.THUMBS_UP
"""The reaction to thanks or a goodbye in a group (no message to everyone)."""
_REFUSED = ReactionEmoji.EYES
"""The reaction to a rate-limited question after the notice: seen, not answered."""
Context = ContextTypes.DEFAULT_TYPE


class QABot:
    """The handlers of one bot over one retriever. Register them with :meth:`register`."""

    def __init__(
        self,
        retriever: RetrieverLike,
        *,
        rate_limit_count: int = 10,
        rate_limit_seconds: float = 60.0,
        allowed_chat_ids: Sequence[int] = (),
        admin_chat_ids: Sequence[int] = (),
        hits_per_page: int = 1,
        max_hits: int = 5,
        remembered_chats: int = 1000,
        conversations: ConversationFactory | None = None,
        conversation_ttl_s: float = 600.0,
        conversations_kept: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``conversations`` makes a reader's conversation (default: none, every
        question is asked on its own); at most ``conversations_kept`` are live, each
        forgotten ``conversation_ttl_s`` seconds after its last turn."""
        self._retriever = retriever
        self._limiter = RateLimiter(rate_limit_count, rate_limit_seconds)
        self._conversations = ConversationStore(
            conversations or (lambda: Stateless(retriever)),
            capacity=conversations_kept,
            ttl_s=conversation_ttl_s,
            clock=clock,
        )
        self._memory = AnswerMemory(remembered_chats)
        self._replies = ReplyMap(remembered_chats)
        self._allowed = frozenset(allowed_chat_ids)
        self._admins = frozenset(admin_chat_ids)
        self._page = max(1, hits_per_page)
        self._k = max(1, max_hits)

    def register(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add every handler, the allow-list gate and the error handler to ``app``."""
        new = filters.UpdateType.MESSAGE
        asked = filters.UpdateType.MESSAGES  # new and edited: an edited question is re-asked
        private = filters.ChatType.PRIVATE
        groups = filters.ChatType.GROUPS
        captioned = filters.CAPTION & (filters.PHOTO | filters.Document.ALL)
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        app.add_handler(CommandHandler(("start", "help"), self.on_start, filters=new))
        app.add_handler(CommandHandler("ask", self.on_ask, filters=asked))
        app.add_handler(CommandHandler("more", self.on_more, filters=new))
        app.add_handler(CommandHandler("new", self.on_new, filters=new))
        app.add_handler(CommandHandler("reload", self.on_reload, filters=new))
        app.add_handler(CallbackQueryHandler(self.on_more_button, pattern=f"^{_MORE_PREFIX}"))
        app.add_handler(MessageHandler(new & private & filters.COMMAND, self.on_unknown_command))
        app.add_handler(
            MessageHandler(asked & private & (filters.TEXT | captioned), self.on_private_text)
        )
        app.add_handler(
            MessageHandler(
                asked & groups & (filters.TEXT | captioned) & ~filters.COMMAND, self.on_group_text
            )
        )
        app.add_handler(
            MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_non_text)
        )
        app.add_error_handler(self.on_error)

    # -- gate ---------------------------------------------------------------------------

    async def gate(self, update: Update, context: Context) -> None:
        """Stop updates from chats outside the allow-list (when there is one)."""
        if not self._allowed:
            return
        chat = update.effective_chat
        if chat is not None and chat.id in self._allowed:
            return
        logger.info(
            "ignored an update from chat %s (not in bot.allowed_chat_ids)",
            chat.id if chat else None,
        )
        if update.callback_query is not None:
            await update.callback_query.answer(_texts.NOT_ALLOWED)
        elif chat is not None and chat.type == ChatType.PRIVATE and update.message is not None:
            await update.message.reply_text(_texts.NOT_ALLOWED)
        raise ApplicationHandlerStop

    # -- commands -----------------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> None:
        """``/start`` and ``/help``: what the bot knows and how to ask."""
        if update.message is not None:
            await self._send_html(update.message, [intro_html(self._info())])

    async def on_ask(self, update: Update, context: Context) -> None:
        """``/ask 问题`` (private chats and groups; an edited one is asked again)."""
        message = update.effective_message
        if message is None:
            return
        question = command_argument(message)
        if not question:
            await self._reply(message, _texts.ASK_USAGE)
            return
        await self._answer(message, question, context)

    async def on_more(self, update: Update, context: Context) -> None:
        """``/more``: the next hits of the reader's last answer, as a new message."""
        message = update.message
        if message is not None:
            await self._more_reply(message)

    async def on_new(self, update: Update, context: Context) -> None:
        """``/new``: forget the reader's conversation; the next question stands alone."""
        message = update.message
        if message is None:
            return
        reader = _reader(message)
        had = self._conversations.reset(reader)
        self._memory.forget(reader)
        logger.info("/new in chat %s (a conversation was live: %s)", message.chat_id, had)
        await self._reply(message, _texts.NEW_DONE)

    async def on_reload(self, update: Update, context: Context) -> None:
        """``/reload`` (admin chats only): switch to a rebuilt index without a restart."""
        message = update.message
        if message is None:
            return
        if message.chat_id not in self._admins:
            logger.warning(
                "refused /reload from chat %s (not in bot.admin_chat_ids)", message.chat_id
            )
            await self._reply(message, _texts.RELOAD_DENIED)
            return
        await self._typing(message)
        try:
            changed = await asyncio.to_thread(self._retriever.reload)
        except Exception as exc:
            logger.exception("reloading the index failed")
            reason = str(exc).strip() or type(exc).__name__
            await self._reply(message, _texts.RELOAD_FAILED.format(reason=reason))
            return
        info = self._retriever.info
        template = _texts.RELOAD_DONE if changed else _texts.RELOAD_SAME
        logger.info(
            "/reload by chat %s: %s generation %s",
            message.chat_id,
            "switched to" if changed else "kept",
            info.generation,
        )
        await self._reply(
            message,
            template.format(articles=info.articles, chunks=info.chunks, generation=info.generation),
        )

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        if update.message is not None:
            await self._reply(update.message, _texts.UNKNOWN_COMMAND)

    # -- questions ----------------------------------------------------------------------

    async def on_private_text(self, update: Update, context: Context) -> None:
        """In a private chat every text message (or photo/document caption) is a question."""
        message = update.effective_message
        if message is not None:
            await self._answer(message, message_text(message), context)

    async def on_group_text(self, update: Update, context: Context) -> None:
        """In a group only a reply to the bot or a mention of it is a question."""
        message = update.effective_message
        if message is None:
            return
        question = addressed_question(message, context.bot.id, context.bot.username)
        if question is not None:
            await self._answer(message, question, context)

    async def on_non_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, files...: ask for text (in groups only when addressed)."""
        message = update.message
        if message is None:
            return
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == context.bot.id
        )
        if message.chat.type == ChatType.PRIVATE or to_bot:
            await self._reply(message, _texts.NON_TEXT)

    async def _answer(self, message: Message, question: str, context: Context) -> None:
        question = question.strip()
        if not question:
            await self._reply(message, _texts.EMPTY_QUESTION)
            return
        talk = small_talk(question)
        if talk is None:
            question = strip_greeting(question)  # "你好，……是谁？" asks the question
            talk = small_talk(question)
        if talk is not None:
            await self._small_talk(message, talk)
            return
        if not has_words(question):
            await self._reply(message, _texts.NO_WORDS)
            return
        if more_request(question):  # "还有吗": the next hits of the last answer
            await self._more_reply(message)
            return
        if not await self._admit(message):
            return
        reader = _reader(message)
        slot = self._conversations.get(reader)
        typing = asyncio.create_task(self._typing(message))
        started = time.perf_counter()
        try:
            async with slot.lock:  # one reader's turns in order, one at a time
                answer = await asyncio.to_thread(slot.conversation.ask, question, self._k)
        finally:
            await typing
        elapsed = (time.perf_counter() - started) * 1000
        searched = str(getattr(answer, "searched", "") or "")
        logger.info(
            "question in chat %s: %d chars, confident=%s, %d hits, %.0f ms%s",
            message.chat_id,
            len(question),
            answer.confident,
            len(answer.hits),
            elapsed,
            " (a follow-up)" if searched and searched != question else "",
        )
        if not answer.confident or not answer.hits:
            self._memory.forget(reader)
            notice = answer.notice.strip()
            await self._reply(
                message, f"{notice}\n\n{_texts.NOT_FOUND}" if notice else _texts.NOT_FOUND
            )
            return
        shown = min(self._page, len(answer.hits))
        entry = self._memory.remember(reader, answer.hits, shown)
        pages = render_page(
            answer.hits[:shown], first=0, total=len(answer.hits), notice=answer.notice
        )
        markup = self._more_markup(entry)
        sent = await self._send_html(message, pages, markup)
        if sent and markup is not None:
            entry.button = sent[-1]

    async def _admit(self, message: Message) -> bool:
        """Whether the rate limit lets this reader search now (else say so, or react)."""
        user = message.from_user.id if message.from_user is not None else message.chat_id
        verdict = self._limiter.check(user)
        if verdict.allowed:
            return True
        logger.info("rate limit: reader %s refused for %d s", user, verdict.retry_after)
        if verdict.notify:
            await self._reply(message, _texts.RATE_LIMITED.format(seconds=verdict.retry_after))
        else:
            await self._react(message, _REFUSED)
        return False

    async def _small_talk(self, message: Message, talk: SmallTalk) -> None:
        """A short friendly answer, no search; in groups thanks and goodbyes get a 👍."""
        logger.info("small talk (%s) in chat %s", talk, message.chat_id)
        if talk in ("thanks", "goodbye") and message.chat.type != ChatType.PRIVATE:
            await self._react(message, _THANKED)
        elif talk == "about":
            await self._send_html(message, [intro_html(self._info())])
        elif talk == "greeting":
            await self._reply(message, _texts.SMALL_TALK_GREETING)
        elif talk == "thanks":
            await self._reply(message, _texts.SMALL_TALK_THANKS)
        else:
            await self._reply(message, _texts.SMALL_TALK_GOODBYE)

    # -- paging -------------------------------------------------------------------------

    async def on_more_button(self, update: Update, context: Context) -> None:
        """The "更多" button: the next hits as a new message under the answer, which
        stays as it was (only its button goes: the newest message carries it)."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if not isinstance(message, Message):
            await query.answer(_texts.MORE_EXPIRED)
            return
        key = (query.data or "")[len(_MORE_PREFIX) :]
        entry = self._memory.find(message.chat.id, key)
        if entry is None:
            await query.answer(_texts.MORE_EXPIRED)
            return
        if not entry.remaining:
            await query.answer(_texts.MORE_DONE)
            return
        await query.answer()
        quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._show_next(query.get_bot(), message.chat.id, entry, reply_to=quote)

    async def _more_reply(self, message: Message) -> None:
        """``/more`` or "还有吗": the next hits of the reader's last answer, as a reply;
        past the hits fetched with the question, the conversation searches for more."""
        reader = _reader(message)
        entry = self._memory.get(reader)
        if entry is None:
            await self._reply(message, _texts.MORE_NONE)
            return
        if not entry.remaining and not entry.exhausted:
            if not await self._admit(message):
                return
            await self._fetch_more(entry)
        if not entry.remaining:
            await self._reply(message, _texts.MORE_DONE)
            return
        quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._show_next(message.get_bot(), message.chat_id, entry, reply_to=quote)

    async def _fetch_more(self, entry: Remembered) -> None:
        """Ask the reader's conversation for hits beyond ``entry.hits`` (once it has none)."""
        if entry.reader not in self._conversations:
            entry.exhausted = True  # the conversation expired: nothing to continue
            return
        slot = self._conversations.get(entry.reader)
        async with slot.lock:
            answer = await asyncio.to_thread(slot.conversation.more, self._k)
        if answer.confident and answer.hits:
            entry.hits.extend(answer.hits)
        else:
            entry.exhausted = True

    async def _show_next(
        self, bot: Bot, chat_id: int, entry: Remembered, *, reply_to: int | None
    ) -> None:
        first = entry.shown
        hits = entry.hits[first : first + self._page]
        entry.shown += len(hits)
        pages = render_page(hits, first=first, total=entry.total, best_article=entry.first_article)
        markup = self._more_markup(entry)
        previous = entry.button
        entry.button = None
        sent = await self._send_new(
            bot, chat_id, pages, parse_mode=ParseMode.HTML, markup=markup, reply_to=reply_to
        )
        if markup is not None and sent:
            entry.button = sent[-1]
        if previous is not None:
            await self._drop_button(bot, chat_id, previous)

    @staticmethod
    async def _drop_button(bot: Bot, chat_id: int, message_id: int) -> None:
        """Take the "更多" button off an earlier message (its text stays as it was)."""
        try:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as exc:
            logger.debug("could not remove the button of message %s: %s", message_id, exc)

    @staticmethod
    def _more_markup(entry: Remembered) -> InlineKeyboardMarkup | None:
        if not entry.remaining:
            return None
        button = InlineKeyboardButton(
            f"{_texts.MORE_BUTTON}（{entry.remaining}）",
            callback_data=f"{_MORE_PREFIX}{entry.key}",
        )
        return InlineKeyboardMarkup([[button]])

    # -- errors -------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failure (the logging filter strips the token) and apologise."""
        error = context.error
        if not isinstance(update, Update):
            if isinstance(error, NetworkError):
                logger.warning("Bot API connection problem: %s", error)
            else:
                logger.error("error outside any update", exc_info=error)
            return
        logger.error("error while handling update %s", update.update_id, exc_info=error)
        if isinstance(error, Forbidden):
            return  # the reader blocked the bot or removed it: nobody to answer
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(_texts.APOLOGY)
            chat = update.effective_chat
            if chat is not None:
                await context.bot.send_message(chat.id, _texts.APOLOGY)
        except TelegramError as exc:
            logger.warning("could not send the apology: %s", exc)

    # -- sending ------------------------------------------------------------------------

    def _info(self) -> IndexInfoLike | None:
        try:
            return self._retriever.info
        except Exception:
            logger.exception("reading the index summary failed")
            return None

    @staticmethod
    async def _typing(message: Message) -> None:
        try:
            await message.reply_chat_action(ChatAction.TYPING)
        except TelegramError as exc:
            logger.debug("typing indicator failed: %s", exc)

    @staticmethod
    async def _react(message: Message, emoji: str) -> None:
        """Put a reaction on ``message``; a failure (an old chat, no rights) is only logged."""
        try:
            await message.set_reaction(emoji)
        except TelegramError as exc:
            logger.debug("reaction on message %s failed: %s", message.message_id, exc)

    async def _reply(self, message: Message, text: str) -> None:
        await self._say(message, [text], parse_mode=None)

    async def _send_html(
        self, message: Message, pages: list[str], markup: InlineKeyboardMarkup | None = None
    ) -> list[int]:
        return await self._say(message, pages, parse_mode=ParseMode.HTML, markup=markup)

    async def _say(
        self,
        message: Message,
        pages: list[str],
        *,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> list[int]:
        """Answer ``message``: by editing the earlier answer when ``message`` was edited
        (and that answer is known), else by new messages, the first one remembered.
        The ids of the messages that now show ``pages``."""
        chat_id = message.chat_id
        earlier = (
            self._replies.get(chat_id, message.message_id)
            if message.edit_date is not None
            else None
        )
        if earlier is not None:
            try:
                await message.get_bot().edit_message_text(
                    pages[0],
                    chat_id=chat_id,
                    message_id=earlier,
                    parse_mode=parse_mode,
                    link_preview_options=_NO_PREVIEW,
                    reply_markup=markup if len(pages) == 1 else None,
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    logger.info("could not edit answer %s (%s): answering anew", earlier, exc)
                    earlier = None
            if earlier is not None:
                rest = await self._send_new(
                    message.get_bot(),
                    chat_id,
                    pages[1:],
                    parse_mode=parse_mode,
                    markup=markup,
                    reply_to=None,
                )
                return [earlier, *rest]
        quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
        sent = await self._send_new(
            message.get_bot(), chat_id, pages, parse_mode=parse_mode, markup=markup, reply_to=quote
        )
        if sent:
            self._replies.remember(chat_id, message.message_id, sent[0])
        return sent

    @staticmethod
    async def _send_new(
        bot: Bot,
        chat_id: int,
        pages: Sequence[str],
        *,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
    ) -> list[int]:
        """``pages`` as new messages (the first quoting ``reply_to``, the last carrying
        ``markup``); their ids."""
        ids: list[int] = []
        for number, page in enumerate(pages, start=1):
            quoted = reply_to is not None and number == 1
            sent = await bot.send_message(
                chat_id,
                page,
                parse_mode=parse_mode,
                link_preview_options=_NO_PREVIEW,
                reply_markup=markup if number == len(pages) else None,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if quoted and reply_to is not None
                    else None
                ),
            )
            ids.append(sent.message_id)
        return ids


def _reader(message: Message) -> ReaderKey:
    """Whose conversation ``message`` belongs to: the chat's in a private chat, the
    sender's own in a group."""
    if message.chat.type == ChatType.PRIVATE or message.from_user is None:
        return (message.chat_id, 0)
    return (message.chat_id, message.from_user.id)
