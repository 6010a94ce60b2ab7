"""Turn extracted PDF text into clean lines and paragraphs.

Extraction leaves page labels ("Sida | 6", "2(5)"), running headers, words split by line
breaks ("samsjuk-\\nlighet"), sentences broken across blank lines and "* L Ä S M E R" boxes.
Cleaning keeps every line's page so citations can name it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.types import Page

PAGE_LABEL = re.compile(r"^\s*(Sida\s*\|\s*\d+|\d+\s*\(\d+\))\s*$")
URL_LINE = re.compile(r"^\s*https?://\S+\s*$")
PART_HEADER = re.compile(r"^\s*Del [ABC],")
READ_MORE = re.compile(r"^\s*\*\s*L\s*Ä\s*S\s+M\s*E\s*R\s*$")
BULLET = re.compile(r"^\s*[•\-–]\s+")
SENTENCE_END = (".", "!", "?", ":", ";")
# A hyphen before one of these words is a shared word part ("hälso- och sjukvård"), not a break.
CONJUNCTIONS = {"och", "eller", "samt", "respektive", "till", "som"}


@dataclass(frozen=True)
class Line:
    """One line of text with the page it stands on; `lead` is a leading space (new text box)."""

    text: str
    page: int | None
    lead: bool = False

    @property
    def blank(self) -> bool:
        return not self.text


def collapse(text: str) -> str:
    return " ".join(text.split())


def page_lines(pages: list[Page]) -> list[Line]:
    """All lines of all pages, without page labels, link lines and running headers."""
    headers = running_headers(pages)
    lines: list[Line] = []
    for index, page in enumerate(pages):
        top = True
        for raw in page.text.splitlines():
            text = collapse(raw)
            if PAGE_LABEL.match(raw) or URL_LINE.match(raw) or text in headers:
                continue
            if top and index > 0 and PART_HEADER.match(raw):
                continue  # a part's name repeated at the top of a page
            if text:
                top = False
            lead = raw[:1].isspace() and bool(text)
            lines.append(Line(text, page.number, lead))
    return lines


def running_headers(pages: list[Page]) -> set[str]:
    """Short lines that open several pages: headers of the PDF, not text."""
    tops: Counter[str] = Counter()
    for page in pages[1:]:
        first = [collapse(x) for x in page.text.splitlines() if x.strip()][:4]
        tops.update(set(x for x in first if len(x) <= 60))
    return {text for text, count in tops.items() if count >= 2}


def join_broken(previous: str, following: str) -> str:
    """Join two lines of one paragraph, re-joining words hyphenated across the break."""
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalpha():
        word = following.split()[0] if following.split() else ""
        stem = previous.split()[-1]
        if following[:1] == "/":
            return previous + following
        if following[:1].islower():
            if word.rstrip(",.") in CONJUNCTIONS:
                return f"{previous} {following}"
            if len(stem) == 2 or stem[-2].isupper():  # "e-hälsa", "N-tandvård", "IT-stöd"
                return previous + following
            return previous[:-1] + following
    return f"{previous} {following}"


def continues(previous: str, following: str) -> bool:
    """Does `following` (after a blank line) continue the unfinished sentence `previous`?"""
    if previous.endswith(SENTENCE_END) or BULLET.match(following):
        return False
    return following[:1].islower() or following[:1] in "/("


def paragraphs(lines: list[Line]) -> list[tuple[str, list[tuple[int, int | None]]]]:
    """Paragraphs (bullets are their own), each with (offset, page) where its pages start."""
    result: list[tuple[str, list[tuple[int, int | None]]]] = []
    current, spans, gap = "", [], False
    for line in lines:
        if line.blank:
            gap = bool(current)
            continue
        starts_new = BULLET.match(line.text) or (gap and not continues(current, line.text))
        if current and not starts_new:
            joined = join_broken(current, line.text)
            if line.page != spans[-1][1]:
                spans.append((len(joined) - len(line.text), line.page))
            current = joined
        else:
            if current:
                result.append((current, spans))
            current, spans = line.text, [(0, line.page)]
        gap = False
    if current:
        result.append((current, spans))
    return result


def body_text(lines: list[Line]) -> tuple[str, list[tuple[int, int | None]]]:
    """A section's body: paragraphs one per line, with (offset, page) spans."""
    parts: list[str] = []
    spans: list[tuple[int, int | None]] = []
    offset = 0
    for text, local in paragraphs(lines):
        for start, page in local:
            if not spans or spans[-1][1] != page:
                spans.append((offset + start, page))
        parts.append(text)
        offset += len(text) + 1
    return "\n".join(parts), spans
