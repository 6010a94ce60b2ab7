"""Quizzes: deterministic, and every answer is proven by a verbatim quote of the corpus."""

from __future__ import annotations

import dataclasses
import json

import pytest

from assistant.answer.verify import quote_in_section
from assistant.cli import main
from assistant.config import settings
from assistant.ingest.clean import collapse
from assistant.ingest.structure import load_corpus
from assistant.trainers import quiz
from assistant.trainers.source import load_library


@pytest.fixture(scope="module")
def library():
    return load_library(settings())


@pytest.fixture(scope="module")
def raw_corpus() -> str:
    """Every shipped text file, whitespace collapsed: quotes must be in the source itself."""
    files = sorted(settings().corpus_dir.glob("*.txt"))
    return "\n".join(collapse(f.read_text(encoding="utf-8")) for f in files)


@pytest.fixture(scope="module")
def corpus_sections():
    """The sections parsed afresh from corpus/ (not the index's copy)."""
    _, sections = load_corpus(settings().corpus_dir)
    return {s.id: s for s in sections}


def _assert_proven(item: dict, corpus_sections, raw_corpus: str) -> None:
    assert item["answer"] in item["options"]
    assert len(set(item["options"])) == len(item["options"]) >= 3
    citation = item["citation"]
    assert item["answer"] in citation["quote"], item
    section = corpus_sections[citation["section_id"]]
    assert quote_in_section(citation["quote"], section)
    assert collapse(citation["quote"]) in collapse(section.body)
    assert collapse(citation["quote"]) in raw_corpus
    assert (citation["part"], citation["section"], citation["title"]) == (
        section.part, section.section, section.title)
    assert citation["page"] == section.page_at(section.body.index(citation["quote"]))


def test_ten_items_from_del_b_are_each_proven_by_their_quote(library, corpus_sections,
                                                           raw_corpus):
    items = [i.to_dict() for i in quiz.make_quiz(library, "B", count=10, seed=3)]
    assert len(items) == 10
    assert {i["citation"]["part"] for i in items} == {"B"}
    assert {i["kind"] for i in items} == set(quiz.KINDS)
    for item in items:
        _assert_proven(item, corpus_sections, raw_corpus)
        if item["kind"] != "avsnitt":
            assert quiz.BLANK in item["question"] and item["answer"] not in item["question"]


@pytest.mark.parametrize("scope", ["alla", "A", "C", "munhalsa", "fardplan-2022"])
def test_every_scope_gives_proven_items(library, corpus_sections, raw_corpus, scope):
    for item in quiz.make_quiz(library, scope, count=12, seed=7):
        _assert_proven(item.to_dict(), corpus_sections, raw_corpus)


def test_same_seed_same_quiz_other_seed_other_quiz(library):
    first = [i.to_dict() for i in quiz.make_quiz(library, "B", count=8, seed=11)]
    again = [i.to_dict() for i in quiz.make_quiz(library, "B", count=8, seed=11)]
    other = [i.to_dict() for i in quiz.make_quiz(library, "B", count=8, seed=12)]
    assert first == again
    assert first != other


@pytest.mark.parametrize("sentence, party", [
    ("Kommunen ansvarar för att personal finns på plats.", "Kommunen"),
    ("Regionen har alltid ansvar för läkarinsatser i hemmet.", "Regionen"),
    ("Parterna har ett gemensamt ansvar för uppföljningen av rutinen.", "Parterna"),
    ("Transporter av patienter är ett ansvar för VGR.", "VGR"),
    ("Vården av de inskrivna är VGR:s ansvar.", "VGR"),
])
def test_the_responsible_party_is_the_subject_of_the_duty(sentence, party):
    found = quiz._responsible(sentence)
    assert found is not None and found[1].group("party") == party


@pytest.mark.parametrize("sentence", [
    "Den leverantör som VGR anlitar ansvarar för utbildningen.",  # VGR is not the subject
    "VGR ansvarar för läkemedlen och kommunen för förbrukningsartiklarna.",  # two parties
    "Huvudprincipen är att parterna var för sig har ett ekonomiskt ansvar.",
    "Personalen ansvarar för dokumentationen.",
])
def test_no_responsibility_item_when_the_party_is_unclear(sentence):
    assert quiz._responsible(sentence) is None


def test_key_facts_are_found_as_printed():
    text = "Barn till och med 15 år får hjälp i tre månader, från 2024-02-01, för 1 200 kronor."
    assert quiz.facts_in(text) == ["15 år", "tre månader", "2024-02-01", "1 200 kronor"]
    assert quiz.facts_in("Enligt 12 kap. 2 § HSL och punkt 3.") == []


def test_a_defective_item_is_refused(library):
    item = quiz.make_quiz(library, "B", count=1, seed=1)[0]
    section = library.by_id[item.citation.section_id]
    quiz.check_item(item, section)
    wrong = dataclasses.replace(item, answer="Försäkringskassan",
                                options=[*item.options, "Försäkringskassan"])
    with pytest.raises(quiz.QuizDefect):
        quiz.check_item(wrong, section)
    forged = dataclasses.replace(item, citation=dataclasses.replace(
        item.citation, quote=item.citation.quote + " Och lite till."))
    with pytest.raises(quiz.QuizDefect):
        quiz.check_item(forged, section)


def test_quiz_command_prints_json_and_writes_pdf(tmp_path, capsys, corpus_sections,
                                                 raw_corpus):
    assert main(["quiz", "--scope", "B", "--count", "5", "--seed", "2", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 5
    assert all(set(i) == {"question", "kind", "options", "answer", "citation"} for i in items)
    for item in items:
        _assert_proven(item, corpus_sections, raw_corpus)
    out = tmp_path / "quiz.pdf"
    assert main(["quiz", "--scope", "B", "--count", "3", "--format", "pdf",
                 "--out", str(out)]) == 0
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Fråga 3" in text and "Facit" in text
