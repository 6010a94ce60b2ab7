"""Swedish lexical matching: stemmed BM25 tokens that tolerate missing å/ä/ö and typos."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

WORD = re.compile(r"[0-9A-Za-zÅÄÖåäöÉéÜü]+(?:[.\-][0-9A-Za-zÅÄÖåäöÉéÜü]+)*")
FOLD = str.maketrans("åäöéü", "aaoeu")
STOPWORDS = {w.translate(FOLD) for w in STOPWORDS_SWEDISH}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed, diacritics-folded tokens without stopwords."""
    words = [w.lower() for w in WORD.findall(text)]
    parts = []
    for word in words:
        parts.extend(p for p in word.split("-") if p) if "-" in word else parts.append(word)
    stems = _stemmer().stemWords(parts)
    folded = (s.translate(FOLD) for s in stems)
    return [t for t in folded if t not in STOPWORDS and len(t) > 1]


def correct(query_tokens: list[str], vocabulary: set[str]) -> list[str]:
    """Map each unknown token to the nearest corpus token (one edit; two for long words)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    corrected = []
    for token in query_tokens:
        if token in vocabulary or len(token) < 5 or token.isdigit():
            corrected.append(token)
            continue
        limit = 2 if len(token) >= 9 else 1
        match = process.extractOne(token, vocabulary, scorer=Levenshtein.distance,
                                   score_cutoff=limit)
        corrected.append(match[0] if match else token)
    return corrected
