"""Swedish answer text around the quoted sentences: where it stands and how current it is."""

from __future__ import annotations

import datetime

from assistant.ingest.manifest import DocumentInfo
from assistant.retrieve.hybrid import Hit
from assistant.types import Citation, Section

DECLINE = "Avtalet svarar inte på det."


def where(item: Citation | Section, documents: dict[str, DocumentInfo] | None = None) -> str:
    """Human name of a section: "Del B, B.11 Personligt förskrivna hjälpmedel"."""
    heading = f"{item.section} {item.title}" if item.section else item.title
    if item.part == "C":
        return f"Del C, överenskommelsen {item.agreement}, {heading}"
    if item.part:
        return f"Del {item.part}, {heading}"
    if item.document.startswith("fardplan"):
        return f"Färdplan, {heading}"
    doc = (documents or {}).get(item.document)
    if doc and heading != doc.title:
        return f"{doc.describe()}, {heading}"
    return doc.describe() if doc else heading


def answer_text(citations: list[Citation], documents: dict[str, DocumentInfo]) -> str:
    """The best quote in full; further sources by name only (their quotes are in the
    citations), so the answer stays short enough to read between patients."""
    first, rest = citations[0], citations[1:]
    lines = [f"Enligt {where(first, documents)}: ”{first.quote}”"]
    if rest:
        lines.append("Se även " + "; ".join(where(c, documents) for c in rest) + ".")
    lines += _provenance(citations, documents)
    return "\n\n".join(lines)


def _provenance(citations: list[Citation], documents: dict[str, DocumentInfo]) -> list[str]:
    notes = []
    seen = set()
    for citation in citations:
        doc = documents.get(citation.document)
        if doc is None or doc.id in seen:
            continue
        seen.add(doc.id)
        if doc.is_context:
            notes.append(f"Obs! Detta kommer från {doc.describe()}, ett sammanhangsdokument – "
                         "inte från det gällande avtalet.")
        elif doc.valid_from and doc.valid_to:
            notes.append(f"({doc.title} gäller {doc.valid_from} – {doc.valid_to}.)")
        elif doc.valid_from:
            notes.append(f"({doc.title} gäller från {doc.valid_from}.)")
    return notes


def missing_version_note(answered_by: DocumentInfo, day: datetime.date) -> str:
    """Says plainly that the version for `day` is not among the documents, and which
    version the answer quotes instead."""
    period = (f"{answered_by.valid_from} – {answered_by.valid_to}" if answered_by.valid_to
              else f"från {answered_by.valid_from}")
    return (f"Obs! Den version av {answered_by.title} som gäller {day.isoformat()} finns ännu "
            f"inte bland dokumenten. Svaret bygger på versionen som gäller {period}.")


def abstention_text(nearest: list[Hit], english: bool = False) -> str:
    text = (f"{DECLINE} Jag hittar inget i Hälso- och sjukvårdsavtalet eller de andra "
            "dokumenten som besvarar frågan.")
    if english:
        text += " Dokumenten är på svenska – ställ gärna frågan på svenska."
    if nearest:
        names = "; ".join(where(hit.section) for hit in nearest)
        text += f" Närmast ligger: {names}."
    return text
