"""newsqa's front ends: the ``newsqa`` command line and the Telegram bot.

Public surface::

    main(argv) -> int       the ``newsqa`` command (:mod:`newsqa.bot.cli`)

``newsqa chat`` (:mod:`newsqa.bot._chat`) is a conversation in the terminal; the bot
itself is :mod:`newsqa.bot.telegram` (``run_bot``, ``build_application``). Both hold
one :class:`newsqa.retrieval.Conversation` per reader, so follow-ups are understood.
Both front ends share one logging set-up (:mod:`newsqa.bot._logging`) and one set of
exit statuses (:mod:`newsqa.bot._exits`). Importing this package is cheap: the CLI
loads python-telegram-bot only for ``newsqa bot``, and the model stack only for the
commands that search or build.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``newsqa`` command line with ``argv`` (default: ``sys.argv[1:]``)."""
    from .cli import main as cli_main  # here, so `python -m newsqa.bot.cli` loads it once

    return cli_main(argv)
