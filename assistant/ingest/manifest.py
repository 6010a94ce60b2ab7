"""The corpus manifest: which logical documents the files hold, with title, kind and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.errors import UserError
from assistant.ingest.pages import SUPPORTED

MANIFEST = "manifest.yaml"
LIST_HINTS = {"decoration", "top_headings"}
# Kinds whose text binds (the rest is context: older or planned material, news, notes).
BINDING_KINDS = {"avtal", "överenskommelse", "strategi", "riktlinje", "rutin", "policy",
                 "tjänsteskrivelse", "protokoll"}


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
    # Question-file key → printed title of each överenskommelse the document holds, where a
    # key other than the title's slug must keep resolving (eval files, --scope values).
    agreements: dict[str, str] | None = None
    # Layout hints for this document only (see corpus/manifest.yaml): lines of cover
    # decoration, the outline its unnumbered headings follow, cover and intro markers.
    hints: dict | None = None
    # How the title/kind/validity were found: "manifest" or "text" (read from the document).
    origin: str = "manifest"

    def hint(self, name: str):
        """A layout hint: a list of lines (empty when not given) or one string (or None)."""
        value = (self.hints or {}).get(name)
        if value is None:
            return () if name in LIST_HINTS else None
        return tuple(value) if isinstance(value, list) else value

    @property
    def is_context(self) -> bool:
        """Older or planned material: answers drawn from it must say so."""
        return self.kind not in BINDING_KINDS

    def describe(self) -> str:
        """Short Swedish provenance, e.g. for answers drawn from context documents."""
        return f"{self.title} ({self.date})" if self.date else self.title


def load_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    """Manifest entries, plus a plain entry for every other readable file in the folder."""
    if not corpus_dir.is_dir():
        raise UserError(f"Korpusmappen {corpus_dir} finns inte (AVTAL_CORPUS_DIR).")
    path = corpus_dir / MANIFEST
    entries: list[DocumentInfo] = []
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise UserError(f"{MANIFEST} kunde inte läsas: {error}") from error
        entries = [_entry(item, n) for n, item in enumerate(_documents(raw), 1)]
    listed = {entry.file for entry in entries}
    unlisted = [file for file in sorted(corpus_dir.iterdir())
                if file.is_file() and file.suffix.lower() in SUPPORTED
                and file.name not in listed]
    taken = {entry.id for entry in entries}
    for file in unlisted:
        entries.append(DocumentInfo(id=_unique_id(file, unlisted, taken), file=file.name,
                                    title=file.stem, kind="övrigt", origin="text"))
        taken.add(entries[-1].id)
    return entries


def corpus_file(corpus_dir: Path, name: str) -> Path:
    """The path of a corpus file; a Swedish UserError naming it when it lies outside the
    corpus folder (a manifest path with "..", an absolute path, a link pointing out)."""
    path = corpus_dir / name
    if not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise UserError(f"{name}: filen ligger utanför korpusmappen (en sökväg med ”..”, en "
                        "absolut sökväg eller en länk ut ur mappen) och lästes inte.")
    return path


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


# Fields whose value is a mapping; every other field holds one value (text, a date, a number).
MAPPING_FIELDS = {"agreements", "hints"}
REQUIRED_FIELDS = ("id", "file", "title", "kind")


def _documents(raw: object) -> list:
    """The manifest's list of entries; a Swedish UserError when it has another shape."""
    documents = raw.get("documents") if isinstance(raw, dict) else None
    if documents is None and raw == {}:
        return []
    if not isinstance(documents, list):
        raise UserError(f"{MANIFEST} kunde inte läsas: den ska ha formen ”documents:” följd av "
                        "en lista med ett dokument per post (”- id: …”).")
    return documents


def _entry(item: object, n: int) -> DocumentInfo:
    """One manifest entry; a Swedish UserError naming the entry and field when it is malformed
    (a list where a text belongs, a missing or unknown field)."""
    where = f"{MANIFEST}, post {n}"
    if not isinstance(item, dict):
        raise UserError(f"{where}: posten ska vara fält som ”id: …”, ”file: …”.")
    missing = [key for key in REQUIRED_FIELDS if item.get(key) in (None, "")]
    if missing:
        raise UserError(f"{where}: fältet ”{missing[0]}” saknas.")
    for key, value in item.items():
        mapping = key in MAPPING_FIELDS
        if (isinstance(value, dict) and not mapping) or isinstance(value, list) or (
                mapping and value is not None and not isinstance(value, dict)):
            kind = "fält med namn och värde" if mapping else "en text"
            raise UserError(f"{where}: fältet ”{key}” ska vara {kind}.")
    try:
        return DocumentInfo(**_stringify(item))
    except TypeError as error:  # an unknown field
        raise UserError(f"{where} kunde inte läsas: {error}") from error


def _stringify(item: dict) -> dict:
    """Scalar values as text (dates stay as printed); mappings and lists as given."""
    return {key: (str(value) if value is not None and not isinstance(value, dict | list)
                  else value) for key, value in item.items()}


def slug(text: str) -> str:
    text = text.lower().translate(str.maketrans("åäöé", "aaoe"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "dokument"
