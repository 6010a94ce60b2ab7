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
    small = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index")
    manifest = json.loads((store.build(small) / "manifest.json").read_text(encoding="utf-8"))
    phases = manifest["phases"]
    assert set(phases) == {"read", "embed", "write"}
    assert all(seconds >= 0 for seconds in phases.values())
    assert sum(phases.values()) <= manifest["seconds"] + 0.2
    assert phases["embed"] > 0
