"""An index's identity: when stored vectors and tokens are stale, and when they serve.

Each backend records settings (format, model identity, tokenizer, ...) with its
index. :class:`Identity` describes which keys a backend records; with it, a build
says in one line why it must rebuild everything (:meth:`Identity.stale_reason`) and
opening refuses an index the configuration cannot serve (:meth:`Identity.check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import IndexMismatchError

if TYPE_CHECKING:
    from .._config import ModelConfig

__all__ = ["Identity", "model_change"]

_REBUILD = "run `newsqa index build --full`"


def model_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """The one-line reason a changed model identity forces a full rebuild."""
    if before.get("name") != after.get("name"):
        return f"embedding model changed ({before.get('name', '?')} -> {after.get('name')})"
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return f"embedding model changed ({', '.join(changed)})"


@dataclass(frozen=True, slots=True)
class Identity:
    """The settings keys of one backend's stored index and how they are reported."""

    format_key: str
    """The settings key of the storage format ("format_version", "format")."""
    format: object
    """The format this newsqa writes and reads."""
    stale_format: str
    """Start of the rebuild reason for another format ("index format version")."""
    other_format: str
    """Start of the refusal to serve another format ("the index has format version")."""
    tokenizers: Mapping[str, str]
    """The settings keys (and values this newsqa uses) of the tokenisation."""
    compared: tuple[str, ...]
    """Keys compared after the model, in order, for the rebuild reason."""

    def stale_reason(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
        """Why settings ``new`` cannot update an index recorded as ``old`` ("": they can)."""
        key = self.format_key
        if old.get(key) != new[key]:
            return f"{self.stale_format} {old.get(key)} -> {new[key]}"
        if old.get("model") != new["model"]:
            return model_change(old.get("model") or {}, new["model"])
        for name in self.compared:
            if old.get(name) != new[name]:
                return f"{name} changed ({old.get(name)} -> {new[name]})"
        return ""

    def check(self, settings: Mapping[str, Any], model: ModelConfig) -> None:
        """Raise :class:`IndexMismatchError` unless ``model`` can serve ``settings``."""
        from .._embedding._embedder import compatibility_problem  # lazy: numpy

        if settings.get(self.format_key) != self.format:
            raise IndexMismatchError(
                f"{self.other_format} {settings.get(self.format_key)}, this newsqa reads "
                f"{self.format}: {_REBUILD}"
            )
        problem = compatibility_problem(model, settings.get("model", {}))
        if problem:
            raise IndexMismatchError(f"{problem}: {_REBUILD}")
        if any(settings.get(k) != v for k, v in self.tokenizers.items()):
            raise IndexMismatchError(f"the index was built with another tokenizer: {_REBUILD}")
