"""Questions about four foreign fixtures, each document alone in a corpus of its own (as text,
no manifest entry), answered by the real assistant (real model, real index) and scored by the
real evaluation: a region–municipality agreement whose sub-agreement restarts its numbering,
a Word guideline that lost most of its heading numbers, an agreement on the care of the
deceased with lettered subsections and a diary number over its title, and a routine whose
subheadings stand inside the running text. Before the reader understood these shapes, hit@3
was 0.24, 0.36, 0.69 and 0.26; the floors below leave room for ranking ties.

Slow: four index builds (about four minutes on the shared two cores)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from assistant.config import settings
from assistant.eval.matching import SectionTree
from assistant.eval.questions import parse_questions
from assistant.eval.runner import run

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Floors per fixture, under the figures measured (docs/foreign-documents.md, sessions 8 and 9).
FLOORS = {
    "storsthlm-sammanhallen-aldre": {"hit3": 0.75, "oos_abstain": 0.5},
    # hit@1 was 0.64 while "SIP" was spelled out in the question's embedding (the document
    # names it in nearly every passage: glossary.distinctive); 0.818 until session 22, 0.773
    # (17 of 22) since the heading weight: "Får vi neka någon en SIP?" now ranks "Vad är
    # SIP?" above "Upptäcka behov" (second; docs/answer-quality.md, session 22)
    "botkyrka-sip-riktlinje": {"hit1": 0.75, "hit3": 0.75, "oos_abstain": 0.75},
    # session 9 (docs/foreign-documents.md): text alone, hit@3 0.78 / 0.69 measured (0.26 / 0.69
    # before the reader knew subheadings flattened into running text and these covers)
    "botkyrka-delegeringsrutin": {"hit3": 0.70, "oos_abstain": 0.5},
    "storsthlm-omhandertagande-avlidna": {"hit3": 0.60, "oos_abstain": 0.75},
}
MAX_ANSWERABLE_DECLINED = 0.2
# Session 14's decision model (nine signals, nineteen sets) on the seven fixtures alone:
# answerable declined 14 → 9 of 162 (the deceased agreement 6 → 3 of 26, the delegation
# routine 4 → 3 of 23, so both are now held to the common bound) and out-of-scope declined
# 25 → 23 of 28 — one of them here (3 → 2 of 4): docs/answer-quality.md, session 14.


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """An assistant over one fixture's text alone, built when a test first asks for it."""
    from assistant.service import Assistant

    class Assistants(dict):
        def __missing__(self, name: str):
            base = tmp_path_factory.mktemp(name)
            (base / "corpus").mkdir()
            shutil.copy(FIXTURES / name / "source.txt", base / "corpus" / f"{name}.txt")
            self[name] = Assistant.load(dataclasses.replace(
                settings(), corpus_dir=base / "corpus", index_dir=base / "index",
                data_dir=base / "data"))
            return self[name]

    return Assistants()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_questions_about_the_document_alone(alone, name):
    assistant = alone[name]
    path = FIXTURES / name / "questions.yaml"
    questions = parse_questions(path.read_text(encoding="utf-8"), str(path), documents={name})
    result = run(name, assistant, questions, SectionTree(assistant.sections), progress=False)
    metrics = result.metrics
    assert metrics["unverified_quotes"] == 0
    assert metrics["unresolved_gold"] == 0  # every gold names a section the reader found
    for figure, floor in FLOORS[name].items():
        assert metrics[figure] >= floor, (figure, metrics[figure])
    assert metrics["false_abstain"] <= MAX_ANSWERABLE_DECLINED
