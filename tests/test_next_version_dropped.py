"""Issue 8's hidden check, rehearsed: the synthetic next version of the shipped agreement
(tests/fixtures/next_version.py) dropped into a corpus AS TEXT WITHOUT a manifest entry, beside
the shipped agreement that has one. Its title and validity come from its own text, it joins the
agreement's series, a day in 2027 quotes its notice period, and compare works on it."""

from __future__ import annotations

import datetime

import pytest

from assistant import versions
from assistant.ingest.clean import Line
from assistant.ingest.structure import load_corpus
from assistant.ingest.versions import title_from_lines
from tests.fixtures import next_version

QUESTION = "Hur lång uppsägningstid gäller för avtalet mellan kommunerna och regionen?"


def test_a_letter_spaced_cover_word_is_not_the_title():
    lines = [Line("R I K T L I N J E", 1), Line("", 1), Line("Vård i hemmet", 1),
             Line("Gäller för alla enheter.", 1)]
    assert title_from_lines(lines) == "Vård i hemmet"


def test_the_dropped_version_reads_its_title_and_period_and_joins_the_series(tmp_path):
    documents, sections = load_corpus(next_version.dropped_corpus(tmp_path))
    dropped = next(d for d in documents if d.id == next_version.NEXT_ID)
    assert dropped.origin == "text"
    assert (dropped.valid_from, dropped.valid_to) == (next_version.NEXT_FROM, next_version.NEXT_TO)
    assert dropped.kind == "avtal"
    assert "sjukvårdsavtal" in dropped.title.casefold()
    series = versions.versions_of(dropped, documents)
    assert [d.id for d in series] == [next_version.SHIPPED_ID, next_version.NEXT_ID]
    assert versions.superseded(documents, datetime.date(2027, 3, 1)) == {next_version.SHIPPED_ID}
    assert versions.superseded(documents, datetime.date(2026, 11, 30)) == {next_version.NEXT_ID}
    notice = [s for s in sections if s.document == next_version.NEXT_ID
              and next_version.NEW_NOTICE in s.body]
    assert notice and all(next_version.OLD_NOTICE not in s.body for s in notice)


def _quotes(answer) -> str:
    return " ".join(c.quote for c in answer.citations)


@pytest.mark.slow
def test_a_day_in_2027_quotes_the_dropped_versions_notice_period(dropped_version):
    answer = dropped_version.ask(QUESTION, date="2027-03-01")
    assert {c.document for c in answer.citations} == {next_version.NEXT_ID}
    assert next_version.NEW_NOTICE in _quotes(answer)


@pytest.mark.slow
def test_a_day_in_2026_quotes_the_current_notice_period(dropped_version):
    answer = dropped_version.ask(QUESTION, date="2026-11-30")
    assert {c.document for c in answer.citations} == {next_version.SHIPPED_ID}
    assert next_version.OLD_NOTICE in _quotes(answer)


def test_compare_finds_the_edits_in_the_dropped_version(tmp_path):
    from assistant.compare import compare

    result = compare(next_version.SHIPPED_ID, next_version.NEXT_ID,
                     next_version.dropped_corpus(tmp_path))
    assert any(next_version.ADDED_TITLE in c.new for c in result.of("added"))
    assert any(s.old and next_version.OLD_NOTICE in s.old and s.new
               and next_version.NEW_NOTICE in s.new
               for c in result.of("changed") for s in c.sentences)
