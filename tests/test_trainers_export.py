"""Handouts: what a trainer names is found, and PDF/Word files hold the text and pages."""

from __future__ import annotations

import dataclasses
import io

import pytest

from assistant.cli import main
from assistant.config import settings
from assistant.errors import UserError
from assistant.ingest.clean import collapse
from assistant.ingest.manifest import DocumentInfo
from assistant.trainers import printable
from assistant.trainers.export import handout
from assistant.trainers.source import Library, load_library, page_range, select
from assistant.types import Section


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(settings())


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> tuple[str, str]:
    """(body text, footer XML) of a Word file."""
    from docx import Document

    word = Document(io.BytesIO(data))
    body = "\n".join(p.text for p in word.paragraphs)
    footer = word.sections[0].footer._element.xml
    return body, footer


def _words(text: str) -> str:
    return collapse(text.replace("\u00ad", ""))


def test_selection_by_number_part_agreement_document_and_title(library):
    b11 = select(library, "B.11")
    assert [s.section for s in b11.sections] == ["B.11"]
    assert b11.name.startswith("Del B, B.11")
    part = select(library, "del b")
    assert part.sections and {s.part for s in part.sections} == {"B"}
    assert [s.section for s in part.sections if s.section][:2] == ["B.1", "B.2"]
    munhalsa = select(library, "munhalsa")
    assert munhalsa.sections and all("Munhälsa" in s.agreement for s in munhalsa.sections)
    assert select(library, munhalsa.sections[0].agreement).sections == munhalsa.sections
    assert select(library, "C:munhalsa").sections == munhalsa.sections
    document = library.documents[0]
    assert {s.document for s in select(library, document.id).sections} == {document.id}
    assert select(library, "Avtalstid").sections[0].part == "A"


def test_a_number_printed_in_several_agreements_asks_which(library):
    with pytest.raises(UserError, match="flera ställen"):
        select(library, "5.1")
    narrowed = select(library, "munhalsa 5.1")
    assert narrowed.sections[0].section == "5.1"
    assert "Munhälsa" in narrowed.sections[0].agreement
    with pytest.raises(UserError, match="hittar inget"):
        select(library, "B.99")


def test_b11_handout_as_pdf_and_word_holds_its_text_and_page_numbers(library):
    selection = select(library, "B.11")
    section = selection.sections[0]
    document = handout(library, selection)
    pdf = _words(_pdf_text(printable.to_pdf(document)))
    body, footer = _docx_text(printable.to_docx(document))
    doc = library.document(section.document)
    for text in (pdf, _words(body)):
        assert "B.11 Personligt förskrivna hjälpmedel" in text
        assert doc.title in text and doc.valid_from in text and doc.valid_to in text
        for line in section.body.split("\n"):
            assert _words(line) in text
        if page_range([section]):  # source pages where the text pins them
            assert page_range([section]) in text
    assert "Sida 1 av 1" in pdf  # the handout's own page numbers
    assert 'instr="PAGE"' in footer or "PAGE" in footer


def test_source_pages_are_printed_where_known(tmp_path):
    """A section whose pages are known (a PDF source) shows them in every format."""
    doc = DocumentInfo(id="testavtal", file="t.pdf", title="Testavtalet", kind="avtal",
                       date="2025-05-01", valid_from="2025-06-01", valid_to="2027-05-31")
    body = "Första stycket står på sidan sju.\nAndra stycket fortsätter på sidan åtta."
    section = Section(id="testavtal/x", document="testavtal", document_title="Testavtalet",
                      kind="avtal", part=None, agreement=None, section="4.2",
                      title="Ansvar för bärbara apparater", level=1, path=["4.2"], body=body,
                      spans=[(0, 7), (body.index("Andra"), 8)])
    library = Library([doc], [section])
    document = handout(library, select(library, "4.2"))
    assert "(s. 7–8)" in printable.to_markdown(document)
    assert "s. 7–8" in _words(_pdf_text(printable.to_pdf(document)))
    assert "s. 7–8" in _docx_text(printable.to_docx(document))[0]
    assert "Version: 2025-05-01" in printable.to_html(document)


def test_print_html_is_a4_with_page_numbers_and_no_app_chrome(library):
    html = printable.to_html(handout(library, select(library, "B")))
    assert "size: A4" in html and "counter(page)" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]
    assert html.count("<h2>") + html.count("<h3>") >= 15  # every section of Del B


def test_export_command_writes_pdf_and_markdown(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AVTAL_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "b11.pdf"
    assert main(["export", "B.11", "--format", "pdf", "--out", str(out)]) == 0
    assert "Personligt förskrivna hjälpmedel" in _pdf_text(out.read_bytes())
    assert main(["export", "Avtalstid"]) == 0
    assert "## Avtalstid" in capsys.readouterr().out
    assert main(["export", "Inget sådant avsnitt"]) == 2
    assert "hittar inget" in capsys.readouterr().err


def test_library_lookups_follow_the_section_tree(library):
    """The library's lookups agree with its section list (used by every trainer tool)."""
    copy = Library(library.documents, [dataclasses.replace(s) for s in library.sections])
    assert set(copy.by_id) == {s.id for s in library.sections}
    parent = next(s for s in copy.sections if copy.children.get(s.id))
    assert copy.subtree(parent.id)[0].id == parent.id and len(copy.subtree(parent.id)) > 1


def test_a_pdf_source_gives_its_pages_to_the_handout_and_the_quiz(tmp_path, capsys,
                                                                    monkeypatch):
    """A PDF dropped into the corpus: handouts and quiz quotes carry its physical pages."""
    from fpdf import FPDF

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf = FPDF()
    pdf.add_font("dejavu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("dejavu", size=11)
    for text in ("1 Inledning\n\nDenna rutin gäller för alla enheter i kommunen och regionen.",
                 "2 Ansvar för larm\n\nKommunen ansvarar för att trygghetslarmen fungerar "
                 "dygnet runt.",
                 "3 Uppföljning\n\nRutinen följs upp senast 30 dagar efter att den har "
                 "börjat gälla."):
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(corpus / "larmrutin.pdf"))
    monkeypatch.setenv("AVTAL_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("AVTAL_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("AVTAL_DATA_DIR", str(tmp_path / "data"))
    library = load_library(settings())
    ansvar = select(library, "2").sections[0]
    assert ansvar.title == "Ansvar för larm" and ansvar.page_start == 2
    out = tmp_path / "ansvar.pdf"
    assert main(["export", "2", "--format", "pdf", "--out", str(out)]) == 0
    text = _words(_pdf_text(out.read_bytes()))
    assert "2 Ansvar för larm (s. 2)" in text or "2 Ansvar för larm s. 2" in text
    assert "Kommunen ansvarar för att trygghetslarmen fungerar dygnet runt." in text
    from assistant.trainers.quiz import make_quiz

    items = make_quiz(library, "larmrutin", count=5, seed=1)
    duty = next(item for item in items if item.kind == "ansvar")
    assert duty.answer == "Kommunen" and duty.citation.page == 2
    for item in items:
        section = library.by_id[item.citation.section_id]
        assert item.citation.page == section.page_start
