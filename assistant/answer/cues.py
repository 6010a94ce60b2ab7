"""What a question itself says about where its answer stands.

Staff often name the place ("enligt del A", "i färdplanen") or ask how things were before
("jämfört med förra avtalet"). Near-identical sentences appear in several parts (Del A's
Värdegrund and an överenskommelse's own list), so such a cue decides between them. Cues
are read from general Swedish phrasing, never from particular questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.retrieve.spelling import WORD, frequency

PART = re.compile(r"\bdel\s+([abc])\b", re.IGNORECASE)
STRATEGY = re.compile(r"\bfärdplan", re.IGNORECASE)
# The previous agreement, or what changed: the cover memo and the context documents say it.
HISTORY = re.compile(
    r"\b(?:förra|gamla|tidigare|föregående|förut|innan)\s+(?:avtal|överenskommels)\w*|"
    r"\b(?:ändrades|ändrats|ändrat|förändrats|förändrades|nyheter(?:na)?|skillnad\w*)\b|"
    r"\bvad\s+(?:är|var|blir)\s+nytt\b|"
    r"\bjämfört\s+med\b",
    re.IGNORECASE,
)


# An överenskommelse named by a word of its title: "läkaröverenskommelsen",
# "missbruksöverenskommelsen", "överenskommelsen om munhälsa".
AGREEMENT_NAMED = re.compile(r"\b(\w+?)överenskommelse\w*|\böverenskommelsen\s+om\s+(\w+)",
                             re.IGNORECASE)
LINKING = "seaou"  # a compound's linking letter: "missbruk-s-", "munhäls-o-"
NAME_MIN = 4


@dataclass(frozen=True)
class Cues:
    part: str | None = None  # "A", "B" or "C" when the question names a part
    strategy: bool = False  # the question names the Färdplan
    history: bool = False  # the question asks about the previous agreement or changes
    agreement: str | None = None  # the title of the överenskommelse the question names


def read_cues(question: str, agreements: tuple[str, ...] = ()) -> Cues:
    """What the question says about where its answer stands; `agreements`: the titles of the
    corpus's överenskommelser, one of which it may name by a word of its title."""
    parts = {m.group(1).upper() for m in PART.finditer(question)}
    return Cues(
        part=parts.pop() if len(parts) == 1 else None,
        strategy=bool(STRATEGY.search(question)),
        history=bool(HISTORY.search(question)),
        agreement=named_agreement(question, agreements),
    )


def named_agreement(question: str, titles: tuple[str, ...]) -> str | None:
    """The one title among `titles` that the question names by a word of it
    ("läkaröverenskommelsen" → "Läkarmedverkan i …"); None when it names none or several."""
    named = set()
    for match in AGREEMENT_NAMED.finditer(question):
        word = (match.group(1) or match.group(2)).lower()
        stems = {word, word[:-1]} if word[-1:] in LINKING else {word}
        stems = {stem for stem in stems if len(stem) >= NAME_MIN}
        named |= {title for title in titles
                  if any(w.startswith(stem) for w in WORD.findall(title.lower()) for stem in stems)}
    return named.pop() if len(named) == 1 else None


# Words that are surely Swedish: a few function words no English text uses, and any word with
# å, ä or ö. They never count as English.
SWEDISH_WORDS = frozenset({"och", "att", "som", "vem", "vad", "hur", "ett", "till", "med", "ska",
                           "får", "inte", "vid", "när", "vilka", "vilken", "eller", "hen", "kan",
                           "har", "för", "är", "på"})


@lru_cache(maxsize=256)  # asked of one question by the answer, its evidence and a decline
def in_english(question: str) -> bool:
    """Mostly English words: the documents are Swedish, so the answer asks for Swedish. A
    question that is at least half surely-Swedish words is not, and is decided without
    loading the English word list (0.2 s on every cold start)."""
    words = [w.lower() for w in WORD.findall(question)]
    unsure = [w for w in words if w not in SWEDISH_WORDS and not set(w) & set("åäö")]
    if len(words) < 3 or 2 * len(unsure) <= len(words):
        return False
    from wordfreq import zipf_frequency

    english = sum(zipf_frequency(w, "en") > zipf_frequency(w, "sv") + 1 for w in unsure)
    return english / len(words) > 0.5


# What kind of quantity a question asks for ("vad kostar …" → an amount, "hur länge …" → a
# duration), and how a sentence that gives one reads. Read from general Swedish phrasing: a
# question asking for an amount, a time, a count, how often or an age is answered only by a
# text giving that kind of thing ("Vad kostar ett besök …" is not answered by a section on
# who pays). A question asking who ("vem betalar …") asks for a party, not an amount.
_NUMBER = (r"\d+(?:[,.]\d+)?|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|"
           r"fjorton|femton|sexton|sjutton|arton|nitton|tjugo|trettio|fyrtio|femtio|sextio|"
           r"sjuttio|åttio|nittio|hundra|tusen")
_MONTH = (r"(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|"
          r"december)")
# a unit of time, also as a compound's last part: "arbetsdagar", "vardagar", "arbetstimmar"
_TIME_UNIT = r"år|(?:\w{3,})?(?:månad|veck|dag|dygn|timm|minut)\w*"
# a sum of money or a share: "1 200 kr", "250 kronor", "33%", "3 procent"
_FIGURE = r"\d[\d\s]*(?:[,.]\d+)?\s*(?:kr\b|kronor|procent|%)"
ASKS_WHO = re.compile(r"\b(?:vem|vems|vilka|vilken\s+(?:huvudman|part|aktör|vårdgivare))\b",
                      re.IGNORECASE)
QUANTITIES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "amount": (
        # "vad kostar …", and with a modal verb before it: "vad får ett vårddygn kosta"
        re.compile(r"\b(?:vad|hur\s+mycket)\s+(?:kostar|kostade|blir|tar)\b|"
                   r"\b(?:vad|hur\s+mycket)\s+(?:\w+\s+){1,5}kosta\b|"
                   r"\bhur\s+mycket\s+(?:\w+\s+){0,2}betala\w*|\bhur\s+mycket\b|"
                   r"\bvad\s+(?:får|ska|måste)\s+(?:\w+\s+){1,3}betala\b|\btjänar\b|"
                   r"\b(?:får|få|ta|tar)\s+(?:\w+\s+){0,2}betalt\b|"
                   r"\blön(?:en|er|erna)?\b|\w*(?:avgift|taxa)\w*|\bpris\w*", re.IGNORECASE),
        re.compile(rf"{_FIGURE}|\b(?:belopp|avgift|pris|taxa|ersättning|\w+kostnad)\w*",
                   re.IGNORECASE)),
    "duration": (
        re.compile(r"\bhur\s+(?:länge|lång\s+tid|snabbt|snart|fort|tidigt)\b|"
                   r"\bhur\s+lång(?=\s+(?:är\s+)?\w*tid)|"  # the "…tid" itself is the topic
                   r"\binom\s+hur\b(?!\s+många)", re.IGNORECASE),
        re.compile(rf"\b(?:{_NUMBER})\s*-?\s*(?:{_TIME_UNIT})\b|\b(?:skyndsamt|snarast|"
                   r"omgående|omedelbart|direkt|samma\s+dag|utan\s+dröjsmål|så\s+snart|"
                   r"senast|inom|löpande|tills\s+vidare)\b|\d{4}-\d{2}-\d{2}|"
                   # how long something is valid: a dated period ("från 1 januari 2023 till
                   # 31 december 2026", "2023–2026", "till och med 2026", "t.o.m. 2026")
                   rf"\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b|\b\d{{4}}\s*[-–]\s*\d{{2,4}}\b|"
                   r"\b(?:till\s+och\s+med|t\.\s?o\.\s?m\.?)\s+(?:\w+\s+)?\d{4}\b",
                   re.IGNORECASE)),
    # "hur många dagar/timmar …" names its unit: only a number of such units answers it, not
    # "skyndsamt" or "inom ramen för"
    "span": (
        re.compile(rf"\bhur\s+många\s+(?:{_TIME_UNIT})\b", re.IGNORECASE),
        re.compile(rf"\b(?:{_NUMBER})\s*-?\s*(?:{_TIME_UNIT})\b|\d{{4}}-\d{{2}}-\d{{2}}",
                   re.IGNORECASE)),
    "count": (
        re.compile(r"\bhur\s+många\b", re.IGNORECASE),
        re.compile(rf"\b(?:{_NUMBER})\b|\b(?:alla|varje|samtliga)\b", re.IGNORECASE)),
    "frequency": (
        re.compile(r"\bhur\s+ofta\b|\bhur\s+många\s+(?:gånger|ggr)\b", re.IGNORECASE),
        # "varje"/"per" only before a time ("varje vecka", "per år"), not "per kommun"
        re.compile(rf"\b(?:varje|per)\s+(?:{_TIME_UNIT}|(?:kvartal|halvår|termin|natt|kväll|"
                   r"morgon|vardag|helg)\w*)\b|\b(?:gång\w*|årlig\w*|månatlig\w*|regelbund\w*|"
                   r"kontinuerlig\w*|löpande|återkommande|dagligen|"
                   r"(?:tim|dags|vecko|månads|kvartals|halvårs|års)vis)\b", re.IGNORECASE)),
    "age": (
        re.compile(r"\b(?:vilken|vilka|upp\s+till\s+vilken)\s+ålder\w*|\bhur\s+gammal\b|"
                   r"\båldersgräns\w*", re.IGNORECASE),
        re.compile(rf"\b(?:{_NUMBER})\s*år\b|\bålder\w*|\bbarn\b|\bvuxna\b", re.IGNORECASE)),
    # a figure in the unit the question names ("i kronor", "hur många procent", "den exakta
    # summan"): only a number in that kind of unit, or a fraction, answers it, not a sentence
    # that names the payment ("ersättning", "kostnaden") without giving it
    "figure": (
        re.compile(r"\bhur\s+många\s+(?:kronor|procent)\b|\bi\s+(?:kronor|procent)\b|"
                   r"\bexakt\w*\s+(?:siffr|belopp|summ)\w*", re.IGNORECASE),
        re.compile(rf"{_FIGURE}|\b(?:en|ett|två|tre)\s+(?:halv|tredjedel|fjärdedel|femtedel)\w*|"
                   r"\bhälft\w*", re.IGNORECASE)),
    # a way to reach someone (a telephone number, an e-mail or web address) is answered only
    # by a text that gives one: "vilket nummer ringer vi …" is not answered by who to call
    "contact": (
        re.compile(r"\btelefonnummer\w*|\btfn\b|(?:mejl|mail|e-post|epost)adress\w*|\bwebbadress\w*|"
                   r"\b(?:nummer|numret)\b(?=.*\b(?:ring\w*|nå|når|sms\w*)\b)|"
                   r"\b(?:ring\w*|nå|når)\b(?=.*\b(?:nummer|numret)\b)", re.IGNORECASE),
        re.compile(r"\b0\d{1,3}[-–\s]?\d{2,3}(?:[\s-]?\d{2}){1,3}\b|\b(?:1177|112)\b|"
                   r"[\w.+-]+@[\w-]+\.\w+|https?://|\bwww\.|\b[\w-]+\.(?:se|nu|com|org)\b",
                   re.IGNORECASE)),
}


# "hur många X …" counts X: answered by a number of X ("49 kommuner", "sex delregionala
# vårdsamverkansområden", "minst en kontaktperson", "tillräckligt många intygsutfärdare"),
# not by any number in the text. X is the word after "hur många" unless it is one of the
# commonest words, a verb rather than a thing ("hur många finns det", "hur många får"):
# wordfreq Zipf ≥ COUNTED_MAX_ZIPF. One of the next three words after the number names X:
# it starts with X's first letters (STEM: "plats"/"platser", "ledamot"/"ledamöter") or ends
# in X (a compound: "vårdsamverkansområden"). A bare "en"/"ett" is an article, not a count.
_COUNTED = re.compile(r"\bhur\s+många\s+(\w+)", re.IGNORECASE)
COUNTED_MAX_ZIPF = 5.5
STEM = 4
_COUNT = re.compile(rf"\b(?:(?:minst|högst|max|maximalt|endast|bara|cirka|ca)\s+(?:en|ett)|"
                    rf"(?!en\b|ett\b)(?:{_NUMBER})|alla|samtliga|tillräckligt\s+många)"
                    r"((?:\W+\w+){1,3})", re.IGNORECASE)


def counted(question: str) -> str | None:
    """What a "hur många X" question counts (lower case), None when it names no thing."""
    match = _COUNTED.search(question)
    if match is None or len(match.group(1)) < STEM \
            or frequency(match.group(1).lower()) >= COUNTED_MAX_ZIPF:
        return None  # no thing, or an abbreviation ("usk") the text writes out
    return match.group(1).lower()


def asked_quantities(question: str) -> tuple[str, ...]:
    """The kinds of quantity the question asks for (QUANTITIES), none for a "who" question."""
    if ASKS_WHO.search(question):
        return ()
    kinds = tuple(kind for kind, (ask, _) in QUANTITIES.items() if ask.search(question))
    # "hur många timmar" asks for a number of hours, "hur många gånger" how often: not a count;
    # a figure asked for ("hur många procent", "vad kostar det i kronor") is neither a count
    # nor answered by a sentence that only names the amount
    if "figure" in kinds:
        return tuple(k for k in kinds if k not in ("count", "amount"))
    return tuple(k for k in kinds if k != "count") if {"span", "frequency"} & set(kinds) \
        else kinds


def asked_in_turn(question: str, own: str | None = None) -> tuple[str, ...]:
    """The kinds of quantity a turn asks for: read from a follow-up's `own` words when they
    ask for something (a kind, or who), else from `question`, which holds the earlier turns
    too (an elliptic "och för barn då?" asks what the turn before it asked, but "hur mycket
    kostar den?" after "Vem …?" asks an amount)."""
    if own:
        kinds = asked_quantities(own)
        if kinds or ASKS_WHO.search(own):
            return kinds
    return asked_quantities(question)


def without_asking(question: str) -> str:
    """The question without the phrases that ask for a quantity ("hur många dagar", "vad får
    pat betala"): what is asked, not what it is about. A sentence giving "3,0 kalenderdagar"
    is not on the topic of "Hur många dagar innan skickas kallelsen?" for its "dagar". A single
    word naming the quantity ("egenavgiften", "åldersgränsen") is its topic too and stays."""
    for kind in asked_quantities(question):
        question = QUANTITIES[kind][0].sub(
            lambda m: " " if len(m.group(0).split()) > 1 else m.group(0), question)
    return question


def gives_quantity(sentence: str, kinds: tuple[str, ...], thing: str | None = None) -> bool:
    """Whether the sentence gives a quantity of one of these kinds; a count of `thing`
    (`counted`) when given."""
    if thing is not None and "count" in kinds:
        if any(word.startswith(thing[:STEM]) or word.endswith(thing)
               for match in _COUNT.finditer(sentence)
               for word in WORD.findall(match.group(1).lower())):
            return True
        kinds = tuple(k for k in kinds if k != "count")
    return any(QUANTITIES[kind][1].search(sentence) for kind in kinds)
