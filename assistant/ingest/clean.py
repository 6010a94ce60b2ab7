"""Turn extracted PDF text into clean lines and paragraphs.

Extraction leaves page labels ("Sida | 6", "2(5)"), running headers, words split by line
breaks ("samsjuk-\\nlighet"), sentences broken across blank lines and "* L Ä S M E R" boxes.
Cleaning keeps every line's page so citations can name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.furniture import furniture_flags
from assistant.types import Page

URL_LINE = re.compile(r"^\s*https?://\S+\s*$")
READ_MORE = re.compile(r"^\s*\*\s*L\s*Ä\s*S\s+M\s*E\s*R\s*$")
BULLET = re.compile(r"^\s*[•\-–]\s+")
# A bullet glyph alone on its line, its item on the next (PDF conversions print "•" or
# the sub-bullet "o" that way).
LONE_BULLET = re.compile(r"^\s*[•\-–o▪◦]\s*$")
# The last line of an entry in a "* L Ä S M E R" box: a link to a PDF, or a closing bracket.
REFERENCE_END = re.compile(r"(PDF|\))\s*$")
SENTENCE_END = (".", "!", "?", ":", ";")
# A hyphen before one of these words is a shared word part ("hälso- och sjukvård"), not a break.
CONJUNCTIONS = {"och", "eller", "samt", "respektive", "till", "som"}
# Markup a text file may carry: markdown headings ("## 3 Ansvar") and HTML tags.
MARKDOWN_HEADING = re.compile(r"^(#{1,4})\s+(.+)$")
HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Line:
    """One line of text with the page it stands on; `lead` is a leading space (new text box).
    From a PDF, `size` and `bold` give the line's font (None/False for text files)."""

    text: str
    page: int | None
    lead: bool = False
    size: float | None = None
    bold: bool = False

    @property
    def blank(self) -> bool:
        return not self.text


def body_font(lines: list[Line]) -> tuple[float, bool] | None:
    """The font (size, bold) most of the text is set in, by characters; None without fonts."""
    fonts: dict[tuple[float, bool], int] = {}
    for line in lines:
        if line.size:
            fonts[(line.size, line.bold)] = fonts.get((line.size, line.bold), 0) + len(line.text)
    return max(fonts, key=fonts.__getitem__) if fonts else None


def is_bullet(text: str) -> bool:
    """A list item's first line: "• text", or a bullet glyph alone on its line."""
    return bool(BULLET.match(text) or LONE_BULLET.match(text))


def unmarked(text: str) -> str:
    """A line without its markdown heading marker ("## FFU" → "FFU")."""
    markdown = MARKDOWN_HEADING.match(text)
    return markdown.group(2).strip() if markdown else text


def collapse(text: str) -> str:
    return " ".join(text.split())


def page_lines(pages: list[Page]) -> list[Line]:
    """All lines of all pages, without page furniture (running headers, footers, page
    numbers: see furniture.py) and link lines."""
    raw_pages = [page.text.splitlines() for page in pages]
    flags = furniture_flags(raw_pages)
    lines: list[Line] = []
    for page, raws, furniture in zip(pages, raw_pages, flags, strict=True):
        styles = page.styles if len(page.styles) == len(raws) else ()
        for n, raw in enumerate(raws):
            text = collapse(raw)
            if furniture[n] or URL_LINE.match(raw):
                continue
            lead = raw[:1].isspace() and bool(text)
            size, bold = styles[n] if styles else (None, False)
            lines.append(Line(text, page.number, lead, size or None, bold))
    return lines


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


def read_more_box(lines: list[Line], i: int) -> tuple[list[str], int]:
    """A "* L Ä S M E R" box: the guideline names it lists, kept apart from body text."""
    references: list[str] = []
    j = i + 1
    while j < len(lines):
        while j < len(lines) and lines[j].blank:
            j += 1
        if j >= len(lines) or READ_MORE.match(lines[j].text) or lines[j].lead:
            break
        entry, k = [], j
        while k < len(lines) and not lines[k].blank and len(entry) < 3:
            if entry and lines[k].lead:
                break
            entry.append(lines[k].text)
            k += 1
            if REFERENCE_END.search(entry[-1]):
                break
        text = collapse(" ".join(entry))
        if references and not REFERENCE_END.search(text):
            break
        references.append(text)
        j = k
        if k < len(lines) and lines[k].lead:
            break
    return references, j
