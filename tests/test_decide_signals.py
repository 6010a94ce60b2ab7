"""The evidence signals the decision model reads (retrieve/hybrid.py) and how the calibration
script chooses its decline threshold: fast, a word list stands in for the corpus."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from assistant.answer.decide import MODEL_FILE, load_model
from assistant.retrieve.hybrid import Hit, HybridSearch, _section_share
from assistant.retrieve.lexical import Vocabulary, tokens
from assistant.types import Section

BODIES = {
    "a": "Regionen ansvarar för hjälpmedel till barn och ungdomar.",
    "b": "Kommunen ansvarar för hemtjänst och kommunen ansvarar för boendet.",
    "c": "Kommunen och regionen ska samverka i Västra Götaland.",
    "d": "Kommunen betalar boendet.",
}


def section(section_id: str) -> Section:
    return Section(id=section_id, document="avtal", document_title="Avtal", kind="avtal",
                   part="A", agreement=None, section=None, title=section_id, level=1,
                   path=[section_id], body=BODIES[section_id])


@pytest.fixture
def search() -> HybridSearch:
    """A HybridSearch holding only what the signals read, built from four short sections."""
    engine = object.__new__(HybridSearch)
    words = set().union(*(tokens(body) for body in BODIES.values()))
    engine.vocabulary = Vocabulary(words)
    engine.section_share = _section_share(BODIES.values())
    engine.section_tokens = {k: frozenset(tokens(f"{k} {v}")) for k, v in BODIES.items()}
    engine.glossary, engine.domain = {"vgr": "Västra Götalandsregionen"}, {}
    return engine


def hit(section_id: str) -> Hit:
    return Hit(section(section_id), 1.0, 0.9, f"{section_id}#0")


def test_a_section_holding_the_rare_words_matches_more_than_one_holding_common_ones(search):
    question = "Vem ansvarar för hjälpmedel till barn?"
    assert search.matched(question, [hit("a")]) > 0.9
    assert search.matched(question, [hit("b")]) < 0.5
    # the best of the top sections counts
    assert search.matched(question, [hit("b"), hit("a")]) == search.matched(question, [hit("a")])


def test_a_word_the_documents_never_use_is_never_matched_and_weighs_most(search):
    known = search.matched("Vem betalar boendet?", [hit("d")])
    unknown = search.matched("Vem betalar boendet på Mallorca?", [hit("d")])
    assert known == pytest.approx(1.0)
    assert unknown < 0.5
    assert search.matched("Vem betalar boendet?", []) == 0.0
    assert math.isfinite(unknown)


def test_names_the_documents_never_use_are_unknown_names(search):
    assert search.unknown_names("Vad gäller för hemtjänst i Region Uppsala?") == ["Uppsala"]
    assert search.unknown_names("Hur samverkar kommunen och regionen i Västra Götaland?") == []
    assert search.unknown_names("Får VGR betala hjälpmedel?") == []  # an abbreviation it knows
    # a capital opening a sentence says nothing
    assert search.unknown_names("Kalmar. Ansvarar kommunen för hemtjänst?") == []


def calibration():
    path = Path(__file__).parents[1] / "scripts" / "calibrate_threshold.py"
    spec = importlib.util.spec_from_file_location("calibrate_threshold", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_decline_threshold_declines_as_many_no_gold_as_the_answerable_bound_allows():
    calibrate = calibration()
    rng = np.random.default_rng(1)
    n = 400
    y = rng.random(n) < 0.85
    x = np.column_stack([np.where(y, 0.88, 0.84) + rng.normal(0, 0.02, n)
                         if name == "similarity" else rng.normal(0, 1, n)
                         for name in calibrate.FEATURES])
    model = calibrate.fit(x, y)
    p = calibrate.probabilities(model, x)
    assert np.mean(p[y] < model.decline_below) <= calibrate.ANSWERABLE_DECLINED
    higher = model.decline_below + (calibrate.GRID[1] - calibrate.GRID[0])
    assert np.mean(p[y] < higher) > calibrate.ANSWERABLE_DECLINED
    assert model.sure_above >= model.decline_below


def test_the_shipped_model_reads_every_signal_the_script_fits():
    assert load_model(MODEL_FILE).features == calibration().FEATURES
