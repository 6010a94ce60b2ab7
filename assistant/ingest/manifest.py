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
    # Documents that are versions of one another share a series (default: the title without
    # years and dates, see assistant/versions.py); set it when a new version is retitled.
    series: str | None = None

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
    for file in sorted(corpus_dir.iterdir()):
        if file.suffix.lower() in SUPPORTED and file.name not in listed:
            entries.append(DocumentInfo(id=slug(file.stem), file=file.name, title=file.stem,
                                        kind="övrigt"))
    return entries


def _stringify(item: dict) -> dict:
    return {key: (str(value) if value is not None else None) for key, value in item.items()}


def slug(text: str) -> str:
    text = text.lower().translate(str.maketrans("åäöé", "aaoe"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "dokument"
