"""The question adapter (retrieve/adapter.py): fitting, applying, storing, and when it is used.

Toy vectors stand in for e5's: a linear map exists that sends each question to its right
sentence, and the fit must find enough of it to rank questions it was not fitted on.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieve import adapter

DIM = 16


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _toy(seed: int, n: int, sentences: np.ndarray, swap: np.ndarray):
    """Questions lying near the wrong sentence: the right one is `swap` of the nearest."""
    rng = np.random.default_rng(seed)
    near = rng.integers(0, len(sentences), n)
    questions = _unit(sentences[near] + 0.05 * rng.standard_normal((n, DIM)))
    return questions, [[int(swap[i])] for i in near]


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(1)
    sentences = _unit(rng.standard_normal((8, DIM)))
    swap = np.array([1, 0, 3, 2, 5, 4, 7, 6])  # each question's topic is its neighbour's
    return sentences, swap


def _top1(questions: np.ndarray, positives: list[list[int]], sentences: np.ndarray) -> float:
    first = np.argmax(questions @ sentences.T, axis=1)
    return float(np.mean([f in p for f, p in zip(first, positives, strict=True)]))


def test_fit_moves_unseen_questions_to_their_sentences(toy):
    sentences, swap = toy
    train, train_right = _toy(2, 60, sentences, swap)
    test, test_right = _toy(3, 40, sentences, swap)
    assert _top1(test, test_right, sentences) == 0.0
    found = adapter.QueryAdapter(adapter.fit(train, train_right, sentences, penalty=1e-4), {})
    moved = np.array([found.apply(q) for q in test])
    assert _top1(moved, test_right, sentences) > 0.75  # from none
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)


def test_penalty_keeps_the_map_near_none_and_fit_is_deterministic(toy):
    sentences, swap = toy
    train, right = _toy(2, 60, sentences, swap)
    loose = adapter.fit(train, right, sentences, penalty=1e-4)
    tight = adapter.fit(train, right, sentences, penalty=100.0)
    assert np.linalg.norm(tight) < 0.1 * np.linalg.norm(loose)
    assert np.array_equal(loose, adapter.fit(train, right, sentences, penalty=1e-4))


def test_zero_map_changes_nothing():
    vector = _unit(np.arange(1, DIM + 1, dtype=np.float32))
    none = adapter.QueryAdapter(np.zeros((DIM, DIM), dtype=np.float32), {})
    assert np.allclose(none.apply(vector), vector)


def test_stored_adapter_is_used_only_for_its_model_and_documents(tmp_path, toy):
    sentences, swap = toy
    train, right = _toy(2, 30, sentences, swap)
    file = tmp_path / "adapter.npz"
    adapter.QueryAdapter(adapter.fit(train, right, sentences, penalty=1e-3),
                         {"model": "e5-toy", "series": ["vårdavtal"], "penalty": 1e-3}).save(file)
    loaded = adapter.load(file)
    assert loaded.meta == {"model": "e5-toy", "series": ["vårdavtal"], "penalty": 1e-3}

    ours = {"vårdavtal", "riktlinje"}
    assert adapter.usable(str(file), "e5-toy", DIM, ours) is loaded
    assert adapter.usable(str(file), "another-model", DIM, ours) is None
    assert adapter.usable(str(file), "e5-toy", DIM * 2, ours) is None
    assert adapter.usable(str(file), "e5-toy", DIM, {"annan kommuns riktlinje"}) is None
    assert adapter.usable("off", "e5-toy", DIM, ours) is None
    assert adapter.usable(str(tmp_path / "missing.npz"), "e5-toy", DIM, ours) is None


def test_shipped_adapter_fits_the_shipped_model():
    from assistant.index.embed import DIMENSION, MODEL_NAME

    shipped = adapter.load(adapter.ADAPTER_FILE)
    assert shipped is not None and shipped.fits(MODEL_NAME, DIMENSION, shipped.meta["series"])
    assert shipped.meta["pairs"] > 0 and "out_of_fold" in shipped.meta


def test_the_adapter_moves_what_is_cited_not_whether_to_answer(tmp_path):
    """With a fake embedder: an adapter leaning one question towards another section changes
    the first citation; the question's own vector, and so the decision, stay as embedded."""
    import dataclasses

    from assistant.config import Settings
    from assistant.service import Assistant
    from tests.fakes import HashEmbedder, decision_file, memory_index, section

    embed = HashEmbedder()
    index = memory_index([
        section("sar", "Kommunen lägger om sår och byter förband i hemmet.",
                title="Sårvård"),
        section("hjalp", "Regionen betalar hjälpmedel som rullstolar och rollatorer.",
                title="Hjälpmedel"),
    ], embed)
    settings = dataclasses.replace(Settings(), index_dir=tmp_path / "index",
                                   data_dir=tmp_path / "data", domain_vocabulary=False,
                                   decision_file=decision_file(tmp_path, decline_below=0.0),
                                   llm_url=None, chroma_url=None)
    plain = Assistant(index, settings, embed_query=embed)
    moved = Assistant(index, settings, embed_query=embed)
    question = "Vem byter förband i hemmet?"
    toward = embed("Regionen betalar hjälpmedel som rullstolar och rollatorer.")
    moved.adapter = adapter.QueryAdapter(3.0 * np.outer(embed(question), toward), {})

    assert plain.ask(question).citations[0].section_id == "sar"
    assert moved.ask(question).citations[0].section_id == "hjalp"
    assert np.allclose(moved.query(question).vector, plain.query(question).vector)
    assert np.allclose(moved.query(question).ranking_vector,
                       moved.adapter.apply(plain.query(question).ranking_vector))
    assert moved.ask(question).evidence == pytest.approx(plain.ask(question).evidence)


def test_an_index_swapped_in_chooses_the_adapter_for_its_own_documents(tmp_path, monkeypatch):
    """Assistant.refresh: a background build of other documents gets no adapter fitted for
    the first ones, and a later swap back gets it again."""
    import dataclasses

    from assistant import service
    from assistant.config import settings
    from tests.fakes import HashEmbedder, decision_file, memory_index, section

    embed = HashEmbedder()
    ours = memory_index([section("a", "Kommunen ansvarar för hemsjukvården.", document="avtal")],
                        embed, path=tmp_path / "ours")
    other = memory_index([section("b", "Rutinen gäller för ambulansen.", document="rutin")],
                         embed, path=tmp_path / "other")
    fitted = object()
    monkeypatch.setattr(service, "usable",
                        lambda choice, model, dim, series: fitted if "avtal" in series else None)
    config = dataclasses.replace(settings(), decision_file=decision_file(tmp_path))
    assistant = service.Assistant(ours, config, embed_query=embed)
    assert assistant.adapter is None  # a fake embedder's vectors: never adapted
    assistant._adapts = True  # as with the real model
    swapped_in = [other, ours]
    monkeypatch.setattr(service.store, "current_build", lambda _: swapped_in[0].path)
    monkeypatch.setattr(service.store, "open_index", lambda *_, **__: swapped_in[0])
    monkeypatch.setattr(service.store, "state", lambda _: None)
    assert assistant.refresh() and assistant.index is other and assistant.adapter is None
    swapped_in.pop(0)
    assert assistant.refresh() and assistant.index is ours and assistant.adapter is fitted
