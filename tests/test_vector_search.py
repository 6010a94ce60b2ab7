"""Chroma's search over a corpus this size is exact (vectors.collection_configuration): the
nearest chunks a full comparison finds, whichever process opens the build. With Chroma's
default search a small collection's graph is rebuilt on several threads in every process
that opens it, and two processes could cite different sections for one question."""

from __future__ import annotations

import numpy as np

from assistant.index import vectors


def _unit_rows(n: int, seed: int, dim: int = 384) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_embedded_chroma_finds_the_exact_nearest_chunks(tmp_path):
    rows = _unit_rows(900, seed=1)  # e5's width; fewer than Chroma writes as a graph
    ids = [f"chunk-{i}" for i in range(len(rows))]
    store = vectors.EmbeddedChroma(tmp_path)
    store.write("chunks", ids, rows, ["text"] * len(ids), [{"n": i} for i in range(len(ids))])
    collection = store.open("chunks")
    for question in _unit_rows(25, seed=2):
        found = collection.query(query_embeddings=[question.tolist()], n_results=30,
                                 include=["distances"])["ids"][0]
        assert found == [ids[i] for i in np.argsort(-(rows @ question))[:30]]


def test_a_larger_collection_searches_wider_up_to_a_bound():
    assert vectors.collection_configuration(50)["hnsw"]["ef_search"] == vectors.DEFAULT_EF
    assert vectors.collection_configuration(800)["hnsw"]["ef_search"] == 800
    assert vectors.collection_configuration(10**6)["hnsw"]["ef_search"] == vectors.EXACT_UP_TO
