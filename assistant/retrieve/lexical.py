"""Swedish lexical matching: stemmed BM25 tokens that tolerate missing å/ä/ö and typos."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# bm25s's Swedish stopwords (bm25s.stopwords.STOPWORDS_SWEDISH, the same 114 words; a test
# compares them), written out so that tokenizing a question does not import bm25s, whose
# package imports scipy.sparse: 0.4 s of a cold `assistant ask`.
STOPWORDS_SWEDISH = tuple("""
alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina
ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon
honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig min mina mitt mot
mycket ni nu när någon något några och om oss på samma sedan sig sin sina sitta själv skulle
som så sådan sådana sådant till under upp ut utan vad var vara varför varit varje vars vart vem
vi vid vilka vilkas vilken vilket vår våra vårt än är åt över
""".split())

WORD = re.compile(r"[0-9A-Za-zÅÄÖåäöÉéÜü]+(?:[.\-][0-9A-Za-zÅÄÖåäöÉéÜü]+)*")
FOLD = str.maketrans("åäöéü", "aaoeu")
STOPWORDS = {w.translate(FOLD) for w in STOPWORDS_SWEDISH}
LAST_PART = 6  # letters a compound's known last part needs to stand for the whole
INFLECTIONS = ("et", "en", "er", "ar", "or", "a", "e")  # a compound's head in its bare form


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed, diacritics-folded tokens without stopwords."""
    found: list[str] = []
    for word in WORD.findall(text):
        found.extend(_word_tokens(word))
    return found


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one word (of each part of a hyphenated one). Texts repeat their words,
    so each is stemmed once: a search tokenizes every section when it starts."""
    lower = word.lower()
    parts = [p for p in lower.split("-") if p] if "-" in lower else [lower]
    folded = (s.translate(FOLD) for s in stemmer().stemWords(parts))
    return tuple(t for t in folded if t not in STOPWORDS and len(t) > 1)


class Vocabulary:
    """The corpus's stemmed tokens, with the word parts Swedish compounds are made of.

    Staff write compounds the text never uses ("trakeostomiprodukter", "rehabpersonal");
    a compound whose parts are in the corpus is known, and searched for by its parts.
    """

    MIN_PART = 4

    def __init__(self, words: set[str]):
        self.words = words
        self.heads = {w[:n] for w in words for n in range(5, len(w) + 1)}
        self.tails = {w[-n:] for w in words for n in range(self.MIN_PART, len(w) + 1)}

    def __contains__(self, token: str) -> bool:
        return token in self.words

    def parts(self, token: str) -> list[str] | None:
        """Known tokens a compound splits into (longest known head first), or None. The head
        may carry a linking "s" and be the bare form of a corpus word ("dygns|beloppet" from
        "dygnet", "diabetes|material" from "diabet")."""
        if token in self.words:
            return [token]
        for cut in range(len(token) - self.MIN_PART, 2, -1):
            head, tail = token[:cut], token[cut:]
            if tail not in self.tails:
                continue
            for base in (head[:-1], head) if head.endswith("s") else (head,):
                known = self._known_form(base)
                if known:
                    return [p for p in (known, tail) if p in self.words]
        return None

    def _known_form(self, base: str) -> str | None:
        if base in self.heads:
            return base
        for form in (stemmer().stemWord(base), *(base + end for end in INFLECTIONS)):
            if form in self.words:
                return form
        return None

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of the question's words (typos corrected) that the corpus itself uses."""
        if not query_tokens:
            return 0.0
        corrected = correct(query_tokens, self.words)
        return sum(t in self.words for t in corrected) / len(corrected)

    def search_tokens(self, query_tokens: list[str]) -> list[str]:
        """Corrected tokens for BM25: known words, the known parts of compounds, and else a
        compound's last part, which names what it is ("uppehållstillstånd" is a "tillstånd")."""
        found: list[str] = []
        for token in correct(query_tokens, self.words):
            found.extend(self.parts(token) or self._last_part(token))
        return found

    def _last_part(self, token: str) -> list[str]:
        for cut in range(1, len(token) - LAST_PART + 1):
            if token[cut:] in self.words:
                return [token[cut:]]
        return []


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
        matches = process.extract(token, vocabulary, scorer=Levenshtein.distance,
                                  score_cutoff=limit, limit=None)
        # the nearest, ties broken by the word itself: a set's order changes with the hash seed
        corrected.append(min(matches, key=lambda m: (m[1], m[0]))[0] if matches else token)
    return corrected
