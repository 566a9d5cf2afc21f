"""The Telegram bot (``newsqa bot``), built on python-telegram-bot: questions in,
verbatim quotes out.

Public surface::

    run_bot(config) -> int                          run until stopped; the exit status
    build_application(config, retriever, token)     the PTB Application, not started
                                                    (conversations=: a factory of each
                                                    reader's conversation, for tests)
    RetrieverLike                                   what the bot needs of a retriever
    TOKEN_ENV                                       "TELEGRAM_BOT_TOKEN"

Each private chat, and each member of a group, has its own conversation
(:class:`newsqa.retrieval.Conversation`): follow-ups are understood, ``/new`` starts
over, and an idle one is forgotten after ``retrieval.conversation_ttl_s``. The token
only ever comes from the environment. Importing this package loads
python-telegram-bot; the model stack loads only when :func:`run_bot` starts.
"""

from __future__ import annotations

from ._app import build_application, run_bot
from ._secrets import TOKEN_ENV
from ._types import RetrieverLike

__all__ = ["TOKEN_ENV", "RetrieverLike", "build_application", "run_bot"]
