"""Q&A collections for trainers: as print material, and as an evaluation question file.

`save_answer` (assistant/storage/collections.py) is what the chat's "Spara" calls; here a
collection becomes a handout (each question with its answer and verbatim citations) or a
question file in the eval/ format: gold = the cited sections, key facts = the facts the
trainer marked, else the short answer's key fact; `assistant eval --check` accepts it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import fields

import yaml

from assistant.config import Settings
from assistant.ingest.clean import collapse
from assistant.ingest.manifest import slug
from assistant.storage.collections import SavedAnswer, collection_items, save_answer
from assistant.trainers.printable import Block, Printable
from assistant.trainers.source import Library
from assistant.types import Citation, Section

__all__ = ["save_answer", "collection_printable", "eval_items", "eval_yaml"]

_CITATION_FIELDS = {f.name for f in fields(Citation)}
_RESPONSIBILITY = re.compile(r"\b(vem|vilken huvudman|ansvar\w*|betala\w*|kostnad\w*)\b",
                             re.IGNORECASE)
DECLINED = "Avtalet svarar inte på det."


def citation_of(row: dict) -> Citation:
    return Citation(**{k: v for k, v in row.items() if k in _CITATION_FIELDS})


def _where(citation: Citation, library: Library) -> str:
    from assistant.answer.compose import where

    page = f", s. {citation.page}" if citation.page is not None else ""
    return where(citation, library.documents_by_id) + page


def collection_printable(library: Library, name: str, settings: Settings) -> Printable:
    items = collection_items(name, settings)
    blocks: list[Block] = []
    for number, item in enumerate(items, start=1):
        blocks.append(Block("heading", f"{number}. {item.question}", level=2))
        if item.abstained:
            blocks.append(Block("text", DECLINED))
        elif item.short_answer:
            blocks.append(Block("text", f"Kort svar: {item.short_answer}"))
        for row in item.citations:
            citation = citation_of(row)
            blocks.append(Block("quote", f"”{citation.quote}”", note=_where(citation, library)))
        if item.key_facts:
            blocks.append(Block("text", "Nyckelfakta: " + "; ".join(item.key_facts)))
        if item.note:
            blocks.append(Block("text", f"Anteckning: {item.note}"))
    about = [f"{len(items)} frågor och svar med ordagranna citat ur dokumenten."]
    return Printable(title=f"Samling: {name}", about=about, blocks=blocks,
                     footer="Sparat i Avtalsassistenten. Citaten är ordagranna ur dokumenten.")


# --- as an evaluation question file ------------------------------------------------------

def _locate(library: Library, row: dict) -> Section | None:
    section = library.by_id.get(row.get("section_id") or "")
    if section is not None:
        return section
    for candidate in library.sections:
        if (candidate.document == row.get("document") and candidate.title == row.get("title")
                and candidate.section == row.get("section")):
            return candidate
    return None


def _top(library: Library, section: Section) -> Section:
    while section.parent and section.parent in library.by_id:
        section = library.by_id[section.parent]
    return section


def gold_of(library: Library, section: Section) -> tuple[dict, Section]:
    """The question-file gold naming `section`, and the section whose text it stands for."""
    from assistant.eval.matching import DOCUMENT_OF_KIND
    from assistant.ingest.scopes import agreement_keys

    document = DOCUMENT_OF_KIND.get(section.kind, "context")
    if document == "context":  # context documents are cited as a whole (by file or id)
        top = _top(library, section)
        return {"document": "context", "source": section.document, "title": top.title}, top
    key = None
    if section.agreement:
        titles = agreement_keys(library.documents, library.sections)
        key = next((k for k, title in titles.items()
                    if collapse(title).casefold() == collapse(section.agreement).casefold()),
                   None)
    gold = {"document": document, "part": section.part, "agreement": key,
            "section": section.section, "title": section.title}
    return gold, section


def _text(library: Library, section: Section) -> str:
    return collapse(" ".join(f"{s.title} {s.body}" for s in library.subtree(section.id)))


def _default_facts(item: SavedAnswer) -> list[str]:
    from assistant.trainers.quiz import facts_in

    if not item.short_answer:
        return []
    return facts_in(item.short_answer) or [item.short_answer]


def eval_items(library: Library, name: str, settings: Settings,
               warn=sys.stderr) -> list[dict]:
    """The collection as question-file items (answers that cite nothing become
    out_of_scope items: the right behaviour is to decline)."""
    items = []
    prefix = slug(name)
    for number, item in enumerate(collection_items(name, settings), start=1):
        golds, texts = [], []
        for row in item.citations:
            section = _locate(library, row)
            if section is None:
                print(f"Obs: {item.question!r}: källan {row.get('title')!r} finns inte i "
                      "indexet längre och tas inte med.", file=warn)
                continue
            gold, covered = gold_of(library, section)
            if gold not in golds:
                golds.append(gold)
                texts.append(_text(library, covered))
        wanted = item.key_facts or _default_facts(item)
        facts = [f for f in wanted if any(collapse(f).casefold() in t.casefold() for t in texts)]
        for dropped in [f for f in item.key_facts if f not in facts]:
            print(f"Obs: nyckelfaktat {dropped!r} står inte i de citerade avsnitten och tas "
                  "inte med.", file=warn)
        entry = {"id": f"{prefix}-{number:03d}", "question": item.question,
                 "type": _type(item, golds, facts), "gold": golds}
        if facts and golds:
            entry["key_facts"] = facts
        entry["note"] = f"Ur samlingen ”{name}”, sparad {item.created_at.date().isoformat()}."
        items.append(entry)
    return items


def _type(item: SavedAnswer, golds: list[dict], facts: list[str]) -> str:
    from assistant.trainers.quiz import facts_in

    if not golds:
        return "out_of_scope"
    if any(facts_in(f) for f in facts):
        return "numeric"
    if _RESPONSIBILITY.search(item.question):
        return "responsibility"
    return "procedure"


def eval_yaml(library: Library, name: str, settings: Settings) -> str:
    header = (f"# Frågefil ur samlingen ”{name}” (Avtalsassistenten). Format: se eval/README.md."
              "\n# Kontrollera med: assistant eval --check FIL\n")
    body = yaml.safe_dump(eval_items(library, name, settings), allow_unicode=True,
                          sort_keys=False, width=100)
    return header + body
