"""A per-reader sliding-window rate limit, in memory."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Verdict"]

_PRUNE_AT = 10_000
"""Past this many tracked readers, readers with no recent question are forgotten."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of :meth:`RateLimiter.check`."""

    allowed: bool
    retry_after: int = 0
    """Whole seconds until the next question would be allowed (when not allowed)."""
    first_refusal: bool = False
    """True for the first refusal in a run of refusals, so the reader is told only once."""
    notify: bool = False
    """True when the reader should be told (again) in words: the first refusal of a run,
    and then at most once every ``notice_seconds``; other refusals get a reaction."""


class RateLimiter:
    """At most ``count`` questions per key within any ``seconds``-long window.

    ``count <= 0`` disables the limit. Not thread-safe: call it from the event loop.
    """

    def __init__(
        self,
        count: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        notice_seconds: float = 60.0,
    ) -> None:
        self._count = count
        self._seconds = seconds
        self._clock = clock
        self._notice_seconds = notice_seconds
        self._events: dict[int, deque[float]] = {}
        self._refused: set[int] = set()
        self._noticed: dict[int, float] = {}

    def check(self, key: int) -> Verdict:
        """Record a question from ``key`` if allowed; say whether it is."""
        if self._count <= 0 or self._seconds <= 0:
            return Verdict(True)
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= _PRUNE_AT:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self._seconds:
            events.popleft()
        if len(events) < self._count:
            events.append(now)
            self._refused.discard(key)
            return Verdict(True)
        retry = max(1, math.ceil(events[0] + self._seconds - now))
        first = key not in self._refused
        self._refused.add(key)
        last = self._noticed.get(key)
        notify = first or last is None or now - last >= self._notice_seconds
        if notify:
            self._noticed[key] = now
        return Verdict(False, retry_after=retry, first_refusal=first, notify=notify)

    def _prune(self, now: float) -> None:
        stale = [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self._seconds]
        for key in stale:
            del self._events[key]
            self._refused.discard(key)
            self._noticed.pop(key, None)
