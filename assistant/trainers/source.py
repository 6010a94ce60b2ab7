"""The documents and sections trainers work with, read without the embedding model.

The current index's `documents.json`/`sections.json` are read when the index is current;
otherwise the corpus is parsed as `assistant index` would (a fraction of a second).
`select` turns what a trainer types ("B.11", "B", "munhalsa", a document id, a title) into
the sections it names, in document order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.errors import UserError
from assistant.ingest.clean import collapse
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.pages import decode_text
from assistant.types import Section
from assistant.types import subtree as section_subtree

# Kinds of document that are the binding texts (the agreement); the default quiz scope.
BINDING_KINDS = ("avtal",)


@dataclass
class Library:
    """All documents and sections in document order, with the tree's parent links."""

    documents: list[DocumentInfo]
    sections: list[Section]
    corpus_dir: Path | None = None
    by_id: dict[str, Section] = field(init=False)
    children: dict[str, list[str]] = field(init=False)
    _raw: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.sections}
        self.children = {}
        for section in self.sections:
            if section.parent is not None:
                self.children.setdefault(section.parent, []).append(section.id)

    def document(self, document_id: str) -> DocumentInfo | None:
        return next((d for d in self.documents if d.id == document_id), None)

    @property
    def documents_by_id(self) -> dict[str, DocumentInfo]:
        return {d.id: d for d in self.documents}

    def in_source_text(self, section: Section, text: str) -> bool:
        """Is `text` also verbatim (whitespace collapsed) in the raw source file? True for
        sources that are not plain text (PDF) or cannot be read: the section body decides."""
        doc = self.document(section.document)
        if doc is None or self.corpus_dir is None:
            return True
        if doc.file not in self._raw:
            path = self.corpus_dir / doc.file
            raw = None
            if path.suffix.lower() in (".txt", ".md") and path.is_file():
                raw = collapse(decode_text(path.read_bytes()))
            self._raw[doc.file] = raw
        raw = self._raw[doc.file]
        return raw is None or collapse(text) in raw

    def subtree(self, section_id: str) -> list[Section]:
        """The section and all sections under it, in document order."""
        return section_subtree(section_id, self.by_id, self.children)

    def siblings(self, section: Section) -> list[Section]:
        """Other sections under the same parent (or other top sections of the document)."""
        if section.parent is None:
            pool = [s for s in self.sections
                    if s.document == section.document and s.parent is None]
        else:
            pool = [self.by_id[i] for i in self.children.get(section.parent, [])]
        return [s for s in pool if s.id != section.id]


def load_library(settings: Settings) -> Library:
    """Sections from the current index when it is current, else parsed from the corpus."""
    from assistant.index import store

    build = store.current_build(settings)
    if build is not None and store.is_current(settings):
        return _from_build(build, settings.corpus_dir)
    from assistant.ingest.structure import load_corpus

    documents, sections = load_corpus(settings.corpus_dir)
    return Library(documents, sections, settings.corpus_dir)


def _from_build(build: Path, corpus_dir: Path) -> Library:
    documents = [DocumentInfo(**row) for row in _read(build / "documents.json")]
    sections = []
    for row in _read(build / "sections.json"):
        row["spans"] = [tuple(span) for span in row["spans"]]
        sections.append(Section(**row))
    return Library(documents, sections, corpus_dir)


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Selection:
    """What a trainer asked for: a Swedish name for it and its sections in document order."""

    name: str
    sections: list[Section]

    @property
    def documents(self) -> list[str]:
        return list(dict.fromkeys(s.document for s in self.sections))


def _key(text: str) -> str:
    return collapse(text).casefold().rstrip(" .:")


def select(library: Library, what: str) -> Selection:
    """The sections `what` names: a section id or number ("B.11"; "munhalsa 5.1" when a
    number repeats), a part ("B", "Del B"), an överenskommelse (key or printed title), a
    document id, or a unique section title ("Avtalstid"). Raises UserError otherwise."""
    from assistant.ingest.scopes import agreement_keys

    text = collapse(what)
    key = _key(text)
    if not key:
        raise UserError("ange vad som ska väljas, t.ex. B.11, B eller ett dokument-id.")
    if text in library.by_id:
        section = library.by_id[text]
        return Selection(_label(library, section), library.subtree(section.id))
    part = key.removeprefix("del ").upper()
    if part in {s.part for s in library.sections if s.part}:
        chosen = [s for s in library.sections if s.part == part]
        return Selection(f"Del {part}", chosen)
    titles = agreement_keys(library.documents, library.sections)
    for agreement_key, title in titles.items():
        if key in (agreement_key, f"c:{agreement_key}", _key(title)):
            chosen = [s for s in library.sections
                      if s.agreement and _key(s.agreement) == _key(title)]
            if chosen:
                return Selection(f"Del C, överenskommelsen {chosen[0].agreement}", chosen)
    document = library.document(text)
    if document is not None:
        return Selection(document.title, [s for s in library.sections if s.document == text])
    return _select_section(library, text, titles)


def _select_section(library: Library, text: str, agreements: dict[str, str]) -> Selection:
    scope = library.sections
    words = text.split(" ", 1)
    if len(words) == 2 and words[0].casefold() in agreements:
        title = _key(agreements[words[0].casefold()])
        scope = [s for s in scope if s.agreement and _key(s.agreement) == title]
        text = words[1]
    key = _key(text)
    found = [s for s in scope if s.section and _key(s.section) == key]
    if not found:
        found = [s for s in scope if _key(s.title) == key]
    if not found:
        raise UserError(
            f"hittar inget avsnitt, ingen del, överenskommelse eller dokument som heter "
            f"”{text}”. Se `assistant sections` för vad som finns."
        )
    if len(found) > 1:
        names = "; ".join(f"{_label(library, s)} (id {s.id})" for s in found[:8])
        raise UserError(
            f"”{text}” finns på flera ställen: {names}. Ange avsnittets id, eller "
            f"överenskommelsens nyckel före numret (t.ex. ”munhalsa 5.1”)."
        )
    return Selection(_label(library, found[0]), library.subtree(found[0].id))


def _label(library: Library, section: Section) -> str:
    from assistant.answer.compose import where

    return where(section, library.documents_by_id)


def page_range(sections: list[Section]) -> str | None:
    """"s. 23" or "s. 23–25" over the sections' known pages; None when none is known."""
    pages = [p for s in sections for _, p in s.spans if p is not None]
    if not pages:
        return None
    low, high = min(pages), max(pages)
    return f"s. {low}" if low == high else f"s. {low}–{high}"
