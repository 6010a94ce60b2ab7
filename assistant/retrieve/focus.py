"""The question as the dense search should see it: without the agreement's own name.

Every document is about Hälso- och sjukvårdsavtalet, so naming it ("Hur lång är
uppsägningstiden för hälso- och sjukvårdsavtalet?") says nothing about where the answer
stands; but e5 pulls such a question towards the many sentences that repeat the name
("Hälso- och sjukvårdsavtalet reglerar …"). Sections are therefore chosen with the name said
as "avtalet", while the full question still decides whether the documents answer it.
"""

from __future__ import annotations

import re

AGREEMENT_NAME = re.compile(
    r"\b(?:hälso-?\s*(?:och|&)\s*sjukvårds-?\s*avtal|hos-?\s*avtal|hsa-?\s*avtal)(?:et|s)?\b",
    re.IGNORECASE,
)


def without_agreement_name(question: str) -> str:
    """The question with the agreement's name said as "avtalet"."""
    return AGREEMENT_NAME.sub("avtalet", question)
