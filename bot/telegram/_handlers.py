"""What the bot does with each update: questions (also edited ones, and captions),
small talk, paging, commands, and errors.

Searches run in worker threads (:func:`asyncio.to_thread`) so the event loop keeps
serving other readers; everything else here is quick and runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
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
from ._format import intro_html, render_page
from ._memory import AnswerMemory, Remembered, ReplyMap
from ._question import (
    SmallTalk,
    addressed_question,
    command_argument,
    has_words,
    message_text,
    small_talk,
    strip_greeting,
)
from ._ratelimit import RateLimiter
from ._types import IndexInfoLike, RetrieverLike

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
    ) -> None:
        self._retriever = retriever
        self._limiter = RateLimiter(rate_limit_count, rate_limit_seconds)
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
        """``/more``: the next hits of this chat's last answer, as a new message."""
        message = update.message
        if message is None:
            return
        entry = self._memory.get(message.chat_id)
        if entry is None:
            await self._reply(message, _texts.MORE_NONE)
        elif not entry.remaining:
            await self._reply(message, _texts.MORE_DONE)
        else:
            pages, markup = self._next_page(entry)
            await self._send_html(message, pages, markup)

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
        reader = message.from_user.id if message.from_user is not None else message.chat_id
        verdict = self._limiter.check(reader)
        if not verdict.allowed:
            logger.info("rate limit: reader %s refused for %d s", reader, verdict.retry_after)
            if verdict.notify:
                await self._reply(message, _texts.RATE_LIMITED.format(seconds=verdict.retry_after))
            else:
                await self._react(message, _REFUSED)
            return
        typing = asyncio.create_task(self._typing(message))
        started = time.perf_counter()
        try:
            answer = await asyncio.to_thread(self._retriever.ask, question, self._k)
        finally:
            await typing
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "question in chat %s: %d chars, confident=%s, %d hits, %.0f ms",
            message.chat_id,
            len(question),
            answer.confident,
            len(answer.hits),
            elapsed,
        )
        if not answer.confident or not answer.hits:
            self._memory.forget(message.chat_id)
            notice = answer.notice.strip()
            await self._reply(
                message, f"{notice}\n\n{_texts.NOT_FOUND}" if notice else _texts.NOT_FOUND
            )
            return
        shown = min(self._page, len(answer.hits))
        entry = self._memory.remember(message.chat_id, answer, shown)
        pages = render_page(
            answer.hits[:shown], first=0, total=len(answer.hits), notice=answer.notice
        )
        await self._send_html(message, pages, self._more_markup(entry))

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
        """The "更多" button: edit the message to show the next hits (no new search)."""
        query = update.callback_query
        if query is None or query.message is None:
            if query is not None:
                await query.answer(_texts.MORE_EXPIRED)
            return
        key = (query.data or "")[len(_MORE_PREFIX) :]
        entry = self._memory.get(query.message.chat.id, key)
        if entry is None:
            await query.answer(_texts.MORE_EXPIRED)
            return
        if not entry.remaining:
            await query.answer(_texts.MORE_DONE)
            return
        pages, markup = self._next_page(entry)
        await query.answer()
        await self._edit_html(query, pages, markup)

    def _next_page(self, entry: Remembered) -> tuple[list[str], InlineKeyboardMarkup | None]:
        first = entry.shown
        hits = entry.answer.hits[first : first + self._page]
        entry.shown += len(hits)
        pages = render_page(hits, first=first, total=len(entry.answer.hits))
        return pages, self._more_markup(entry)

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
    ) -> None:
        await self._say(message, pages, parse_mode=ParseMode.HTML, markup=markup)

    async def _say(
        self,
        message: Message,
        pages: list[str],
        *,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Answer ``message``: by editing the earlier answer when ``message`` was edited
        (and that answer is known), else by new messages, the first one remembered."""
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
                for number, page in enumerate(pages[1:], start=2):
                    await message.get_bot().send_message(
                        chat_id,
                        page,
                        parse_mode=parse_mode,
                        link_preview_options=_NO_PREVIEW,
                        reply_markup=markup if number == len(pages) else None,
                    )
                return
        quote = message.chat.type != ChatType.PRIVATE
        for number, page in enumerate(pages, start=1):
            sent = await message.reply_text(
                page,
                parse_mode=parse_mode,
                do_quote=quote and number == 1,
                link_preview_options=_NO_PREVIEW,
                reply_markup=markup if number == len(pages) else None,
            )
            if number == 1:
                self._replies.remember(chat_id, message.message_id, sent.message_id)

    @staticmethod
    async def _edit_html(
        query: CallbackQuery, pages: list[str], markup: InlineKeyboardMarkup | None
    ) -> None:
        await query.edit_message_text(
            pages[0],
            parse_mode=ParseMode.HTML,
            link_preview_options=_NO_PREVIEW,
            reply_markup=markup if len(pages) == 1 else None,
        )
        chat = query.message.chat if query.message is not None else None
        if chat is None:
            return
        for number, page in enumerate(pages[1:], start=2):
            await query.get_bot().send_message(
                chat.id,
                page,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
                reply_markup=markup if number == len(pages) else None,
            )
