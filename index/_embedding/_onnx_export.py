"""The ONNX export of a sentence-transformers model, and its int8 copy, made once.

The ONNX Runtime and OpenVINO encoders (:mod:`._runtimes`) run this export.
:func:`ensure_onnx_export` makes it offline, from the local model folder, into a
folder of the model cache named by :func:`export_dir` (next to the converted default
model): ``model.onnx`` (float32, mean pooling included), the tokenizer and
``export.json``; an export already there is reused as it is. ``quantize = "int8"``
(ONNX Runtime only) adds ``model_int8.onnx``, a dynamically quantised copy (int8
weights of every matrix product, per output channel; the embedding table stays
float32). OpenVINO runs that int8 file slower than the float32 one, so it is not offered.

sentence-transformers' own ONNX/OpenVINO backends go through ``optimum``, whose
current releases pin ``transformers`` below the 5.x that newsqa runs on, so the
export is driven directly: ``torch.onnx.export`` and ``onnxruntime.quantization``.

``quantize_dynamic`` logs a hint on the root logger ("Please consider to run
pre-processing before quantization ..."); this library leaves it alone: the front
ends' logging set-up decides what to show.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._config import Quantize
from .._errors import ModelError
from ._runtimes import EXPORT_META, TOKENIZER_FILE, OnnxEncoder, error_line, missing_extra

__all__ = ["ensure_onnx_export", "export_dir"]

logger = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_FP32 = "model.onnx"
_INT8 = "model_int8.onnx"
_CHECK_TEXTS = ("passage: 月娥竹艺工坊由冠县妇联扶持创办。", "query: 谁创办的？", "x")
_MAX_EXPORT_DIFF = 1e-3
"""An export whose vectors differ from torch's by more than this is refused."""


def export_dir(cache_dir: Path, source: Path, weights: str) -> Path:
    """Where the ONNX export of the model in ``source`` (weights ``weights``) is cached."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", source.name or "model").strip("._") or "model"
    if weights and weights not in slug:
        slug = f"{slug}-{weights}"
    return cache_dir / f"{slug}-onnx"


def ensure_onnx_export(source: Path, cache_dir: Path, quantize: Quantize) -> Path:
    """The ONNX file of the sentence-transformers model in ``source``; made once, offline.

    The export lives in ``cache_dir`` (a folder per model, see :func:`export_dir`):
    ``model.onnx``, ``model_int8.onnx`` when ``quantize`` asks for it, the tokenizer
    and ``export.json``. Every file is written under a temporary name and renamed
    into place, so a crash never leaves a half-written model; a racing process merely
    does the same work twice.
    """
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot write the model cache {cache_dir}: {exc}") from exc
    fp32 = cache_dir / _FP32
    if not (fp32.is_file() and (cache_dir / EXPORT_META).is_file()):
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
        raise missing_extra("onnx", exc) from exc
    except OSError as exc:
        raise ModelError(f"cannot write {target}: {exc}") from exc
    except Exception as exc:  # torch.onnx, onnx and onnxruntime failures alike
        raise ModelError(
            f"cannot export the embedding model to {target}: {error_line(exc)}"
        ) from exc
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
        raise ModelError(f"cannot load {source} for the ONNX export: {error_line(exc)}") from exc

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

    with warnings.catch_warnings():  # tracer and deprecation warnings: the check below decides
        warnings.simplefilter("ignore")
        _atomic_write(out / _FP32, export)
    try:
        tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
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

    _atomic_write(out / EXPORT_META, write_meta)


def _quantize_int8(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Matrix products only, per output channel: as fast as quantising everything on
    # this model, with a quarter of the error (the embedding table is a lookup).
    quantize_dynamic(
        str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
        op_types_to_quantize=["MatMul"],
    )  # fmt: skip
