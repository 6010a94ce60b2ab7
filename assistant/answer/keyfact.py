"""The key fact of an answering sentence: the amount, age, duration, date or who is responsible.

Staff read the short answer between patients; the one fact they asked for is marked in it.
What counts as the key fact follows what the question asks ("vem …" → who; "hur länge …",
"vilken ålder …" → a duration or age; "hur mycket …" → an amount), read from general Swedish
phrasing. The fact is always a span of the verbatim sentence, never new text.
"""

from __future__ import annotations

import re

NUMBER_WORDS = (r"en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|"
                r"femton|sexton|sjutton|arton|nitton|tjugo|trettio|fyrtio|femtio|sextio|"
                r"nittio|hundra|\d+(?:[,.]\d+)?")
UNITS = (r"år|månader|månad|veckor|vecka|dagar|dag|dygn|timmar|timme|arbetsdagar|"
         r"kalenderdagar|vardagar|minuter")
DATE = r"\d{4}-\d{2}-\d{2}(?:\s*[–-]\s*\d{4}-\d{2}-\d{2})?"
AMOUNT = r"\d[\d\s]*(?:[,.]\d+)?\s*(?:kr\b|kronor|procent|%|tkr|mkr|miljoner|prisbasbelopp)"
DURATION = (r"(?:(?:till\s+och\s+med|från\s+och\s+med|upp\s+till|inom|under|minst|högst|"
            r"senast|efter)\s+)?(?:" + NUMBER_WORDS + r")(?:\s*-\s*|\s+)(?:" + UNITS + r")"
            r"(?:s?\s+(?:uppsägningstid|i\s+taget))?")
# How often: "årligen", "varje månad", "två gånger per år", "varannan vecka".
PERIOD = r"år(?:et)?|månad(?:en)?|vecka(?:n)?|veckor|dag(?:en)?|dygn(?:et)?|kvartal(?:et)?|termin"
FREQUENCY = (r"\b(?:årligen|dagligen|veckovis|månadsvis|kvartalsvis|halvårsvis|"
             r"(?:varje|varannan|vartannat)\s+(?:" + PERIOD + r")|"
             r"(?:" + NUMBER_WORDS + r")\s+gång(?:er)?\s+(?:per|i|om)\s+(?:" + PERIOD + r"))\b")
NUMERIC = re.compile(f"{DATE}|{AMOUNT}|{DURATION}|{FREQUENCY}", re.IGNORECASE)
# A year on its own ("följas upp 2024 och 2028"), not a law's number ("2017:30"): the fact
# only of a question that asks when.
YEAR = re.compile(r"(?<![\d:/-])(?:19|20)\d{2}(?![\d:/-])")
ASKS_WHEN = re.compile(r"\b(?:när|vilket\s+år|vilka\s+år|årtal|sedan\s+när)\b", re.IGNORECASE)
# Who: the parties and roles the agreements assign responsibility to.
ACTOR = re.compile(
    r"\b(?:VGR|Västra\s+Götalandsregionen|[Rr]egionens?|[Kk]ommunen(?:s|a|as)?|[Kk]ommunernas?|"
    r"[Vv]årdcentral(?:en|ens)?|[Rr]egeringen|[Hh]uvudmannen|[Bb]åda\s+huvudmännen|[Pp]arterna|"
    r"[Ff]örskrivaren|[Ss]ocialnämnden|[Ss]ocialtjänsten|[Ll]äkaren|[Ss]juksköterskan|"
    r"[Ss]lutenvården|[Pp]atienten)\b"
)
RESPONSIBLE = re.compile(r"ansvar|betala|bekosta|står\s+för|kostnad|huvudman|ska\b|kallar|"
                         r"utser|fastställ|beslut", re.IGNORECASE)
ASKS_WHO = re.compile(r"\b(?:vem|vilka|vilken\s+(?:huvudman|part|vårdgivare|aktör)|vems)\b",
                      re.IGNORECASE)
ASKS_NUMBER = re.compile(
    r"\b(?:hur\s+(?:länge|lång|långt|många|mycket|gammal|ofta|snart)|när|vilken\s+ålder|"
    r"vilket\s+(?:datum|år|belopp)|vad\s+kostar|ålder|åldern|upp\s+till|datum|belopp|"
    r"dygnskostnad|uppsägningstid|tid)\b",
    re.IGNORECASE,
)


def key_fact(sentence: str, question: str) -> tuple[int, int] | None:
    """(start, end) of the sentence's key fact for this question, or None."""
    numeric = [m.span() for m in NUMERIC.finditer(sentence)]
    if ASKS_WHEN.search(question):
        numeric += [m.span() for m in YEAR.finditer(sentence)
                    if not any(a <= m.start() < b for a, b in numeric)]
    actors = [m.span() for m in ACTOR.finditer(sentence)]
    asks_who = bool(ASKS_WHO.search(question))
    if asks_who and actors:
        return _responsible(sentence, actors)
    # a number answers a question asking for one, or one asking neither who nor a number
    # of a sentence naming no party; never "vem …?" ("Vem bestämmer beloppet?" ≠ "årligen")
    if numeric and (ASKS_NUMBER.search(question) or not (actors or asks_who)):
        return max(numeric, key=lambda span: span[1] - span[0])
    if actors and RESPONSIBLE.search(sentence):
        return _responsible(sentence, actors)
    return numeric[0] if numeric and not asks_who else None


def asked_unit(question: str, fact: str) -> bool:
    """Whether the fact is in the unit the question asks about ("hur många månader" → a
    number of months), so a sentence giving that beats one giving a date."""
    units = re.findall(r"\b(år|månad|vecka|veckor|dag|dygn|timm|kron|procent)", question.lower())
    return any(unit in fact.lower() for unit in units)


def _responsible(sentence: str, actors: list[tuple[int, int]]) -> tuple[int, int]:
    """The actor nearest before a word of responsibility, else the first actor."""
    for start, end in actors:
        if RESPONSIBLE.search(sentence[end:end + 60]):
            return start, end
    return actors[0]


def marked(sentence: str, span: tuple[int, int] | None) -> str:
    """The sentence with its key fact between ** (Markdown bold)."""
    if span is None:
        return sentence
    start, end = span
    return f"{sentence[:start]}**{sentence[start:end]}**{sentence[end:]}"
