"""Page furniture: running headers and footers, found by repetition, not by fixed strings.

A line is furniture when its shape (whitespace collapsed, every number replaced by "#")
stands at the top or bottom of several pages (it is then furniture wherever it stands):
"Sida 3 av 41", "7 (51)", "Page 4 of 87", "Sida | 6" and a header naming the document all
repeat that way. A lone page number
("Sida | 6", "2(5)": a number with at most a short word and separators beside it) is
furniture wherever it stands, since extracted text does not always keep it at the page edge.
"""

from __future__ import annotations

import re
from collections import Counter

NUMBER = re.compile(r"\d+")
WORD = re.compile(r"[^\W\d_]+")
# Lines at the top and at the bottom of a page where headers and footers stand.
TOP_ZONE = 4
BOTTOM_ZONE = 3
# A shape is furniture when it repeats on this share of the pages (and at least twice).
MIN_SHARE = 0.2
MAX_FURNITURE_CHARS = 120


def shape(text: str) -> str:
    """A line with whitespace collapsed and each number replaced by "#"."""
    return NUMBER.sub("#", " ".join(text.split()))


def page_number_line(text: str) -> bool:
    """A line that is only a page number, maybe with one or two short words and separators."""
    text = " ".join(text.split())
    if not text or len(text) > 24 or not NUMBER.search(text):
        return False
    tokens = re.findall(r"\w+|[^\w\s]", text)
    words = [t for t in tokens if not t.isdigit()]
    if not words or any(not t.isdigit() and not t.isalpha() for t in tokens if t.isalnum()):
        return False  # a bare number may be a heading's number; "2022VFN175" is an id
    last_number = max(i for i, t in enumerate(tokens) if t.isdigit())
    if any(t.isalpha() for t in tokens[last_number + 1:]):
        return False  # "4 Syfte" (a numbered heading), "21 maj" (a date)
    first_number = min(i for i, t in enumerate(tokens) if t.isdigit())
    return (sum(t.isdigit() for t in tokens) <= 2
            and all(len(t) <= 3 for t in tokens if t.isdigit())  # a year is not a page
            and sum(t.isalpha() for t in tokens[:first_number]) <= 1
            and sum(t.isalpha() for t in words) <= 2
            and all(len(t) <= 5 for t in words)
            and "." not in words)  # "B.9", "3.1." are section numbers


def edge_indexes(lines: list[str]) -> set[int]:
    """Indexes of the non-blank lines in a page's top and bottom zones."""
    filled = [i for i, x in enumerate(lines) if x.strip()]
    return set(filled[:TOP_ZONE] + filled[-BOTTOM_ZONE:])


def repeated_shapes(pages: list[list[str]]) -> set[str]:
    """Shapes of the lines that stand at a page edge on several pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({shape(lines[i]) for i in edge_indexes(lines)
                       if len(lines[i].strip()) <= MAX_FURNITURE_CHARS})
    needed = max(2, round(MIN_SHARE * len(pages)))
    return {text for text, n in counts.items() if n >= needed and text}


def furniture_flags(pages: list[list[str]]) -> list[list[bool]]:
    """For each line of each page: is it furniture (a running header, footer or page number)?"""
    repeated = repeated_shapes(pages)
    return [[page_number_line(x) or (bool(x.strip()) and shape(x) in repeated) for x in lines]
            for lines in pages]
