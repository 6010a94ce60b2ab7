"""Hunspell's dictionary forms on the question side (retrieve/morphology.py, hybrid.py):
the real Swedish dictionary (Debian hunspell-sv, scripts/setup.sh), stand-in sections."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.config import Settings
from assistant.retrieve.hybrid import HybridSearch
from assistant.retrieve.morphology import available, compound_parts, dictionary_forms
from assistant.retrieve.vocabulary import concept_of, with_concepts
from tests.fakes import HashEmbedder, memory_index, section

SECTIONS = [
    section("medicin", "Regionen står för läkemedel som förskrivs. Läkemedel ges av "
            "sjuksköterskan."),
    section("dos", "Dosdispenserade läkemedel beställs av förskrivaren."),
    section("apotek", "Läkemedlen hämtas på apoteket."),
    section("rapport", "En avvikelse i samverkan rapporteras till den part som berörs."),
    section("boende", "Kommunen ansvarar för boendet och för hemtjänst."),
    section("rullstol", "Regionen förskriver hjälpmedel till barn."),
    section("kostnad", "Ersättningen per vårddygn gäller från tredje dygnet. Se kapitlet "
            "om avgifter."),
]


@pytest.fixture(scope="module")
def search() -> HybridSearch:
    settings = Settings(domain_vocabulary=False)
    return HybridSearch(memory_index(SECTIONS, HashEmbedder()), settings)


def test_the_swedish_dictionary_is_installed():
    assert available(), "apt-get install hunspell-sv (scripts/setup.sh) and pip chunspell"


def test_an_inflected_word_has_its_dictionary_form():
    assert "läkemedel" in dictionary_forms("läkemedlen")
    assert "avvikelse" in dictionary_forms("Avvikelserna")
    assert dictionary_forms("läkemedel") == ()  # its own form
    assert dictionary_forms("xqzvw") == ()  # not a word
    assert dictionary_forms("vc") == ()  # too short: an abbreviation


def test_a_compound_is_given_as_its_parts_forms_only_when_they_make_up_the_word():
    assert "samverkans avvikelse" in dictionary_forms("samverkansavvikelserna")
    # Hunspell reads this one as "sjuk" + "avvikelserna", leaving out "vårds"
    assert not [f for f in dictionary_forms("sjukvårdsavvikelserna") if " " in f]


def test_compound_parts_reads_one_hunspell_analysis():
    assert compound_parts(" pa:bårhus st:bårhus pa:platsen st:plats") == "bårhus plats"
    assert compound_parts(" pa:sjuk pa:resan st:resa fl:X") == "sjuk resa"
    assert compound_parts(" st:läkemedel fl:F") == ""
    assert compound_parts(" pa:sjuk st:sjuk pa:avvikelserna  st:avvikelse",
                          "sjukvårdsavvikelserna") == ""


def test_a_form_the_documents_use_in_more_sections_is_added_for_the_lexical_search(search):
    # "läkemedlen" occurs in one section, "läkemedel" in two: the form reaches more.
    question = "Vem hämtar läkemedlen?"
    assert search.lexical_form(question) == f"{question} läkemedel"
    # a word already in its dictionary form, or one the documents do not use, adds nothing
    assert search.lexical_form("Vem ansvarar för boendet?") == "Vem ansvarar för boendet?"


def test_the_lexical_search_reaches_the_sections_using_the_dictionary_form(search):
    hits = search.search("Vem hämtar läkemedlen?", HashEmbedder()("Vem hämtar läkemedlen?"))
    found = [h.section.id for h in hits if h.lexical_rank is not None]
    assert {"medicin", "dos", "apotek"} <= set(found)
    plain = HybridSearch(search.index, dataclasses.replace(search.settings, morphology=False))
    hits = plain.search("Vem hämtar läkemedlen?", HashEmbedder()("Vem hämtar läkemedlen?"))
    assert {h.section.id for h in hits if h.lexical_rank is not None} == {"apotek"}


def test_an_inflected_word_whose_dictionary_form_the_documents_use_is_not_unknown(search):
    assert search.unknown_topics("Vem betalar hjälpmedlen?") == []
    assert search.unknown_topics("Hur rapporteras samverkansavvikelserna?") == []
    # a word neither Hunspell nor the documents can place stays unknown
    assert search.unknown_topics("Hur många semesterdagar ger kommunen?") == ["semesterdagar"]


def test_a_word_the_documents_use_only_in_another_inflection_is_not_unknown(search):
    # Snowball keeps "dygn" and "dygnet", "kapitel" and "kapitlet" apart; Hunspell does not
    assert search.unknown_topics("Vad gäller per dygn?") == []
    assert search.unknown_topics("Vilket kapitel handlar om avgifter?") == []
    plain = HybridSearch(search.index, dataclasses.replace(search.settings, morphology=False))
    assert plain.unknown_topics("Vad gäller per dygn?") == ["dygn"]
    # a word sharing only its first letters with a corpus word stays unknown
    assert search.unknown_topics("Gäller det en dygnsbiljett?") == ["dygnsbiljett"]


def test_an_everyday_word_finds_its_concept_in_any_inflection():
    vocabulary = {"rullator": "hjälpmedel", "blöjor": "inkontinens"}
    assert concept_of("rullatorerna", vocabulary) == "hjälpmedel"
    assert concept_of("Blöjorna", vocabulary) == "inkontinens"  # the entry is inflected too
    assert concept_of("rullstolen", vocabulary) is None
    assert with_concepts("Vem betalar rullatorerna?", vocabulary) == \
        "Vem betalar rullatorerna? (hjälpmedel)"


def test_an_inflection_of_a_compound_entrys_first_part_finds_no_concept():
    # the dictionary stems "personlyft" to "person" too; "personerna" is not a lift
    vocabulary = {"personlyft": "hjälpmedel"}
    assert concept_of("personerna", vocabulary) is None
    assert concept_of("personlyften", vocabulary) == "hjälpmedel"


def test_a_compound_ending_in_an_everyday_word_finds_its_concept_when_asked_to():
    vocabulary = {"rullator": "hjälpmedel", "medicin": "läkemedel"}
    assert concept_of("inomhusrullatorerna", vocabulary) is None
    assert concept_of("inomhusrullatorerna", vocabulary, heads=True) == "hjälpmedel"
    assert concept_of("Hjärtmedicinen", vocabulary, heads=True) == "läkemedel"
    # the word must end in the everyday word, and a part too short to stand alone is no head
    assert concept_of("medicinskåpet", vocabulary, heads=True) is None
    assert concept_of("xmedicin", vocabulary, heads=True) is None
    assert with_concepts("Vem betalar hjärtmedicinen?", vocabulary, heads=True) == \
        "Vem betalar hjärtmedicinen? (läkemedel)"
    assert with_concepts("Vem betalar hjärtmedicinen?", vocabulary) == \
        "Vem betalar hjärtmedicinen?"
