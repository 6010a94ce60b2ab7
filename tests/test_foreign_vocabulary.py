"""A question word that a document only uses as the first part of its compounds is a word the
document covers: small documents written with other words than the shipped packet's need it."""

from __future__ import annotations

from assistant.retrieve.hybrid import opens_compound
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
