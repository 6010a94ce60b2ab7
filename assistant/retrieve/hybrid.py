"""Hybrid retrieval: dense (e5 in Chroma) and lexical (BM25) ranks fused per section.

Each retriever misses different questions (DESIGN.md: e5 MRR 0.77, BM25 0.65), so their
ranks are fused with reciprocal rank fusion; the best dense similarity is kept as the
evidence strength the answerer uses to decline.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from assistant.config import Settings
from assistant.index.store import Index
from assistant.retrieve.conversation import Conversation, Reading
from assistant.retrieve.glossary import build_glossary, distinctive, expand
from assistant.retrieve.lexical import WORD, Vocabulary, correct, tokens
from assistant.retrieve.morphology import MAX_ENDING, MIN_LENGTH, dictionary_forms
from assistant.retrieve.spelling import Speller, frequency
from assistant.retrieve.vocabulary import concept_of, load_vocabulary, with_concepts
from assistant.types import Section

MODES = ("hybrid", "dense", "bm25")
# An unknown word rarer than this (Zipf, in its most common form) names a thing ("karensdagar",
# "hjärtstartare"); a commoner one is as often a colloquial verb or noun of a real question
# ("strular", "grej"): the decision model weighs the two apart.
RARE_WORD = 4.0
EVERYDAY_WORD = 5.0  # wordfreq Zipf frequency of "ansvar", "kostar": says nothing of the topic
# A word at least this common in Swedish (wordfreq Zipf: "patienten" 4.1, "kostnaden" 4.3)
# does not name the topic of a conversation turn; "hjälpmedel" (3.6), "tvist" (3.5) do.
TOPIC_WORD = 4.0
# `matched`: the question's words are looked for in this many top sections (the best one
# counts); a word no section uses weighs as one used by this share of the sections.
MATCH_HITS = 3
RARE_SHARE = 1e-3
SENTENCE_END = re.compile(r"[.!?:;]\s+")
QUESTION_SPLIT = re.compile(r"(?<=[.!?])\s+")
LEXICAL_FORMS_KEPT = 256  # questions whose lexical form is kept (lexical_form)


# A heading naming a party by what it must do ("Kommunens ansvar", "Vårdcentralens särskilda
# ansvar", "Bårhusens ansvar"): the word in the genitive names a party of the agreement.
PARTY_HEADING = re.compile(r"^(?:[\d.]+\s+|[a-z]\.\s+)?(\w+?)s\s+(?:\w+\s+)?(?:ansvar|åtaganden?)$")


def asking_part(text: str) -> str:
    """The sentences that ask (end in "?") of a text that also tells ("Brukaren fick UVI i
    natt. Vem …?"); the whole text when every sentence asks or none does."""
    parts = [p for p in QUESTION_SPLIT.split(text) if p.strip()]
    asking = [p for p in parts if p.rstrip().endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(parts) else text


@dataclass(frozen=True)
class Hit:
    """One retrieved section with its fused score and its best dense similarity."""

    section: Section
    score: float
    similarity: float
    chunk_id: str
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True)
class Scope:
    """Which sections a question may be answered from (the web chat's filter)."""

    part: str | None = None
    agreement: str | None = None
    document: str | None = None
    # Other versions of a document than the one in force on the day asked about
    # (assistant/versions.py): left out of both searches.
    excluded: frozenset[str] = frozenset()

    def where(self) -> dict | None:
        clauses: list[dict] = [{k: v} for k, v in (("part", self.part),
                                                   ("agreement", self.agreement),
                                                   ("document", self.document)) if v]
        if self.excluded:
            clauses.append({"document": {"$nin": sorted(self.excluded)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, section: Section) -> bool:
        return ((not self.part or section.part == self.part)
                and (not self.agreement or section.agreement == self.agreement)
                and (not self.document or section.document == self.document)
                and section.document not in self.excluded)


MIN_COMPOUND_HEAD = 5  # letters a word needs to count as the first part of a compound


def opens_compound(stem: str, words: set[str]) -> bool:
    """Does the corpus use the word as the first part of a compound whose rest is a corpus
    word too ("uppsägning" in "uppsägnings|tid", "hjälpmedel" in "hjälpmedels|förskrivning")?
    A question about "uppsägning" then asks about something the documents do cover."""
    if len(stem) < MIN_COMPOUND_HEAD:
        return False
    for word in words:
        if len(word) > len(stem) + 2 and word.startswith(stem):
            rest = word[len(stem):]
            if rest in words or (rest.startswith("s") and rest[1:] in words):
                return True
    return False


def closes_compound(stem: str, words: set[str]) -> bool:
    """Does the corpus use the word as the last part of a compound whose first part is a
    corpus word too ("anteckning" in "mötes|anteckningar", "protokolls|anteckning")? As with
    `opens_compound`, a question about "anteckningar" asks about something the documents
    cover, though they never write the word alone."""
    if len(stem) < MIN_COMPOUND_HEAD:
        return False
    for word in words:
        if len(word) > len(stem) + 2 and word.endswith(stem):
            head = word[:-len(stem)]
            if head in words or (head.endswith("s") and head[:-1] in words):
                return True
    return False


class HybridSearch:
    """Searches one opened index; cheap to call, everything heavy is loaded once."""

    def __init__(self, index: Index, settings: Settings, mode: str = "hybrid"):
        if mode not in MODES:
            raise ValueError(f"unknown retriever {mode!r}")
        self.index, self.settings, self.mode = index, settings, mode
        self.sections = {s.id: s for s in index.sections}
        self.chunk_sections = [c.section_id for c in index.chunks]
        self.chunk_ids = [c.id for c in index.chunks]
        self.glossary = build_glossary(s.body for s in index.sections)
        self.dense_glossary = distinctive(self.glossary, (f"{s.heading_path} {s.body}"
                                                          for s in index.sections))
        self.vocabulary = Vocabulary(set(index.bm25.vocab_dict))
        self.speller = Speller(s.body for s in index.sections)
        self.section_share = _section_share(s.body for s in index.sections)
        self.section_tokens = {s.id: frozenset(tokens(f"{s.heading_path} {s.body}"))
                               for s in index.sections}
        self.conversation = Conversation(self.is_topic, settings.standalone_words,
                                         settings.antecedent_zipf, settings.follow_up_weight,
                                         settings.alone_weight, settings.topic_weight,
                                         settings.cued_weight, settings.pointing_weight)
        self.domain = load_vocabulary() if settings.domain_vocabulary else {}
        # the parties the agreement assigns duties to, read from its headings (PARTY_HEADING)
        self.parties = frozenset(t for s in index.sections
                                 for m in [PARTY_HEADING.match(s.title.strip())] if m
                                 for t in tokens(m.group(1)))
        self._lexical_forms: dict[str, str] = {}
        # The concepts searched with an everyday word: only for words the documents do not
        # use themselves (unless `concepts_for_corpus_words`): "hemsjukvård" is the text's
        # own word and finds its sections; adding "kommunal primärvård" pulls it elsewhere.
        self.concepts = {word: concept for word, concept in self.domain.items()
                         if settings.concepts_for_corpus_words
                         or not all(t in self.vocabulary for t in tokens(word))}

    def expand(self, question: str, dense: bool = False) -> str:
        """The question as searched: spelling repaired, abbreviations spelled out, everyday
        care words given the agreement's concept (vocabulary.yaml). `dense`: as the dense
        search embeds it, spelling out only the abbreviations that fewer than half the
        passages name (`glossary.distinctive`)."""
        glossary = self.dense_glossary if dense else self.glossary
        return with_concepts(expand(self.speller.repair(question), glossary), self.concepts,
                             self.settings.compound_heads)

    def without_parties(self, text: str) -> str:
        """The text without the words naming a party (`parties`): as typed, inflected
        ("vårdcentralen"), or an abbreviation the glossary spells out as one ("vc")."""
        def party(word: str) -> bool:
            spelled = self.glossary.get(word.lower(), "")
            return bool(self.parties.intersection(tokens(f"{word} {spelled}")))
        return " ".join(w for w in text.split() if not party(w.strip("(),.?!:;")))

    def lexical_form(self, query: str) -> str:
        """The question as BM25 and the word-based signals read it: with a word's dictionary
        form (morphology.py) where the documents use that form in more sections than the
        word's own ("läkemedlen" adds "läkemedel"). Compounds are left to the lexical
        search's own splitting. The dense search reads the question as asked."""
        if not self.settings.morphology:
            return query
        kept = self._lexical_forms.get(query)  # one question is read here several times
        if kept is not None:  # (get, not `in` + [ ]: another thread may clear in between)
            return kept
        if len(self._lexical_forms) >= LEXICAL_FORMS_KEPT:
            self._lexical_forms.clear()
        added: list[str] = []
        for word in WORD.findall(query):
            own = tokens(word)
            for form in dictionary_forms(word):
                form_tokens = tokens(form)
                if " " not in form and form_tokens != own \
                        and all(t in self.vocabulary for t in form_tokens) \
                        and self._reach(form_tokens) > self._reach(own):
                    added.append(form)
        form = " ".join([query, *dict.fromkeys(added)])
        self._lexical_forms[query] = form
        return form

    def _reach(self, stems: list[str]) -> float:
        """Share of the sections using the rarest of `stems` as it is (0 when one is unused)."""
        return min((self.section_share.get(t, 0.0) for t in stems), default=0.0)

    def read(self, question: str, history: list[str] | None = None) -> Reading:
        """The question in its conversation (conversation.py): alone when it names its own
        topic, else after the topic words of the turn it continues."""
        return self.conversation.read(question, history)

    def is_topic(self, word: str) -> bool:
        """Whether a word names something: not an everyday word (wordfreq: "står", "barn",
        "kostnaden", "patienten" say what is asked, not about what), and either a corpus word
        that only some sections use (not "vård", "ansvar"), an abbreviation whose long form is
        a topic, or a word the documents never use ("semesterdagar")."""
        lower = word.lower()
        if lower in self.glossary:
            return any(self.is_topic(w) for w in WORD.findall(self.glossary[lower]))
        if lower.isdigit():
            return False  # a number names nothing; asked first, since the set-up's frequency
            # table holds no numbers and wordfreq itself costs ~0.9 s to import
        if frequency(lower) >= TOPIC_WORD:
            return False
        for stem in correct(tokens(lower), self.vocabulary.words):
            if stem.isdigit():
                continue
            known = [stem] if stem in self.vocabulary else self.vocabulary.parts(stem)
            if known:
                if min(self.section_share.get(k, 0.0) for k in known) \
                        < self.settings.topic_share_max:
                    return True
            else:
                return True
        return False

    def signals(self, query: str, hits: list[Hit], own: str | None = None) -> dict[str, float]:
        """How well the corpus answers the question, as signals that each separate
        out-of-scope questions (answer/decide.py combines them): the best dense similarity;
        how far the best section stands out from the others retrieved; the share of the
        question's words the corpus uses (questions about other things use other words);
        whether the question names a topic the documents never use (and whether that
        word is rare in Swedish, `unknown_rare`); whether it names a topic the documents do
        use (`known_topic`); how much of the
        question (its rare words weighing most) one of the top sections holds; and whether
        it names a proper name (a place, a region, a system) the documents never use. The
        topics and names are read from `own`, a follow-up's own words, when given; the topics
        from the sentences that ask only (a situation told first names the patient's
        condition, "UVI", "stomi", not what is asked about)."""
        sims = sorted((h.similarity for h in hits), reverse=True)
        similarity = sims[0] if sims else 0.0
        asking = asking_part(own or query)
        unknown = self.unknown_topics(asking)
        return {
            "similarity": similarity,
            "peak": similarity - float(np.mean(sims)) if sims else 0.0,
            "coverage": self.coverage(self.lexical_form(query)),
            "unknown": float(bool(unknown)),
            "unknown_rare": float(any(self.commonness(word) < RARE_WORD for word in unknown)),
            "matched": self.matched(self.lexical_form(query), hits[:MATCH_HITS]),
            "unknown_name": float(bool(self.unknown_names(own or query))),
            "known_topic": float(any(self.is_topic(word) and self._known_word(word.lower())
                                     for word in WORD.findall(asking))),
        }

    def matched(self, query: str, hits: list[Hit]) -> float:
        """The largest share of the question's words that one of `hits` holds (as they are or
        as a compound's parts), each word weighed by how rare it is across sections (a word
        the documents never use weighs most and is never held). An out-of-scope question may
        find sections that share its everyday words, but not its rare ones."""
        words = list(dict.fromkeys(correct(tokens(query), self.vocabulary.words)))
        if not words or not hits:
            return 0.0
        parts = [self.vocabulary.parts(w) or [] for w in words]
        weights = [-math.log(max(min((self.section_share.get(p, 0.0) for p in known),
                                     default=0.0), RARE_SHARE)) for known in parts]
        total = sum(weights) or 1.0
        best = 0.0
        for hit in hits:
            held = self.section_tokens.get(hit.section.id, frozenset())
            share = sum(w for w, known in zip(weights, parts, strict=True)
                        if known and all(p in held for p in known)) / total
            best = max(best, share)
        return best

    def unknown_names(self, query: str) -> list[str]:
        """Capitalised words inside a sentence (names: "Stockholm", "Alingsås", "Senior
        alert") that the documents never use in any form, spelling or compound: a question
        about another region, place or system than the documents'."""
        names = []
        for sentence in SENTENCE_END.split(query):
            for word in WORD.findall(sentence)[1:]:
                lower = word.lower()
                if not word[0].isupper() or len(word) < 3 or lower in self.glossary \
                        or concept_of(lower, self.domain):
                    continue
                stems = correct(tokens(lower), self.vocabulary.words)
                if stems and not all(t in self.vocabulary or self.vocabulary.parts(t)
                                     for t in stems):
                    names.append(word)
        return names

    def coverage(self, query: str) -> float:
        """Share of the question's words (typos corrected) that the corpus uses, as they are
        or as the parts of a compound ("stomiprodukter", "diabetesmaterial")."""
        corrected = correct(tokens(query), self.vocabulary.words)
        if not corrected:
            return 0.0
        return sum(bool(self.vocabulary.parts(t)) for t in corrected) / len(corrected)

    def unknown_topics(self, query: str) -> list[str]:
        """Words of the question the documents never use, in any form, spelling or as the
        parts of a compound, and that are not everyday Swedish either: "semesterdagar",
        "paracetamol", "Sahlgrenska". What a question is about is usually such a word, so a
        question holding one is likely about something the documents do not cover."""
        unknown = []
        for word in WORD.findall(query):
            lower = word.lower()
            if (lower in self.glossary or concept_of(lower, self.domain)
                    or any(ch.isdigit() for ch in lower) or frequency(lower) >= EVERYDAY_WORD):
                continue
            if not self._known_word(lower):
                unknown.append(word)
        return unknown

    def commonness(self, word: str) -> float:
        """How common a word is in Swedish text in its most common form (wordfreq Zipf of the
        word or a dictionary form of it: "ordet" is rarer than "ord")."""
        return max(frequency(form) for form in self._forms(word.lower()))

    def _forms(self, word: str) -> tuple[str, ...]:
        """The word and, with `morphology`, its Hunspell dictionary forms."""
        return (word, *dictionary_forms(word)) if self.settings.morphology else (word,)

    def _known_word(self, word: str) -> bool:
        """Does the corpus use the word in some form, spelling or compound, or (with
        `morphology`) its dictionary form ("samverkansavvikelserna" → "samverkansavvikelse")?"""
        for form in self._forms(word):
            stems = correct(tokens(form), self.vocabulary.words)
            if not stems or all(s in self.vocabulary or self.vocabulary.parts(s)
                                or opens_compound(s, self.vocabulary.words)
                                or closes_compound(s, self.vocabulary.words) for s in stems):
                return True
        return self.settings.morphology and self._inflected_in_corpus(word)

    def _inflected_in_corpus(self, word: str) -> bool:
        """Does the corpus use another inflection of the word, one with the same dictionary
        form ("dygn" in "dygnet", "kapitel" in "kapitlet")? Snowball cuts some endings only,
        so the two stem apart; Hunspell reads both back to one form."""
        forms = {word, *dictionary_forms(word)}
        head = word[:max(MIN_LENGTH, len(word) - 2)]  # "kapit|el" / "kapit|let"
        return any(len(used) <= len(word) + MAX_ENDING and forms & {used, *dictionary_forms(used)}
                   for used in self.speller.words if used != word and used.startswith(head))

    def search(self, query: str, query_vector: np.ndarray, scope: Scope = Scope(),
               limit: int = 10) -> list[Hit]:
        """Sections ranked by the mode's retrievers. Both always run: the dense similarity
        and the lexical matches are evidence for declining, in every mode."""
        dense_rank: dict[str, int] = {}
        lexical_rank: dict[str, int] = {}
        similarity: dict[str, float] = {}
        best_chunk: dict[str, str] = {}
        for chunk_id, sim in self._dense(query_vector, scope):
            section_id = chunk_id.split("#")[0]
            if section_id not in dense_rank:
                dense_rank[section_id] = len(dense_rank)
                similarity[section_id] = sim
                best_chunk[section_id] = chunk_id
        for chunk_index in self._lexical(query, scope):
            section_id = self.chunk_sections[chunk_index]
            if section_id not in lexical_rank:
                lexical_rank[section_id] = len(lexical_rank)
                best_chunk.setdefault(section_id, self.chunk_ids[chunk_index])
        fused: dict[str, float] = defaultdict(float)
        for name, ranks in (("dense", dense_rank), ("bm25", lexical_rank)):
            if self.mode not in (name, "hybrid"):
                continue
            for section_id, rank in ranks.items():
                fused[section_id] += 1.0 / (self.settings.rrf_k + rank + 1)
        order = sorted(fused, key=lambda s: fused[s], reverse=True)[:limit]
        return [Hit(self.sections[s], fused[s], similarity.get(s, 0.0), best_chunk[s],
                    dense_rank.get(s), lexical_rank.get(s)) for s in order]

    def _dense(self, vector: np.ndarray, scope: Scope) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the chunks nearest the question, best first: exact in memory
        when the index was opened with its chunk vectors, else from Chroma."""
        if self.index.chunk_vectors is not None:
            return self._dense_in_memory(vector, scope)
        result = self.index.collection.query(
            query_embeddings=[vector.tolist()], n_results=self.settings.candidates,
            where=scope.where(), include=["distances"],
        )
        return [(cid, 1.0 - dist) for cid, dist in zip(result["ids"][0], result["distances"][0],
                                                      strict=True)]

    def _dense_in_memory(self, vector: np.ndarray, scope: Scope) -> list[tuple[str, float]]:
        """Exact cosine over every chunk the scope admits (a few hundred: microseconds)."""
        similarity = self.index.chunk_vectors @ np.asarray(vector, dtype=np.float32)
        admitted = [i for i, section_id in enumerate(self.chunk_sections)
                    if scope.admits(self.sections[section_id])]
        best = sorted(admitted, key=lambda i: -similarity[i])[:self.settings.candidates]
        return [(self.chunk_ids[i], float(similarity[i])) for i in best]

    def _lexical(self, query: str, scope: Scope) -> list[int]:
        query_tokens = self.vocabulary.search_tokens(tokens(self.lexical_form(query)))
        if not query_tokens:
            return []
        scores = self.index.bm25.get_scores(query_tokens)
        order = np.argsort(-scores)
        picked = []
        for i in order:
            if scores[i] <= 0 or len(picked) >= self.settings.candidates:
                break
            if scope.admits(self.sections[self.chunk_sections[i]]):
                picked.append(int(i))
        return picked


def _section_share(texts) -> dict[str, float]:
    """Token → share of the sections whose body uses it."""
    counts: dict[str, int] = defaultdict(int)
    n = 0
    for text in texts:
        n += 1
        for token in set(tokens(text)):
            counts[token] += 1
    return {token: count / max(n, 1) for token, count in counts.items()}


def __getattr__(name: str):
    # The LangChain face lives in its own module: importing langchain costs a second at start.
    if name == "AgreementRetriever":
        from assistant.retrieve.langchain_retriever import AgreementRetriever

        return AgreementRetriever
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
