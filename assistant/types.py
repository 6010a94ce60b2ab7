"""Typed records passed between the pipeline steps (ingest → index → retrieve → answer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Page:
    """One physical page (1-based) of a source file, with its printed label when known."""

    number: int | None
    text: str
    label: str | None = None
    # For PDFs: (font size, bold) of each line of `text`, in order; empty for text files.
    styles: tuple[tuple[float, bool], ...] = ()


@dataclass
class Section:
    """One heading of a logical document and the body text it holds (children excluded).

    `body` is cleaned text (whitespace collapsed per line, de-hyphenated). `spans` map
    character offsets of `body` to page numbers: a list of (start, page) where the page
    holds from `start` to the next span's start.
    """

    id: str
    document: str
    document_title: str
    kind: str
    part: str | None
    agreement: str | None
    section: str | None
    title: str
    level: int
    path: list[str]
    body: str = ""
    spans: list[tuple[int, int | None]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    parent: str | None = None
    # Printed page labels of the pages the section spans, as (page, label), where the PDF
    # defines labels that differ from the physical page numbers.
    page_labels: list[tuple[int, str]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.spans:
            if start > offset:
                break
            page = number
        return page

    def page_label_at(self, offset: int) -> str | None:
        """The printed label of the page at `offset` of `body`, where the PDF has one."""
        page = self.page_at(offset)
        return next((label for number, label in self.page_labels if number == page), None)

    @property
    def page_start(self) -> int | None:
        pages = [p for _, p in self.spans if p is not None]
        return pages[0] if pages else None

    @property
    def page_end(self) -> int | None:
        pages = [p for _, p in self.spans if p is not None]
        return pages[-1] if pages else None

    @property
    def heading_path(self) -> str:
        return " › ".join(self.path)

    def summary(self) -> dict:
        """The row `assistant sections` prints (contract in DESIGN.md)."""
        return {
            "document": self.document,
            "document_title": self.document_title,
            "part": self.part,
            "agreement": self.agreement,
            "section": self.section,
            "title": self.title,
            "level": self.level,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "chars": len(self.body),
        }


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of one section: its own text plus the heading path it sits under."""

    id: str
    section_id: str
    text: str
    start: int
    order: int

    def indexed_text(self, heading_path: str) -> str:
        return f"{heading_path}\n{self.text}"


@dataclass(frozen=True)
class Citation:
    """One cited section with its verbatim evidence (the citation contract)."""

    document: str
    document_title: str
    part: str | None
    agreement: str | None
    section: str | None
    title: str
    page: int | None
    quote: str
    section_id: str = field(default="", compare=False)
    page_label: str | None = None

    def to_dict(self) -> dict:
        """The contract fields (DESIGN.md), with `section_id` (deep links, /api/sections/{id})
        and `page_label` (the printed page label where the PDF has one)."""
        return asdict(self)


@dataclass
class Answer:
    """What the assistant says to one question (the answer contract)."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    # Additive contract fields (DESIGN.md, "Extensions"):
    short_answer: str | None = None  # one verbatim sentence that answers
    confidence: str | None = None  # "hög" | "låg" when answered; None when declined
    answer_mode: str = "extractive"  # "extractive" | "generated"
    fallback_reason: str | None = None  # why a generated answer was refused
    key_fact: str | None = None  # the span of short_answer that answers (amount, age, who …)
    evidence: float | None = None  # probability that the documents answer (answer/decide.py)

    def to_dict(self) -> dict:
        row = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "latency_ms": round(self.latency_ms, 1),
            "short_answer": self.short_answer,
            "confidence": self.confidence,
            "answer_mode": self.answer_mode,
        }
        if self.fallback_reason:
            row["fallback_reason"] = self.fallback_reason
        if self.key_fact:
            row["key_fact"] = self.key_fact
        if self.evidence is not None:
            row["evidence"] = round(self.evidence, 3)
        return row


def subtree(section_id: str, by_id: dict[str, Section],
            children: dict[str, list[str]]) -> list[Section]:
    """The section and all sections under it, in document order (`children`: parent id →
    the ids of its child sections, in order)."""
    out: list[Section] = []
    stack = [section_id]
    while stack:
        current = stack.pop()
        if current in by_id:
            out.append(by_id[current])
        stack.extend(reversed(children.get(current, [])))
    return out
