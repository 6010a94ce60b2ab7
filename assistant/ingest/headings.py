"""Recognise headings in cleaned lines: numbered ("B.7", "5.2", "9.4.3") and unnumbered.

Headings are recognised by shape and by what surrounds them, never by a list of answers:
a heading is short, unpunctuated, starts a text block and is followed by a new block; a
heading wrapped over lines is joined ("B.7 Asylsökande och personer som vistas i" +
"Sverige utan nödvändiga tillstånd").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.clean import (
    BULLET,
    MARKDOWN_HEADING,
    READ_MORE,
    Line,
    is_bullet,
    join_broken,
    unmarked,
)

NUMBERED = re.compile(r"^(B\.\d{1,2}|\d{1,2}(?:\.\d{1,2}){0,3})\s+([A-ZÅÄÖ].*)$")
# A heading line ending in one of these words continues on the next line (even past a blank).
DANGLING = {"i", "och", "för", "av", "med", "om", "mellan", "till", "samt", "kring", "en", "ett",
            "på", "vid", "från", "som", "att", "den", "det", "utifrån", "genom", "under", "efter",
            "–", "-"}
SENTENCE_INSIDE = re.compile(r"[.!?] [A-ZÅÄÖ]")
NO_HEADING_END = (".", ":", ";", ",", "…", "*", "!")
MAX_FIRST_LINE = 70
MAX_WRAP_LINE = 60
MAX_WRAPS = 3
# A subheading printed inside running text, without blank lines around it, is at most this
# long (characters, words on its first line).
MAX_INLINE_CHARS = 60
MAX_INLINE_WORDS = 8
FINISHED = (".", "!", "?")
SHORT_END, FULL_LINE = 0.6, 0.75  # of the width a paragraph is wrapped at
# A web address is never part of a heading ("Kvittens, se bilaga 6" / "www.example.se/…").
WEB_ADDRESS = re.compile(r"(?:^|\s)(?:https?://|www\.)\S", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    start: int
    end: int  # index after the heading's last line
    number: str | None
    title: str
    lead: bool

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


def heading_at(lines: list[Line], i: int, numbered_only: bool = False,
               pattern: re.Pattern = NUMBERED, max_chars: int = MAX_FIRST_LINE,
               inline: bool = False) -> Heading | None:
    """The heading starting at line i: numbered (`pattern`: group 1 the number, group 2 the
    title) or a short line starting a block; None when line i starts none. With `inline`, a
    short line right after a finished sentence or a marked heading starts a block too when
    its text follows on the very next line (a subheading flattened into running text)."""
    line = lines[i]
    if line.blank or is_bullet(line.text) or READ_MORE.match(line.text):
        return None
    match = pattern.match(line.text)
    within = False
    if not match:
        block_start = i == 0 or lines[i - 1].blank or line.lead
        within = not block_start and inline and after_finished(lines, i)
        if numbered_only or not (block_start or within) or not _shaped(line.text, max_chars):
            return None
    for end in range(_wrap_end(lines, i), i, -1):
        if within and not _runs_into_text(lines, i, end):
            continue
        texts = [x.text for x in lines[i:end] if not x.blank]
        title = texts[0]
        for text in texts[1:]:
            title = join_broken(title, unmarked(text))
        # "1. Inledning": the number's dot does not end a sentence
        unnumbered = title[len(match.group(1)):].strip() if match else title
        if _valid(unnumbered or title, _next(lines, end)):
            number = match.group(1) if match else None
            if match:
                title = title[len(number):].strip()
            return Heading(i, end, number, title, line.lead)
    if match and _heads_list(lines, i + 1):
        return _numbered_lead_in(lines, i, match.group(1))
    return None


def after_finished(lines: list[Line], i: int) -> bool:
    """Is line i a short line right below a finished sentence, a markdown heading or the
    short last line of a wrapped paragraph?"""
    above, text = lines[i - 1].text, lines[i].text
    return ((above.endswith(FINISHED) or MARKDOWN_HEADING.match(above) is not None
             or _paragraph_end(lines, i - 1))
            and len(text) <= MAX_INLINE_CHARS and len(text.split()) <= MAX_INLINE_WORDS)


def _paragraph_end(lines: list[Line], k: int) -> bool:
    """Is line k the short last line of a paragraph wrapped at the width of the line above
    it, with a line of that width again two lines below ("… på botwebb: Rutiner för" /
    "hälso- och sjukvård - Botwebb" / "Delegeringstillfälle" / "Medarbetaren som ska …")?
    A paragraph cut short by the page's edge ends without a full stop as well."""
    if k < 1 or k + 2 >= len(lines) or any(x.blank for x in lines[k - 1:k + 3]):
        return False
    width = len(lines[k - 1].text)
    text = lines[k].text
    return (len(text) < SHORT_END * width and len(lines[k + 2].text) >= FULL_LINE * width
            and not text.endswith((",", ":", ";"))
            and text.split()[-1].casefold() not in DANGLING)


def _runs_into_text(lines: list[Line], start: int, end: int) -> bool:
    """Do the lines start…end read as a subheading inside running text: its wrapped lines
    go on in lower case (a phrase cut by the line's end, not "(Egen definition)" or a
    heading of its own), and its text follows on the very next line?"""
    wrapped = all(x.text[:1].islower() for x in lines[start + 1:end])
    return wrapped and end < len(lines) and not lines[end].blank


def _heads_list(lines: list[Line], start: int) -> bool:
    """Does a bullet list follow (after blank lines) from line `start` on?"""
    following = next((x for x in lines[start:] if not x.blank), None)
    return following is not None and is_bullet(following.text)


def _numbered_lead_in(lines: list[Line], i: int, number: str) -> Heading | None:
    """A numbered line whose list completes it ("4.1.1 Regionen åtar sig att" + bullets) is
    a heading: its number places it in the outline, though the phrase runs into the list."""
    title = lines[i].text[len(number):].strip()
    if not title or title.endswith(NO_HEADING_END) or SENTENCE_INSIDE.search(title):
        return None
    return Heading(i, i + 1, number, title, lines[i].lead)


def _shaped(text: str, limit: int) -> bool:
    words = text.split()
    return (
        0 < len(text) <= limit
        and text[0].isupper()
        and len(words) <= 14
        and not all(len(w) == 1 for w in words)  # spaced-out labels: "A V T A L"
    )


def _wrap_end(lines: list[Line], i: int) -> int:
    """Index after the longest run of lines that could continue the heading at i."""
    end, wraps = i + 1, 0
    while wraps < MAX_WRAPS:
        k = end
        last_word = lines[end - 1].text.split()[-1].lower()
        if last_word in DANGLING and k < len(lines) and lines[k].blank:
            k += 1
        if k >= len(lines):
            break
        nxt = lines[k]
        if not nxt.blank and nxt.text[:1].isupper() and last_word not in DANGLING:
            break  # a new sentence or heading, unless the line before was cut mid-phrase
        if (nxt.blank or nxt.lead or len(nxt.text) > MAX_WRAP_LINE or is_bullet(nxt.text)
                or READ_MORE.match(nxt.text) or NUMBERED.match(nxt.text)):
            break
        end, wraps = k + 1, wraps + 1
    return end


def _next(lines: list[Line], end: int) -> tuple[Line | None, Line | None]:
    """The line right after a heading candidate and the next non-blank one."""
    after = lines[end] if end < len(lines) else None
    for line in lines[end:]:
        if not line.blank:
            return after, line
    return after, None


def _valid(title: str, following: tuple[Line | None, Line | None]) -> bool:
    after, nonblank = following
    if title.endswith(NO_HEADING_END) or title.endswith("...") or len(title) > 160:
        return False
    if WEB_ADDRESS.search(title):
        return False
    if title.split()[-1].lower() in DANGLING or SENTENCE_INSIDE.search(title):
        return False
    if title.count("(") > title.count(")"):
        return False  # a bracket left open: the sentence goes on ("… (16 kapitlet" / "4 §) …")
    if nonblank is not None and _continues_sentence(nonblank.text):
        return False
    if nonblank is not None and is_bullet(nonblank.text):
        item = BULLET.sub("", nonblank.text)
        if item[:1].islower():
            return False  # a lead-in to a list ("En god och nära vård • utgår från …")
    return True


def _continues_sentence(text: str) -> bool:
    return text[:1].islower() or text[:1] == "("


# Numbering styles of Swedish agreements, guidelines and laws. Containers ("Del A", "Bilaga
# 3", "Kapitel 2") hold numbered headings whose numbers restart inside them.
ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
STYLES = (
    ("part", re.compile(r"^Del\s+([A-ZÅÄÖ]|\d{1,2}|" + ROMAN + r")\b(?:\s*[,.:–-])?\s*(.*)$")),
    ("appendix", re.compile(r"^(Bilaga\s+(?:\d{1,2}|[A-Z]))\b(?:\s*[,.:–-])?\s*(.*)$")),
    ("chapter", re.compile(r"^(Kapitel\s+(?:\d{1,2}|" + ROMAN + r"))\b(?:\s*[,.:–-])?\s*(.*)$")),
    ("paragraph", re.compile(r"^(§\s*\d{1,3}\s?[a-z]?)\.?\s+([A-ZÅÄÖ].*)$")),
    ("letter", re.compile(r"^([A-Z]\.\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+([A-ZÅÄÖ].*)$")),
    ("decimal", re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÅÄÖ].*)$")),
    ("roman", re.compile(r"^(" + ROMAN + r")\.\s+([A-ZÅÄÖ].*)$")),
    ("roman", re.compile(r"^((?:X{0,3})(?:IX|IV|V?I{1,3}|V)(?<!^I))\s+([A-ZÅÄÖ].*)$")),
)
CONTAINERS = ("part", "appendix", "chapter")
# Any numbered heading line, for heading_at: group 1 the number, group 2 the title.
ANY_NUMBERED = re.compile(
    r"^((?:Del|Bilaga|Kapitel)\s+(?:[A-ZÅÄÖ]|\d{1,2}|[IVX]{1,4})\b,?(?=\s+[^a-zåäö\s])|§\s*\d{1,3}\s?[a-z]?\.?"
    r"|[A-Z]\.\d{1,2}(?:\.\d{1,2}){0,2}\.?|\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.)\s+(\S.*)$")
AGREEMENT_WORD = re.compile(r"^(?:Del)?[Öö]verenskommelse(?:n|r)?\b\s*(?:om\s+)?(.*)$")


@dataclass(frozen=True)
class Number:
    """A heading's printed number, its style and how deep it sits in its numbering."""

    style: str  # part | appendix | chapter | paragraph | letter | decimal | roman
    number: str  # as printed: "B.12", "5.1", "§ 5", "Bilaga 3", "IV"; the letter for a part
    title: str  # the heading text after the number

    @property
    def depth(self) -> int:
        """1 for "1", "B.1", "IV", "§ 5"; 2 for "1.1", "B.1.2"; containers are 1."""
        if self.style in ("decimal", "letter"):
            return self.number.count(".") + (1 if self.style == "decimal" else 0)
        return 1

    @property
    def key(self) -> tuple:
        """Comparable value of the number within its style ("1.10" after "1.9")."""
        if self.style in ("decimal", "letter"):
            return tuple(int(x) for x in re.findall(r"\d+", self.number))
        if self.style == "paragraph":
            return (int(re.search(r"\d+", self.number).group()),)
        if self.style == "roman" or (self.style in CONTAINERS and _is_roman(self.number)):
            return (roman_value(self.number.split()[-1]),)
        last = self.number.split()[-1]
        return (int(last),) if last.isdigit() else (ord(last[0]),)

    @property
    def family(self) -> str:
        """Numbers of one family continue each other: "B.1" … "B.15"; "1", "1.1", "2"."""
        if self.style == "letter":
            return f"letter:{self.number[0]}"
        return self.style


def _is_roman(number: str) -> bool:
    last = number.split()[-1]
    return bool(last) and re.fullmatch(ROMAN, last) is not None and last.isupper()


def roman_value(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for i, ch in enumerate(text):
        value = values.get(ch, 0)
        total += -value if i + 1 < len(text) and values.get(text[i + 1], 0) > value else value
    return total


def parse_number(text: str) -> Number | None:
    """The printed number of a heading line in any of the common styles, or None."""
    for style, pattern in STYLES:
        match = pattern.match(text)
        if match and match.group(1):
            if style in CONTAINERS and match.group(2)[:1].islower():
                return None  # "Del A och Del B utgör …": a sentence naming parts
            if style == "part":
                return Number(style, match.group(1), match.group(2).strip())
            return Number(style, " ".join(match.group(1).split()), match.group(2).strip())
    return None
