"""Link gold references and citations to the section tree, and decide what counts as a hit.

A citation hits a gold reference when its section is one of the gold's sections or lies inside
one (a subheading of it): citing "5.1 Regionens ansvar" answers a gold "5 Ansvar". Citations
are located by their `section_id`; a citation without one (e.g. read back from JSON) is located
by its contract fields. Text comparisons collapse whitespace; titles and facts also ignore case.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.eval.questions import GoldRef, Question
from assistant.ingest.clean import collapse
from assistant.types import Citation, Section
from assistant.types import subtree as section_subtree

# Section.kind → the question file's `document` field; every other kind is context.
DOCUMENT_OF_KIND = {"avtal": "agreement", "strategi": "fardplan", "tjänsteskrivelse": "memo"}

# Used only while assistant.ingest.structure.AGREEMENT_KEYS is unavailable: a word of each
# överenskommelse's printed title that no other one shares.
_AGREEMENT_STEMS = {
    "lakarmedverkan": "läkarmedverkan",
    "in_utskrivning": "utskrivning",
    "psykisk_missbruk": "missbruk",
    "munhalsa": "munhälsa",
}
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_ELLIPSIS = re.compile(r"…|\.\.\.")


def fold(text: str) -> str:
    """Collapsed, case-folded and with one kind of dash: for titles and key facts."""
    return _DASHES.sub("-", collapse(text)).casefold()


def _title_key(text: str) -> str:
    return fold(text).rstrip(" .:")


def document_of(section: Section) -> str:
    """The question-file document (agreement|fardplan|memo|context) a section belongs to."""
    return DOCUMENT_OF_KIND.get(section.kind, "context")


def agreement_titles() -> dict[str, str] | None:
    """Key → printed title of the överenskommelser named in the corpus manifest, or None."""
    from assistant.config import settings

    return _manifest_agreements(settings().corpus_dir) or None


@functools.lru_cache(maxsize=4)
def _manifest_agreements(corpus_dir: Path) -> dict[str, str]:
    from assistant.errors import UserError
    from assistant.ingest.manifest import load_manifest

    try:
        documents = load_manifest(corpus_dir)
    except (UserError, OSError):
        return {}
    return {key: title for doc in documents for key, title in (doc.agreements or {}).items()}


def agreement_matches(key: str, printed: str | None) -> bool:
    """Does a Section.agreement (printed title) name the överenskommelse `key`?"""
    if printed is None:
        return False
    titles = agreement_titles()
    if titles is not None and key in titles:
        return _title_key(titles[key]) == _title_key(printed)
    if key in _AGREEMENT_STEMS:
        return _AGREEMENT_STEMS[key] in fold(printed)
    from assistant.ingest.scopes import agreement_key

    return agreement_key(printed) == key  # a key derived from the title (scopes.py)


def _source_matches(source: str, section: Section, source_file: str | None) -> bool:
    """A context gold's `source` may name the file (with or without suffix) or document id."""
    wanted = {source, Path(source).name, Path(source).stem}
    names = {section.document}
    if source_file:
        names |= {source_file, Path(source_file).name, Path(source_file).stem}
    return bool(wanted & names)


def _number_key(number: str) -> str:
    return collapse(number).rstrip(".").casefold()


def gold_matches(gold: GoldRef, section: Section, source_file: str | None = None) -> bool:
    """Does `section` itself carry the gold reference (number, or title when no number)?"""
    if gold.document not in (document_of(section), section.document) or section.part != gold.part:
        return False
    if gold.agreement is None:
        if section.agreement is not None:
            return False
    elif not agreement_matches(gold.agreement, section.agreement):
        return False
    if gold.source is not None:
        # Context documents are cited as a whole: the file (or document id) decides, and a
        # gold title naming a heading inside the file does not have to be a tree section.
        return _source_matches(gold.source, section, source_file) and section.level == 1
    if gold.section is not None:
        return section.section is not None and _number_key(section.section) == _number_key(
            gold.section
        )
    return gold.title is not None and _title_key(section.title) == _title_key(gold.title)


class SectionTree:
    """The sections of all documents, with parent links, for lookups and containment.

    `files` maps a document id to the corpus file holding it (from the manifest), so context
    golds can name their source file.
    """

    def __init__(self, sections: Iterable[Section], files: dict[str, str] | None = None) -> None:
        self.sections = list(sections)
        self.files = dict(files or {})
        self.by_id = {s.id: s for s in self.sections}
        self._children: dict[str, list[str]] = {}
        for section in self.sections:
            if section.parent is not None:
                self._children.setdefault(section.parent, []).append(section.id)

    def ancestors(self, section_id: str) -> Iterator[str]:
        """The section's own id, then its parent's, up to the root."""
        seen: set[str] = set()
        current: str | None = section_id
        while current is not None and current not in seen:
            seen.add(current)
            yield current
            section = self.by_id.get(current)
            current = section.parent if section else None

    def is_within(self, section_id: str, ancestor_id: str) -> bool:
        return ancestor_id in self.ancestors(section_id)

    def subtree(self, section_id: str) -> list[Section]:
        """The section and all its descendants, in document order."""
        return section_subtree(section_id, self.by_id, self._children)

    def text(self, section_id: str) -> str:
        """Body text of the section including its subheadings' text (and their headings)."""
        return "\n".join(f"{s.title}\n{s.body}" for s in self.subtree(section_id))

    def resolve(self, gold: GoldRef) -> list[Section]:
        """Every section carrying the gold reference (usually one)."""
        return [s for s in self.sections if gold_matches(gold, s, self.files.get(s.document))]

    def locate(self, citation: Citation) -> Section | None:
        """The cited section: by section_id, else by the contract fields."""
        if citation.section_id and citation.section_id in self.by_id:
            return self.by_id[citation.section_id]
        for section in self.sections:
            if (
                section.document == citation.document
                and section.part == citation.part
                and _title_key(section.agreement or "") == _title_key(citation.agreement or "")
                and (
                    _number_key(section.section or "") == _number_key(citation.section)
                    if citation.section
                    else section.section is None
                    and _title_key(section.title) == _title_key(citation.title)
                )
            ):
                return section
        return None


@dataclass(frozen=True)
class ResolvedGold:
    """A gold reference with the section ids it resolved to."""

    ref: GoldRef
    section_ids: tuple[str, ...]


def resolve_golds(question: Question, tree: SectionTree) -> list[ResolvedGold]:
    return [ResolvedGold(g, tuple(s.id for s in tree.resolve(g))) for g in question.gold]


def hits_gold(section: Section | None, gold: ResolvedGold, tree: SectionTree) -> bool:
    """A cited section hits a gold when it is a gold section or lies inside one."""
    if section is None:
        return False
    ancestors = set(tree.ancestors(section.id))
    return any(gid in ancestors for gid in gold.section_ids)


def hit_rank(
    citations: Sequence[Citation], golds: Sequence[ResolvedGold], tree: SectionTree, multi: bool
) -> int | None:
    """Effective 1-based rank of the first hit (None: no hit); hit@k is `rank <= k`.

    Single-gold types: the position of the first citation hitting any gold. Type multi needs
    every gold: with `need` = the position where the last gold is first hit, the question is a
    hit@k when need <= max(k, len(golds)), i.e. all golds among the first max(k, len(golds))
    citations; so the effective rank is 1 when need <= len(golds), else need (also for MRR).
    """
    return section_rank([tree.locate(c) for c in citations], golds, tree, multi)


def section_rank(
    located: Sequence[Section | None],
    golds: Sequence[ResolvedGold],
    tree: SectionTree,
    multi: bool = False,
) -> int | None:
    """hit_rank over sections in ranked order (cited, or retrieved before answering)."""
    if not golds:
        return None
    firsts: list[int | None] = []
    for gold in golds:
        first = next((i for i, s in enumerate(located, start=1) if hits_gold(s, gold, tree)), None)
        firsts.append(first)
    if not multi:
        found = [f for f in firsts if f is not None]
        return min(found) if found else None
    if any(f is None for f in firsts):
        return None
    need = max(f for f in firsts if f is not None)
    return 1 if need <= len(golds) else need


def quote_problem(citation: Citation, tree: SectionTree) -> str | None:
    """Why the citation's quote is not verified in its cited section's body, or None.

    The quote must occur in the body with whitespace collapsed (bodies are already
    de-hyphenated). An ellipsis marks elided text: each part must occur, in order.
    """
    section = tree.locate(citation)
    if section is None:
        return "det citerade avsnittet finns inte i avsnittsträdet"
    parts = [collapse(p) for p in _ELLIPSIS.split(citation.quote)]
    parts = [p for p in parts if p]
    if not parts:
        return "tomt citat"
    body = collapse(section.body)
    position = 0
    for part in parts:
        found = body.find(part, position)
        if found < 0:
            return "citatet finns inte ordagrant i det citerade avsnittets text"
        position = found + len(part)
    return None


def missing_facts(facts: Sequence[str], texts: Iterable[str]) -> list[str]:
    """Key facts not found in the texts (case-insensitive, whitespace collapsed)."""
    haystack = "\n".join(fold(t) for t in texts)
    return [f for f in facts if fold(f) not in haystack]


def check_questions(questions: Sequence[Question], tree: SectionTree) -> list[str]:
    """Problems (Swedish) with golds and key facts against the section tree; [] when sound.

    Every gold must resolve to a section; where it gives both number and title, the title
    must agree (a prefix is enough: wrapped headings); every key fact must occur in the text
    of its question's gold sections (subheadings included).
    """
    problems: list[str] = []
    for q in questions:
        texts: list[str] = []
        for index, gold in enumerate(q.gold, start=1):
            where = f'{q.id}, fält "gold[{index}]" ({gold.label()})'
            found = tree.resolve(gold)
            if not found:
                problems.append(f"{where}: inget avsnitt i avsnittsträdet matchar.")
                continue
            if gold.section and gold.title:
                wanted = _title_key(gold.title)
                if not any(
                    _title_key(s.title).startswith(wanted) or wanted.startswith(_title_key(s.title))
                    for s in found
                ):
                    titles = "; ".join(f'"{s.title}"' for s in found)
                    problems.append(f"{where}: rubriken stämmer inte med avsnittets ({titles}).")
            texts.extend(tree.text(s.id) for s in found)
        if texts:
            for fact in missing_facts(q.key_facts, texts):
                problems.append(
                    f'{q.id}, fält "key_facts": "{fact}" finns inte i guldavsnittens text.'
                )
    return problems
