"""Build the section tree of every logical document in the corpus.

Layouts (from the manifest) say which headings a document has:
- agreement: Del A (unnumbered headings), Del B (B.1–B.15), Del C (four överenskommelser,
  unnumbered top-level headings with numbered subsections "5.1", named subheadings below);
- strategy: numbered headings 1–13, 3.1, 9.4.3 …;
- memo: unnumbered headings; protocol: "§ 356." extracts; plain: numbered, markdown and
  unnumbered headings (short lines alone in their block), all one level below the title.
Numbers are only ever the ones printed; unnumbered headings get `section: None`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import UserError
from assistant.ingest.auto import build_auto
from assistant.ingest.clean import (
    BULLET,
    MARKDOWN_HEADING,
    READ_MORE,
    Line,
    collapse,
    join_broken,
    page_lines,
    read_more_box,
)
from assistant.ingest.headings import Heading, heading_at
from assistant.ingest.manifest import DocumentInfo, corpus_file, load_manifest
from assistant.ingest.pages import read_metadata_title, read_outline, read_pages
from assistant.ingest.tree import Tree
from assistant.ingest.versions import (
    complete_title,
    kind_of,
    plausible_title,
    title_from_lines,
    validity,
)
from assistant.types import Section

log = logging.getLogger(__name__)

# What is specific to one document (its cover decoration, the outline its unnumbered headings
# follow, the line that marks an överenskommelse's cover page) is data: the `hints` of its
# manifest entry (see corpus/manifest.yaml). A part that is an överenskommelse:
PART_AGREEMENT_HEAD = re.compile(r"^Del ([A-Z]), (?:Del)?[Öö]verenskommelse\b\s*(.*)$")
PARAGRAPH_SIGN = re.compile(r"^§\s*\d+")


def load_corpus(corpus_dir: Path,
                problems: list[str] | None = None) -> tuple[list[DocumentInfo], list[Section]]:
    """Every document of the manifest and the sections of all of them, in reading order.

    A file that cannot be read is skipped and its Swedish message added to `problems`, so one
    broken PDF never stops the rest of the corpus from being indexed."""
    documents = load_manifest(corpus_dir)
    sections: list[Section] = []
    for file in dict.fromkeys(doc.file for doc in documents):
        try:
            pages = read_pages(corpus_file(corpus_dir, file))
            lines = page_lines(pages)
        except UserError as error:
            # the Swedish notice in `problems` tells users; the log line is for -v
            log.log(logging.INFO if problems is not None else logging.WARNING, "skipped %s", file)
            if problems is not None:
                problems.append(str(error))
            documents = [doc for doc in documents if doc.file != file]
            continue
        documents = [described(doc, lines, corpus_dir / file)
                     if doc.origin == "text" and doc.file == file else doc
                     for doc in documents]
        docs = [doc for doc in documents if doc.file == file]
        labels = {p.number: p.label for p in pages if p.number and p.label}
        outline = [title for _, title in read_outline(corpus_dir / file)]
        for doc, part in split_documents(docs, lines):
            sections.extend(build_sections(doc, part, outline, labels))
    return documents, sections


def described(doc: DocumentInfo, lines: list[Line], path: Path) -> DocumentInfo:
    """A document without a manifest entry, with title, kind and validity read from it."""
    text = "\n".join(x.text for x in lines)
    metadata = read_metadata_title(path)
    title = ((metadata if metadata and plausible_title(metadata) else None)
             or title_from_lines(lines) or doc.title)
    title = complete_title(title, lines)
    valid_from, valid_to = validity(text)
    return replace(doc, title=title, kind=kind_of(title, text), valid_from=valid_from,
                   valid_to=valid_to)


def split_documents(docs: list[DocumentInfo], lines: list[Line]):
    """Cut one file's lines into its logical documents at their `starts_at` lines."""
    starts = []
    for doc in docs:
        index = 0
        if doc.starts_at:
            index = next((i for i, x in enumerate(lines) if x.text == doc.starts_at), -1)
            if index < 0:
                continue
        starts.append((index, doc))
    starts.sort(key=lambda item: item[0])
    for n, (index, doc) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        yield doc, lines[index:end]


@dataclass
class _State:
    part: str | None = None
    agreement: str | None = None
    last_number: tuple = ()
    c_heads: dict[int, tuple[int, int, str, str]] = field(default_factory=dict)
    repeated: set[str] = field(default_factory=set)  # lines that occur more than once


def build_sections(doc: DocumentInfo, lines: list[Line], outline: list[str] | None = None,
                   labels: dict[int, str] | None = None) -> list[Section]:
    """The sections of one logical document. Documents without layout hints (the default)
    are read by the layout-agnostic builder (auto.py); `outline` holds the PDF's bookmark
    titles and `labels` its printed page labels (page → label)."""
    if doc.layout in ("plain", "auto"):
        return build_auto(doc, lines, outline, labels)
    tree = Tree(doc)
    if doc.layout != "agreement":
        tree.open(1, None, doc.title, None, None)
    state = _State(c_heads=_del_c_heads(doc, lines) if doc.layout == "agreement" else {},
                   repeated=_repeated(lines) if doc.layout == "plain" else set())
    head_ends = {start: end for start, end, _, _ in state.c_heads.values()}
    skip_until = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if i in state.c_heads:
            head_start, head_end, title, part = state.c_heads[i]
            state.part, state.agreement, state.last_number = part, title, ()
            tree.open(1, None, f"Del {part}, Överenskommelse {title}", part, title)
            skip_until = head_start  # the cover page is body text of the överenskommelse
        if i in head_ends:
            i = head_ends[i]  # the heading itself, already taken as the section's title
            continue
        if any(line.text == item.section.title for item in tree.stack[:1]):
            i += 1  # a running header repeating the heading of the part the page is in
            continue
        if line.text in doc.hint("decoration") or (line.blank and not tree.items):
            i += 1
            continue
        if READ_MORE.match(line.text):
            references, i = read_more_box(lines, i)
            tree.current.section.references.extend(references)
            continue
        if i >= skip_until:
            opened = _open_heading(doc.layout, lines, i, state, tree)
            if opened:
                i = opened
                continue
        tree.current.lines.append(line)
        i += 1
    return tree.finish(labels)


def _repeated(lines: list[Line]) -> set[str]:
    counts = Counter(line.text for line in lines if not line.blank)
    return {text for text, n in counts.items() if n > 1}


def _del_c_heads(doc: DocumentInfo, lines: list[Line]) -> dict[int, tuple[int, int, str, str]]:
    """For each överenskommelse: cover start → (heading start, heading end, title, part)."""
    heads = {}
    intro_start = doc.hint("agreement_intro") or "\0"
    for i, line in enumerate(lines):
        match = PART_AGREEMENT_HEAD.match(line.text)
        if not match:
            continue
        intro = next((k for k in range(i + 1, min(i + 8, len(lines)))
                      if lines[k].text.startswith(intro_start)), None)
        if intro is None:
            continue  # the name repeated as a running header, not a new överenskommelse
        title = match.group(2)
        for text in (x.text for x in lines[i + 1:intro] if x.text):
            title = join_broken(title, text) if title else text
        heads[_cover_start(doc, lines, i)] = (i, intro, collapse(title), match.group(1))
    return heads


def _cover_start(doc: DocumentInfo, lines: list[Line], head: int) -> int:
    """Where the överenskommelse's cover page (its title, "Bilaga till …") begins."""
    before = head - 1
    if before >= 0 and lines[before].lead and heading_at(lines, before):
        return before
    for i in range(head - 1, max(head - 12, 0), -1):
        if lines[i].text == doc.hint("cover_mark"):
            while i > 0 and not lines[i - 1].blank and not lines[i].lead:
                i -= 1  # back to the cover's first line, which opens a new page
            return i
    return head


def _open_heading(layout: str, lines: list[Line], i: int, state: _State, tree: Tree) -> int:
    """Open a section if a heading starts at line i; returns the next line index or 0."""
    if layout == "protocol":
        return _open_paragraph_sign(lines, i, tree)
    if layout == "plain":
        markdown = MARKDOWN_HEADING.match(lines[i].text)
        if markdown:
            tree.open(len(markdown.group(1)) + 1, None, markdown.group(2).strip(), None, None)
            return i + 1
    heading = heading_at(lines, i, numbered_only=layout == "strategy")
    if heading is None or (layout in {"memo", "plain"} and _introduces_list(lines, heading.end)):
        return 0
    placed = _place(layout, heading, state, tree)
    if placed is None:
        return 0
    level, number = placed
    tree.open(level, number, heading.title, state.part, state.agreement)
    return heading.end


def _introduces_list(lines: list[Line], end: int) -> bool:
    """In the memo, a short line before bullets introduces them; it is not a heading."""
    following = next((x for x in lines[end:] if not x.blank), None)
    return following is not None and bool(BULLET.match(following.text))


def _place(layout: str, heading: Heading, state: _State, tree: Tree):
    """(level, printed number) of a heading in its document, or None if it is not one."""
    number = heading.number
    if number and not _number_follows(number, state):
        return None
    if layout == "plain" and not number:
        # A short line alone in its block: a slide title, a meeting's heading; but not a
        # labelled line ("Tid: kl. 13.00") nor a formula the text repeats ("SRO noterar
        # informationen" after each item): a heading names one part of the document.
        return None if ":" in heading.title or heading.title in state.repeated else (2, None)
    if layout in {"strategy", "plain"}:
        if not number or number.startswith("B."):
            return None
        state.last_number = _number_key(number)
        return number.count(".") + 2, number
    if layout == "memo":
        if number:
            return None
        top = heading.title in tree.doc.hint("top_headings")
        return (2 if top or len(tree.stack) < 2 else 3), None
    return _place_in_agreement(heading, state, tree)


def _place_in_agreement(heading: Heading, state: _State, tree: Tree):
    number, title = heading.number, heading.title
    for part in ("A", "B"):
        if not number and title.startswith(f"Del {part},"):
            state.part, state.agreement, state.last_number = part, None, ()
            return 1, None
    open_levels = [item.section.level for item in tree.stack if item.section.part == state.part]
    if state.part is None:
        return (None if number else (1, None))
    if state.part == "A":
        return None if number else ((2 if heading.lead or max(open_levels, default=1) < 2 else 3),
                                    None)
    if state.part == "B":
        if number and number.startswith("B."):
            state.last_number = _number_key(number)
            return 2, number
        return None if number else (3 if max(open_levels, default=1) >= 2 else 2, None)
    if number:
        if number.startswith("B."):
            return None
        state.last_number = _number_key(number)
        return (3 if 2 in open_levels else 2), number
    if heading.lead and title in tree.doc.hint("top_headings"):
        return 2, None
    deepest = max(open_levels, default=1)
    return min(deepest + 1, 4), None


def _number_key(number: str) -> tuple:
    return tuple(int(x) for x in number.removeprefix("B.").split("."))


def _number_follows(number: str, state: _State) -> bool:
    """Printed numbers rise through a document; a smaller one is a stray line, not a heading."""
    return not state.last_number or _number_key(number) > state.last_number


def _open_paragraph_sign(lines: list[Line], i: int, tree: Tree) -> int:
    if not PARAGRAPH_SIGN.match(lines[i].text):
        return 0
    title, end = lines[i].text, i + 1
    following = next((k for k in range(i + 1, len(lines)) if not lines[k].blank), None)
    if following is not None and lines[following].text[:1].islower():
        title, end = join_broken(title, lines[following].text), following + 1
    tree.open(2, None, title, None, None)
    return end
