"""The runtimes behind :class:`~newsqa.index.Embedder`: torch, ONNX Runtime and OpenVINO.

Every encoder turns a batch of texts into float32 vectors (not yet normalised) and
reports token lengths, so the embedder can batch by length. The torch encoder runs
the sentence-transformers model itself, on any torch device. The ONNX and OpenVINO
encoders run an ONNX export of that same model (mean pooling included), made once
by :func:`ensure_onnx_export` into the model cache, offline, from the local model
folder; ``quantize = "int8"`` (ONNX Runtime only) adds a dynamically quantised copy
(int8 weights of every matrix product, per output channel; the embedding table stays
float32). OpenVINO runs that int8 file slower than the float32 one, so it is not offered.

sentence-transformers' own ONNX/OpenVINO backends go through ``optimum``, whose
current releases pin ``transformers`` below the 5.x that newsqa runs on, so the
export and the runtimes are driven directly: ``torch.onnx.export``,
``onnxruntime.quantization`` and ``openvino.Core``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._errors import ConfigError, ModelError

__all__ = [
    "BACKENDS",
    "QUANTIZE",
    "Encoder",
    "OnnxEncoder",
    "OpenVinoEncoder",
    "TorchEncoder",
    "all_cores",
    "ensure_onnx_export",
    "export_dir",
    "resolve_device",
]

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

BACKENDS = ("torch", "onnx", "openvino")
QUANTIZE = ("", "int8")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_EXPORT_META = "export.json"
_FP32 = "model.onnx"
_INT8 = "model_int8.onnx"
_CHECK_TEXTS = ("passage: 月娥竹艺工坊由冠县妇联扶持创办。", "query: 谁创办的？", "x")
_MAX_EXPORT_DIFF = 1e-3
"""An export whose vectors differ from torch's by more than this is refused."""
_EXTRAS = {"onnx": "onnx", "openvino": "openvino"}


def all_cores() -> int:
    """The cores this process may run on (the affinity mask, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_device(device: str, backend: str) -> str:
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


def _missing_extra(backend: str, exc: ImportError) -> ModelError:
    return ModelError(
        f"model.backend = {backend} needs its extra: pip install 'newsqa[{_EXTRAS[backend]}]' "
        f"({exc.name or exc} is missing)"
    )


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


# --------------------------------------------------------------------------- torch


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


# --------------------------------------------------------------------------- ONNX export


def ensure_onnx_export(source: Path, cache_dir: Path, quantize: str) -> Path:
    """The ONNX file of the sentence-transformers model in ``source``; made once, offline.

    The export lives in ``cache_dir`` (a folder per model, next to the converted
    default model): ``model.onnx`` (float32, pooling included), ``model_int8.onnx``
    when ``quantize`` asks for it, the tokenizer and ``export.json``. Every file is
    written under a temporary name and renamed into place, so a crash never leaves a
    half-written model; a racing process merely does the same work twice.
    """
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot write the model cache {cache_dir}: {exc}") from exc
    fp32 = cache_dir / _FP32
    if not (fp32.is_file() and (cache_dir / _EXPORT_META).is_file()):
        logger.info("exporting %s to ONNX once, in %s", source, cache_dir)
        _export_fp32(source, cache_dir)
    if quantize != "int8":
        return fp32
    int8 = cache_dir / _INT8
    if not int8.is_file():
        logger.info("quantising the ONNX export to int8 once, in %s", int8)
        _atomic_write(int8, lambda tmp: _quantize_int8(fp32, tmp))
    return int8


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except ModelError:
        raise
    except ImportError as exc:
        raise _missing_extra("onnx", exc) from exc
    except OSError as exc:
        raise ModelError(f"cannot write {target}: {exc}") from exc
    except Exception as exc:  # torch.onnx, onnx and onnxruntime failures alike
        raise ModelError(f"cannot export the embedding model to {target}: {_line(exc)}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _export_fp32(source: Path, out: Path) -> None:
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"exporting the embedding model to ONNX needs the onnx package: "
            f"pip install 'newsqa[onnx]' ({exc.name or exc} is missing)"
        ) from exc
    try:
        model: Any = SentenceTransformer(str(source), device="cpu")
        model.eval()
        tokenizer = model.tokenizer
        max_length = int(model.max_seq_length or 512)
        sample = tokenizer(list(_CHECK_TEXTS), padding=True, return_tensors="pt")
        names = [n for n in _INPUTS if n in sample]
        expected = model.encode(
            list(_CHECK_TEXTS), convert_to_numpy=True, normalize_embeddings=True
        ).astype(np.float32)
    except Exception as exc:  # IO, config and torch errors alike
        raise ModelError(f"cannot load {source} for the ONNX export: {_line(exc)}") from exc

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = model

        def forward(self, *tensors: Any) -> Any:
            return self.st(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    def export(tmp: Path) -> None:
        axes = {n: {0: "batch", 1: "tokens"} for n in names}
        axes["sentence_embedding"] = {0: "batch"}
        with torch.inference_mode():
            torch.onnx.export(
                _Pooled().eval(), tuple(sample[n] for n in names), str(tmp), dynamo=False,
                input_names=names, output_names=["sentence_embedding"], dynamic_axes=axes,
                opset_version=17, do_constant_folding=True,
            )  # fmt: skip

    import warnings

    with warnings.catch_warnings():  # tracer and deprecation warnings: the check below decides
        warnings.simplefilter("ignore")
        _atomic_write(out / _FP32, export)
    try:
        tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
        pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
    except (AttributeError, OSError) as exc:
        raise ModelError(f"the tokenizer of {source} cannot be saved for ONNX: {exc}") from exc
    meta = {"inputs": names, "max_length": max_length, "pad_id": pad_id, "dim": expected.shape[1]}
    onnx_out = OnnxEncoder(out / _FP32, threads_hint=1, meta=meta)
    got = onnx_out.encode(list(_CHECK_TEXTS), 1)
    got /= np.linalg.norm(got, axis=1, keepdims=True)
    diff = float(np.abs(got - expected).max())
    if diff > _MAX_EXPORT_DIFF:
        (out / _FP32).unlink(missing_ok=True)
        raise ModelError(f"the ONNX export of {source} differs from torch by {diff:.2g}; not used")

    def write_meta(tmp: Path) -> None:
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    _atomic_write(out / _EXPORT_META, write_meta)


def _quantize_int8(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Matrix products only, per output channel: as fast as quantising everything on
    # this model, with a quarter of the error (the embedding table is a lookup).
    root = logging.getLogger()
    hint = _DropPreprocessHint()
    root.addFilter(hint)  # onnxruntime suggests a pre-processing step on the root logger
    try:
        quantize_dynamic(
            str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"],
        )  # fmt: skip
    finally:
        root.removeFilter(hint)


class _DropPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _load_meta(folder: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((folder / _EXPORT_META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the ONNX export in {folder} is unreadable: {exc}") from exc
    return meta


class _Tokens:
    """The exported tokenizer (``tokenizers``, no torch): padded numpy batches."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self.max_length = int(meta.get("max_length", 512))
        self.names: list[str] = list(meta.get("inputs", ["input_ids", "attention_mask"]))
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
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
    """The ONNX export on ONNX Runtime; one session per thread count in use."""

    def __init__(
        self,
        path: Path,
        *,
        threads_hint: int,
        device: str = "cpu",
        meta: dict[str, Any] | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise _missing_extra("onnx", exc) from exc
        self._ort = ort
        self._path = path
        meta = meta if meta is not None else _load_meta(path.parent)
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
        self._session(threads_hint)
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
                        raise ModelError(f"cannot load {self._path}: {_line(exc)}") from exc
                    self._sessions[threads] = session
        return session

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return self._tokens.lengths(texts)

    def encode(self, texts: Sequence[str], threads: int) -> Vectors:
        out = self._session(threads).run(["sentence_embedding"], self._tokens.batch(texts))[0]
        return np.ascontiguousarray(out, dtype=np.float32)

    def release_other_threads(self, keep: int) -> None:
        keep = keep if keep > 0 else all_cores()
        with self._lock:
            for threads in [t for t in self._sessions if t != keep]:
                del self._sessions[threads]


class OpenVinoEncoder:
    """The ONNX export compiled by OpenVINO for the CPU; one compiled model per thread count."""

    def __init__(self, path: Path, *, threads_hint: int) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise _missing_extra("openvino", exc) from exc
        self._core = ov.Core()
        try:
            self._model = self._core.read_model(str(path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses
            raise ModelError(f"openvino cannot read {path}: {_line(exc)}") from exc
        self._path = path
        meta = _load_meta(path.parent)
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
                            f"openvino cannot compile {self._path}: {_line(exc)}"
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


def export_dir(cache_dir: Path, source: Path, weights: str) -> Path:
    """Where the ONNX export of the model in ``source`` (weights ``weights``) is cached."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", source.name or "model").strip("._") or "model"
    if weights and weights not in slug:
        slug = f"{slug}-{weights}"
    return cache_dir / f"{slug}-onnx"


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
