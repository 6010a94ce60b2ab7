"""A small domain vocabulary as data (vocabulary.yaml): everyday care words → the agreement's
concepts ("rullator" → hjälpmedel, "kortis" → korttidsboende), each entry with its reason.

A question naming the everyday word, in any inflection ("blöjorna" finds the entry
"blöjor": both have the dictionary form "blöja"), is searched with the concept added, so BM25
and e5 meet the text's own words; the word itself stays in the question.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from assistant.retrieve.morphology import dictionary_forms
from assistant.retrieve.spelling import WORD

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")
# A compound's last part counts (`concept_of(heads=True)`) when it has this many letters and
# something of this many stands before it: shorter parts end too many unrelated words.
HEAD_LETTERS = 5
PREFIX_LETTERS = 3


@lru_cache(maxsize=2)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> dict[str, str]:
    """Everyday word (lower case) → concept."""
    # libyaml's loader when PyYAML has it: the same data, a tenth of a cold start's 0.1 s
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or []
    return {str(e["word"]).lower(): str(e["concept"]) for e in entries}


def concept_of(word: str, vocabulary: dict[str, str], heads: bool = False) -> str | None:
    """The concept of an everyday word as written or in another inflection: the word or one
    of its dictionary forms is an entry, or shares a dictionary form with one. With `heads`,
    also of a compound whose last part is such a word (a Swedish compound is a kind of its
    last part: "blodtrycksmedicinerna" is "mediciner"), the longest such part of at least
    HEAD_LETTERS letters after at least PREFIX_LETTERS."""
    lower = word.lower()
    concept = _concept(lower, vocabulary)
    if concept or not heads:
        return concept
    for start in range(PREFIX_LETTERS, len(lower) - HEAD_LETTERS + 1):
        concept = _concept(lower[start:], vocabulary)
        if concept:
            return concept
    return None


def _concept(lower: str, vocabulary: dict[str, str]) -> str | None:
    if lower in vocabulary:
        return vocabulary[lower]
    forms = _forms(lower)
    if not forms:
        return None
    for entry, concept in vocabulary.items():
        if entry in forms or forms & _forms(entry):
            return concept
    return None


def _forms(word: str) -> set[str]:
    """The word's dictionary forms, less a compound's first part standing alone: Hunspell
    stems "patientlyft" to "patient" too, which would make every patient a lift."""
    forms = set(dictionary_forms(word))
    first_parts = {form.split()[0] for form in forms if " " in form}
    return forms - first_parts


def with_concepts(question: str, vocabulary: dict[str, str], heads: bool = False) -> str:
    """The question with the concepts of its everyday words (`heads`: and compounds ending
    in one) added, each once and only when the question does not already say them."""
    lower = question.lower()
    concepts: list[str] = []
    for word in WORD.findall(question):
        concept = concept_of(word, vocabulary, heads)
        if concept and concept.lower() not in lower and concept not in concepts:
            concepts.append(concept)
    return f"{question} ({', '.join(concepts)})" if concepts else question
