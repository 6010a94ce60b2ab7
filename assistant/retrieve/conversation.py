"""Does a question depend on the conversation before it, and what is it then asking?

In a chat staff write elliptic follow-ups ("och om hen är 25 då?", "vem kallar till den?",
"gäller det även på korttids?"): alone they name no topic the documents know. A question
that names its own topic ("Vem ansvarar för läkarinsatser på korttidsboende?") is searched
alone, whatever came before. When a question depends on earlier turns, it is searched after
the last turn that stood alone (as asked) and the topic words of the follow-ups since — not
the whole history, which would pull the search towards every earlier topic.

The rule is general Swedish: a follow-up opens with a continuation ("och", "men", "än",
"även") or ends in "då?" — whatever it names itself — or it leans on a pronoun or
demonstrative ("den", "det", "hen", "dessa", "sånt") that has no antecedent in an earlier
clause of the question itself, and names at most one topic word of its own; a very short
question without a topic word depends on the conversation too. A long question
(`standalone_words`, Settings) says what it asks about and is searched alone. What counts as
a topic word is read from the corpus (`is_topic`), never from particular questions.

The choice is soft: every question asked after others also gets its `context` reading,
and `weight` says how much its ranking leans on it (`mixed` embeddings): `follow_up_weight`
for a follow-up without a topic word of its own, `topic_weight` for a follow-up that names
one (it says part of what it asks about itself), `alone_weight` for a question read alone,
and `cued_weight` for one read alone (long, or naming topics of its own) that still opens
with "och/men …" or ends in "… då?" (`cued`). Chosen by cross-validation over the question
sets (docs/answer-quality.md, sessions 7 and 9).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.retrieve.spelling import WORD, frequency

# A question that continues the previous one: "och för vuxna?", "men om …", "än för barn?",
# "vem tar över sen?", "gäller det då ändå?".
CONTINUATION = re.compile(
    r"^\s*(?:och|men|samt|än|eller|också|även|så|alltså|fast)\b|"
    r"\b(?:då|också|även|sen|sedan)(?:\s+ändå)?\s*[?.!]*\s*$|"
    r"\b(?:även|också)\s+(?:för|på|i|vid|när|om)\b",
    re.IGNORECASE,
)
# Pronouns and demonstratives that point back to something said before.
ANAPHORA = frozenset({
    "den", "det", "dem", "denna", "detta", "dessa", "där", "dit", "därifrån", "hen", "han",
    "hon", "henne", "honom", "hens", "hans", "hennes", "dess", "deras", "sådan", "sådant",
    "sådana", "sån", "sånt", "såna", "samma", "densamma", "detsamma", "dom", "de",
})
# "det", "den", "de" … before an adjective or numeral are articles, not pronouns pointing
# back: "det nya avtalet", "den fasta vårdkontakten", "de fyra överenskommelserna". Such a
# word ends in -a/-e, another word follows it, and it is not one of the commonest words
# (wordfreq Zipf ≥ 6: "ska", "inte", "vara", "måste", "bara" follow pronouns).
ARTICLES = frozenset({"den", "det", "de", "denna", "detta", "dessa", "dom"})
FUNCTION_WORD = 6.0
# The formal subject "det" points at nothing: "finns det …", "när det gäller …", "står
# det något om …".
EXPLETIVE = re.compile(r"\b(?:finns|fanns|funnits|står|stod)\s+det\b|"
                       r"\b(?:när|vad)\s+det\s+gäller\b", re.IGNORECASE)
# The "det" of a cleft sentence points at nothing either: "vem är det som …", "är det vi
# eller regionen som …", "det är kommunen som …" (up to the "som" of the same clause).
CLEFT = re.compile(r"\b(?:(?:är|var|blir)\s+det|det\s+(?:är|var|blir))\b(?=[^,.;:!?–—]*\bsom\b)",
                   re.IGNORECASE)
# A clause opened by one of these is a condition or a time ("Om patienten flyttar, …"): its
# words are no antecedent for a later pronoun (which points back in the conversation).
SUBORDINATE = frozenset({"om", "ifall", "när", "innan", "medan", "eftersom", "efter", "då",
                         "sedan", "tills", "fast", "fastän", "trots"})
# Clause boundaries: a pronoun after one of them may point to a topic named before it.
CLAUSE = re.compile(r"[,.;:!?–—]|\s-\s|\boch\b", re.IGNORECASE)
# At most this many topic words of its own and a question with a continuation or an
# anaphor still depends on the turn before ("och för vuxna?" names "vuxna" only).
OWN_TOPIC_MAX = 1
# A question this short with no topic word of its own ("hur ofta?", "vilka yrken?") also
# leans on the turn before, even without a pronoun.
SHORT = 3


@dataclass(frozen=True)
class Reading:
    """How a question was read in its conversation."""

    text: str  # what is searched
    follow_up: bool  # True when earlier turns were used
    topic: tuple[str, ...] = ()  # the question's own topic words
    context: str | None = None  # the question after its context (None: no earlier turns)
    weight: float = 0.0  # how much the search leans on `context`: 0 alone … 1 only context


class Conversation:
    """Reads questions in their conversation; `is_topic` says whether a word (as typed)
    names something the documents are about."""

    def __init__(self, is_topic: Callable[[str], bool], standalone_words: int = 0,
                 antecedent_zipf: float = 0.0, follow_up_weight: float = 1.0,
                 alone_weight: float = 0.0, topic_weight: float | None = None,
                 cued_weight: float | None = None, pointing_weight: float | None = None):
        self.is_topic = is_topic
        self.standalone_words = standalone_words
        self.antecedent_zipf = antecedent_zipf
        self.follow_up_weight = follow_up_weight
        self.alone_weight = alone_weight
        self.topic_weight = follow_up_weight if topic_weight is None else topic_weight
        self.cued_weight = alone_weight if cued_weight is None else cued_weight
        self.pointing_weight = alone_weight if pointing_weight is None else pointing_weight

    def topic_words(self, question: str) -> list[str]:
        """The question's words that name a topic, in order, each once."""
        seen: dict[str, None] = {}
        for word in WORD.findall(question):
            if word.lower() not in ANAPHORA and self.is_topic(word):
                seen.setdefault(word, None)
        return list(seen)

    def depends(self, question: str, topic: Sequence[str] | None = None) -> bool:
        """Whether the question cannot be read without the turn before it."""
        if self.long(question):
            return False  # it says what it asks about, whatever it starts or ends with
        if CONTINUATION.search(question):
            return True  # "och …", "… då?": it continues, whatever it names itself
        topic = self.topic_words(question) if topic is None else topic
        if len(topic) > OWN_TOPIC_MAX:
            return False
        words = [w.lower() for w in WORD.findall(question)]
        return points_back(question, [t.lower() for t in topic], self.antecedent_zipf) or (
            not topic and len(words) <= SHORT)

    @staticmethod
    def cued(question: str) -> bool:
        """Whether the question says it continues the conversation — it opens with
        "och/men …" or ends in "… då?" — whatever its length or its own topic words say
        ("och om boendet inte har plats förrän nästa månad, vem står för kostnaden under
        tiden?" is long, yet continues the turn before). A pronoun is no such sign here: in
        a long question it mostly points inside it ("de som bor på boendet")."""
        return bool(CONTINUATION.search(question))

    def long(self, question: str) -> bool:
        """Whether the question has `standalone_words` words or more (0: never): elliptic
        follow-ups are short ("och för barn då?", "vem utbildar dem?"), while a question
        this long names what it asks about even when a "den"/"det" in it, or a closing
        "då?", looks back ("Får kommunen köpa en insats i stället för att göra den själv?")."""
        return 0 < self.standalone_words <= len(WORD.findall(question))

    def read(self, question: str, history: Sequence[str] | None = None) -> Reading:
        """The question as searched: alone when it stands on its own, else after the last
        question that stood alone and the topic words of the follow-ups since. Either way,
        `context` holds the question after its context and `weight` how much the search
        leans on it (`follow_up_weight` for a follow-up, `topic_weight` for one with a topic
        word of its own, `alone_weight` for a question that stands on its own; 1 and 0 make
        the choice binary)."""
        earlier = [h for h in (history or []) if h.strip()]
        topic = self.topic_words(question)
        context = self.context(topic, earlier)
        if not context:
            return Reading(question, False, tuple(topic))
        with_context = " ".join(context + [question])
        if self.depends(question, topic):
            return Reading(with_context, True, tuple(topic), with_context,
                           self.topic_weight if topic else self.follow_up_weight)
        weight = (self.cued_weight if self.cued(question)
                  else self.pointing_weight if self.pointing(question, topic)
                  else self.alone_weight)
        return Reading(question, False, tuple(topic), with_context, weight)

    def pointing(self, question: str, topic: Sequence[str]) -> bool:
        """Whether a question read alone only for its length still leans on the turn
        before: it names at most `OWN_TOPIC_MAX` topic words of its own and a pronoun comes
        before any word it could point to ("om hen tackar nej till det i år, ska vi fråga
        igen nästa år?" is long, yet says nothing of who "hen" is)."""
        return (self.long(question) and len(topic) <= OWN_TOPIC_MAX
                and pronoun_first(question, [t.lower() for t in topic], self.antecedent_zipf))

    def context(self, topic: Sequence[str], earlier: Sequence[str]) -> list[str]:
        """What a question with these topic words continues: the last earlier turn that
        stood alone, as asked, after the topic words of the follow-ups since (not the whole
        history, which would pull the search towards every earlier topic)."""
        context: list[str] = []
        for turn in reversed(earlier):
            words = self.topic_words(turn)
            if not self.depends(turn, words):
                context.insert(0, turn)  # the turn that stood alone, as asked
                break
            context = [w for w in words if w not in context and w not in topic] + context
        return context


def points_back(question: str, topic: Sequence[str] = (), antecedent_zipf: float = 0.0) -> bool:
    """Whether a pronoun or demonstrative of the question points back to something said
    before: not an article ("det nya avtalet"), nor the formal subject ("finns det …"), nor
    one in a later clause than a topic word of the question itself, which it then points to
    ("Asylsökande med hemsjukvård – vem ger den?"). With `antecedent_zipf`, any word of an
    earlier clause rarer than that (wordfreq Zipf, four letters or more) is such an
    antecedent too ("Vilken giltighetstid har överenskommelsen och vad gäller efter den?"),
    unless that clause is a condition or a time ("Om patienten flyttar, vem tar över den?"
    still points back)."""
    named = False  # a possible antecedent stood in an earlier clause
    for clause in CLAUSE.split(EXPLETIVE.sub(" ", question)):
        words = [w.lower() for w in WORD.findall(clause)]
        for i, word in enumerate(words):
            if word in ANAPHORA and not _article(word, words[i + 1:i + 3]) and not named:
                return True
        condition = bool(words) and words[0] in SUBORDINATE
        named = named or any(w in topic or (not condition and _antecedent(w, antecedent_zipf))
                             for w in words)
    return False


def pronoun_first(question: str, topic: Sequence[str] = (),
                  antecedent_zipf: float = 0.0) -> bool:
    """Whether a pronoun or demonstrative comes before every word of the question it could
    point to (a topic word, or with `antecedent_zipf` a rarer word): stricter than
    `points_back`, which lets a pronoun point to a word of its own clause's past too. Not an
    article, a formal subject ("finns det …") or the "det" of a cleft ("vem är det som …")."""
    words = [w.lower() for w in WORD.findall(EXPLETIVE.sub(" ", CLEFT.sub(" ", question)))]
    for i, word in enumerate(words):
        if word in ANAPHORA and not _article(word, words[i + 1:i + 3]):
            return True
        if word in topic or _antecedent(word, antecedent_zipf):
            return False
    return False


def _antecedent(word: str, zipf: float) -> bool:
    """A word a later pronoun may point to: not a pronoun, not one of the commoner words."""
    return (zipf > 0 and len(word) >= 4 and word not in ANAPHORA
            and frequency(word) < zipf)


def _article(word: str, following: list[str]) -> bool:
    """"det" in "det nya avtalet": an article before an adjective or numeral and a noun."""
    if word not in ARTICLES or len(following) < 2:
        return False
    adjective = following[0]
    return (len(adjective) > 2 and adjective.endswith(("a", "e"))
            and frequency(adjective) < FUNCTION_WORD)


def mixed(alone: np.ndarray, with_context: np.ndarray, weight: float) -> np.ndarray:
    """The two readings' embeddings mixed by `weight` (0: alone … 1: with context only) and
    normalised: its cosine with a text is the weighted sum of theirs, scaled alike for every
    text, so the ranking is a score fusion of the two readings."""
    vector = (1.0 - weight) * np.asarray(alone, dtype=np.float32) + weight * np.asarray(
        with_context, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
