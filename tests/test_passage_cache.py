"""A rebuild embeds only texts the last build did not: the passage cache (fast, fake model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.index import passage_cache
from assistant.index.embed import Embedding

FP32 = Embedding("onnx", "fp32")


@pytest.fixture
def embedded(monkeypatch) -> list[list[str]]:
    """Every call to the (fake) model, with the texts it was given."""
    calls: list[list[str]] = []

    def fake(texts, show_progress=False, embedding=None):
        calls.append(list(texts))
        rows = np.zeros((len(texts), 384), np.float32)
        for i, text in enumerate(texts):
            rows[i, len(text) % 384] = 1.0
        return rows

    monkeypatch.setattr(passage_cache, "embed_passages", fake)
    monkeypatch.setattr(passage_cache, "release_models", lambda: None)
    return calls


def test_second_build_embeds_only_new_texts_and_keeps_the_order(tmp_path, embedded):
    first = passage_cache.cached_passages(["Regionen betalar.", "Kommunen ansvarar."], FP32,
                                          tmp_path, tmp_path)
    again = passage_cache.cached_passages(
        ["Kommunen ansvarar.", "Ett nytt avsnitt i bilagan.", "Regionen betalar."], FP32,
        tmp_path, tmp_path)
    assert embedded == [["Regionen betalar.", "Kommunen ansvarar."],
                        ["Ett nytt avsnitt i bilagan."]]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])


def test_the_cache_holds_the_latest_build_only(tmp_path, embedded):
    passage_cache.cached_passages(["Gammal text."], FP32, tmp_path, tmp_path)
    passage_cache.cached_passages(["Ny text."], FP32, tmp_path, tmp_path)
    passage_cache.cached_passages(["Gammal text."], FP32, tmp_path, tmp_path)
    assert embedded == [["Gammal text."], ["Ny text."], ["Gammal text."]]


def test_another_backend_or_export_does_not_reuse_vectors(tmp_path, embedded):
    passage_cache.cached_passages(["Samma text."], FP32, tmp_path, tmp_path)
    passage_cache.cached_passages(["Samma text."], Embedding("onnx", "int8"), tmp_path, tmp_path)
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / ".exported").write_text('{"conversion": "ny"}')
    passage_cache.cached_passages(["Samma text."], FP32, tmp_path, tmp_path)
    assert len(embedded) == 3
    assert len(list((tmp_path / passage_cache.FOLDER).glob("*.npz"))) == 1


def test_a_damaged_or_unwritable_cache_is_not_used(tmp_path, embedded):
    passage_cache.cached_passages(["En text."], FP32, tmp_path, tmp_path)
    for stored in (tmp_path / passage_cache.FOLDER).glob("*.npz"):
        stored.write_bytes(b"inte en npz-fil")
    vectors = passage_cache.cached_passages(["En text."], FP32, tmp_path, tmp_path)
    assert len(embedded) == 2 and vectors.shape == (1, 384)
    blocked = tmp_path / "blockerad"
    blocked.write_text("en fil där mappen skulle ligga")
    assert passage_cache.cached_passages(["En text."], FP32, blocked, tmp_path).shape == (1, 384)
