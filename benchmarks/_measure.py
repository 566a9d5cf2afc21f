"""Measuring helpers shared by the benchmark scripts: resident memory and percentiles."""

from __future__ import annotations

import contextlib
import ctypes
import time
from typing import Any


def status_mb(field: str) -> float:
    """A memory line of ``/proc/self/status`` (``VmRSS``, ``RssAnon`` ...) in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    return status_mb("VmRSS")


def ask_latencies(retriever: Any, questions: list[str], warmup: int) -> list[float]:
    """Milliseconds of ``retriever.ask`` per question, after ``warmup`` unmeasured ones."""
    for q in questions[:warmup]:
        retriever.ask(q)
    out = []
    for q in questions:
        start = time.perf_counter()
        retriever.ask(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def trim() -> None:
    """Give freed heap back to the OS, so the next RSS delta means something."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]
