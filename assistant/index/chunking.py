"""Split sections into chunks (for retrieval) and sentences (for quoting).

A chunk never crosses a section boundary, and its indexed text starts with the heading path,
so "Del A › Avtalstid" is found by a question about "uppsägningstid".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.injection import addresses_assistant
from assistant.types import Chunk, Section

# A sentence ends at . ! ? before a capital or a bullet; not before a digit ("12 kap. 1 §"),
# and not after an item number ("… insatser 2. Utveckla …" is one numbered list).
SENTENCE_BREAK = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[A-ZÅÄÖ•\"”(])")
MIN_SENTENCE_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    """One quotable sentence: `body[start:start+len(text)]` of its section."""

    section_id: str
    start: int
    text: str


def sentences(section: Section) -> list[Sentence]:
    """Sentences of a section body, each a verbatim slice of it (paragraph lines split too);
    not those that address an AI assistant (injection.py): they are never quoted."""
    result: list[Sentence] = []
    offset = 0
    for paragraph in section.body.split("\n"):
        position = 0
        for piece in SENTENCE_BREAK.split(paragraph):
            start = paragraph.index(piece, position)
            position = start + len(piece)
            text = piece.strip()
            if len(text) >= MIN_SENTENCE_CHARS and not addresses_assistant(text):
                result.append(Sentence(section.id, offset + start, text))
        offset += len(paragraph) + 1
    return result


def chunk_section(section: Section, size: int) -> list[Chunk]:
    """Greedy packing of whole sentences into chunks of about `size` characters."""
    chunks: list[Chunk] = []
    pieces = sentences(section)
    group: list[Sentence] = []
    for sentence in pieces:
        if group and _length(group, sentence) > size:
            chunks.append(_chunk(section, group, len(chunks)))
            group = []
        group.append(sentence)
    if group:
        chunks.append(_chunk(section, group, len(chunks)))
    return chunks


def _length(group: list[Sentence], extra: Sentence) -> int:
    return extra.start + len(extra.text) - group[0].start


def _chunk(section: Section, group: list[Sentence], order: int) -> Chunk:
    start = group[0].start
    end = group[-1].start + len(group[-1].text)
    return Chunk(
        id=f"{section.id}#{order}",
        section_id=section.id,
        text=section.body[start:end],
        start=start,
        order=order,
    )
