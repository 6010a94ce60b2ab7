"""The corpus manifest: which logical documents the files hold, with title, kind and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.errors import UserError
from assistant.ingest.pages import SUPPORTED

MANIFEST = "manifest.yaml"


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    file: str
    title: str
    kind: str
    layout: str = "plain"
    starts_at: str | None = None
    date: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    source: str | None = None
    note: str | None = None

    @property
    def is_context(self) -> bool:
        """Older or planned material: answers drawn from it must say so."""
        return self.kind not in {"avtal", "strategi", "tjänsteskrivelse", "protokoll"}

    def describe(self) -> str:
        """Short Swedish provenance, e.g. for answers drawn from context documents."""
        return f"{self.title} ({self.date})" if self.date else self.title


def load_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    """Manifest entries, plus a plain entry for every other readable file in the folder."""
    path = corpus_dir / MANIFEST
    entries: list[DocumentInfo] = []
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = [DocumentInfo(**_stringify(item)) for item in raw.get("documents", [])]
        except (yaml.YAMLError, TypeError) as error:
            raise UserError(f"{MANIFEST} kunde inte läsas: {error}") from error
    listed = {entry.file for entry in entries}
    unlisted = [file for file in sorted(corpus_dir.iterdir())
                if file.is_file() and file.suffix.lower() in SUPPORTED
                and file.name not in listed]
    taken = {entry.id for entry in entries}
    for file in unlisted:
        entries.append(DocumentInfo(id=_unique_id(file, unlisted, taken), file=file.name,
                                    title=file.stem, kind="övrigt"))
        taken.add(entries[-1].id)
    return entries


def _unique_id(file: Path, files: list[Path], taken: set[str]) -> str:
    """The slug of the file's stem; with the suffix when another file or entry shares it
    ("Rutin.txt" and "rutin.md" become "rutin-txt" and "rutin-md"), numbered as a last resort."""
    base = slug(file.stem)
    if base in taken or any(slug(other.stem) == base for other in files if other != file):
        base = slug(file.name)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _stringify(item: dict) -> dict:
    return {key: (str(value) if value is not None else None) for key, value in item.items()}


def slug(text: str) -> str:
    text = text.lower().translate(str.maketrans("åäöé", "aaoe"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "dokument"
