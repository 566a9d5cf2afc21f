"""The bot token: read from the environment and checked, never repeated in a message.

Keeping it out of log lines is :class:`newsqa.bot._logging.RedactingFilter`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["TOKEN_ENV", "read_token"]

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")


def read_token(environ: Mapping[str, str]) -> tuple[str, str]:
    """``(token, "")`` when ``TELEGRAM_BOT_TOKEN`` holds a well-formed token, else
    ``("", problem)`` with a one-line explanation that never repeats the value."""
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        return "", (
            f"{TOKEN_ENV} is not set: create a bot with @BotFather and export its token "
            f"(export {TOKEN_ENV}=123456:ABC...)"
        )
    if not _TOKEN_RE.fullmatch(token):
        return "", (
            f"{TOKEN_ENV} is malformed: expected <digits>:<30+ letters, digits, _ or ->, "
            "as given by @BotFather"
        )
    return token, ""
