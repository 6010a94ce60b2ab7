"""Filter choices derived from the index: the parts, överenskommelser and binding documents of
whatever documents are present (the chat's filter, `--scope` values, the eval schema)."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.ingest.manifest import DocumentInfo, slug
from assistant.types import Section

# Kinds that are documents of their own in the filter (context material is not).
BINDING_KINDS = {"avtal", "överenskommelse", "strategi", "riktlinje", "rutin", "policy"}
# The value kept for the first strategy document, as question files and links used it.
STRATEGY_ALIAS = "fardplan"


def agreement_key(title: str) -> str:
    """The key an överenskommelse gets from its title when its manifest names none."""
    return slug(title).replace("-", "_")


def agreement_keys(documents: Iterable[DocumentInfo],
                   sections: Iterable[Section]) -> dict[str, str]:
    """Key → printed title of every överenskommelse in the sections: the manifest's key where
    it gives one, else the title's slug."""
    keys: dict[str, str] = {}
    for doc in documents:
        keys.update(doc.agreements or {})
    known = set(keys.values())
    for section in sections:
        if section.agreement and section.agreement not in known:
            keys[agreement_key(section.agreement)] = section.agreement
            known.add(section.agreement)
    return keys


def scope_choices(documents: list[DocumentInfo],
                  sections: list[Section]) -> list[tuple[str, str]]:
    """(value, Swedish label) for each filter choice, in reading order."""
    keys = {title: key for key, title in agreement_keys(documents, sections).items()}
    choices = [("alla", "Alla")]
    parts: dict[str, list[str]] = {}
    for section in sections:
        if section.part:
            agreements = parts.setdefault(section.part, [])
            if section.agreement and section.agreement not in agreements:
                agreements.append(section.agreement)
    for part, agreements in parts.items():
        label = f"Del {part} – alla överenskommelser" if agreements else f"Del {part}"
        choices.append((part, label))
        choices += [(f"{part}:{keys[title]}", f"Del {part} – {title}") for title in agreements]
    with_parts = {s.document for s in sections if s.part}
    present = {s.document for s in sections}
    strategy_seen = False
    for doc in documents:
        if doc.id in with_parts or doc.id not in present or doc.kind not in BINDING_KINDS:
            continue
        value = doc.id
        if doc.kind == "strategi" and not strategy_seen:
            value, strategy_seen = STRATEGY_ALIAS, True
        choices.append((value, _short(doc.title)))
    return choices


def _short(title: str) -> str:
    return title.split(" – ")[0] if len(title) > 40 else title
