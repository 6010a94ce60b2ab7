"""The test session's passage memo (tests/conftest.py): a text the project's embedding
store holds, or one embedded before in the session, is not embedded again; the rest once."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
from conftest import _PassageMemo

from assistant.config import settings
from assistant.index import passage_cache
from assistant.index.embed import DIMENSION, Embedding

FP32 = Embedding("onnx", "fp32")
CACHED = "Regionen betalar hjälpmedlet när patienten är under arton år."


def _vector(text: str) -> np.ndarray:
    vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIMENSION)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _memo(tmp_path) -> tuple[_PassageMemo, list[list[str]]]:
    project = dataclasses.replace(settings(), index_dir=tmp_path / "index",
                                  model_dir=tmp_path / "model", embed_cache=None)
    store = passage_cache.open_store(project)
    store.put(passage_cache._key(FP32, project.model_dir),
              {passage_cache._digest(CACHED): _vector(CACHED)})
    store.close()
    asked: list[list[str]] = []

    def model(texts, *args, **kwargs):
        asked.append(list(texts))
        return np.stack([_vector(t) for t in texts])

    return _PassageMemo(model, project), asked


def test_cached_and_repeated_texts_are_not_embedded_again(tmp_path):
    memo, asked = _memo(tmp_path)
    texts = [CACHED, "Kommunen ansvarar för insatsen.", "Kommunen ansvarar för insatsen."]
    vectors = memo(texts, embedding=FP32)
    assert asked == [["Kommunen ansvarar för insatsen."]]
    assert vectors.shape == (3, DIMENSION)
    np.testing.assert_array_equal(vectors[0], _vector(CACHED))
    np.testing.assert_array_equal(vectors[1], vectors[2])

    again = memo(["Kommunen ansvarar för insatsen.", "En ny mening om avgifter."],
                 embedding=FP32)
    assert asked[1:] == [["En ny mening om avgifter."]]
    np.testing.assert_array_equal(again[0], vectors[1])


def test_another_model_or_backend_does_not_take_the_projects_vectors(tmp_path):
    memo, asked = _memo(tmp_path)
    memo([CACHED], embedding=FP32, model_dir=tmp_path / "other-model")
    memo([CACHED], embedding=Embedding("onnx", "int8"))
    assert asked == [[CACHED], [CACHED]]
