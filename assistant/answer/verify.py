"""Deterministic citation checks: every quote is in the corpus, inside the section it names."""

from __future__ import annotations

from assistant.ingest.clean import collapse
from assistant.types import Citation, Section


def quote_in_section(quote: str, section: Section) -> bool:
    return bool(quote.strip()) and collapse(quote) in collapse(section.body)


def unverified(citations: list[Citation], sections: dict[str, Section]) -> list[Citation]:
    """Citations whose quote is not found verbatim in the section they cite."""
    bad = []
    for citation in citations:
        section = sections.get(citation.section_id)
        if section is None or not quote_in_section(citation.quote, section):
            bad.append(citation)
    return bad
