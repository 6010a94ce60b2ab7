"""Loading files: PDF pages (generated here), text page markers, cleaning, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from assistant.errors import UserError
from assistant.ingest.clean import Line, join_broken, paragraphs
from assistant.ingest.manifest import load_manifest
from assistant.ingest.pages import read_pages, split_marked_pages
from assistant.ingest.structure import build_sections

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    if Path(FONT).exists():
        pdf.add_font("dejavu", "", FONT)
        pdf.set_font("dejavu", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def test_pdf_pages_are_one_based(tmp_path):
    pdf = make_pdf(tmp_path / "riktlinje.pdf", [
        "1 Inledning\nDen här riktlinjen gäller för alla enheter.",
        "2 Ansvar\nKommunen ansvarar för att rutinen följs.",
        "3 Uppföljning\nRutinen följs upp varje år av parterna.",
    ])
    pages = read_pages(pdf)
    assert [p.number for p in pages] == [1, 2, 3]
    assert "Kommunen ansvarar" in pages[1].text


def test_pdf_sections_carry_their_page(tmp_path):
    pdf = make_pdf(tmp_path / "riktlinje.pdf", [
        "1 Inledning\n\nDen här riktlinjen gäller för alla enheter.",
        "2 Ansvar\n\nKommunen ansvarar för att rutinen följs.",
    ])
    doc = load_manifest(tmp_path)[0]
    from assistant.ingest.clean import page_lines

    sections = build_sections(doc, page_lines(read_pages(pdf)))
    ansvar = next(s for s in sections if s.section == "2")
    assert ansvar.title == "Ansvar"
    assert ansvar.page_start == 2
    assert "Kommunen ansvarar" in ansvar.body


def test_broken_pdf_gets_a_swedish_message(tmp_path):
    bad = tmp_path / "trasig.pdf"
    bad.write_bytes(b"%PDF-1.4\n this is not really a pdf")
    with pytest.raises(UserError, match="PDF"):
        read_pages(bad)


def test_binary_text_file_is_refused(tmp_path):
    bad = tmp_path / "bild.txt"
    bad.write_bytes(b"\x89PNG\x00\x00\x00binary")
    with pytest.raises(UserError, match="binär"):
        read_pages(bad)


def test_page_markers_number_pages_only_when_certain():
    text = "a\nPage 4 of 9\nb\nPage 6 of 9\nc\nPage 7 of 9\nd"
    pages = split_marked_pages(text)
    assert [(p.number, p.text.strip()) for p in pages] == [
        (None, "a"), (None, "b"), (7, "c"), (None, "d")]


@pytest.mark.parametrize("left,right,joined", [
    ("identifiera samsjuk-", "lighet hos", "identifiera samsjuklighet hos"),
    ("för Hälso-", "och sjukvårdsavtalet", "för Hälso- och sjukvårdsavtalet"),
    ("intyg om N-", "tandvård", "intyg om N-tandvård"),
    ("inom e-", "hälsoområdet", "inom e-hälsoområdet"),
    ("ett samhälls-", "/invånarperspektiv", "ett samhälls-/invånarperspektiv"),
    ("Sverige utan", "nödvändiga tillstånd", "Sverige utan nödvändiga tillstånd"),
])
def test_words_split_by_line_breaks_are_rejoined(left, right, joined):
    assert join_broken(left, right) == joined


def test_sentence_broken_by_blank_line_is_one_paragraph():
    lines = [Line("• Slutenvården ska ha meddelat att patienten är utskrivningsklar enligt", 1),
             Line("", 1), Line("riktlinjen.", 1), Line("• Nästa punkt.", 1)]
    assert [p for p, _ in paragraphs(lines)] == [
        "• Slutenvården ska ha meddelat att patienten är utskrivningsklar enligt riktlinjen.",
        "• Nästa punkt."]
