"""Handouts: a section, a part, an överenskommelse or a document as print material.

Each handout carries the document's title, version (date) and validity from the manifest,
the section numbers and titles as printed, the pages where the source pins them, and the
section text verbatim (one paragraph a line, "•" lines as list items).
"""

from __future__ import annotations

from datetime import date

from assistant.ingest.manifest import DocumentInfo
from assistant.trainers.printable import Block, Printable
from assistant.trainers.source import Library, Selection, page_range
from assistant.types import Section

BULLETS = ("•", "▪")


def about_document(doc: DocumentInfo) -> list[str]:
    """Title, version and validity lines of one document (Swedish)."""
    lines = [doc.title]
    facts = []
    if doc.date:
        facts.append(f"Version: {doc.date}")
    if doc.valid_from or doc.valid_to:
        facts.append(f"Gäller: {doc.valid_from or '…'} – {doc.valid_to or '…'}")
    if facts:
        lines.append(" · ".join(facts))
    if doc.is_context:
        lines.append("Obs! Ett sammanhangsdokument – inte det gällande avtalet.")
    return lines


def heading_text(section: Section) -> str:
    return f"{section.section} {section.title}" if section.section else section.title


def section_blocks(section: Section, level: int) -> list[Block]:
    blocks = [Block("heading", heading_text(section), level=level,
                    note=page_range([section]))]
    for line in section.body.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith(BULLETS):
            blocks.append(Block("item", line[1:].strip() or line))
        else:
            blocks.append(Block("text", line))
    blocks += [Block("text", f"Läs mer: {reference}") for reference in section.references]
    return blocks


def handout(library: Library, selection: Selection, today: date | None = None) -> Printable:
    """The handout of a selection: its documents' facts, then every section in order."""
    about: list[str] = []
    for document_id in selection.documents:
        doc = library.document(document_id)
        if doc is not None:
            about += about_document(doc)
    pages = page_range(selection.sections)
    if pages:
        about.append(f"Sidor i källan: {pages.removeprefix('s. ')}")
    top = min(s.level for s in selection.sections)
    blocks = []
    for section in selection.sections:
        blocks += section_blocks(section, level=min(2 + section.level - top, 4))
    stamp = (today or date.today()).isoformat()
    footer = (f"Ordagrant utdrag, utskrivet med Avtalsassistenten {stamp}. "
              "Vid skillnad gäller det beslutade dokumentet.")
    return Printable(title=selection.name, about=about, blocks=blocks, footer=footer)
