"""Progress of a long step: a tqdm bar on a terminal, log lines every few seconds otherwise.

A build run from cron or under systemd has no terminal, so a bar would only fill the
log with carriage returns; :class:`Progress` then logs one INFO line every ``every``
seconds instead::

    embedding: 12,000 / 80,000 chunks (15.2/s), about 1 h 14 min left

A step shorter than ``every`` logs nothing. :func:`reporting` makes a progress the
ambient one, so code deep inside a step (the embedder's batches) advances the bar of
the step that owns it (the builder's slices) without a parameter through every layer.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["Progress", "current_progress", "format_left", "reporting"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOG_EVERY = 10.0
"""Seconds between two progress lines when there is no terminal."""

_current: ContextVar[Progress | None] = ContextVar("newsqa_progress", default=None)


def format_left(seconds: float) -> str:
    """``"about 1 h 14 min left"``, ``"about 3 min left"``, ``"less than a minute left"``."""
    minutes = int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))
    if minutes < 1:
        return "less than a minute left"
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"about {hours} h {minutes} min left" if minutes else f"about {hours} h left"
    return f"about {minutes} min left"


class Progress:
    """Count ``done`` of ``total`` units of ``what``; show it as a bar or as log lines.

    ``bar`` chooses tqdm (a terminal); otherwise a line is logged at most every
    ``every`` seconds (and none for a step that ends sooner). ``clock`` is for tests.
    """

    def __init__(
        self,
        total: int,
        what: str,
        *,
        unit: str = "chunks",
        bar: bool = False,
        every: float = LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.what = what
        self.unit = unit
        self.done = 0
        self._every = every
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._bar: Any = None
        if bar and total > 0:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=what, unit=unit.removesuffix("s"))

    def update(self, n: int) -> None:
        """``n`` more units done."""
        if n <= 0:
            return
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            logger.info("%s", self.line(now))

    def reach(self, done: int) -> None:
        """At least ``done`` units done (what a step without finer reports adds at its end)."""
        self.update(done - self.done)

    def line(self, now: float | None = None) -> str:
        """The log line for the progress so far."""
        elapsed = (self._clock() if now is None else now) - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"{self.what}: {self.done:,} / {self.total:,} {self.unit} ({rate:.1f}/s)"
        if rate > 0 and self.done < self.total:
            text += ", " + format_left((self.total - self.done) / rate)
        return text

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting one unit each."""
        for item in items:
            yield item
            self.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def current_progress() -> Progress | None:
    """The progress made ambient by :func:`reporting`, if any."""
    return _current.get()


@contextlib.contextmanager
def reporting(progress: Progress) -> Iterator[Progress]:
    """Make ``progress`` the ambient one while the block runs."""
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)
