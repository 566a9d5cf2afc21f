"""The runtimes behind :class:`~newsqa.index.Embedder`: torch, ONNX Runtime and OpenVINO.

Every encoder turns a batch of texts into float32 vectors (not yet normalised) and
reports token lengths, so the embedder can batch by length. The torch encoder runs
the sentence-transformers model itself, on any torch device. The ONNX Runtime and
OpenVINO encoders run the ONNX export of that same model (mean pooling included) that
:mod:`._onnx_export` makes once into the model cache; this module reads that folder
(``export.json`` and ``tokenizer.json`` beside the ``.onnx`` file) but never writes it.

Also here: which runtime and device a configuration runs on (:func:`choose_runtime`,
:func:`resolve_device`) and how many cores this process may use (:func:`all_cores`).
The runtimes themselves are listed once, as ``ModelBackend`` in :mod:`.._config`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._config import ModelBackend, ModelConfig
from .._errors import ConfigError, ModelError
from ._protocol import Vectors

__all__ = [
    "EXPORT_META",
    "TOKENIZER_FILE",
    "Encoder",
    "OnnxEncoder",
    "OpenVinoEncoder",
    "TorchEncoder",
    "all_cores",
    "choose_runtime",
    "error_line",
    "load_export_meta",
    "missing_extra",
    "resolve_device",
]

logger = logging.getLogger(__name__)

EXPORT_META = "export.json"
"""The export's description: input names, ``max_length``, ``pad_id`` and ``dim``."""
TOKENIZER_FILE = "tokenizer.json"
"""The exported ``tokenizers`` tokenizer, beside the ``.onnx`` file."""


def all_cores() -> int:
    """The cores this process may run on (the affinity mask, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def error_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def missing_extra(backend: ModelBackend, exc: ImportError) -> ModelError:
    """The one-line error for a runtime whose extra (named after it) is not installed."""
    return ModelError(
        f"model.backend = {backend} needs its extra: pip install 'newsqa[{backend}]' "
        f"({exc.name or exc} is missing)"
    )


# --------------------------------------------------------------------------- devices


def choose_runtime(cfg: ModelConfig) -> tuple[ModelBackend, str]:
    """``(backend, device)`` to embed with.

    A float32 ONNX model and the torch model give the same vectors (to 1e-6), so when a
    GPU is asked for and onnxruntime has no GPU provider (the default CPU wheel), the
    torch model runs on the GPU instead: a bulk build on a GPU and serving on a CPU
    produce the same index.
    """
    if cfg.backend == "onnx" and not cfg.quantize and cfg.device != "cpu":
        try:
            device = resolve_device(cfg.device, "onnx")
        except ConfigError:
            device = "cpu"  # no onnxruntime GPU provider
        if device == "cpu":
            torch_device = resolve_device(cfg.device, "torch")  # one-line error if no GPU
            if torch_device != "cpu":
                logger.info("embedding with torch on %s (same vectors as onnx)", torch_device)
                return "torch", torch_device
        return "onnx", device
    return cfg.backend, resolve_device(cfg.device, cfg.backend)


def resolve_device(device: str, backend: ModelBackend) -> str:
    """The concrete device for ``device`` ("auto" picks a GPU when one is present).

    Raises :class:`ConfigError` in one line when the device is not available here.
    """
    if backend == "openvino":
        if device not in {"cpu", "auto"}:
            raise ConfigError(f"model.device {device!r}: the openvino backend runs on the cpu only")
        return "cpu"
    if backend == "onnx":
        if device in {"cpu", "auto"}:
            return "cpu" if device == "cpu" or not _ort_has_cuda() else "cuda"
        if device.startswith("cuda") and _ort_has_cuda():
            return device
        raise ConfigError(
            f"{device} requested but onnxruntime has no CUDA provider "
            "(pip install onnxruntime-gpu, or use model.backend = torch)"
        )
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if _mps_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"{device} requested but torch {torch.__version__} sees no GPU")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"{device} requested but torch sees only {torch.cuda.device_count()} GPU(s)"
            )
    elif device == "mps" and not _mps_available():
        raise ConfigError("mps requested but torch sees no Apple GPU")
    return device


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _ort_has_cuda() -> bool:
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


# --------------------------------------------------------------------------- encoders


class Encoder(Protocol):
    """One runtime for one model: batches of texts in, float32 vectors out."""

    dim: int
    max_length: int

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text after truncation (special tokens included)."""
        ...

    def encode(self, texts: Sequence[str], threads: int) -> Vectors:
        """``(len(texts), dim)`` float32 vectors, in order, on ``threads`` CPU threads."""
        ...

    def release_other_threads(self, keep: int) -> None:
        """Free runtime state kept for thread counts other than ``keep``."""
        ...


class TorchEncoder:
    """The sentence-transformers model itself, one forward pass per batch."""

    def __init__(self, path: str, device: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.model: Any = SentenceTransformer(path, device=device)
        self.model.eval()
        self._device = self.model.device
        self._torch = torch
        getter = getattr(self.model, "get_embedding_dimension", None)  # sentence-transformers 6
        getter = getter or self.model.get_sentence_embedding_dimension
        self.dim = int(getter() or 0)
        self.max_length = int(self.model.max_seq_length or 512)
        self._tokenizer: Any = getattr(self.model, "tokenizer", None)
        if not self.dim:  # a model that cannot tell: measure
            self.dim = int(self.encode(["dim"], 0).shape[1])

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        if self._tokenizer is None:  # no text tokenizer to ask: characters approximate
            return [min(len(t) + 2, self.max_length) for t in texts]
        ids = self._tokenizer(list(texts), truncation=True, max_length=self.max_length)
        return [len(row) for row in ids["input_ids"]]

    def encode(self, texts: Sequence[str], threads: int) -> Vectors:
        """One forward pass; ``model.encode`` would add milliseconds of bookkeeping per call."""
        torch = self._torch
        if threads > 0 and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        model = self.model
        preprocess = getattr(model, "preprocess", None) or model.tokenize  # ST >= 6 / older
        features = preprocess(list(texts))
        features = {
            k: v.to(self._device) if isinstance(v, torch.Tensor) else v for k, v in features.items()
        }
        with torch.inference_mode():
            vecs = model(features)["sentence_embedding"].float()  # fp16/bf16 weights: back to fp32
        return np.ascontiguousarray(vecs.cpu().numpy(), dtype=np.float32)

    def release_other_threads(self, keep: int) -> None:
        pass  # torch has one process-wide pool, resized by encode()


def load_export_meta(folder: Path) -> dict[str, Any]:
    """The ``export.json`` of the ONNX export in ``folder``."""
    try:
        meta: dict[str, Any] = json.loads((folder / EXPORT_META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the ONNX export in {folder} is unreadable: {exc}") from exc
    return meta


class _Tokens:
    """The exported tokenizer (``tokenizers``, no torch): padded numpy batches."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self.max_length = int(meta.get("max_length", 512))
        self.names: list[str] = list(meta.get("inputs", ["input_ids", "attention_mask"]))
        self._tok = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tok.enable_truncation(self.max_length)
        self._pad = int(meta.get("pad_id", 1))
        self._lock = threading.Lock()  # a Tokenizer's padding state is not thread-safe

    def lengths(self, texts: Sequence[str]) -> list[int]:
        with self._lock:
            self._tok.no_padding()
            return [len(e.ids) for e in self._tok.encode_batch(list(texts))]

    def batch(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        with self._lock:
            self._tok.enable_padding(pad_id=self._pad)
            enc = self._tok.encode_batch(list(texts))
        arrays = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }
        return {n: arrays[n] for n in self.names}


class OnnxEncoder:
    """The ONNX export on ONNX Runtime; one session per thread count in use.

    ``row_by_row`` runs every text through the model on its own. The int8 export needs
    it: its dynamic quantisation scales the activations of a whole batch by the batch's
    largest value, so a passage embedded beside others got a vector that depended on
    them (cosine down to 0.994 against the same text alone). The same text then had
    another vector in a full build than in an incremental one, and two builds of one
    corpus ranked differently. Alone, every text gets its own scale: one vector per
    text, a little closer to the float32 model's (mean cosine 0.9968 against 0.9964
    batched, news paragraphs). The rows run on ``threads`` one-thread sessions side by
    side, which is faster than batches on every core (1.4 times on short paragraphs):
    a single text leaves most of a multi-threaded operator's cores waiting.
    """

    def __init__(
        self,
        path: Path,
        *,
        threads_hint: int,
        device: str = "cpu",
        meta: dict[str, Any] | None = None,
        row_by_row: bool = False,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise missing_extra("onnx", exc) from exc
        _no_telemetry(ort)
        self._ort = ort
        self._path = path
        self._row_by_row = row_by_row
        meta = meta if meta is not None else load_export_meta(path.parent)
        self._tokens = _Tokens(path.parent, meta)
        self.max_length = self._tokens.max_length
        self._providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"]
            if device.startswith("cuda")
            else ["CPUExecutionProvider"]
        )
        self._device_id = int(device.partition(":")[2] or 0) if device.startswith("cuda") else 0
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._pool: tuple[int, ThreadPoolExecutor] | None = None  # (workers, pool)
        self._session(1 if row_by_row else threads_hint)
        self.dim = int(meta.get("dim") or self.encode(["dim"], threads_hint).shape[1])

    def _session(self, threads: int) -> Any:
        threads = threads if threads > 0 else all_cores()
        session = self._sessions.get(threads)
        if session is None:
            with self._lock:
                session = self._sessions.get(threads)
                if session is None:
                    ort = self._ort
                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = threads
                    opts.inter_op_num_threads = 1
                    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    # no busy-waiting between operators: the machine may be shared
                    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    providers: list[Any] = list(self._providers)
                    if providers[0] == "CUDAExecutionProvider":
                        providers[0] = (providers[0], {"device_id": self._device_id})
                    try:
                        session = ort.InferenceSession(str(self._path), opts, providers=providers)
                    except Exception as exc:  # onnxruntime's own exception types
                        raise ModelError(f"cannot load {self._path}: {error_line(exc)}") from exc
                    self._sessions[threads] = session
        return session

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return self._tokens.lengths(texts)

    def encode(self, texts: Sequence[str], threads: int) -> Vectors:
        if self._row_by_row:
            return self._rows(texts, threads if threads > 0 else all_cores())
        out = self._session(threads).run(["sentence_embedding"], self._tokens.batch(texts))[0]
        return np.ascontiguousarray(out, dtype=np.float32)

    def _rows(self, texts: Sequence[str], threads: int) -> Vectors:
        """Each text alone on a one-thread session, ``threads`` of them at a time.

        A single text (a question) runs on one thread too: the same session for every
        text is what makes its vector the same in any batch and on any machine.
        """
        session = self._session(1)

        def one(text: str) -> Any:
            return session.run(["sentence_embedding"], self._tokens.batch([text]))[0]

        if threads == 1 or len(texts) == 1:
            rows = [one(t) for t in texts]
        else:
            with self._lock:
                if self._pool is None or self._pool[0] != threads:
                    # not shut down: a caller may still be mapping over it; its idle
                    # workers end once it is collected
                    self._pool = (threads, ThreadPoolExecutor(threads, "newsqa-embed"))
                pool = self._pool[1]
            rows = list(pool.map(one, texts))
        return np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)

    def release_other_threads(self, keep: int) -> None:
        keep = keep if keep > 0 else all_cores()
        with self._lock:
            if self._row_by_row:
                keep = 1  # the one session every run uses
            for threads in [t for t in self._sessions if t != keep]:
                del self._sessions[threads]
            self._pool = None  # made again at the next batch (see _rows)


def _no_telemetry(ort: Any) -> None:
    """Turn off ONNX Runtime's telemetry events (process-wide) before any session exists.

    They are only ever sent by Windows builds, but nothing of a reader's questions or
    the archive should leave the machine on any platform.
    """
    disable = getattr(ort, "disable_telemetry_events", None)
    if disable is None:  # a runtime build without the switch
        return
    try:
        disable()
    except Exception as exc:  # onnxruntime's own exception types
        logger.debug("cannot disable ONNX Runtime telemetry: %s", error_line(exc))


class OpenVinoEncoder:
    """The ONNX export compiled by OpenVINO for the CPU; one compiled model per thread count."""

    def __init__(self, path: Path, *, threads_hint: int) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise missing_extra("openvino", exc) from exc
        self._core = ov.Core()
        try:
            self._model = self._core.read_model(str(path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses
            raise ModelError(f"openvino cannot read {path}: {error_line(exc)}") from exc
        self._path = path
        meta = load_export_meta(path.parent)
        self._tokens = _Tokens(path.parent, meta)
        self.max_length = self._tokens.max_length
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._compile(threads_hint)
        self.dim = int(meta.get("dim") or self.encode(["dim"], threads_hint).shape[1])

    def _compile(self, threads: int) -> Any:
        threads = threads if threads > 0 else all_cores()
        compiled = self._compiled.get(threads)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(threads)
                if compiled is None:
                    config = {
                        "INFERENCE_NUM_THREADS": threads,
                        "PERFORMANCE_HINT": "LATENCY",
                        "INFERENCE_PRECISION_HINT": "f32",  # bf16 on some CPUs: keep vectors fp32
                    }
                    try:
                        compiled = self._core.compile_model(self._model, "CPU", config)
                    except Exception as exc:
                        raise ModelError(
                            f"openvino cannot compile {self._path}: {error_line(exc)}"
                        ) from exc
                    self._compiled[threads] = compiled
        return compiled

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return self._tokens.lengths(texts)

    def encode(self, texts: Sequence[str], threads: int) -> Vectors:
        compiled = self._compile(threads)
        requests: dict[int, Any] = self._local.__dict__.setdefault("requests", {})
        key = id(compiled)
        request = requests.get(key)
        if request is None:  # an infer request is not thread-safe: one per thread
            request = requests[key] = compiled.create_infer_request()
        out = request.infer(self._tokens.batch(texts))[0]
        return np.ascontiguousarray(out, dtype=np.float32)

    def release_other_threads(self, keep: int) -> None:
        keep = keep if keep > 0 else all_cores()
        with self._lock:
            for threads in [t for t in self._compiled if t != keep]:
                del self._compiled[threads]
