"""Quizzes made from the text itself, deterministically (same scope and seed → same quiz).

Three kinds of item, each proven by one verbatim sentence (the citation's quote):
- "ansvar": who is responsible — a sentence whose subject is one party ("VGR ansvarar för …",
  "Kommunen har ansvar …", "Parterna har ett gemensamt ansvar …") with the party blanked;
  distractors are the other parties.
- "lucka": cloze on a key fact — an age, a duration, an amount, a share or a date;
  distractors are other facts of the same unit in the same document (or nearby numbers).
- "avsnitt": which sentence stands in a given section; distractors are sentences of its
  sibling sections.
Every item's answer is one of its options and occurs verbatim in its quote, and the quote
occurs verbatim in the cited section (and in a text source file itself): `check_item` asserts
it for every item made.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from assistant.answer.verify import quote_in_section
from assistant.errors import UserError
from assistant.index.chunking import sentences
from assistant.ingest.clean import collapse
from assistant.trainers.source import BINDING_KINDS, Library, Selection, select
from assistant.types import Citation, Section

KINDS = ("ansvar", "lucka", "avsnitt")
BLANK = "_____"

# Parties of the agreement and the printed forms that name them.
_PARTY_WORDS = {
    "region": r"VGR|Västra Götalandsregionen|[Rr]egionen",
    "kommun": r"[Kk]ommunen|[Kk]ommunerna",
    "båda": r"[Pp]arterna|[Hh]uvudmännen|[Bb]åda parter",
}
# Shown as distractors (sentence-initial, mid-sentence).
_PARTY_SHOWN = {
    "region": ("VGR", "VGR"),
    "kommun": ("Kommunen", "kommunen"),
    "båda": ("Parterna", "parterna"),
}
_ANY_PARTY = re.compile(
    r"(?<![\wåäöÅÄÖ])(?:VGR|Västra Götalandsregionen|[Rr]egion(?:en|er|erna)?|"
    r"[Kk]ommun(?:en|er|erna)?|[Pp]arter(?:na)?|[Hh]uvudm(?:an|ännen|än)|[Bb]åda parter)"
    r"(?:s|:s)?(?![\wåäöÅÄÖ])"
)
_DUTY = r"(?:ansvarar|bekostar|betalar|står för|har\s+(?:\w+\s+){0,3}?(?:kostnads)?ansvar\w*)"


def _subject_patterns(words: str) -> list[re.Pattern]:
    party = rf"(?P<party>{words})"
    edge = r"(?<![\wåäöÅÄÖ])"
    return [
        re.compile(rf"{edge}{party}\s+{_DUTY}(?![\wåäöÅÄÖ])"),
        re.compile(rf"{edge}ansvarar\s+{party}\s+för\b"),
        re.compile(rf"\bär\s+(?:ett\s+)?ansvar\s+för\s+{party}(?![\wåäöÅÄÖ])"),
        re.compile(rf"\bär\s+{party}:s\s+ansvar\b"),
    ]


_SUBJECTS = {group: _subject_patterns(words) for group, words in _PARTY_WORDS.items()}

# Key facts: a number (digits or a Swedish number word) and a unit, or an ISO date.
# ("en"/"ett" are left out: mostly articles, "en dag" is rarely a key fact.)
_NUMBER_WORDS = ("två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|"
                 "femton|sexton|sjutton|arton|nitton|tjugo|trettio|fyrtio|femtio|sextio|hundra")
_UNITS = {
    "år": "år", "månader": "månad", "månaders": "månad", "månad": "månad",
    "veckor": "vecka", "vecka": "vecka", "dagar": "dag", "dag": "dag", "dygn": "dygn",
    "kalenderdagar": "kalenderdag", "vardagar": "vardag", "arbetsdagar": "arbetsdag",
    "timmar": "timme", "timme": "timme", "kronor": "kronor", "kr": "kronor",
    "procent": "procent", "%": "procent",
}
_FACT = re.compile(
    rf"(?<![\wåäöÅÄÖ.,-])(?P<number>\d{{1,3}}(?:[  ]\d{{3}})*(?:,\d+)?|{_NUMBER_WORDS})"
    rf"\s?(?P<unit>{'|'.join(sorted(map(re.escape, _UNITS), key=len, reverse=True))})"
    r"(?![\wåäöÅÄÖ])"
    r"|(?<![\d-])(?P<date>(?:19|20)\d\d-[01]\d-[0-3]\d)(?![\d-])"
)
_WORD_VALUES = {w: i for i, w in enumerate(
    "noll en två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton "
    "sjutton arton nitton tjugo".split())} | {"ett": 1, "trettio": 30, "fyrtio": 40,
                                              "femtio": 50, "sextio": 60, "hundra": 100}
MIN_SENTENCE, MAX_SENTENCE = 40, 260


@dataclass(frozen=True)
class QuizItem:
    question: str
    kind: str
    options: list[str]
    answer: str
    citation: Citation

    def to_dict(self) -> dict:
        return {"question": self.question, "kind": self.kind, "options": list(self.options),
                "answer": self.answer, "citation": self.citation.to_dict()}


class QuizDefect(AssertionError):
    """A quiz item whose answer is not proven by its quote: never shown."""


def check_item(item: QuizItem, section: Section) -> None:
    """Raise QuizDefect unless answer ∈ options, answer ⊂ quote and quote ⊂ section."""
    if item.answer not in item.options or len(set(item.options)) != len(item.options):
        raise QuizDefect(f"answer not among distinct options: {item.question}")
    if item.answer not in item.citation.quote:
        raise QuizDefect(f"answer not in its quote: {item.answer!r}")
    if not quote_in_section(item.citation.quote, section):
        raise QuizDefect(f"quote not verbatim in {section.id}")


def _label(library: Library, section: Section) -> str:
    from assistant.answer.compose import where

    return where(section, library.documents_by_id)


def _citation(section: Section, start: int, quote: str) -> Citation:
    return Citation(document=section.document, document_title=section.document_title,
                    part=section.part, agreement=section.agreement, section=section.section,
                    title=section.title, page=section.page_at(start), quote=quote,
                    section_id=section.id)


def _quotable(section: Section, library: Library):
    """Sentences of a fitting length that are verbatim in the section and in the source file
    too (not re-joined across a page break or a hyphen)."""
    for sentence in sentences(section):
        text = sentence.text.strip()
        if MIN_SENTENCE <= len(text) <= MAX_SENTENCE and library.in_source_text(section, text):
            yield sentence.start + sentence.text.index(text), text


# --- "ansvar" ---------------------------------------------------------------------------

def _neutral_label(library: Library, section: Section) -> str:
    """The nearest heading that does not name a party ("Kommunens ansvar" gives the answer
    away): the section's own, else its parent's, …"""
    current: Section | None = section
    while current is not None and _ANY_PARTY.search(current.title):
        current = library.by_id.get(current.parent) if current.parent else None
    if current is None:
        return "avtalet"
    if current.parent is None and current.part:  # a part's own front section
        return f"Del {current.part}" + (f", överenskommelsen {current.agreement}"
                                        if current.agreement else "")
    return _label(library, current)


def _responsible(text: str) -> tuple[str, re.Match] | None:
    """The one party that is the subject of a duty in `text`, or None (none or ambiguous)."""
    if len(_ANY_PARTY.findall(text)) != 1:
        return None
    for group, patterns in _SUBJECTS.items():
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                return group, match
    return None


def responsibility_items(library: Library, sections: list[Section]) -> list[tuple]:
    items = []
    for section in sections:
        for start, text in _quotable(section, library):
            found = _responsible(text)
            if found is None:
                continue
            group, match = found
            answer = match.group("party")
            begin, end = match.span("party")
            initial = begin == 0 or text[:begin].strip() in ("•", "")
            others = [_PARTY_SHOWN[g][0 if initial else 1] for g in _PARTY_SHOWN if g != group]
            blanked = text[:begin] + BLANK + text[end:]
            question = (f"Vem har ansvaret enligt {_neutral_label(library, section)}? "
                        f"Fyll i luckan: ”{blanked}”")
            items.append((section, start, text, "ansvar", question, answer, others))
    return items


# --- "lucka" ----------------------------------------------------------------------------

def _unit(match: re.Match) -> str:
    return "datum" if match.group("date") else _UNITS[match.group("unit")]


def _value(number: str) -> float | None:
    digits = number.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return _WORD_VALUES.get(number.lower())


def _nearby(match: re.Match, taken: set[str]) -> list[str]:
    """Wrong numbers of the same unit when the document has too few of its own."""
    if match.group("date"):
        year = int(match.group("date")[:4])
        return [f"{year + d}{match.group('date')[4:]}" for d in (1, -1, 2, 3)]
    value = _value(match.group("number"))
    if value is None or value != int(value):
        return []
    value = int(value)
    space = match.group(0)[len(match.group("number")):-len(match.group("unit"))]
    steps = (1, 2, -1, 3, -2, 5) if value > 2 else (1, 2, 3, 5)
    spelled = not match.group("number")[0].isdigit()  # "arton månader" → "nitton månader"
    words = {n: w for w, n in _WORD_VALUES.items() if w not in ("en", "ett", "noll")}
    shown = [words.get(value + s, str(value + s)) if spelled else str(value + s)
             for s in steps if value + s > 1]
    return [f"{n}{space}{match.group('unit')}" for n in shown
            if f"{n}{space}{match.group('unit')}" not in taken]


def cloze_items(library: Library, sections: list[Section]) -> list[tuple]:
    facts_by_unit: dict[tuple[str, str], list[str]] = {}
    found = []
    for section in sections:
        for start, text in _quotable(section, library):
            for match in _FACT.finditer(text):
                key = (section.document, _unit(match))
                facts_by_unit.setdefault(key, [])
                if match.group(0) not in facts_by_unit[key]:
                    facts_by_unit[key].append(match.group(0))
                found.append((section, start, text, match))
    items = []
    seen_sentences = set()
    for section, start, text, match in found:
        if (section.id, start) in seen_sentences:
            continue
        seen_sentences.add((section.id, start))
        answer = match.group(0)
        if text.count(answer) != 1:
            continue
        same_unit = [f for f in facts_by_unit[(section.document, _unit(match))]
                     if f != answer and f not in text]
        others = list(dict.fromkeys(same_unit + _nearby(match, set(same_unit) | {answer})))
        others = [o for o in others if o not in text][:6]
        if len(others) < 2:
            continue
        blanked = text[:match.start()] + BLANK + text[match.end():]
        question = f"Fyll i luckan ({_label(library, section)}): ”{blanked}”"
        items.append((section, start, text, "lucka", question, answer, others))
    return items


# --- "avsnitt" --------------------------------------------------------------------------

def section_items(library: Library, sections: list[Section]) -> list[tuple]:
    items = []
    for section in sections:
        own = list(_quotable(section, library))
        if not own:
            continue
        body = collapse(section.body)
        pool = library.siblings(section)
        if len(pool) < 3:
            pool += [s for s in library.sections if s.document == section.document
                     and s.part == section.part and s.agreement == section.agreement
                     and s.id != section.id and s not in pool]
        others = []
        for other in pool:
            for _, text in _quotable(other, library):
                if collapse(text) not in body and text not in others:
                    others.append(text)
                    break
        if len(others) < 2:
            continue
        for start, text in _not_naming(own, section.title):
            question = f"Vilken av meningarna står i {_label(library, section)}?"
            items.append((section, start, text, "avsnitt", question, text, others))
    return items


def _not_naming(own: list[tuple[int, str]], title: str) -> list[tuple[int, str]]:
    """Sentences that do not repeat a long word of the heading (that would give the answer
    away); all of them when every one does."""
    words = {w.casefold() for w in re.findall(r"[\wåäöÅÄÖ]{6,}", title)}
    hidden = [(start, text) for start, text in own
              if not any(w in text.casefold() for w in words)]
    return hidden or own


# --- the quiz ---------------------------------------------------------------------------

def default_selection(library: Library) -> Selection:
    chosen = [s for s in library.sections if s.kind in BINDING_KINDS]
    return Selection("Avtalet", chosen or list(library.sections))


def make_quiz(library: Library, scope: str | None = None, count: int = 10, seed: int = 1,
              options: int = 4) -> list[QuizItem]:
    """`count` items from the sections of `scope` (default: the binding agreement), the
    kinds taken in turn; deterministic for a given seed."""
    selection = default_selection(library) if not scope or scope.lower() in ("alla", "avtalet") \
        else select(library, scope)
    sections = [s for s in selection.sections if s.body.strip()]
    rng = random.Random(seed)
    pools = {
        "ansvar": responsibility_items(library, sections),
        "lucka": cloze_items(library, sections),
        "avsnitt": section_items(library, sections),
    }
    for pool in pools.values():
        rng.shuffle(pool)
    quiz: list[QuizItem] = []
    used: set[tuple[str, int]] = set()
    while len(quiz) < count and any(pools.values()):
        for kind in KINDS:
            if len(quiz) >= count:
                break
            while pools[kind]:
                section, start, text, _, question, answer, others = pools[kind].pop()
                if (section.id, start) in used:
                    continue
                used.add((section.id, start))
                quiz.append(_item(section, start, text, kind, question, answer, others,
                                  rng, options))
                break
    if not quiz:
        raise UserError(f"inga quizfrågor kunde göras ur ”{selection.name}”.")
    return quiz


def _item(section: Section, start: int, text: str, kind: str, question: str, answer: str,
          others: list[str], rng: random.Random, options: int) -> QuizItem:
    wrong = rng.sample(others, k=min(options - 1, len(others)))
    choices = wrong + [answer]
    rng.shuffle(choices)
    item = QuizItem(question=question, kind=kind, options=choices, answer=answer,
                    citation=_citation(section, start, text))
    check_item(item, section)
    return item


def facts_in(text: str) -> list[str]:
    """Key facts (number + unit, ISO dates) as printed in `text`, in order."""
    return list(dict.fromkeys(m.group(0) for m in _FACT.finditer(text)))


def quiz_printable(items: list[QuizItem], library: Library, scope: str | None,
                   seed: int):
    """The quiz as print material: questions with lettered options, then the key with the
    quote that proves each answer."""
    from assistant.trainers.printable import Block, Printable

    letters = "ABCDEFGH"
    blocks = []
    for number, item in enumerate(items, start=1):
        blocks.append(Block("heading", f"Fråga {number}", level=3))
        blocks.append(Block("text", item.question))
        blocks += [Block("item", f"{letters[i]}. {option}") for i, option in
                   enumerate(item.options)]
    blocks.append(Block("heading", "Facit", level=2))
    for number, item in enumerate(items, start=1):
        letter = letters[item.options.index(item.answer)]
        blocks.append(Block("text", f"{number}. {letter}: {item.answer}"))
        page = f", s. {item.citation.page}" if item.citation.page is not None else ""
        blocks.append(Block("quote", f"”{item.citation.quote}”",
                            note=_label(library, library.by_id[item.citation.section_id]) + page))
    name = select(library, scope).name if scope and scope.lower() not in ("alla", "avtalet") \
        else "Avtalet"
    return Printable(title=f"Quiz: {name}",
                     about=[f"{len(items)} frågor ur texten (frö {seed}). Facit med ordagranna "
                            "citat sist."], blocks=blocks,
                     footer="Quiz ur Avtalsassistenten: varje svar bevisas av ett ordagrant "
                            "citat.")
