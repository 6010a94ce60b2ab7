"""Read a source file into pages: PDF pages as printed, text files split at page markers.

Text extracted from PDFs carries footers such as "Page 4 of 87"; a marker closes page N, so
the text between markers N-1 and N is page N. Where consecutive markers do not tell where a
page ends, the page number is unknown (None) rather than guessed.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from pathlib import Path

from assistant.config import settings
from assistant.errors import UserError
from assistant.types import Page

log = logging.getLogger(__name__)

BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
PAGE_MARKER = re.compile(r"^\s*Page (\d+) of (\d+)\s*$")
SUPPORTED = {".txt", ".md", ".pdf"}
# Plausibility of text: prose has few control characters, spaces between its words and
# mostly letters. Random bytes, base64 blobs and binary formats fail at least one of these.
MAX_UNREADABLE_SHARE = 0.01
MIN_SPACE_SHARE = 0.05
MIN_LETTER_SHARE = 0.4
PLAUSIBLE_FROM_CHARS = 200


def read_pages(path: Path, max_bytes: int | None = None,
               max_chars: int | None = None) -> list[Page]:
    """Pages of one file; raises UserError (Swedish, naming the file) for files we cannot
    read: missing, unsupported, over the size limits (Settings.max_file_mb and
    max_file_chars by default), empty, not text, broken or without text."""
    config = settings()
    max_bytes = config.max_file_mb * 1024 * 1024 if max_bytes is None else max_bytes
    max_chars = config.max_file_chars if max_chars is None else max_chars
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UserError(f"{path.name}: filtypen stöds inte (endast .txt, .md och .pdf).")
    if not path.is_file():
        raise UserError(f"{path.name}: filen finns inte i korpusmappen (den nämns i "
                        "manifest.yaml men saknas).")
    size = path.stat().st_size
    if size == 0:
        raise UserError(f"{path.name}: filen är tom (0 byte) och hoppades över.")
    if size > max_bytes:
        raise UserError(f"{path.name}: filen är för stor ({size / 1024 / 1024:.1f} MB, "
                        f"högst {max_bytes / 1024 / 1024:.0f} MB per fil).")
    if suffix != ".pdf" and size > 4 * max_chars:  # UTF-8: at most four bytes a character
        raise UserError(f"{path.name}: texten är för lång (över {thousands(max_chars)} tecken "
                        "per fil).")
    pages = _pdf_pages(path) if suffix == ".pdf" else split_marked_pages(
        _read_text(path, max_chars))
    chars = sum(len(p.text) for p in pages)
    if chars > max_chars:
        raise UserError(f"{path.name}: texten är för lång ({thousands(chars)} tecken, högst "
                        f"{thousands(max_chars)} tecken per fil).")
    if not any(p.text.strip() for p in pages):
        raise UserError(f"{path.name}: filen innehåller ingen text.")
    return pages


def thousands(number: int) -> str:
    """A count written the Swedish way: 1 000 000."""
    return f"{number:,}".replace(",", "\u00a0")


# Text saved as "Unicode" on Windows is UTF-16 with a byte-order mark (UTF-32 is rarer).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes) -> str:
    """A text file's bytes as text: UTF-16 or UTF-32 by its byte-order mark, else UTF-8 (with
    or without a mark), else Windows-1252 (Latin-1)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_text(path: Path, max_chars: int) -> str:
    text = decode_text(path.read_bytes())
    if "\x00" in text[:4096]:
        raise UserError(f"{path.name}: filen ser ut att vara binär, inte text.")
    if len(text) > max_chars:  # before the (slower) plausibility check
        raise UserError(f"{path.name}: texten är för lång ({thousands(len(text))} tecken, "
                        f"högst {thousands(max_chars)} tecken per fil).")
    if not looks_like_text(text):
        raise UserError(f"{path.name}: filen ser ut att vara binär eller kodad data, inte "
                        "läsbar text.")
    return text


def looks_like_text(text: str) -> bool:
    """Whether `text` is plausibly prose: few unreadable characters, spaces, mostly letters."""
    if not text:
        return True
    unreadable = sum(1 for ch in text if ch == "\ufffd" or (
        unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\n\r\t\f"))
    if unreadable / len(text) > MAX_UNREADABLE_SHARE:
        return False
    if len(text) < PLAUSIBLE_FROM_CHARS:
        return True
    spaces = sum(ch.isspace() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    return spaces / len(text) >= MIN_SPACE_SHARE and letters / len(text) >= MIN_LETTER_SHARE


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


class _Positions(list):
    """A list whose `index` is a lookup: pdfplumber 0.11's `dedupe_chars` ends by sorting the
    kept characters with `key=chars.index`, quadratic in a page's characters (a 9-page PDF
    took 28 s to read, 13 s with this)."""

    def __init__(self, items: list) -> None:
        super().__init__(items)
        self._at = {id(item): i for i, item in enumerate(items)}

    def index(self, item, *_args) -> int:
        return self._at[id(item)]


def _deduped(page):
    """`page.dedupe_chars()`, the same characters in the same order, in linear time."""
    from pdfplumber.page import FilteredPage
    from pdfplumber.utils import dedupe_chars

    deduped = FilteredPage(page, lambda _: True)
    deduped._objects = dict(page.objects)
    deduped._objects["char"] = dedupe_chars(_Positions(page.chars))
    return deduped


def _pdf_pages(path: Path) -> list[Page]:
    """Pages of a PDF with each line's font size and weight (pdfplumber reads them) and the
    printed page labels (pypdf). A gap wider than a line between two lines is a blank line,
    as in text files: it ends a block."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        labels = _page_labels(PdfReader(path))
        pages = []
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                lines = styled_lines(_deduped(page).extract_text_lines(return_chars=True))
                label = labels[index] if labels and index < len(labels) else None
                pages.append(Page(index + 1, "\n".join(t for t, _ in lines), label,
                                  tuple(style for _, style in lines)))
    except (FileNotDecryptedError, PDFPasswordIncorrect):
        raise UserError(f"{path.name}: PDF-filen är skyddad med lösenord och kunde inte "
                        "läsas.") from None
    except Exception as error:  # noqa: BLE001 - a hostile PDF may raise anything; skip it
        log.info("could not read PDF %s: %s", path.name, type(error).__name__)  # told below
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
