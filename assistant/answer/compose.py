"""Swedish answer text around the quoted sentences: where it stands and how current it is."""

from __future__ import annotations

import datetime

from assistant.ingest.clean import collapse
from assistant.ingest.manifest import DocumentInfo
from assistant.retrieve.hybrid import Hit
from assistant.types import Citation, Section

DECLINE = "Avtalet svarar inte på det."
UNSURE = "Jag är inte säker på att dokumenten svarar på just det."
SWEDISH_PLEASE = "Dokumenten är på svenska – ställ gärna frågan på svenska."


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


def answer_text(citations: list[Citation], documents: dict[str, DocumentInfo],
                short_answer: str | None = None, relevance: list[float] | None = None,
                sure: bool = True, english: bool = False) -> str:
    """The answering sentence first, then the supporting quote once (when it says more than
    the sentence), then further sources by name with their relevance (their quotes are in
    the citations), so the answer stays short enough to read between patients. An answer
    given with low confidence says so and shows the best section only (and, to a question
    in English, asks for the question in Swedish)."""
    first, rest = citations[0], citations[1:]
    lines = []
    if not sure:
        unsure = f"{UNSURE} {SWEDISH_PLEASE}" if english else UNSURE
        lines.append(f"{unsure} Närmast ligger {where(first, documents)}:")
        lines.append(f"”{first.quote}”")
        rest = []
    elif short_answer and collapse(short_answer) != collapse(first.quote):
        lines.append(f"”{short_answer}” ({where(first, documents)})")
        lines.append(f"Hela stycket: ”{first.quote}”")
    else:
        lines.append(f"Enligt {where(first, documents)}: ”{first.quote}”")
    if rest:
        scores = relevance or []
        names = [where(c, documents) + (f" (relevans {_share(scores[i + 1])})"
                                        if i + 1 < len(scores) else "")
                 for i, c in enumerate(rest)]
        lines.append("Se även " + "; ".join(names) + ".")
    lines += _provenance(first, documents)
    return "\n\n".join(lines)


def _share(value: float) -> str:
    return f"{round(value * 100)} %"


def _provenance(first: Citation, documents: dict[str, DocumentInfo]) -> list[str]:
    """Where the answer itself (the first citation) comes from: a context document says so;
    the agreement states its validity."""
    doc = documents.get(first.document)
    if doc is None:
        return []
    if doc.is_context:
        return [f"Obs! Detta kommer från {doc.describe()}, ett sammanhangsdokument – "
                "inte från det gällande avtalet."]
    if doc.valid_from and doc.valid_to:
        return [f"({doc.title} gäller {doc.valid_from} – {doc.valid_to}.)"]
    if doc.valid_from:
        return [f"({doc.title} gäller från {doc.valid_from}.)"]
    return []


def missing_version_note(answered_by: DocumentInfo, day: datetime.date) -> str:
    """Says plainly that the version for `day` is not among the documents, and which
    version the answer quotes instead."""
    period = (f"{answered_by.valid_from} – {answered_by.valid_to}" if answered_by.valid_to
              else f"från {answered_by.valid_from}")
    return (f"Obs! Den version av {answered_by.title} som gäller {day.isoformat()} finns ännu "
            f"inte bland dokumenten. Svaret bygger på versionen som gäller {period}.")


def scope_name(scope: object) -> str | None:
    """Swedish name of a search filter ("Del A", "överenskommelsen …"), None for all."""
    agreement = getattr(scope, "agreement", None)
    part = getattr(scope, "part", None)
    document = getattr(scope, "document", None)
    if agreement:
        return f"överenskommelsen {agreement}"
    if part:
        return f"Del {part}"
    if document:
        return "Färdplanen" if str(document).startswith("fardplan") else str(document)
    return None


def abstention_text(nearest: list[Hit], english: bool = False, scope: str | None = None) -> str:
    if scope:
        text = (f"{DECLINE} Jag hittar inget i {scope} som besvarar frågan. Välj ”Alla” "
                "för att söka i hela avtalet och dokumenten runt det.")
    else:
        text = (f"{DECLINE} Jag hittar inget i Hälso- och sjukvårdsavtalet eller de andra "
                "dokumenten som besvarar frågan.")
    if english:
        text += f" {SWEDISH_PLEASE}"
    if nearest:
        names = "; ".join(where(hit.section) for hit in nearest)
        text += f" Närmast ligger: {names}."
    return text
