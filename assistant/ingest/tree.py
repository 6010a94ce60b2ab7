"""The section tree being built: a stack of open headings, ids, paths and bodies."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.clean import Line, body_text
from assistant.ingest.manifest import DocumentInfo, slug
from assistant.types import Section


def part_label(part: str) -> str:
    return f"Del {part}"


@dataclass
class Open:
    """A section being filled while the document is read."""

    section: Section
    lines: list[Line] = field(default_factory=list)
    page: int | None = None


class Tree:
    """Collects sections in reading order with their parents (a stack of open headings)."""

    def __init__(self, doc: DocumentInfo):
        self.doc = doc
        self.items: list[Open] = []
        self.stack: list[Open] = []
        self.ids: set[str] = set()

    @property
    def current(self) -> Open:
        if not self.items:
            self.open(1, None, self.doc.title, None, None)
        return self.items[-1]

    def open(self, level: int, number: str | None, title: str, part: str | None,
             agreement: str | None, page: int | None = None) -> None:
        """Open a section under the nearest open one of a lower level; `page` is where its
        heading stands (the page of a section without body text)."""
        while self.stack and self.stack[-1].section.level >= level:
            self.stack.pop()
        parent = self.stack[-1].section if self.stack else None
        label = f"{number} {title}" if number else title
        path = (parent.path if parent else self._root_path(part, agreement)) + [label]
        if parent is None and title == self.doc.title:
            path = [title]  # a document's root is named once
        if level == 1 and part:
            path = self._root_path(part, agreement)
        section = Section(
            id=self._unique_id(path), document=self.doc.id, document_title=self.doc.title,
            kind=self.doc.kind, part=part, agreement=agreement, section=number,
            title=title, level=level, path=path, parent=parent.id if parent else None,
        )
        item = Open(section, page=page)
        self.items.append(item)
        self.stack.append(item)

    def _root_path(self, part: str | None, agreement: str | None) -> list[str]:
        if part and agreement:
            return [part_label(part), agreement]
        if part:
            return [part_label(part)]
        return [self.doc.title] if self.doc.kind != "avtal" else []

    def _unique_id(self, path: list[str]) -> str:
        base = f"{self.doc.id}/{slug('-'.join(path[-3:]))[:80]}"
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def finish(self, labels: dict[int, str] | None = None) -> list[Section]:
        """The sections with their bodies; `labels` (page → printed label) where known."""
        for item in self.items:
            item.section.body, item.section.spans = body_text(item.lines)
            if not item.section.spans and item.page is not None:
                item.section.spans = [(0, item.page)]
            if labels:
                pages = dict.fromkeys(p for _, p in item.section.spans if p is not None)
                item.section.page_labels = [(p, labels[p]) for p in pages if p in labels]
        return [item.section for item in self.items]
