"""A question word that a document only uses as the first or last part of its compounds is a
word the document covers: small documents written with other words than the shipped packet's
need it."""

from __future__ import annotations

from assistant.retrieve.hybrid import closes_compound, opens_compound
from assistant.retrieve.lexical import tokens


def _words(*texts: str) -> set[str]:
    return {t for text in texts for t in tokens(text)}


def test_first_part_of_a_compound_in_the_corpus_is_known():
    words = _words("Uppsägningstiden är två år.", "Tid och plats anges i kallelsen.")
    assert opens_compound(tokens("uppsägning")[0], words)


def test_a_prefix_that_leaves_no_word_is_not_a_compound_part():
    words = _words("Riskbedömningen görs varje år.")
    assert not opens_compound(tokens("riskbedömas")[0], words)  # "-ning" is no word
    assert not opens_compound("tid", _words("Tidsplanen och planen."))  # too short to tell


def test_last_part_of_a_compound_whose_first_part_is_a_corpus_word_is_known():
    words = _words("Protokollsanteckningen justeras.", "Ett protokoll förs.")
    assert closes_compound(tokens("anteckningarna")[0], words)


def test_an_ending_after_no_word_of_the_corpus_is_no_compound_part():
    words = _words("Vaccinationsfrågor tas upp av smittskyddet.")
    assert not closes_compound(tokens("frågor")[0], _words("Ansvarsfrågor utreds."))  # "ansvar"
    # is no word of that text; "ationsfrågor" after "vaccin" is no corpus word either
    assert not closes_compound(tokens("nationsfrågor")[0], words)
    assert not closes_compound("drag", _words("Uppdrag och drag."))  # too short to tell


def test_a_word_the_documents_use_only_inside_compounds_is_no_unknown_topic(tmp_path):
    import dataclasses

    from assistant.config import Settings
    from assistant.retrieve.hybrid import HybridSearch
    from tests.fakes import HashEmbedder, memory_index, section

    index = memory_index([
        section("a", "Protokollsanteckningar förs vid varje sammanträde.", title="Protokoll"),
        section("b", "Regionen betalar resor till behandling.", title="Resor"),
    ], HashEmbedder({}))
    search = HybridSearch(index, dataclasses.replace(
        Settings(), index_dir=tmp_path / "index", data_dir=tmp_path / "data",
        domain_vocabulary=False, llm_url=None, chroma_url=None))
    assert search.unknown_topics("Vem skriver anteckningarna?") == []
    assert search.unknown_topics("Vem skriver semesterlistorna?") == ["semesterlistorna"]
