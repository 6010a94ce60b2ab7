"""Cues a question gives about where its answer stands."""

from __future__ import annotations

from assistant.answer.cues import in_english, read_cues


def test_a_named_part_is_read():
    assert read_cues("Vad säger del A om kunskap?").part == "A"
    assert read_cues("Vad gäller enligt Del C?").part == "C"
    assert read_cues("Vad delar kommunen ut?").part is None  # "delar" is not "del"


def test_two_parts_name_no_single_part():
    assert read_cues("Skiljer sig del A och del B åt?").part is None


def test_the_strategy_is_read():
    assert read_cues("Vilka mål har färdplanen?").strategy
    assert not read_cues("Vilka mål har avtalet?").strategy


def test_questions_about_changes_or_the_previous_agreement():
    for question in ("Vad ändrades i uppsägningstiden?", "Vad sa det gamla avtalet?",
                     "Är avtalstiden längre nu jämfört med förut?",
                     "Vilka skillnader finns mot tidigare avtal?", "Vad är nytt i avtalet?"):
        assert read_cues(question).history, question
    assert not read_cues("Hur lång är uppsägningstiden?").history


def test_english_questions_are_recognised():
    assert in_english("How long before the end can the parties cancel this contract?")
    assert not in_english("Vem betalar hjälpmedel till barn?")
    assert not in_english("SIP?")
