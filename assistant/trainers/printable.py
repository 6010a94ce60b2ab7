"""One printable document model rendered four ways: Markdown, HTML, PDF and Word.

Handouts, collections and quizzes are all a title, a few lines about the source and a list of
blocks (headings, paragraphs, list items, quotes). The HTML is the print view: A4, page
numbers in the footer, no app chrome; the PDF is WeasyPrint's rendering of that same HTML;
the Word file is built with python-docx from the same blocks.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import UserError

FORMATS = ("md", "html", "pdf", "docx")
BINARY_FORMATS = ("pdf", "docx")


@dataclass(frozen=True)
class Block:
    """kind: "heading" (with level 2–4), "text", "item" (a list item) or "quote"; `note` is
    shown after a heading or under a quote (a page range, a source label)."""

    kind: str
    text: str
    level: int = 2
    note: str | None = None


@dataclass
class Printable:
    title: str
    about: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    footer: str = "Avtalsassistenten"


def to_markdown(doc: Printable) -> str:
    lines = [f"# {doc.title}", ""]
    lines += [f"*{line}*  " for line in doc.about]
    for block in doc.blocks:
        if block.kind == "heading":
            note = f" ({block.note})" if block.note else ""
            lines += ["", f"{'#' * block.level} {block.text}{note}", ""]
        elif block.kind == "item":
            lines.append(f"- {block.text}")
        elif block.kind == "image":
            lines += ["", f"![{block.note or ''}]({block.text})"]
        elif block.kind == "quote":
            lines += ["", f"> {block.text}"]
            if block.note:
                lines.append(f">\n> — {block.note}")
            lines.append("")
        else:
            lines += ["", block.text]
    lines += ["", "---", doc.footer, ""]
    return "\n".join(_squeeze(lines))


def _squeeze(lines: list[str]) -> list[str]:
    """No two blank lines in a row."""
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


PRINT_CSS = """
@page {
  size: A4;
  margin: 22mm 20mm 24mm 20mm;
  @bottom-center { content: "Sida " counter(page) " av " counter(pages);
                   font: 9pt "DejaVu Sans", sans-serif; color: #444; }
  @top-center { content: string(doctitle); font: 8pt "DejaVu Sans", sans-serif; color: #666; }
}
html { font: 10.5pt/1.45 "DejaVu Serif", Georgia, serif; color: #111; }
body { margin: 0 auto; max-width: 170mm; }
header { border-bottom: 1.5pt solid #1b4f72; margin-bottom: 10mm; padding-bottom: 3mm; }
h1 { font: bold 17pt/1.25 "DejaVu Sans", sans-serif; margin: 0 0 3mm; color: #1b4f72;
     string-set: doctitle content(); }
h2, h3, h4 { font-family: "DejaVu Sans", sans-serif; break-after: avoid; color: #1b4f72; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 1.5mm; }
h4 { font-size: 10.5pt; margin: 4mm 0 1mm; }
.page { font-weight: normal; font-size: 9pt; color: #555; margin-left: 2mm; }
p { margin: 0 0 2mm; orphans: 3; widows: 3; }
.about { margin: 0; font-size: 9.5pt; color: #333; }
ul { margin: 0 0 2mm 6mm; padding: 0; }
blockquote { margin: 1mm 0 4mm; padding: 1.5mm 4mm; border-left: 2.5pt solid #1b4f72;
             background: #f3f6f9; break-inside: avoid; }
blockquote .source { display: block; font-size: 9pt; color: #444; margin-top: 1mm; }
.footer { margin-top: 8mm; font-size: 8.5pt; color: #555; }
img { max-width: 100%; }
@media screen { body { padding: 12mm; } }
"""


def to_html(doc: Printable, extra_head: str = "") -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="sv"><head><meta charset="utf-8">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{PRINT_CSS}</style>{extra_head}</head><body>",
        f"<header><h1>{e(doc.title)}</h1>",
        *(f'<p class="about">{e(line)}</p>' for line in doc.about),
        "</header><main>",
    ]
    in_list = False
    for block in doc.blocks:
        if block.kind == "item" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif block.kind != "item" and in_list:
            parts.append("</ul>")
            in_list = False
        parts.append(_block_html(block))
    if in_list:
        parts.append("</ul>")
    parts.append(f'</main><p class="footer">{e(doc.footer)}</p></body></html>')
    return "\n".join(parts)


def _block_html(block: Block) -> str:
    e = html.escape
    if block.kind == "heading":
        note = f'<span class="page">{e(block.note)}</span>' if block.note else ""
        return f"<h{block.level}>{e(block.text)}{note}</h{block.level}>"
    if block.kind == "item":
        return f"<li>{e(block.text)}</li>"
    if block.kind == "quote":
        source = f'<span class="source">— {e(block.note)}</span>' if block.note else ""
        return f"<blockquote>{e(block.text)}{source}</blockquote>"
    if block.kind == "image":
        return f'<p><img src="{e(block.text)}" alt="{e(block.note or "")}"></p>'
    return f"<p>{e(block.text)}</p>"


def to_pdf(doc: Printable) -> bytes:
    """WeasyPrint's rendering of the print HTML (system fonts only, nothing fetched)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: pango missing
        raise UserError(
            "PDF kräver WeasyPrint och Pango (installeras av scripts/setup.sh): " f"{error}"
        ) from error
    return HTML(string=to_html(doc), url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args, **kwargs):
    """Handouts are self-contained: refuse any fetch (no foreign hosts, no local files)."""
    raise ValueError(f"extern resurs nekad: {url}")


def to_docx(doc: Printable) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    word = Document()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(22), Mm(24)
    word.styles["Normal"].font.size = Pt(10.5)
    word.core_properties.title = doc.title
    word.core_properties.language = "sv-SE"
    word.add_heading(doc.title, level=0)
    for line in doc.about:
        word.add_paragraph(line).runs[0].italic = True
    for block in doc.blocks:
        if block.kind == "heading":
            text = f"{block.text} ({block.note})" if block.note else block.text
            word.add_heading(text, level=min(block.level - 1, 3))
        elif block.kind == "item":
            word.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "quote":
            word.add_paragraph(block.text, style="Quote")
            if block.note:
                word.add_paragraph(f"— {block.note}")
        elif block.kind != "image":
            word.add_paragraph(block.text)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{doc.footer} · Sida ")
    _field(footer, "PAGE")
    footer.add_run(" av ")
    _field(footer, "NUMPAGES")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def render(doc: Printable, fmt: str) -> str | bytes:
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "html":
        return to_html(doc)
    if fmt == "pdf":
        return to_pdf(doc)
    if fmt == "docx":
        return to_docx(doc)
    raise UserError(f"okänt format ”{fmt}” (tillåtna: {', '.join(FORMATS)}).")


def write(content: str | bytes, out: Path | None, stdout) -> Path | None:
    """Write to `out`, or text to `stdout` when no file is given; returns the file written."""
    if out is None:
        if isinstance(content, bytes):
            raise UserError("PDF och Word skrivs till en fil: ange --out FIL.")
        stdout.write(content)
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        out.write_bytes(content)
    else:
        out.write_text(content, encoding="utf-8")
    return out
