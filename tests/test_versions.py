"""Versions of an agreement: which one answers on which day.

Fast tests use manifest records only; slow ones index the shipped agreement next to a synthetic
next version made by the test (tests/fixtures/next_version.py: 2027-01-01 – 2030-12-31, notice
period "tjugofyra månader") in a corpus of their own, and ask real questions."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from assistant import versions
from assistant.ingest.manifest import DocumentInfo
from assistant.retrieve.hybrid import Scope
from tests.fixtures import next_version

D = datetime.date
CURRENT = DocumentInfo(id="avtal-a", file="a.txt", title="Samverkansavtal för länet 2023–2026",
                       kind="avtal", valid_from="2023-01-01", valid_to="2026-12-31")
NEXT = dataclasses.replace(CURRENT, id="avtal-b", file="b.txt",
                           title="Samverkansavtal för länet 2027–2030",
                           valid_from="2027-01-01", valid_to="2030-12-31")
STRATEGY = DocumentInfo(id="plan", file="p.txt", title="Strategi", kind="strategi",
                        valid_to="2030")
ANNOUNCED = DocumentInfo(id="info", file="i.txt", title="Information om nästa avtal",
                         kind="presentation", valid_from="2027-01-01")
MEMO = DocumentInfo(id="memo", file="m.txt", title="Tjänsteskrivelse", kind="tjänsteskrivelse")


# --- fast: versions.py ---------------------------------------------------------------------

def test_versions_share_a_series_by_title_without_years_unless_the_manifest_names_one():
    assert versions.series_of(CURRENT) == versions.series_of(NEXT)
    renamed = dataclasses.replace(NEXT, title="Nytt namn", series="samverkansavtal för länet")
    assert versions.series_of(renamed) == versions.series_of(CURRENT)
    assert versions.series_of(STRATEGY) != versions.series_of(CURRENT)


def test_a_file_titled_by_its_first_heading_joins_the_series_when_periods_do_not_overlap():
    dropped = DocumentInfo(id="dropped", file="d.txt", title="SAMVERKANSAVTAL",
                           kind="övrigt", valid_from="2027-01-01", valid_to="2030-12-31")
    groups = versions.series_groups([CURRENT, dropped])
    assert [[d.id for d in docs] for docs in groups.values()] == [["avtal-a", "dropped"]]
    overlapping = dataclasses.replace(dropped, valid_from="2026-01-01")
    assert versions.series_groups([CURRENT, overlapping]) == {}
    other = dataclasses.replace(dropped, title="Överenskommelse om munhälsa")
    assert versions.series_groups([CURRENT, other]) == {}


def test_the_version_in_force_answers_and_the_other_is_left_out():
    docs = [CURRENT, NEXT, STRATEGY, ANNOUNCED, MEMO]
    assert versions.superseded(docs, D(2026, 11, 30)) == {"avtal-b"}
    assert versions.superseded(docs, D(2027, 3, 1)) == {"avtal-a"}
    assert versions.superseded(docs, D(2035, 1, 1)) == {"avtal-a"}  # the latest one started
    assert versions.superseded(docs, D(2020, 1, 1)) == {"avtal-b"}  # the first one
    assert versions.superseded([CURRENT, STRATEGY, ANNOUNCED, MEMO], D(2027, 3, 1)) == set()


def test_manifest_dates_may_be_bare_years():
    assert versions.in_force(STRATEGY, D(2030, 12, 31))
    assert not versions.in_force(STRATEGY, D(2031, 1, 1))
    assert versions.day_of("2030") == D(2030, 1, 1)


@pytest.mark.parametrize("question, expected", [
    ("Vad säger det nya avtalet om uppsägning?", D(2027, 1, 1)),
    ("Hur ser nästa avtal ut för hjälpmedel?", D(2027, 1, 1)),
    ("Vilken uppsägningstid gäller från 2027?", D(2027, 1, 1)),
    ("Vad gäller den 2028-05-01 för läkemedel?", D(2028, 5, 1)),
    ("Hur lång är uppsägningstiden?", None),
    ("Vad står det om HSL (2017:30)?", None),
    ("Vad gällde från 2023?", None),  # not later than the day asked about
])
def test_the_question_itself_can_ask_about_a_later_day(question, expected):
    assert versions.asked_day(question, [CURRENT, NEXT], D(2026, 11, 30)) == expected


def test_a_new_version_only_announced_by_a_context_document_gives_its_planned_start():
    docs = [CURRENT, ANNOUNCED]
    asked = versions.asked_day("Vad ändras i det nya avtalet?", docs, D(2026, 11, 30))
    assert asked == D(2027, 1, 1)
    missing = versions.missing_versions(docs, D(2027, 1, 1))
    assert [m.answered_by.id for m in missing] == ["avtal-a"]
    assert versions.missing_versions(docs, D(2026, 11, 30)) == []
    assert versions.missing_versions([CURRENT, NEXT], D(2027, 3, 1)) == []


@pytest.mark.parametrize(("question", "searched"), [
    ("Vilken uppsägningstid gäller enligt det nya avtalet?",
     "Vilken uppsägningstid gäller enligt avtalet?"),
    ("Vad säger nästa samverkansavtal om hjälpmedel?", "Vad säger samverkansavtal om hjälpmedel?"),
    ("Hur ser uppföljningen ut i den kommande versionen?", "Hur ser uppföljningen ut i versionen?"),
    ("Vad gäller för hjälpmedel?", "Vad gäller för hjälpmedel?"),
    ("Vad är nytt för brukarna?", "Vad är nytt för brukarna?"),
])
def test_the_words_that_pick_the_version_are_not_searched(question, searched):
    assert versions.without_version_words(question) == searched


def test_a_newer_version_is_indexed_only_when_one_starts_after_the_day():
    assert versions.newer_version_indexed([CURRENT, NEXT], D(2026, 11, 30))
    assert not versions.newer_version_indexed([CURRENT, NEXT], D(2027, 3, 1))
    assert not versions.newer_version_indexed([CURRENT, ANNOUNCED], D(2026, 11, 30))


def test_scope_leaves_out_other_versions_in_chroma_and_in_bm25():
    scope = Scope(part="A", excluded=frozenset({"avtal-b"}))
    assert scope.where() == {"$and": [{"part": "A"}, {"document": {"$nin": ["avtal-b"]}}]}
    assert Scope().where() is None


def _banner(documents: list[DocumentInfo], day: datetime.date) -> str:
    from types import SimpleNamespace

    from assistant.service import Assistant

    assistant = Assistant.__new__(Assistant)  # the banner reads only the manifest records
    assistant.index = SimpleNamespace(documents=documents)
    return assistant.banner(day)


def test_banner_switches_to_the_new_version_on_its_first_day():
    assert "gäller 2023-01-01 – 2026-12-31. Från 2027-01-01 gäller en ny version" in _banner(
        [CURRENT, NEXT, MEMO], D(2026, 12, 31))
    assert _banner([CURRENT, NEXT, MEMO], D(2027, 1, 1)).startswith(
        "Svaren bygger på Samverkansavtal för länet 2027–2030, som gäller 2027-01-01 – 2030-12-31.")


def test_banner_says_when_the_announced_version_is_due_but_missing():
    announced = dataclasses.replace(ANNOUNCED, note="Ett nytt avtal planeras från 2027-01-01.")
    assert _banner([CURRENT, announced], D(2026, 11, 30)).endswith(
        "gäller 2023-01-01 – 2026-12-31. Ett nytt avtal planeras från 2027-01-01.")
    assert _banner([CURRENT, announced], D(2027, 1, 2)).endswith(
        "gällde 2023-01-01 – 2026-12-31. Det avtal som gäller från 2027-01-01 finns ännu inte "
        "bland dokumenten.")


# --- slow: a real index holding both versions ------------------------------------------------

NOTICE_QUESTION = "Hur lång uppsägningstid har hälso- och sjukvårdsavtalet?"


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    from assistant.config import settings
    from assistant.service import Assistant

    base = tmp_path_factory.mktemp("two-versions")
    corpus = next_version.write_corpus(base / "corpus")
    config = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=base / "index",
                                 data_dir=base / "data")
    return Assistant.load(config)


def _documents(answer) -> set[str]:
    return {c.document for c in answer.citations}


def _quotes(answer) -> str:
    return " ".join(c.quote for c in answer.citations)


@pytest.mark.slow
def test_a_day_before_the_new_version_quotes_the_current_notice_period(two_versions):
    answer = two_versions.ask(NOTICE_QUESTION, date="2026-11-30")
    assert not answer.abstained
    assert _documents(answer) == {next_version.SHIPPED_ID}
    assert "arton månader" in _quotes(answer)
    assert "2023-01-01 – 2026-12-31" in answer.answer


@pytest.mark.slow
def test_today_quotes_the_version_in_force_today(two_versions):
    answer = two_versions.ask(NOTICE_QUESTION)
    expected = (next_version.SHIPPED_ID if datetime.date.today() < D(2027, 1, 1)
                else next_version.NEXT_ID)
    assert _documents(answer) == {expected}


@pytest.mark.slow
def test_a_date_in_2027_quotes_the_new_notice_period_and_says_which_version(two_versions):
    answer = two_versions.ask(NOTICE_QUESTION, date="2027-03-01")
    assert _documents(answer) == {next_version.NEXT_ID}
    assert "tjugofyra månader" in _quotes(answer) and "arton" not in _quotes(answer)
    assert "gäller 2027-01-01 – 2030-12-31" in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Vilken uppsägningstid har det nya avtalet?",
    "hur lång uppsägningstid gäller från 2027",
])
def test_questions_about_the_new_agreement_answer_from_it(two_versions, question):
    answer = two_versions.ask(question, date="2026-11-30")
    assert _documents(answer) == {next_version.NEXT_ID}
    assert "tjugofyra månader" in _quotes(answer)
    assert "finns ännu inte" not in answer.answer


@pytest.mark.slow
def test_a_removed_section_is_only_found_in_the_version_that_has_it(two_versions):
    question = "I vilka fall får man göra ett tjänsteköp?"
    old = two_versions.ask(question, date="2026-11-30")
    new = two_versions.ask(question, date="2027-03-01")
    assert any(c.section == "B.14" for c in old.citations)
    assert all(c.section != "B.14" for c in new.citations)
    assert next_version.SHIPPED_ID not in _documents(new)


@pytest.mark.slow
def test_banner_switches_on_the_new_versions_first_day(two_versions):
    before = two_versions.banner(D(2026, 12, 31))
    after = two_versions.banner(D(2027, 1, 1))
    assert "gäller 2023-01-01 – 2026-12-31" in before and "Från 2027-01-01" in before
    assert "gäller 2027-01-01 – 2030-12-31" in after and "2023-01-01" not in after


# --- slow: only the shipped agreement and the presentation announcing the next one -----------

ANNOUNCEMENT = "presentation-nytt-avtal-2027"  # the shipped context document planned from 2027


@pytest.fixture(scope="module")
def one_version(tmp_path_factory):
    from assistant.config import settings
    from assistant.service import Assistant

    base = tmp_path_factory.mktemp("one-version")
    corpus = next_version.write_corpus(base / "corpus", with_next=False, context=(ANNOUNCEMENT,))
    config = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=base / "index",
                                 data_dir=base / "data")
    return Assistant.load(config)


@pytest.mark.slow
@pytest.mark.parametrize("question, date", [
    ("Vilken uppsägningstid gäller från 2027?", None),
    (NOTICE_QUESTION, "2027-03-01"),
    ("Hur lång uppsägningstid har det nya avtalet?", "2026-11-30"),
])
def test_without_the_new_version_the_answer_says_it_is_not_in_the_corpus(one_version, question,
                                                                         date):
    answer = one_version.ask(question, date=date)
    assert "finns ännu inte bland dokumenten" in answer.answer
    assert "2023-01-01 – 2026-12-31" in answer.answer


@pytest.mark.slow
def test_without_the_new_version_todays_answers_carry_no_such_note(one_version):
    answer = one_version.ask(NOTICE_QUESTION, date="2026-11-30")
    assert "arton månader" in _quotes(answer) and "finns ännu inte" not in answer.answer


@pytest.mark.slow
def test_banner_announces_the_planned_agreement_then_says_it_is_missing(one_version):
    assert "planeras gälla från 2027-01-01" in one_version.banner(D(2026, 11, 30))
    later = one_version.banner(D(2027, 2, 1))
    assert "gällde 2023-01-01 – 2026-12-31" in later
    assert "2027-01-01 finns ännu inte bland dokumenten" in later
