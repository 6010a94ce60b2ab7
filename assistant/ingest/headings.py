"""Recognise headings in cleaned lines: numbered ("B.7", "5.2", "9.4.3") and unnumbered.

Headings are recognised by shape and by what surrounds them, never by a list of answers:
a heading is short, unpunctuated, starts a text block and is followed by a new block; a
heading wrapped over lines is joined ("B.7 Asylsökande och personer som vistas i" +
"Sverige utan nödvändiga tillstånd").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.clean import BULLET, READ_MORE, Line, join_broken

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


def heading_at(lines: list[Line], i: int, numbered_only: bool = False) -> Heading | None:
    line = lines[i]
    if line.blank or BULLET.match(line.text) or READ_MORE.match(line.text):
        return None
    match = NUMBERED.match(line.text)
    if not match:
        block_start = i == 0 or lines[i - 1].blank or line.lead
        if numbered_only or not block_start or not _shaped(line.text, MAX_FIRST_LINE):
            return None
    for end in range(_wrap_end(lines, i), i, -1):
        texts = [x.text for x in lines[i:end] if not x.blank]
        title = texts[0]
        for text in texts[1:]:
            title = join_broken(title, text)
        if _valid(title, _next(lines, end)):
            number = match.group(1) if match else None
            if match:
                title = title[len(number):].strip()
            return Heading(i, end, number, title, line.lead)
    return None


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
        if (nxt.blank or nxt.lead or len(nxt.text) > MAX_WRAP_LINE or BULLET.match(nxt.text)
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
    if title.split()[-1].lower() in DANGLING or SENTENCE_INSIDE.search(title):
        return False
    if nonblank is not None and _continues_sentence(nonblank.text):
        return False
    if nonblank is not None and BULLET.match(nonblank.text):
        item = BULLET.sub("", nonblank.text)
        if item[:1].islower():
            return False  # a lead-in to a list ("En god och nära vård • utgår från …")
    return True


def _continues_sentence(text: str) -> bool:
    return text[:1].islower() or text[:1] == "("
