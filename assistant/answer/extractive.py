"""Extractive answers: the sentences that answer, quoted verbatim, with their sections.

No generative model ships offline for Swedish, so the answer is made of the corpus's own
sentences. Every quote is a slice of its section's body and is checked again before it
leaves (verify.py), so a quote that is not in the corpus cannot be produced.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from assistant.answer.compose import abstention_text, answer_text, scope_name
from assistant.answer.cues import Cues, in_english, read_cues, without_asking
from assistant.answer.decide import (
    HIGH,
    TOPICAL_SHARE,
    decision_signals,
    load_model,
    model_for,
    sentence_evidence,
)
from assistant.answer.keyfact import asked_unit, key_fact
from assistant.answer.verify import quote_in_section
from assistant.config import Settings
from assistant.index.chunking import Sentence
from assistant.index.hubness import hubness, ranking_vectors
from assistant.index.store import Index
from assistant.ingest.clean import BULLET, collapse
from assistant.ingest.manifest import DocumentInfo
from assistant.retrieve.hybrid import MATCH_HITS, Hit, HybridSearch, Scope
from assistant.retrieve.lexical import tokens
from assistant.types import Answer, Citation, Section

PREFIX = 5  # letters a topical word needs to be found as the start of a sentence's word (the
# head length of `Vocabulary.heads`; not shared, since retrieve/lexical.py is indexed code)

# The agreement and the strategy are the binding texts; the memo, protocols and context
# documents only report on them (Settings.secondary_penalty), and a part's front matter
# ("Denna överenskommelse är en bilaga …") only describes it (front_matter_penalty), so these
# must be clearly better to be cited first.
PRIMARY_KINDS = {"avtal", "strategi"}
LIST_INTRO = (":", "...", "…")  # "Samarbetet ska kännetecknas av..." announces a list
LIST_ITEM = re.compile(r"^(?:[•\-–]|\d{1,2}[.)]\s)")
EVERYWHERE = Scope()


@dataclass(frozen=True)
class Query:
    """A question as searched: its expanded text and embeddings (service.py makes it)."""

    text: str
    vector: np.ndarray  # the full question: decides whether the documents answer it
    focus: np.ndarray | None = None  # without the agreement's own name (cues.py)
    # ranked with the question moved by the adapter (retrieve/adapter.py): its sentence
    # scores spread wider, so the margins between them are read `adapted_margin_scale` wider
    adapted: bool = False
    follow_up: bool = False  # earlier turns of the conversation were used (conversation.py)
    # A follow-up's own words (expanded); `text` also holds the earlier turns' topic words
    asked: str | None = None
    # A follow-up's own words searched alone: its evidence counts too (service.py sets it
    # with `Settings.alone_evidence`), as the earlier turn's words were judged when asked.
    alone: Query | None = None

    @property
    def own(self) -> str:
        """The words this turn itself says: what it names is read from them alone."""
        return self.asked or self.text

    @property
    def ranking_vector(self) -> np.ndarray:
        return self.vector if self.focus is None else self.focus


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    score: float
    index: int


class Answerer:
    """Decides whether the documents answer, then which sentences and sections to cite."""

    def __init__(self, index: Index, search: HybridSearch, settings: Settings,
                 series: Collection[str] = ()):
        self.index, self.search, self.settings = index, search, settings
        self.documents: dict[str, DocumentInfo] = {d.id: d for d in index.documents}
        self.by_section: dict[str, list[int]] = defaultdict(list)
        for i, sentence in enumerate(index.sentences):
            self.by_section[sentence.section_id].append(i)
        self.sentence_words = [frozenset(tokens(s.text)) for s in index.sentences]
        self.heading_words = {s.id: frozenset(tokens(s.heading_path)) for s in index.sections}
        self.idf = _idf(self.sentence_words)
        self.idf_unknown = max(self.idf.values(), default=1.0)  # a word the corpus never uses
        # `series`: the indexed documents' series, which choose the decision model
        self.decision = load_model(settings.decision_file) if settings.decision_file \
            else model_for(series)
        self.agreement_titles = tuple(sorted({s.agreement for s in index.sections
                                              if s.agreement}))
        self._admitted_by_scope: dict[Scope, np.ndarray] = {}
        self.rank_vectors = ranking_vectors(index.sentence_vectors, index.window_vectors,
                                            settings.window_weight)
        hubs = np.zeros(len(index.sentences), dtype=np.float32)
        if settings.hub_weight:  # stored by the build; computed here for other settings
            hubs = index.hubness if index.hubness is not None else hubness(
                self.rank_vectors, [x.section_id for x in index.sentences], settings.hub_k)
        self.hub_penalty = settings.hub_weight * hubs

    def answer(self, question: str, query: Query, scope: Scope) -> Answer:
        """The full question decides whether to answer (and how sure the answer is); its
        focused form (without the agreement's own name) decides where from."""
        settings = self.settings
        limit = settings.sections_considered
        hits = self.search.search(query.text, query.vector, scope, limit=limit)
        probability = self.evidence(query.text, hits, query.vector, scope, own=query.own)
        if query.alone is not None:
            probability = max(probability, self.evidence_alone(query.alone, scope, limit))
        english = in_english(query.text)
        confidence = self.decision.confidence(probability, not english)
        if confidence is None:
            return _declined(question, hits, scope, probability)
        if query.focus is not None:
            hits = self.search.search(query.text, query.focus, scope, limit=limit)
        # The question's own words weigh in the sections' ranking (`section_lexical_weight`);
        # a follow-up's too, unless `section_words_in_follow_ups` is off
        own_words = "" if query.follow_up and not settings.section_words_in_follow_ups \
            else question
        spread = settings.adapted_margin_scale if query.adapted else 1.0
        chosen = self._citations(self._rank_sections(hits, query.text, query.ranking_vector,
                                                     own_words), spread)
        if not chosen:
            return _declined(question, hits, scope, probability)
        sure = confidence == HIGH
        citations = [citation for citation, _, _ in chosen]
        short, span = self._short_answer(chosen[0], question, spread)
        top = chosen[0][1]
        shares = [relevance(top, score, spread * settings.citation_margin)
                  for _, score, _ in chosen]
        text = answer_text(citations, self.documents, short, shares, sure, english)
        return Answer(question, text, abstained=False, citations=citations,
                      short_answer=short, confidence=confidence,
                      key_fact=short[span[0]:span[1]] if short and span else None,
                      evidence=probability)

    def evidence_alone(self, alone: Query, scope: Scope, limit: int) -> float:
        """The evidence for a follow-up's own words searched alone (`Query.alone`)."""
        hits = self.search.search(alone.text, alone.vector, scope, limit=limit)
        return self.evidence(alone.text, hits, alone.vector, scope)

    def evidence(self, query: str, hits: list[Hit], vector: np.ndarray,
                 scope: Scope = EVERYWHERE, own: str | None = None) -> float:
        """Probability that the documents answer (decide.py), from the top hits' signals."""
        if not hits:
            return 0.0
        return self.decision.probability(self.evidence_signals(query, hits, vector, scope,
                                                               own=own))

    def evidence_signals(self, query: str, hits: list[Hit], vector: np.ndarray,
                         scope: Scope = EVERYWHERE, shift: bool = True,
                         own: str | None = None) -> dict[str, float]:
        """The signals the decision model reads (decide.decision_signals) for these hits; a
        question not in Swedish has its dense similarities read at the Swedish level unless
        `shift` is False (the calibration shifts them itself, once it knows that level).
        `own`: a follow-up's own words, from which the unknown topics and names are read (an
        earlier turn's unknown word, "UVI", says nothing about what this turn asks)."""
        top = hits[:self.settings.evidence_hits]
        found = {**self.search.signals(query, top, own),
                 **sentence_evidence(self.index.sentence_vectors, vector, self._admitted(scope))}
        return decision_signals(query, found, self._topical_sentences(query, top[:MATCH_HITS]),
                                self.decision.baseline if shift else None, own)

    def _admitted(self, scope: Scope) -> np.ndarray | None:
        """Which sentences the scope admits (None: all), kept per scope."""
        if scope == EVERYWHERE:
            return None
        admitted = self._admitted_by_scope.get(scope)  # get: another thread may clear
        if admitted is None:
            if len(self._admitted_by_scope) >= 64:
                self._admitted_by_scope.clear()
            admitted = np.array([scope.admits(self.search.sections[s.section_id])
                                 for s in self.index.sentences], dtype=bool)
            self._admitted_by_scope[scope] = admitted
        return admitted

    def _topical_sentences(self, query: str, hits: list[Hit]) -> list[str]:
        """The sentences of the hits' sections that hold one of the question's topical words
        (a word fewer than TOPICAL_SHARE of the sections use), not of the phrase asking for a
        quantity (cues.without_asking)."""
        share = self.search.section_share
        asked = tokens(self.search.lexical_form(without_asking(query)))
        words = {w for w in asked if share.get(w, 0.0) < TOPICAL_SHARE}
        if self.settings.topical_parts:
            known = {w: share[w] for w in self.search.vocabulary.search_tokens(asked)
                     if share.get(w)}
            # a compound's known parts ("bårhus|avgifterna"); in a small corpus every word
            # may be used by a fifth of its sections: then its rarest words name the topic
            rarest = min(known.values(), default=0.0)
            words |= {w for w, used in known.items() if used < TOPICAL_SHARE} \
                or {w for w, used in known.items() if used == rarest}
        # a word stands in a sentence also as the start of a longer form or a compound
        # ("placer" in "placeringen", "uppsägning" in "uppsägningstid") or as a compound's
        # last part ("snitt" in "genomsnittet")
        stems = tuple(w for w in words if len(w) >= PREFIX)
        return [self.index.sentences[i].text for hit in hits
                for i in self.by_section.get(hit.section.id, [])
                if self.sentence_words[i] & words
                or any(t.startswith(stems) or t.endswith(stems)
                       for t in self.sentence_words[i])]

    def _short_answer(self, chosen, question: str,
                      spread: float = 1.0) -> tuple[str | None, tuple[int, int] | None]:
        """The one verbatim sentence that answers: of the first citation's quote, the sentence
        scoring best, the question's own words weighed in (`short_own_weight`), unless the
        question names a unit ("hur många månader") and another gives a fact in it; with its
        key fact's span (keyfact.py), which is marked. Preferring any sentence holding a fact
        of the asked kind chose worse ones (docs/answer-quality.md, session 14)."""
        citation, _, candidates = chosen
        settings = self.settings
        best = candidates[0].score
        own = self._weights(self.search.lexical_form(question))
        quote = collapse(citation.quote)
        scored: list[tuple[float, str]] = []
        for candidate in candidates:
            if candidate.score < best - spread * settings.extend_margin:
                break
            sentence = self._verbatim(candidate.sentence)
            if sentence and collapse(sentence) in quote:
                overlap = weighted_share(own, self.sentence_words[candidate.index])
                scored.append((candidate.score + settings.short_own_weight * overlap, sentence))
        options = [(sentence, key_fact(sentence, question))
                   for _, sentence in sorted(scored, key=lambda item: item[0], reverse=True)]
        in_unit = [(s, span) for s, span in options
                   if span and asked_unit(question, s[span[0]:span[1]])]
        return (in_unit or options or [(None, None)])[0]

    def _verbatim(self, sentence: Sentence) -> str:
        section = self.search.sections[sentence.section_id]
        text = section.body[sentence.start:sentence.start + len(sentence.text)]
        return " ".join(BULLET.sub("", text).split())

    def _rank_sections(self, hits: list[Hit], query: str, vector: np.ndarray,
                       asked: str = ""):
        """Sections ordered by their best sentence, with the retrieval rank as a prior,
        what the question says about where the answer stands (cues.py) and how much of the
        question as asked (`asked`, without earlier turns) the whole section holds."""
        words = self._weights(self.search.lexical_form(query))
        own = self._weights(asked)
        cues = read_cues(query, self.agreement_titles)
        ranked = []
        for rank, hit in enumerate(hits):
            candidates = self._candidates(hit.section, vector, words)
            if candidates:
                best = (candidates[0].score + self.settings.rank_weight / (rank + 1)
                        + self._standing(hit.section, cues)
                        + self.settings.section_lexical_weight
                        * self._held(hit.section, own)
                        + self.settings.heading_weight
                        * weighted_share(words, self.heading_words.get(hit.section.id,
                                                                       frozenset())))
                ranked.append((best, hit.section, candidates))
        ranked.sort(key=lambda item: item[0], reverse=True)
        return self._specific_first(ranked)

    def _weights(self, text: str) -> dict[str, float]:
        """The text's words, each once, with its IDF (a word the corpus never uses: the most)."""
        return {w: self.idf.get(w, self.idf_unknown) for w in dict.fromkeys(tokens(text))}

    def _held(self, section: Section, words: dict[str, float]) -> float:
        """IDF-weighted share of `words` that the section (its heading path and body) uses:
        of two sibling sections the one holding all the question's rare words, not only in
        its best sentence."""
        return weighted_share(words, self.search.section_tokens.get(section.id, frozenset()))

    def _specific_first(self, ranked):
        """The one subsection of the best section that scores within `specific_margin` of
        it is cited first (with the best section's score): the lowest heading that holds the
        evidence is the citation (DESIGN.md), and a section's own body is often only its
        introduction ("Kommunens betalningsansvar" over "5.2 Ekonomisk modell …"). When
        several subsections come that near, the question spans the section ("the six
        steps" over "9.1", "9.2", …): it stays first."""
        margin = self.settings.specific_margin
        if margin <= 0 or len(ranked) < 2:
            return ranked
        top_score, top, _ = ranked[0]
        inside = [item for item in ranked[1:] if item[0] >= top_score - margin
                  and self._within(item[1], top.id)]
        if len(inside) != 1:
            return ranked
        child = inside[0]
        return [(top_score, child[1], child[2]), *(item for item in ranked if item is not child)]

    def _within(self, section: Section, ancestor_id: str) -> bool:
        """Does `section` lie under the section `ancestor_id` (not itself)?"""
        seen: set[str] = set()
        parent = section.parent
        while parent is not None and parent not in seen:
            if parent == ancestor_id:
                return True
            seen.add(parent)
            parent = getattr(self.search.sections.get(parent), "parent", None)
        return False

    def _standing(self, section: Section, cues: Cues) -> float:
        """Prior for where an answer should come from: not a part's front matter; the
        agreement and the strategy before texts that report on them (unless the question asks
        what changed); Del A and B (the general text) a little before the överenskommelser;
        a part, or an överenskommelse, the question names first."""
        settings = self.settings
        reports = section.kind not in PRIMARY_KINDS
        score = 0.0
        if section.level == 1:
            score -= settings.front_matter_penalty
        elif reports:
            score += settings.secondary_penalty * (1 if cues.history else -1)
        if section.part in ("A", "B"):
            score += settings.general_weight
        if (cues.part and section.part == cues.part) or (cues.strategy
                                                         and section.kind == "strategi") \
                or (cues.agreement and section.agreement == cues.agreement):
            score += settings.cue_weight
        return score

    def _candidates(self, section: Section, vector: np.ndarray, words: dict[str, float]):
        """Sentences scored by cosine plus the IDF-weighted share of the question's words they
        (or their headings) contain: "uppsägningstid" counts more than "avtalet"."""
        indices = self.by_section.get(section.id, [])
        if not indices:
            return []
        similarities = self.rank_vectors[indices] @ vector - self.hub_penalty[indices]
        heading = self.heading_words.get(section.id, frozenset())
        result = []
        for i, similarity in zip(indices, similarities, strict=True):
            overlap = weighted_share(words, self.sentence_words[i] | heading)
            result.append(Candidate(self.index.sentences[i],
                                    float(similarity) + self.settings.lexical_weight * overlap, i))
        return sorted(result, key=lambda c: c.score, reverse=True)

    def _citations(self, ranked,
                   spread: float = 1.0) -> list[tuple[Citation, float, list[Candidate]]]:
        """The best sections while they score near the best one and carry evidence of their
        own (a best sentence not already quoted), with their scores and sentences."""
        chosen: list[tuple[Citation, float, list[Candidate]]] = []
        if not ranked:
            return chosen
        top = ranked[0][0]
        for score, section, candidates in ranked:
            if len(chosen) >= self.settings.max_citations:
                break
            if chosen and score < top - spread * self.settings.citation_margin:
                break
            if chosen and any(collapse(candidates[0].sentence.text) in collapse(c.quote)
                              for c, _, _ in chosen):
                continue
            citation = self._cite(section, candidates, spread)
            if citation:
                chosen.append((citation, score, candidates))
        return chosen

    def _cite(self, section: Section, candidates: list[Candidate],
              spread: float = 1.0) -> Citation | None:
        first, last = self._window(candidates, spread)
        start = self.index.sentences[first].start
        end = self.index.sentences[last].start + len(self.index.sentences[last].text)
        quote = " ".join(BULLET.sub("", section.body[start:end]).split())
        if not quote_in_section(quote, section):
            return None
        return Citation(
            document=section.document, document_title=section.document_title,
            part=section.part, agreement=section.agreement, section=section.section,
            title=section.title, page=section.page_at(start), quote=quote,
            section_id=section.id, page_label=section.page_label_at(start),
        )

    def _window(self, candidates: list[Candidate], spread: float = 1.0) -> tuple[int, int]:
        """The best sentence, widened to neighbouring sentences of the same section that score
        almost as well, so a quote carries its context; a quote that announces a list ("…
        ansvarar för att:") takes the list's items too, since the items are the answer. Both
        stop at `quote_chars`."""
        settings, sentences = self.settings, self.index.sentences
        scores = {c.index: c.score for c in candidates}
        best = candidates[0]
        first = last = best.index
        room = settings.quote_chars - len(sentences[first].text)

        def fits(i: int) -> bool:
            return i in scores and len(sentences[i].text) <= room

        while last - first + 1 < settings.max_sentences:
            options = [i for i in (first - 1, last + 1)
                       if fits(i) and scores[i] >= best.score - spread * settings.extend_margin]
            if not options:
                break
            pick = max(options, key=lambda i: scores[i])
            first, last = min(first, pick), max(last, pick)
            room -= len(sentences[pick].text)
        while (sentences[last].text.endswith(LIST_INTRO) or LIST_ITEM.match(sentences[last].text)) \
                and fits(last + 1) and LIST_ITEM.match(sentences[last + 1].text):
            last += 1
            room -= len(sentences[last].text)
        return first, last


def weighted_share(words: dict[str, float], held: frozenset[str]) -> float:
    """The share of `words` (each with its weight, e.g. IDF) that `held` holds; 0 for none."""
    total = sum(words.values())
    return sum(w for word, w in words.items() if word in held) / total if total else 0.0


def relevance(top: float, score: float, margin: float) -> float:
    """A further citation's standing beside the answer's own section, 0–1, as shown to the
    user: 1 when it scores as high, 0.5 at the citation margin. Read from the distance, not
    the ratio, so it means the same whether cosines are plain or moved by the question
    adapter (whose scores lie near 0 and spread several times wider)."""
    if margin <= 0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - (top - score) / (2 * margin)))


def _declined(question: str, hits: list[Hit], scope: Scope | None = None,
              probability: float | None = None) -> Answer:
    text = abstention_text(hits[:3], in_english(question), scope_name(scope))
    return Answer(question, text, abstained=True, evidence=probability)


def _idf(documents: list[frozenset[str]]) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for words in documents:
        for word in words:
            counts[word] += 1
    n = len(documents)
    return {word: math.log(1 + n / count) for word, count in counts.items()}
