"""A table of contents: recognised, used as evidence of the outline, never indexed.

An entry is a line that ends in dotted leaders, usually with a page number ("Bakgrund . . 5",
"1.2 Syfte ........ 3"; "…" or "___" leaders need the number, since blanks to fill in look
the same), or, inside a run of such lines, a title and a page number after a plain gap. A run
of at least `MIN_ENTRIES` entries (blank lines and wrapped titles allowed between them; without
leaders `MIN_PLAIN_ENTRIES` with rising page numbers) is a table of contents; a one-word line
right before it is its heading ("Innehåll").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.clean import Line

LEADER_ENTRY = re.compile(r"^(?P<title>.*?[^\s.])\s*(?:\.\s?){4,}\s*(?P<page>\d{1,3})?$|"
                          r"^(?P<title2>.*?\S)\s*[…_]{2,}\s*(?P<page2>\d{1,3})$")
PLAIN_ENTRY = re.compile(r"^(?P<title>.*?[^\W\d_].*?[^\d\s.,])\s+(?P<page>\d{1,3})$")
PLAIN_ENTRY_CHARS = 120  # longer lines are prose, not entries (and PLAIN_ENTRY is quadratic)
MIN_ENTRIES = 3
# Without leaders ("Inledning 6", a tab collapsed), more entries with rising page numbers.
MIN_PLAIN_ENTRIES = 5
MAX_GAP = 2  # non-entry lines allowed between two entries (a title wrapped over lines)


@dataclass(frozen=True)
class TocEntry:
    title: str  # as printed, with its number if it has one ("1.2 Syfte")
    page: int | None  # None where the table prints leaders but no page numbers
    leader: bool = True


def entry(text: str, in_run: bool = False) -> TocEntry | None:
    """The entry a line holds; lines without leaders count only inside a run of entries."""
    match = LEADER_ENTRY.match(text)
    if match:
        title = match.group("title") or match.group("title2")
        page = match.group("page") or match.group("page2")
        return TocEntry(" ".join(title.split()), int(page) if page else None)
    short = len(text) <= PLAIN_ENTRY_CHARS  # checked first: the match grows with length²
    match = PLAIN_ENTRY.match(text) if in_run and short else None
    if match:
        return TocEntry(" ".join(match.group("title").split()), int(match.group("page")),
                        leader=False)
    return None


def find_toc(lines: list[Line]) -> tuple[set[int], list[TocEntry]]:
    """Indexes of the lines that form tables of contents, and their entries in order."""
    taken: set[int] = set()
    entries: list[TocEntry] = []
    i = 0
    while i < len(lines):
        first = entry(lines[i].text) or entry(lines[i].text, in_run=True)
        if first is None:
            i += 1
            continue
        run, found, k, wrapped = [i], [first], i + 1, []
        while k < len(lines) and len(wrapped) <= MAX_GAP:
            item = entry(lines[k].text, in_run=True) if lines[k].text else None
            if item is not None:
                run.extend(range(run[-1] + 1, k + 1))
                if wrapped:  # a title wrapped over lines: "26. Rutiner för … och" + "…"
                    item = TocEntry(" ".join(wrapped + [item.title]), item.page, item.leader)
                found.append(item)
                wrapped = []
            elif lines[k].text:
                wrapped.append(lines[k].text)
            k += 1
        if _is_table(found):
            taken.update(run)
            head = _toc_heading(lines, i)
            if head is not None:
                taken.add(head)
            entries.extend(found)
            i = run[-1] + 1
        else:
            i += 1
    return taken, entries


def _is_table(found: list[TocEntry]) -> bool:
    """Enough entries: with leaders, MIN_ENTRIES; without, more and with rising pages."""
    if sum(e.leader for e in found) >= MIN_ENTRIES:
        return True
    pages = [e.page for e in found if e.page is not None]
    return (len(found) >= MIN_PLAIN_ENTRIES and len(pages) == len(found)
            and pages == sorted(pages))


def _toc_heading(lines: list[Line], first: int) -> int | None:
    """A one-word line just before the first entry names the table ("Innehåll")."""
    for k in range(first - 1, max(first - 3, -1), -1):
        text = lines[k].text
        if not text:
            continue
        words = text.split()
        return k if len(words) == 1 and words[0][:1].isupper() and len(text) <= 30 else None
    return None
