"""Versions of a document: which one is in force on a day, and which day a question asks about.

Documents that are versions of one another share a *series*: the manifest's `series` field, or
by default the title without years and dates ("Hälso- och sjukvårdsavtal … 2023–2026" and the
same title "… 2027–2030" are one series). All of it is data from the manifest: validity periods
(`valid_from`/`valid_to`, a bare year meaning its first or last day) decide; nothing here names
a document.

A question is answered from one version per series: the one in force on the day asked about
(today unless `--date` says otherwise, or the question itself asks about "det nya avtalet" or a
later date). The other versions of that series are left out of the search; documents that are
the only one of their series, and documents without a validity period, always stay searchable.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.ingest.manifest import DocumentInfo

SERIES_SIMILARITY = 95.0  # RapidFuzz token_set_ratio of two titles (years and dates removed)
SERIES_MIN_CHARS = 12  # shorter titles ("avtal") say too little to tie documents together

_DAY = r"(?:19|20)\d\d(?:-\d\d-\d\d)?"
_YEAR_SPAN = re.compile(rf"\b{_DAY}(?:\s*[–—-]\s*{_DAY})?")
_NOISE = re.compile(r"[^\wåäöéü]+")
# "det nya avtalet", "nästa avtal", "kommande överenskommelsen", "nytt HoS-avtal"
NEW_VERSION = re.compile(
    r"\b(?:nya|nytt|nästa|kommande|framtida)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:[\w-]*avtal\w*|överenskommelse\w*|version\w*|riktlinje\w*)", re.IGNORECASE)
# A day the question names: an ISO date, or a year after a word that points in time
# ("från 2027", "under 2028", "år 2029"); "2017:30" (a law's number) is not a year.
_ISO_DAY = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_YEAR_AFTER = re.compile(
    r"\b(?:från|fr\.o\.m\.?|efter|under|år|i|inför|januari|februari|mars|"
    r"april|maj|juni|juli|augusti|september|oktober|november|december)\s+((?:19|20)\d\d)\b(?![:\d])",
    re.IGNORECASE)


def series_of(doc: DocumentInfo) -> str:
    """The series a document belongs to: its manifest `series`, else its normalised title."""
    if doc.series:
        return doc.series.strip().casefold()
    title = _YEAR_SPAN.sub(" ", doc.title.casefold())
    return " ".join(_NOISE.sub(" ", title).split())


def series_in(documents: Iterable[DocumentInfo]) -> set[str]:
    """The series of these documents (an index's): what the question adapter and the refitted
    decision model record, and are used only for."""
    return {series_of(doc) for doc in documents}


def day_of(value: str | None, end: bool = False) -> datetime.date | None:
    """A manifest date: "YYYY-MM-DD", or "YYYY" (its first day, or its last when `end`)."""
    if not value:
        return None
    text = str(value).strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 12, 31) if end else datetime.date(int(text), 1, 1)
    return None


def is_versioned(doc: DocumentInfo) -> bool:
    return day_of(doc.valid_from) is not None or day_of(doc.valid_to, end=True) is not None


def in_force(doc: DocumentInfo, day: datetime.date) -> bool:
    """Valid on `day` (a missing bound is open)."""
    start, end = day_of(doc.valid_from), day_of(doc.valid_to, end=True)
    return (start is None or start <= day) and (end is None or day <= end)


def series_groups(documents: Iterable[DocumentInfo]) -> dict[str, list[DocumentInfo]]:
    """Series with more than one versioned document, oldest version first.

    Without a manifest `series`, two documents whose periods do not overlap are also versions
    of one another when one title holds the other's words (a file dropped into corpus/ gets its
    title from its first heading, which may be shorter than the manifest's title)."""
    groups: dict[str, list[DocumentInfo]] = defaultdict(list)
    for doc in documents:
        if is_versioned(doc):
            groups[series_of(doc)].append(doc)
    keys = sorted(groups, key=len, reverse=True)
    for key in keys:
        if key not in groups:
            continue
        for other in keys:
            if other != key and other in groups and _same_series(groups[key], groups[other],
                                                                key, other):
                groups[key] += groups.pop(other)
    return {key: sorted(docs, key=start_of) for key, docs in groups.items() if len(docs) > 1}


def _same_series(docs: list[DocumentInfo], others: list[DocumentInfo], key: str,
                 other: str) -> bool:
    if any(d.series for d in docs + others) or min(len(key), len(other)) < SERIES_MIN_CHARS:
        return False
    if fuzz.token_set_ratio(key, other) < SERIES_SIMILARITY:
        return False
    return all(d.valid_from and o.valid_from and not _overlap(d, o) for d in docs for o in others)


def _overlap(a: DocumentInfo, b: DocumentInfo) -> bool:
    a_end = day_of(a.valid_to, end=True) or datetime.date.max
    b_end = day_of(b.valid_to, end=True) or datetime.date.max
    return start_of(a) <= b_end and start_of(b) <= a_end


def versions_of(doc: DocumentInfo, documents: Iterable[DocumentInfo]) -> list[DocumentInfo]:
    """All versions of `doc`'s series, oldest first (just `doc` when it has no other)."""
    return next((docs for docs in series_groups(documents).values()
                 if any(d.id == doc.id for d in docs)), [doc])


def version_on(versions: list[DocumentInfo], day: datetime.date) -> DocumentInfo:
    """The version in force on `day`; else the latest that had started; else the first."""
    current = [doc for doc in versions if in_force(doc, day)]
    if current:
        return max(current, key=start_of)
    started = [doc for doc in versions if start_of(doc) <= day]
    return max(started, key=start_of) if started else versions[0]


def superseded(documents: Iterable[DocumentInfo], day: datetime.date) -> frozenset[str]:
    """Ids of the documents that are another version than the one answering for `day`."""
    excluded = set()
    for versions in series_groups(documents).values():
        chosen = version_on(versions, day)
        excluded |= {doc.id for doc in versions if doc.id != chosen.id}
    return frozenset(excluded)


def asked_day(question: str, documents: list[DocumentInfo],
              day: datetime.date) -> datetime.date | None:
    """A later day the question itself asks about, or None: the start of the newest version
    after `day` when it asks about "det nya avtalet"; a date or year it names after `day`."""
    named = _named_days(question)
    later = [d for d in named if d > day]
    if later:
        return min(later)
    if named or not NEW_VERSION.search(question):
        return None
    starts = [start_of(doc) for docs in series_groups(documents).values() for doc in docs
              if start_of(doc) > day]
    return min(starts) if starts else planned_start(documents, day)


# "det nya avtalet", "nästa version": the words that pick the version (the article and the
# adjective), leaving the noun ("avtalet") that says what the question is about.
_VERSION_WORDS = re.compile(
    r"(?:\b(?:det|den|de)\s+)?\b(?:nya|nytt|nästa|kommande|framtida)\s+(?=(?:[\w-]+\s+){0,2}?"
    r"(?:[\w-]*avtal\w*|överenskommelse\w*|version\w*|riktlinje\w*))", re.IGNORECASE)


def without_version_words(question: str) -> str:
    """The question without the words that only pick the version ("Vad gäller för uppsägning
    enligt nya avtalet?" → "Vad gäller för uppsägning enligt avtalet?"): once the version is
    chosen they only pull the search towards texts that talk about a new agreement."""
    return " ".join(_VERSION_WORDS.sub(" ", question).split())


def newer_version_indexed(documents: list[DocumentInfo], day: datetime.date) -> bool:
    """Does the corpus hold a version of some series that starts after `day`?"""
    return any(start_of(doc) > day for docs in series_groups(documents).values()
               for doc in docs)


def planned_start(documents: Iterable[DocumentInfo], day: datetime.date) -> datetime.date | None:
    """The start of a coming version that the corpus only announces (a context document such as
    a presentation of the next agreement, with a `valid_from` after `day`)."""
    starts = [start_of(doc) for doc in documents
              if doc.is_context and doc.valid_from and start_of(doc) > day]
    return min(starts) if starts else None


@dataclass(frozen=True)
class Missing:
    """A version asked about that the corpus does not hold: the day asked about and the version
    the answer comes from instead."""

    day: datetime.date
    answered_by: DocumentInfo


def missing_versions(documents: list[DocumentInfo], day: datetime.date) -> list[Missing]:
    """Binding documents (not context) whose validity has ended before `day` with no later
    version indexed: the newer version is not yet in the corpus."""
    result = []
    grouped = series_groups(documents)
    singles = [doc for doc in documents if is_versioned(doc)
               and series_of(doc) not in grouped]
    candidates = [version_on(docs, day) for docs in grouped.values()] + singles
    for doc in candidates:
        end = day_of(doc.valid_to, end=True)
        if not doc.is_context and doc.valid_from and end is not None and end < day:
            result.append(Missing(day, doc))
    return result


def _named_days(question: str) -> list[datetime.date]:
    days = []
    for year, month, dom in _ISO_DAY.findall(question):
        try:
            days.append(datetime.date(int(year), int(month), int(dom)))
        except ValueError:
            continue
    masked = _ISO_DAY.sub(" ", question)
    days += [datetime.date(int(year), 1, 1) for year in _YEAR_AFTER.findall(masked)]
    return days


def start_of(doc: DocumentInfo) -> datetime.date:
    """The first day of a document's validity (the earliest date when it has none)."""
    return day_of(doc.valid_from) or datetime.date.min

