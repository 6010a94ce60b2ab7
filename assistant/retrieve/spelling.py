"""Spelling repaired against the corpus's own words before a question is embedded.

BM25 already folds å/ä/ö and corrects its stemmed tokens (lexical.py), but e5 reads the
question as typed, and "halso och sjukvardsavtalet" or "utskrvningsklar" embed far from the
text's own words. Staff often type without Swedish letters or in a hurry, so each word the
corpus never uses is replaced by the corpus word it most likely meant: the same word with
å/ä/ö restored when that spelling is much more common in Swedish ("vard" → "vård", but
"bara" stays; an everyday word the documents do not use too, "varfor" → "varför"),
else, unless it is an ordinary Swedish word (wordfreq's list: "löser" is not a typo of
"löper"), the nearest corpus word one edit away (two for long words; a swap of two
letters is one edit). A word neither the corpus nor Hunspell knows, with no corpus word that
near, is a typo of an everyday word the documents need not use ("hopppas" → "hoppas"):
`common_nearest`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from assistant.retrieve.lexical import FOLD, stemmer
from assistant.retrieve.morphology import misspelled
from assistant.retrieve.word_frequency import common_words, zipf

WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+")
MIN_LENGTH = 4  # shorter words are too ambiguous to correct
FUZZY_MIN_LENGTH = 5
LONG_WORD = 9
SWEDISH_WORD = 1.5  # wordfreq Zipf frequency: about once in 30 million words
MORE_COMMON = 1.0  # a restored spelling must be ten times as common as the typed one
COMMON_WORD = 3.0  # a typo is repaired to an everyday word at least this common (≈ 1 in 10⁶)


class Speller:
    def __init__(self, texts: Iterable[str]):
        counts = Counter(w.lower() for text in texts for w in WORD.findall(text))
        self.words = set(counts)
        self.by_fold: dict[str, str] = {}
        for word, _ in counts.most_common():  # the most frequent spelling wins
            self.by_fold.setdefault(word.translate(FOLD), word)

    def repair(self, text: str) -> str:
        return WORD.sub(lambda m: self._word(m.group(0)), text)

    def _word(self, word: str) -> str:
        lower = word.lower()
        if lower in self.words or len(lower) < MIN_LENGTH or (word.isupper() and len(word) > 1):
            return word
        typed = frequency(lower)
        restored = self.by_fold.get(lower.translate(FOLD)) or common_restored(lower)
        if restored and (typed < SWEDISH_WORD or frequency(restored) >= typed + MORE_COMMON):
            known = restored  # "vard" → "vård", but "bara" stays "bara", not "bära"
        elif typed < SWEDISH_WORD:
            known = self._nearest(lower) or (common_nearest(lower) if misspelled(lower)
                                             else None)
        else:
            known = None
        if known is None:
            return word
        return known.capitalize() if word[:1].isupper() else known

    def _nearest(self, word: str) -> str | None:
        if len(word) < FUZZY_MIN_LENGTH:
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 2 if len(word) >= LONG_WORD else 1
        matches = process.extract(word, self.words, scorer=OSA.distance, score_cutoff=limit,
                                  limit=None)
        if not matches:
            return None
        nearest = min(matches, key=lambda m: (m[1], m[0]))[0]  # ties: not by hash order
        return None if _stem(nearest) == _stem(word) else nearest  # another form of the word


def common_restored(word: str) -> str | None:
    """The everyday Swedish word (wordfreq Zipf ≥ COMMON_WORD) that a word typed without
    å/ä/ö spells, the commonest when several do ("varfor" → "varför", "behalla" →
    "behålla"): the documents need not use it, and unrestored it reads as an unknown word."""
    if word.translate(FOLD) != word:
        return None  # typed with Swedish letters
    restored = _common_by_fold().get(word)
    return restored if restored != word else None


@lru_cache(maxsize=1)
def _common_by_fold() -> dict[str, str]:
    by_fold: dict[str, str] = {}
    for word, _ in sorted(common_words(COMMON_WORD).items(), key=lambda item: -item[1]):
        by_fold.setdefault(word.translate(FOLD), word)
    return by_fold


def common_nearest(word: str) -> str | None:
    """The commonest everyday Swedish word (wordfreq Zipf ≥ COMMON_WORD) one edit away, two
    for long words: a typo of a word the documents need not use ("hopppas" → "hoppas",
    "äldrebonendet" → "äldreboende"), which would otherwise read as an unknown topic. Asked
    only of words Hunspell does not know (`misspelled`): "kanylerna" is no typo of
    "kanalerna"."""
    if len(word) < FUZZY_MIN_LENGTH:  # "säbo", "noro": too short to tell
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    common = common_words(COMMON_WORD)
    limit = 2 if len(word) >= LONG_WORD else 1
    # a typo seldom hits the first letter; a compound of a word the documents use does not
    # make another word by losing it ("säboplats" is no "boplats")
    matches = [m for m in process.extract(word, common.keys(), scorer=OSA.distance,
                                          score_cutoff=limit, limit=None)
               if m[0][:1] == word[:1]]
    if not matches:
        return None
    return max(matches, key=lambda m: (-m[1], common[m[0]], m[0]))[0]


def _stem(word: str) -> str:
    return stemmer().stemWord(word)


def frequency(word: str) -> float:
    """Zipf frequency in Swedish text (wordfreq): 0 for unknown words, 7 for "och". Read from
    the set-up's table (word_frequency.py: the same values without importing wordfreq)."""
    return zipf(word)
