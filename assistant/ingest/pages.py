"""Read a source file into pages: PDF pages as printed, text files split at page markers.

Text extracted from PDFs carries footers such as "Page 4 of 87"; a marker closes page N, so
the text between markers N-1 and N is page N. Where consecutive markers do not tell where a
page ends, the page number is unknown (None) rather than guessed.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from assistant.errors import UserError
from assistant.types import Page

log = logging.getLogger(__name__)

PAGE_MARKER = re.compile(r"^\s*Page (\d+) of (\d+)\s*$")
SUPPORTED = {".txt", ".md", ".pdf"}
MAX_FILE_BYTES = 50 * 1024 * 1024


def read_pages(path: Path) -> list[Page]:
    """Pages of one file; raises UserError (Swedish) for files we cannot read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UserError(f"{path.name}: filtypen stöds inte (endast .txt, .md och .pdf).")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UserError(f"{path.name}: filen är för stor (högst 50 MB).")
    if suffix == ".pdf":
        return _pdf_pages(path)
    return split_marked_pages(_read_text(path))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UserError(f"{path.name}: filen ser ut att vara binär, inte text.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def split_marked_pages(text: str) -> list[Page]:
    """Split text at "Page N of M" markers; the markers themselves are dropped."""
    pages: list[Page] = []
    current: list[str] = []
    previous: int | None = None
    for line in text.splitlines():
        match = PAGE_MARKER.match(line)
        if not match:
            current.append(line)
            continue
        number = int(match.group(1))
        known = previous is not None and number == previous + 1
        pages.append(Page(number if known else None, "\n".join(current)))
        current, previous = [], number
    pages.append(Page(None, "\n".join(current)))
    return [p for p in pages if p.text.strip() or p.number is not None]


def _pdf_pages(path: Path) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        labels = _page_labels(reader)
        pages = []
        for index, page in enumerate(reader.pages):
            text = page.extract_text() or ""
            pages.append(Page(index + 1, text, labels[index] if labels else None))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        log.warning("could not read PDF %s: %s", path.name, type(error).__name__)
        raise UserError(
            f"{path.name}: PDF-filen är trasig eller krypterad och kunde inte läsas."
        ) from None
    if not any(p.text.strip() for p in pages):
        raise UserError(f"{path.name}: PDF-filen innehåller ingen text (skannad bild?).")
    return pages


def _page_labels(reader) -> list[str] | None:
    """Printed page labels, only when the PDF defines ones that differ from 1, 2, 3 …"""
    try:
        labels = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - a broken label tree must not stop the import
        return None
    if labels == [str(i + 1) for i in range(len(labels))]:
        return None
    return labels
