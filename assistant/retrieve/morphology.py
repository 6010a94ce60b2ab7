"""Swedish dictionary forms from Hunspell (Debian's hunspell-sv, read through chunspell).

Snowball stems a word by cutting endings, so an inflected form can miss the form the text
uses: "läkemedlen" stems to "läkemedl", "läkemedel" to itself; "samverkansavvikelserna" and
"Samverkansavvikelse" stem apart. Hunspell knows the dictionary form of each inflection
("läkemedlen" → "läkemedel", "avvikelserna" → "avvikelse") and of a compound it builds
from its parts. The question side only: the corpus's index and its tokens stay as built.

Without the dictionary or the library (a machine set up without them) a word has no
dictionary forms and everything works as before.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

DICTIONARY = "sv_SE"
DICTIONARY_DIRS = (Path("/usr/share/hunspell"), Path("/usr/share/myspell/dicts"))
MIN_LENGTH = 4  # shorter words ("nr", "vc") are abbreviations, not inflections
# An inflection's dictionary form is at most this much shorter ("överenskommelserna" →
# "överenskommelse"); for a compound Hunspell's stem can be its first part alone
# ("bårhusplats" → "bårhus"), which is not the word's form.
MAX_ENDING = 4


_LOADING = threading.Lock()


def _hunspell():
    """The Swedish Hunspell dictionary, or None when it or chunspell is not installed."""
    with _LOADING:  # loaded on the first question (~0.3 s); a concurrent one waits for it
        return _load()


@lru_cache(maxsize=1)
def _load():
    try:
        from hunspell import Hunspell
    except ImportError:
        return None
    for folder in DICTIONARY_DIRS:
        if (folder / f"{DICTIONARY}.dic").exists() and (folder / f"{DICTIONARY}.aff").exists():
            return Hunspell(DICTIONARY, hunspell_data_dir=str(folder))
    return None


def available() -> bool:
    return _hunspell() is not None


def misspelled(word: str) -> bool:
    """Whether Hunspell knows no such Swedish word (in any inflection or compound); False
    without the dictionary (nothing is then called a typo)."""
    speller = _hunspell()
    if speller is None:
        return False
    try:
        return not speller.spell(word)
    except (UnicodeError, ValueError):
        return False


@lru_cache(maxsize=8192)
def dictionary_forms(word: str) -> tuple[str, ...]:
    """The dictionary forms (lower case) of a Swedish word other than the word itself:
    "läkemedlen" → ("läkemedel",); a compound Hunspell builds from parts also as its parts'
    forms, space-separated ("samverkansavvikelserna" → ("samverkansavvikelse",
    "samverkans avvikelse")); () for a word Hunspell does not know or that is its own form."""
    lower = word.lower()
    speller = _hunspell()
    if speller is None or len(lower) < MIN_LENGTH or not lower.isalpha():
        return ()
    try:
        stems = [s for s in speller.stem(lower) if len(s) >= len(lower) - MAX_ENDING]
        forms = [*stems, *(compound_parts(a, lower) for a in speller.analyze(lower))]
    except (UnicodeError, ValueError):
        return ()
    return tuple(dict.fromkeys(f.lower() for f in forms if f and f.lower() != lower))


def compound_parts(analysis: str, word: str | None = None) -> str:
    """The parts of a compound in one Hunspell analysis, each in its dictionary form,
    space-separated (" pa:bårhus st:bårhus pa:plats" → "bårhus plats"); "" for a word that is
    not a compound, or (given the word) when the parts as written do not make up the whole
    word: Hunspell can leave out a middle part ("sjukvårdsavvikelserna" → "sjuk", "avvikelserna"),
    and the part left out may be the one the documents do not know."""
    parts: list[str] = []
    written = 0
    for field in analysis.split():
        tag, _, value = field.partition(":")
        if tag == "pa":
            parts.append(value)
            written += len(value)
        elif tag == "st" and parts:
            parts[-1] = value
    if len(parts) < 2 or (word is not None and written != len(word)):
        return ""
    return " ".join(parts)
