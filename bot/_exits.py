"""The exit statuses of both front ends (``newsqa`` commands and ``newsqa bot``)."""

from __future__ import annotations

__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK"]

EXIT_OK = 0
EXIT_FAILURE = 1
"""An expected failure: no index yet, a model mismatch, the Bot API unreachable, ..."""
EXIT_CONFIG = 2
"""Bad usage or configuration (for ``newsqa bot``: also a missing or rejected token).
A service manager should not restart on it: the same settings fail the same way."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (128 + SIGINT)."""
