"""Building the python-telegram-bot Application, and running it as ``newsqa bot``."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram import BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, JobQueue
from telegram.request import BaseRequest

from .._exits import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from .._logging import redact, setup_logging
from . import _texts
from ._handlers import ALLOWED_UPDATES, QABot
from ._secrets import read_token
from ._types import ConversationFactory, ConversationLike, RetrieverLike

if TYPE_CHECKING:
    from newsqa.retrieval import Config

__all__ = ["BotApplication", "build_application", "check_environment", "run_bot"]

logger = logging.getLogger(__name__)

BotApplication: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]


def build_application(
    config: Config,
    retriever: RetrieverLike,
    token: str,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    conversations: ConversationFactory | None = None,
) -> BotApplication:
    """The bot as an :class:`~telegram.ext.Application`, not yet started.

    ``request``/``updates_request`` replace PTB's HTTP layer (tests pass a stub).
    ``conversations`` makes each reader's conversation; by default a
    :class:`newsqa.retrieval.Conversation` over ``retriever`` when it is a
    :class:`~newsqa.retrieval.Retriever`, else none (each question on its own).
    """
    cfg = config.bot
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(cfg.base_url)
        .concurrent_updates(cfg.concurrent_updates)
        .post_init(_post_init)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    app = builder.build()
    QABot(
        retriever,
        rate_limit_count=cfg.rate_limit_count,
        rate_limit_seconds=cfg.rate_limit_seconds,
        allowed_chat_ids=cfg.allowed_chat_ids,
        admin_chat_ids=cfg.admin_chat_ids,
        hits_per_page=cfg.hits_per_page,
        max_hits=cfg.max_hits,
        remembered_chats=cfg.remembered_chats,
        conversations=conversations or _default_conversations(config, retriever),
        conversation_ttl_s=config.retrieval.conversation_ttl_s,
    ).register(app)
    return app


def _default_conversations(config: Config, retriever: RetrieverLike) -> ConversationFactory | None:
    """A factory of :class:`newsqa.retrieval.Conversation` over ``retriever``, or None
    when ``retriever`` is not newsqa's own (a fake: the bot asks it directly)."""
    from newsqa.retrieval import Conversation, Retriever

    if not isinstance(retriever, Retriever):
        return None
    ttl_s = config.retrieval.conversation_ttl_s
    turns = config.retrieval.conversation_turns

    def make() -> ConversationLike:
        return Conversation(retriever, ttl_s=ttl_s, max_turns=turns)

    return make


async def _post_init(app: BotApplication) -> None:
    """Publish the command menu; a failure is only a warning."""
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in _texts.COMMANDS])
    except TelegramError as exc:
        logger.warning("could not publish the command menu: %s", exc)
    logger.info("bot @%s is up", app.bot.username)


def check_environment(config: Config) -> str:
    """A one-line problem with what ``config.bot`` needs installed, or ``""``.

    The settings themselves were checked when ``config`` was built; webhook mode also
    needs tornado (the ``webhooks`` extra of python-telegram-bot).
    """
    if config.bot.mode == "webhook" and importlib.util.find_spec("tornado") is None:
        return (
            "webhook mode needs the webhooks extra: "
            "pip install 'python-telegram-bot[webhooks]==22.8'"
        )
    return ""


def _fail(line: str) -> None:
    """The one line a failed start-up prints (stderr: logging may not be set up)."""
    sys.stderr.write(f"newsqa bot: error: {line}\n")
    sys.stderr.flush()


class _DropBootstrapFailure(logging.Filter):
    """Drops PTB's "Network Retry Loop (Bootstrap ...) ... Aborting." record and its
    chained traceback: :func:`run_bot` reports that failure itself, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and "Aborting" in str(record.msg))


def run_bot(config: Config, *, environ: Mapping[str, str] | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; the process exit code.

    0 after a clean stop; 2 (:data:`~newsqa.bot._exits.EXIT_CONFIG`) when webhook mode
    lacks tornado or the token is missing, malformed or rejected (a bad setting never
    gets here: building the configuration refused it); 1 when the index cannot be
    loaded or the Bot API cannot be reached at start-up.
    """
    problem = check_environment(config)
    if problem:
        _fail(problem)
        return EXIT_CONFIG
    token, problem = read_token(os.environ if environ is None else environ)
    if problem:
        _fail(problem)
        return EXIT_CONFIG
    cfg = config.bot
    secrets = (token, cfg.webhook_secret_token)
    setup_logging(secrets, level=config.log_level)
    if cfg.mode == "webhook" and not cfg.webhook_secret_token:
        logger.warning(
            "webhook mode without bot.webhook_secret_token: anyone who finds the "
            "URL can post fake updates"
        )

    from newsqa.retrieval import NewsqaError, Retriever  # the model stack loads only here

    try:
        retriever = Retriever.open(config)
    except NewsqaError as exc:
        _fail(f"cannot load the index: {exc}")
        return EXIT_FAILURE
    app = build_application(config, retriever, token)
    logger.info(
        "serving %d articles (%d chunks) by %s",
        retriever.info.articles,
        retriever.info.chunks,
        cfg.mode,
    )
    # A fresh loop each run: PTB closes the one it runs on, and a closed loop left as the
    # current one would break a second run_bot in the same process.
    asyncio.set_event_loop(asyncio.new_event_loop())
    quiet = _DropBootstrapFailure()
    ptb_logger = logging.getLogger("telegram.ext")
    ptb_logger.addFilter(quiet)
    try:
        if cfg.mode == "webhook":
            logger.info(
                "webhook mode: listening on %s:%d/%s, webhook URL %s",
                cfg.webhook_listen,
                cfg.webhook_port,
                cfg.webhook_path.lstrip("/"),
                cfg.webhook_url,
            )
            app.run_webhook(
                listen=cfg.webhook_listen,
                port=cfg.webhook_port,
                url_path=cfg.webhook_path,
                webhook_url=cfg.webhook_url,
                secret_token=cfg.webhook_secret_token or None,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=cfg.drop_pending_updates,
            )
        else:
            app.run_polling(
                poll_interval=cfg.poll_interval,
                timeout=cfg.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=cfg.drop_pending_updates,
            )
    except InvalidToken:
        _fail("Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)")
        return EXIT_CONFIG
    except NetworkError as exc:
        _fail(f"cannot reach the Bot API at {cfg.base_url}: {redact(str(exc), secrets)}")
        return EXIT_FAILURE
    except (TelegramError, OSError) as exc:
        _fail(f"cannot serve the bot: {redact(str(exc), secrets)}")
        return EXIT_FAILURE
    finally:
        ptb_logger.removeFilter(quiet)
        asyncio.set_event_loop(None)
    logger.info("bot stopped")
    return EXIT_OK
