"""The domain vocabulary as data (assistant/retrieve/vocabulary.yaml): every entry is an
everyday word the documents do not use, mapped to a concept the documents do use, with its
reason. Fast: reads the shipped corpus text, no model and no index."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from assistant.ingest.clean import collapse
from assistant.retrieve.lexical import tokens
from assistant.retrieve.morphology import dictionary_forms
from assistant.retrieve.spelling import WORD
from assistant.retrieve.vocabulary import (
    VOCABULARY_FILE,
    concept_of,
    load_vocabulary,
    with_concepts,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _entries() -> list[dict]:
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8")) or []


@lru_cache(maxsize=1)
def _corpus_text() -> str:
    """The shipped documents' text, lower case, whitespace collapsed."""
    files = sorted(CORPUS.glob("*.txt"))
    assert files, "the shipped corpus is missing"
    return collapse(" ".join(f.read_text(encoding="utf-8") for f in files)).lower()


@lru_cache(maxsize=1)
def _corpus_tokens() -> frozenset[str]:
    return frozenset(tokens(_corpus_text()))


ENTRIES = _entries()
IDS = [str(e.get("word")) for e in ENTRIES]


def test_the_vocabulary_is_a_list_of_word_concept_reason_entries():
    assert len(ENTRIES) >= 100
    for entry in ENTRIES:
        assert set(entry) == {"word", "concept", "reason"}, entry


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_entry_says_why(entry):
    reason = str(entry.get("reason") or "").strip().lower()
    assert reason, f"{entry['word']}: no reason"
    assert reason not in {str(entry["word"]).lower(), str(entry["concept"]).lower()}, (
        f"{entry['word']}: the reason only repeats the entry")


def test_no_word_is_listed_twice():
    words = [str(e["word"]).lower() for e in ENTRIES]
    assert len(words) == len(set(words))
    # the loaded vocabulary keeps every entry (none shadowed by another's spelling)
    assert len(load_vocabulary()) == len(words)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_entry_is_one_word_a_question_can_contain(entry):
    # questions are read word by word: an entry of two words or with punctuation never matches
    word = str(entry["word"])
    assert WORD.fullmatch(word), word
    assert word == word.lower(), "entries are looked up in lower case"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_concept_is_the_documents_own_words(entry):
    text = _corpus_text()
    for part in WORD.findall(str(entry["concept"]).lower()):
        # as a word of its own or the start of one ("korttidsboende" in "korttidsboendet")
        assert re.search(rf"(?<![0-9a-zåäöéü]){re.escape(part)}", text), (
            f"{entry['word']} → {entry['concept']}: '{part}' is not in the documents")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_word_is_not_the_documents_own(entry):
    # a word the documents use finds its sections by itself; the retriever never adds a
    # concept for it (hybrid.py), so such an entry would only hide it from the decline signals
    word_tokens = tokens(str(entry["word"]))
    assert word_tokens, f"{entry['word']}: only stopwords, never searched"
    assert not all(t in _corpus_tokens() for t in word_tokens), (
        f"{entry['word']}: the documents use this word themselves")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_a_question_with_the_word_is_searched_with_the_concept(entry):
    word, concept = str(entry["word"]), str(entry["concept"])
    assert concept.lower() not in word.lower(), "the concept is already in the word"
    asked = f"Vad gäller för {word.capitalize()} hos oss?"
    assert with_concepts(asked, load_vocabulary()) == f"{asked} ({concept})"


def test_a_part_of_a_compound_entry_alone_brings_no_concept():
    # the dictionary reads "personlyft" as "person" + "lyft" and may give the first part as a
    # form of its own: such an entry would add its concept to every question about "personer"
    # (the entry is then written in a form whose dictionary forms are the compound's only)
    vocabulary = load_vocabulary()
    parts = {part for word in vocabulary for form in dictionary_forms(word) if " " in form
             for part in form.split()}
    assert parts, "no compound entry is read by the dictionary: the check checks nothing"
    wrong = {part: concept_of(part, vocabulary) for part in parts
             if concept_of(part, vocabulary) not in (None, vocabulary.get(part))}
    assert not wrong
