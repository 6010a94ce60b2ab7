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

BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
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
    """Pages of a PDF with each line's font size and weight (pdfplumber reads them) and the
    printed page labels (pypdf). A gap wider than a line between two lines is a blank line,
    as in text files: it ends a block."""
    import pdfplumber
    from pypdf import PdfReader

    try:
        labels = _page_labels(PdfReader(path))
        pages = []
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                lines = styled_lines(page.dedupe_chars().extract_text_lines(return_chars=True))
                label = labels[index] if labels and index < len(labels) else None
                pages.append(Page(index + 1, "\n".join(t for t, _ in lines), label,
                                  tuple(style for _, style in lines)))
    except Exception as error:  # noqa: BLE001 - pypdf and pdfminer raise many kinds on bad files
        log.warning("could not read PDF %s: %s", path.name, type(error).__name__)
        raise UserError(
            f"{path.name}: PDF-filen är trasig eller krypterad och kunde inte läsas."
        ) from None
    if not any(p.text.strip() for p in pages):
        raise UserError(f"{path.name}: PDF-filen innehåller ingen text (skannad bild?).")
    return pages


def styled_lines(lines: list[dict]) -> list[tuple[str, tuple[float, bool]]]:
    """(text, (size, bold)) per pdfplumber line, with ("", …) where a gap ends a block."""
    result: list[tuple[str, tuple[float, bool]]] = []
    previous = None
    for line in lines:
        text = line["text"]
        if not text.strip():
            continue
        style = line_style(line.get("chars") or [])
        if previous is not None:
            height = max(style[0], 1.0)
            if line["top"] - previous["bottom"] > 0.8 * height:
                result.append(("", (0.0, False)))
        result.append((text, style))
        previous = line
    return result


def line_style(chars: list[dict]) -> tuple[float, bool]:
    """A line's dominant font size (rounded to half points) and whether it is all bold."""
    letters = [c for c in chars if c.get("text", "").strip()]
    if not letters:
        return 0.0, False
    sizes: dict[float, int] = {}
    for char in letters:
        size = round(float(char.get("size", 0)) * 2) / 2
        sizes[size] = sizes.get(size, 0) + 1
    bold = all(BOLD.search(str(c.get("fontname", ""))) for c in letters)
    return max(sizes, key=sizes.get), bold


def read_outline(path: Path) -> list[tuple[int, str]]:
    """A PDF's bookmarks as (depth, title), depth 1 for the top; [] when it has none."""
    if path.suffix.lower() != ".pdf":
        return []
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        return list(_walk_outline(reader.outline, 1))
    except Exception:  # noqa: BLE001 - an outline is evidence, never required
        return []


def _walk_outline(items, depth: int):
    for item in items:
        if isinstance(item, list):
            yield from _walk_outline(item, depth + 1)
        elif getattr(item, "title", None):
            yield depth, " ".join(str(item.title).split())


def read_metadata_title(path: Path) -> str | None:
    """The title a PDF's metadata gives, if any."""
    if path.suffix.lower() != ".pdf":
        return None
    from pypdf import PdfReader

    try:
        title = (PdfReader(path).metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001 - metadata is optional
        return None
    title = " ".join(str(title or "").split())
    return title or None


def _page_labels(reader) -> list[str] | None:
    """Printed page labels, only when the PDF defines ones that differ from 1, 2, 3 …"""
    try:
        labels = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - a broken label tree must not stop the import
        return None
    if labels == [str(i + 1) for i in range(len(labels))]:
        return None
    return labels
