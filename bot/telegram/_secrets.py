"""The bot token: read from the environment, checked, and kept out of every log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "TOKEN_ENV",
    "RedactingFilter",
    "install_redaction",
    "read_token",
    "redact",
]

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
_MASK = "[REDACTED]"


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


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[REDACTED]``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records so no secret reaches a handler: message, arguments,
    traceback and stack. Attach it to handlers (filters on loggers do not see records
    propagated from child loggers)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # The token, and its secret half alone (it may show up URL-split).
        found: set[str] = set()
        for secret in secrets:
            if secret:
                found.add(secret)
                if ":" in secret:
                    tail = secret.split(":", 1)[1]
                    if len(tail) >= 16:
                        found.add(tail)
        self._secrets = tuple(sorted(found, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw parts
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


def install_redaction(secrets: Iterable[str], level: str = "INFO") -> RedactingFilter:
    """Attach a :class:`RedactingFilter` to every root handler (configuring a stderr
    handler first if there is none) and quiet ``httpx``, which logs request URLs, and
    with them the token, at INFO."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    filt = RedactingFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(filt)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return filt
