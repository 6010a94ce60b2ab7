"""Abbreviations defined by the corpus itself ("hem för vård och boende, HVB").

Staff write "HVB", "SoL", "ÖPT"; the text often spells them out. The glossary is read from
the corpus's own definitions, so a new document brings its own abbreviations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.retrieve.lexical import STOPWORDS_SWEDISH

ABBREVIATION = re.compile(r"(?:,\s*|\(\s*)([A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,2}[A-ZÅÄÖ][A-ZÅÄÖa-z]{0,3})\b")
LEFT_WORD = re.compile(r"[\wÅÄÖåäö\-]+$")
PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")
CLAUSE_END = re.compile(r"[.;:!?,]\s")
MAX_WORDS = 6
# Shorthand staff write but the documents never spell out (general Swedish care usage).
STAFF_SHORTHAND = {
    "vc": "vårdcentral", "ssk": "sjuksköterska", "usk": "undersköterska",
    "dsk": "distriktssköterska", "pat": "patient", "vg": "Västra Götaland",
    "rehab": "rehabilitering", "hab": "habilitering", "korttids": "korttidsboende",
    "säbo": "särskilt boende",
}
SHORTHAND_WORD = re.compile(r"\b(?:" + "|".join(STAFF_SHORTHAND) + r")\b")


def build_glossary(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation (lower case) → its first spelled-out form in the corpus (or, for staff
    shorthand the corpus never uses, its usual meaning: where the documents write "säbo"
    themselves the word finds its sections as it is)."""
    glossary: dict[str, str] = {}
    shorthand = dict(STAFF_SHORTHAND)
    for text in texts:
        for word in SHORTHAND_WORD.findall(text.lower()):
            shorthand.pop(word, None)
        for match in ABBREVIATION.finditer(text):
            abbreviation = match.group(1)
            if sum(ch.isupper() for ch in abbreviation) < 2:
                continue
            long_form = _long_form(text[: match.start()], abbreviation)
            if long_form:
                glossary.setdefault(abbreviation.lower(), long_form)
    return shorthand | glossary


def _long_form(before: str, abbreviation: str) -> str | None:
    """The shortest run of words before the abbreviation that starts with its first letter,
    in a word that is not a stopword, and holds all its letters in order ("Samordnad
    individuell plan" for SIP, "föräldrabalken" for FB, not "och sekretesslagen" for OSL);
    None when no run does ("en särskild blankett, SKV 7875")."""
    before = CLAUSE_END.split(PARENTHESIS.sub("", before))[-1]
    words = before.split()[-MAX_WORDS:]
    letters = abbreviation.lower()
    for size in range(1, len(words) + 1):
        run = words[-size:]
        if any(_is_abbreviation(w) for w in run):
            break
        text = " ".join(run).strip(",.;:()")
        if (text[:1].lower() == letters[0] and run[0].lower() not in STOPWORDS_SWEDISH
                and (size > 1 or len(text) >= 8) and _in_order(letters, text.lower())):
            return text
    return None


def _in_order(letters: str, text: str) -> bool:
    """Do `letters` occur in `text` in this order (not necessarily next to each other)?"""
    rest = iter(text)
    return all(letter in rest for letter in letters)


def _is_abbreviation(word: str) -> bool:
    word = word.strip(",.;:()")
    return len(word) >= 2 and word.isupper()


def distinctive(glossary: dict[str, str], texts: Iterable[str]) -> dict[str, str]:
    """The entries that fewer than half the passages name (abbreviated or spelled out). A
    guideline about SIP says "SIP" nearly everywhere: a question's "SIP" cannot tell its
    passages apart, and spelling it out only pulls the question towards the one passage
    that defines it."""
    lowered = [text.lower() for text in texts]
    kept = {}
    for abbreviation, long_form in glossary.items():
        word = re.compile(rf"(?<![\wÅÄÖåäö]){re.escape(abbreviation)}(?![\wÅÄÖåäö])")
        named = sum(1 for text in lowered if word.search(text) or long_form.lower() in text)
        if 2 * named < len(lowered):
            kept[abbreviation] = long_form
    return kept


def expand(question: str, glossary: dict[str, str]) -> str:
    """The question plus the spelled-out form of every abbreviation it uses."""
    extra = []
    for word in re.findall(r"[\wÅÄÖåäö\-]+", question):
        long_form = glossary.get(word.lower())
        if long_form and long_form.lower() not in question.lower():
            extra.append(long_form)
    return f"{question} ({'; '.join(extra)})" if extra else question
