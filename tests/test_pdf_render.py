"""The shipped agreement, rendered here into a PDF with other typography, read back through
the normal corpus loader without a manifest entry, gives the same sections with pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF

from assistant.ingest.structure import load_corpus

ROOT = Path(__file__).resolve().parent.parent
FONTS = Path("/usr/share/fonts/truetype/dejavu")
# Heading size per level (points); body text is set in 10 pt regular.
HEADING_SIZE = {1: 18, 2: 15, 3: 13, 4: 12}
BODY_SIZE = 10

pytestmark = [pytest.mark.slow,  # renders and reads back some 60 pages (a minute on 2 cores)
              pytest.mark.skipif(not (FONTS / "DejaVuSans.ttf").exists(),
                                 reason="needs the DejaVu fonts (fonts-dejavu-core)")]


def label(section) -> str:
    return f"{section.section} {section.title}" if section.section else section.title


class Render(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("dejavu", size=8)
        self.cell(0, 8, f"Sida {self.page_no()} av {{nb}}", align="C")


def render(sections, path: Path, toc_pages: dict[str, int] | None = None) -> dict[str, int]:
    """Title page, table of contents (dotted leaders, page numbers), then one heading font per
    level and a new page per top-level heading. Returns each heading's page."""
    pdf = Render()
    pdf.alias_nb_pages()
    pdf.set_title(sections[0].document_title)
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("dejavu", "B", 22)
    pdf.multi_cell(0, 11, sections[0].document_title)
    pdf.add_page()
    pdf.set_font("dejavu", "B", 16)
    pdf.cell(0, 10, "Innehåll", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("dejavu", "", 9)
    for section in sections:
        if section.level <= 2:
            text = label(section)[:70]
            page = (toc_pages or {}).get(section.id, 0)
            pdf.cell(0, 5, f"{text} {'.' * 12} {page}", new_x="LMARGIN", new_y="NEXT")
    pages: dict[str, int] = {}
    for section in sections:
        if section.level == 1 or pdf.page_no() <= 2:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("dejavu", "B", HEADING_SIZE[min(section.level, 4)])
        pages[section.id] = pdf.page_no()
        pdf.multi_cell(0, 8, label(section), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("dejavu", "", BODY_SIZE)
        for paragraph in section.body.split("\n"):
            if paragraph.strip():
                pdf.multi_cell(0, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    pdf.output(str(path))
    return pages


@pytest.fixture(scope="module")
def shipped():
    _, sections = load_corpus(ROOT / "corpus")
    return [s for s in sections if s.document == "hos-avtal-2023"]


@pytest.fixture(scope="module")
def read_back(shipped, tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "halso-och-sjukvardsavtal.pdf"
    render(shipped, path, render(shipped, path))
    documents, sections = load_corpus(folder)
    return documents, sections


def key(number, title) -> tuple:
    return (number, re.sub(r"\s+", " ", title).strip().casefold())


def test_same_sections_numbers_and_titles(shipped, read_back):
    _, sections = read_back
    expected = [key(s.section, s.title) for s in shipped]
    found = {key(s.section, s.title) for s in sections}
    missing = [k for k in expected if k not in found]
    assert len(missing) <= 0.05 * len(expected), missing


def test_few_spurious_sections(shipped, read_back):
    _, sections = read_back
    expected = {key(s.section, s.title) for s in shipped}
    spurious = [s.title for s in sections[1:] if key(s.section, s.title) not in expected]
    assert len(spurious) <= 0.05 * len(shipped), spurious


def test_every_section_has_a_page_and_the_right_one(shipped, read_back):
    _, sections = read_back
    assert all(s.page_start is not None for s in sections)
    b9 = next(s for s in sections if s.section == "B.9")
    assert b9.part == "B" and b9.page_start > 2


def test_parts_and_agreements_are_read_from_headings(shipped, read_back):
    _, sections = read_back
    assert {s.agreement for s in shipped if s.agreement} == \
        {s.agreement for s in sections if s.agreement}
    numbered = {(s.part, s.agreement, s.section) for s in shipped if s.section}
    found = {(s.part, s.agreement, s.section) for s in sections if s.section}
    assert len(numbered - found) <= 0.05 * len(numbered), numbered - found


def test_table_of_contents_and_footers_are_not_text(read_back):
    _, sections = read_back
    for section in sections:
        assert not re.search(r"\.{6,}", section.body), section.title
        assert "Sida " not in section.body or " av " not in section.body
        assert section.title != "Innehåll"
