"""newsqa's Telegram front end (``newsqa bot``): questions in, verbatim quotes out.

Public surface::

    run_bot(config) -> int                          run until stopped; the exit code
    build_application(config, retriever, token)     the PTB Application, not started
    RetrieverLike                                   what the bot needs of a retriever
    TOKEN_ENV                                       "TELEGRAM_BOT_TOKEN"

The token only ever comes from the environment. Importing this package is cheap (the
CLI in :mod:`newsqa.bot.cli` lives here too): python-telegram-bot is imported on first use of
``run_bot``/``build_application``, and the model stack only when :func:`run_bot` starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .telegram._secrets import TOKEN_ENV
from .telegram._types import RetrieverLike

if TYPE_CHECKING:
    from .telegram._app import build_application, run_bot

__all__ = ["TOKEN_ENV", "RetrieverLike", "build_application", "run_bot"]

_LAZY = frozenset({"build_application", "run_bot"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from .telegram import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
