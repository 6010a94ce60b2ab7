"""The next version of the shipped agreement dropped in as bare text (no manifest entry) is read
by the layout-agnostic reader: its tree must carry the same parts and överenskommelser as the
shipped agreement's manifest-read tree, and questions that name "the new agreement" must be
answered from it."""

from __future__ import annotations

import pytest

from assistant.ingest.structure import load_corpus
from tests.fixtures import next_version


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    _, sections = load_corpus(next_version.dropped_corpus(tmp_path_factory.mktemp("trees")))
    return ([s for s in sections if s.document == next_version.SHIPPED_ID],
            [s for s in sections if s.document == next_version.NEXT_ID])


def test_every_section_of_del_c_belongs_to_an_agreement(trees):
    _, dropped = trees
    del_c = [s for s in dropped if s.part == "C"]
    assert len(del_c) > 40
    assert all(s.agreement for s in del_c)


def test_the_same_agreements_as_the_manifest_read_version(trees):
    shipped, dropped = trees
    assert {s.agreement for s in dropped if s.part == "C"} == {
        s.agreement for s in shipped if s.part == "C"}


def test_most_headings_of_the_manifest_read_version_are_found(trees):
    shipped, dropped = trees

    def labels(sections):
        return {(s.part, s.agreement, s.section, s.title) for s in sections
                if s.level > 1 and not s.title.startswith("Del ")}

    old, new = labels(shipped), labels(dropped)
    assert len(old & new) / len(old) >= 0.85  # B.14 removed, B.16 added by the edits


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Vad gäller för uppsägning enligt det nya avtalet?",
    "Hur lång tid innan avtalstidens slut måste man säga upp nästa avtal?",
])
def test_questions_about_the_new_agreement_quote_the_dropped_version(dropped_version, question):
    answer = dropped_version.ask(question, date="2026-11-30")
    assert not answer.abstained
    assert {c.document for c in answer.citations} == {next_version.NEXT_ID}
    assert next_version.NEW_NOTICE in " ".join(c.quote for c in answer.citations)
