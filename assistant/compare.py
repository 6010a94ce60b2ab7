"""`assistant compare OLD NEW`: what was added, removed or changed between two versions.

Both versions are read into their section trees (the same reader as the index, no model
needed). Sections are matched by title (fuzzy, RapidFuzz) and number within the same place in
the tree, so a reworded heading or a renumbered section is still "the same section"; what is
left unmatched was removed (OLD) or added (NEW). A matched section whose text differs is
changed, and its changed sentences are listed side by side. OLD and NEW are document ids of the
corpus (`assistant sections` shows them) or paths to files (.txt, .md, .pdf).
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from assistant.answer.compose import where
from assistant.config import settings
from assistant.errors import UserError
from assistant.ingest.clean import collapse
from assistant.ingest.manifest import MANIFEST, DocumentInfo
from assistant.types import Section

# A pair of sections is the same section in both versions when it stands in the same place of
# the tree (CONTEXT_MIN) and either its title is (almost) the same, or its number is the same
# and its title or text still resembles the old one, or its text is (almost) the same.
CONTEXT_MIN = 80.0
TITLE_SAME = 85.0
TITLE_RENAMED = 50.0
BODY_SAME = 80.0
BODY_RENAMED = 60.0
NUMBER_BONUS = 10.0
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[\"”'(]?[A-ZÅÄÖ•·–-])|\n+")


@dataclass
class SentenceChange:
    """One changed sentence: `old` and `new` side by side (None when only one side has it)."""

    old: str | None
    new: str | None


@dataclass
class SectionChange:
    status: str  # "added" | "removed" | "changed"
    old: str | None  # the section's label in OLD ("Del A, Avtalstid"), None when added
    new: str | None
    old_id: str | None = None
    new_id: str | None = None
    renamed: bool = False
    renumbered: bool = False
    sentences: list[SentenceChange] = field(default_factory=list)


@dataclass
class Version:
    id: str
    title: str
    valid_from: str | None
    valid_to: str | None

    def describe(self) -> str:
        if self.valid_from and self.valid_to:
            return f"{self.title} ({self.valid_from} – {self.valid_to})"
        if self.valid_from:
            return f"{self.title} (från {self.valid_from})"
        return self.title


@dataclass
class Comparison:
    old: Version
    new: Version
    changes: list[SectionChange]
    unchanged: int

    def of(self, status: str) -> list[SectionChange]:
        return [c for c in self.changes if c.status == status]

    def to_dict(self) -> dict:
        return asdict(self)


# --- matching (pure) -----------------------------------------------------------------------

def _norm(text: str | None) -> str:
    return collapse(text or "").casefold().rstrip(" .:")


def _context(section: Section) -> str:
    """Where a section stands, read the same way whoever wrote the tree: its part and
    överenskommelse when it has them, else its headings below the document's root."""
    if section.part:
        return f"del {section.part.lower()} › {_norm(section.agreement or '')}"
    above = section.path[:-1]
    if above and above[0] == section.document_title:
        above = above[1:]  # the root names the version ("… 2023–2026"): not where it stands
    return " › ".join(_norm(p) for p in above)


def _same_number(a: Section, b: Section) -> bool:
    return bool(a.section and b.section) and _norm(a.section) == _norm(b.section)


def pair_score(old: Section, new: Section) -> float | None:
    """How surely `new` is `old` in the next version (higher is surer), None when not."""
    if fuzz.ratio(_context(old), _context(new)) < CONTEXT_MIN:
        return None
    title = fuzz.token_sort_ratio(_norm(old.title), _norm(new.title))
    body = fuzz.ratio(collapse(old.body), collapse(new.body)) if old.body or new.body else 100.0
    number = _same_number(old, new)
    renumbered = bool(old.section and new.section) and not number
    same_title = title >= TITLE_SAME and (not renumbered or body >= BODY_RENAMED)
    same_number = number and (title >= TITLE_RENAMED or body >= BODY_RENAMED)
    same_text = body >= BODY_SAME and title >= TITLE_RENAMED
    if not (same_title or same_number or same_text):
        return None
    return 0.6 * title + 0.4 * body + (NUMBER_BONUS if number else 0.0)


def match_sections(old: list[Section], new: list[Section]) -> list[tuple[Section, Section]]:
    """One-to-one pairs of sections that are the same section in both versions, best first."""
    scored = []
    for i, a in enumerate(old):
        for j, b in enumerate(new):
            score = pair_score(a, b)
            if score is not None:
                scored.append((score, i, j))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    used_old, used_new, pairs = set(), set(), []
    for _, i, j in scored:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((old[i], new[j]))
    return sorted(pairs, key=lambda p: old.index(p[0]))


def split_sentences(text: str) -> list[str]:
    return [collapse(s) for s in _SENTENCE_END.split(text) if collapse(s)]


def sentence_changes(old: str, new: str) -> list[SentenceChange]:
    """The sentences that differ, paired side by side in reading order."""
    a, b = split_sentences(old), split_sentences(new)
    result = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            result.append(SentenceChange(olds[k] if k < len(olds) else None,
                                         news[k] if k < len(news) else None))
    return result


def compare_sections(old: list[Section], new: list[Section],
                     documents: dict[str, DocumentInfo] | None = None
                     ) -> tuple[list[SectionChange], int]:
    """Section by section: added, removed and changed (with sentences); and how many are
    unchanged."""
    pairs = match_sections(old, new)
    matched_old = {id(a) for a, _ in pairs}
    matched_new = {id(b) for _, b in pairs}
    changes: list[SectionChange] = []
    unchanged = 0
    for a, b in pairs:
        renamed = _norm(a.title) != _norm(b.title)
        renumbered = _norm(a.section) != _norm(b.section)
        sentences = sentence_changes(a.body, b.body)
        if not (renamed or renumbered or sentences):
            unchanged += 1
            continue
        changes.append(SectionChange("changed", where(a, documents), where(b, documents),
                                     a.id, b.id, renamed, renumbered, sentences))
    changes += [SectionChange("removed", where(a, documents), None, old_id=a.id,
                              sentences=[SentenceChange(s, None) for s in split_sentences(a.body)])
                for a in old if id(a) not in matched_old]
    changes += [SectionChange("added", None, where(b, documents), new_id=b.id,
                              sentences=[SentenceChange(None, s) for s in split_sentences(b.body)])
                for b in new if id(b) not in matched_new]
    return changes, unchanged


# --- loading ---------------------------------------------------------------------------------

def load_version(ref: str, corpus_dir: Path) -> tuple[DocumentInfo, list[Section]]:
    """A document id of the corpus, or a file path (with its folder's manifest entry, if any)."""
    from assistant.ingest.structure import load_corpus

    path = Path(ref)
    if path.is_file():
        folder = path.parent
        if not (folder / MANIFEST).exists():
            folder = Path(tempfile.mkdtemp(prefix="avtal-compare-"))
            shutil.copy(path, folder / path.name)
        try:
            documents, sections = load_corpus(folder)
        finally:
            if folder != path.parent:
                shutil.rmtree(folder, ignore_errors=True)
        docs = [d for d in documents if d.file == path.name]
        if not docs:
            raise UserError(f"Filen {ref} kunde inte läsas.")
        doc = next((d for d in docs if d.valid_from), docs[0])
    else:
        documents, sections = load_corpus(corpus_dir)
        doc = next((d for d in documents if d.id == ref), None)
        if doc is None:
            known = ", ".join(d.id for d in documents)
            raise UserError(f"Okänt dokument: {ref!r}. Ange ett dokument-id ({known}) eller "
                            "sökvägen till en fil.")
    return doc, [s for s in sections if s.document == doc.id]


def compare(old_ref: str, new_ref: str, corpus_dir: Path | None = None) -> Comparison:
    corpus_dir = corpus_dir or settings().corpus_dir
    old_doc, old_sections = load_version(old_ref, corpus_dir)
    new_doc, new_sections = load_version(new_ref, corpus_dir)
    changes, unchanged = compare_sections(old_sections, new_sections)
    return Comparison(_version(old_doc), _version(new_doc), changes, unchanged)


def _version(doc: DocumentInfo) -> Version:
    return Version(doc.id, doc.title, doc.valid_from, doc.valid_to)


# --- rendering --------------------------------------------------------------------------------

STATUS_HEADINGS = (("added", "Tillagda avsnitt"), ("removed", "Borttagna avsnitt"),
                   ("changed", "Ändrade avsnitt"))


def summary(comparison: Comparison) -> str:
    c = comparison
    return (f"{len(c.of('added'))} tillagda, {len(c.of('removed'))} borttagna och "
            f"{len(c.of('changed'))} ändrade avsnitt; {c.unchanged} oförändrade.")


def _cell(text: str | None) -> str:
    return (text or "–").replace("|", "\\|")


def _label(change: SectionChange) -> str:
    if change.status == "changed" and change.old != change.new:
        return f"{change.old} → {change.new}"
    return change.new or change.old or ""


def to_markdown(comparison: Comparison) -> str:
    c = comparison
    lines = [f"# Jämförelse: {c.old.describe()} → {c.new.describe()}", "", summary(c)]
    for status, heading in STATUS_HEADINGS:
        items = c.of(status)
        if not items:
            continue
        lines += ["", f"## {heading}", ""]
        for change in items:
            if status == "changed":
                lines += [f"### {_label(change)}", ""]
                if change.sentences:
                    lines += ["| Förut | Nu |", "|---|---|"]
                    lines += [f"| {_cell(s.old)} | {_cell(s.new)} |" for s in change.sentences]
                    lines.append("")
            else:
                text = " ".join(s.old or s.new or "" for s in change.sentences)
                preview = text if len(text) <= 300 else text[:297] + "…"
                lines.append(f"- **{_label(change)}**" + (f": {preview}" if preview else ""))
    return "\n".join(lines).rstrip() + "\n"


def compare_html(comparison: Comparison) -> str:
    """The comparison as an HTML fragment (for a view in the web chat)."""
    c = comparison
    esc = html.escape
    parts = [f'<section class="avtal-compare"><h2>{esc(c.old.describe())} → '
             f'{esc(c.new.describe())}</h2><p>{esc(summary(c))}</p>']
    for status, heading in STATUS_HEADINGS:
        items = c.of(status)
        if not items:
            continue
        parts.append(f"<h3>{esc(heading)}</h3>")
        for change in items:
            parts.append(f"<h4>{esc(_label(change))}</h4>")
            if change.sentences:
                rows = "".join(f"<tr><td>{esc(s.old or '–')}</td><td>{esc(s.new or '–')}</td></tr>"
                               for s in change.sentences)
                parts.append('<table><thead><tr><th scope="col">Förut</th>'
                             f'<th scope="col">Nu</th></tr></thead><tbody>{rows}</tbody></table>')
    parts.append("</section>")
    return "".join(parts)


# --- command line ---------------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare", help="jämför två versioner av ett dokument avsnitt för "
                                            "avsnitt")
    parser.add_argument("old", help="den äldre versionen: dokument-id eller sökväg till en fil")
    parser.add_argument("new", help="den nyare versionen: dokument-id eller sökväg till en fil")
    parser.add_argument("--format", choices=("md", "json"), default="md",
                        help="md (läsbar, standard) eller json")
    parser.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    comparison = compare(args.old, args.new)
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(to_markdown(comparison))
    return 0
