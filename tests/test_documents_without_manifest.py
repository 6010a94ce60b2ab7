"""A file dropped into corpus/ without a manifest entry: title, kind, validity and pages are
read from it; filter choices and agreement keys are derived from the sections present."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.scopes import agreement_key, agreement_keys, scope_choices
from assistant.ingest.structure import load_corpus
from assistant.types import Section

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_text_file_gets_title_kind_and_validity(tmp_path):
    (tmp_path / "ny.txt").write_text(
        "Överenskommelse om samverkan kring hjälpmedel\n\n"
        "Överenskommelsen gäller under perioden 2027-01-01 – 2030-12-31.\n\n"
        "1 Syfte\n\nParterna ska samverka kring hjälpmedel.\n\n"
        "2 Ansvar\n\nKommunen ansvarar för rullatorer.\n", encoding="utf-8")
    documents, sections = load_corpus(tmp_path)
    doc = documents[0]
    assert doc.title == "Överenskommelse om samverkan kring hjälpmedel"
    assert doc.kind == "överenskommelse" and not doc.is_context
    assert (doc.valid_from, doc.valid_to) == ("2027-01-01", "2030-12-31")
    assert [(s.section, s.title) for s in sections[1:]] == [("1", "Syfte"), ("2", "Ansvar")]



def test_markdown_file_title_has_no_heading_marker(tmp_path):
    (tmp_path / "sar.md").write_text(
        "# Rutin för sårvård\n\n## 1 Bedömning\n\nSjuksköterskan bedömer såret.\n\n"
        "## 2 Dokumentation\n\nBedömningen dokumenteras i journalen.\n", encoding="utf-8")
    documents, sections = load_corpus(tmp_path)
    assert documents[0].title == "Rutin för sårvård"
    # The title heading is the document itself, not a section of its own under it.
    assert [(s.section, s.title) for s in sections[1:]] == [("1", "Bedömning"),
                                                            ("2", "Dokumentation")]


def pdf_with(path: Path, outline: bool = False, labels: bool = False) -> Path:
    pdf = FPDF()
    pdf.add_font("dejavu", "", FONT)
    pdf.set_title("Riktlinje för delegering")
    for n, (title, text) in enumerate([("Förord", "Riktlinjen gäller 2025–2028."),
                                       ("Ansvar", "Enhetschefen ansvarar för delegeringen."),
                                       ("Uppföljning", "Delegeringen följs upp varje år.")]):
        pdf.add_page()
        if labels:
            pdf.set_page_label("r" if n == 0 else "D", None, 1 if n < 2 else None)
        if outline:
            pdf.start_section(title)
        pdf.set_font("dejavu", size=11)
        pdf.multi_cell(0, 6, f"{title}\n\n{text}")
    pdf.output(str(path))
    return path


def test_pdf_metadata_title_and_outline_headings(tmp_path):
    pdf_with(tmp_path / "delegering.pdf", outline=True)
    documents, sections = load_corpus(tmp_path)
    assert documents[0].title == "Riktlinje för delegering"
    assert documents[0].kind == "riktlinje"
    assert (documents[0].valid_from, documents[0].valid_to) == ("2025-01-01", "2028-12-31")
    ansvar = next(s for s in sections if s.title == "Ansvar")
    assert ansvar.page_start == 2 and "Enhetschefen" in ansvar.body


def test_printed_page_labels_reach_the_sections(tmp_path):
    pdf_with(tmp_path / "delegering.pdf", outline=True, labels=True)
    _, sections = load_corpus(tmp_path)
    forord = next(s for s in sections if s.title == "Förord")
    ansvar = next(s for s in sections if s.title == "Ansvar")
    assert forord.page_label_at(0) == "i"
    assert ansvar.page_start == 2 and ansvar.page_label_at(0) == "1"


def section(document, part, agreement, title) -> Section:
    return Section(id=f"{document}/{title}", document=document, document_title=document,
                   kind="avtal", part=part, agreement=agreement, section=None, title=title,
                   level=1, path=[title])


def test_scopes_and_keys_come_from_the_sections_present():
    docs = [DocumentInfo(id="avtal-2027", file="a.pdf", title="Avtal 2027", kind="avtal",
                         agreements={"rehab": "Samverkan kring rehabilitering"}),
            DocumentInfo(id="rutin-x", file="r.txt", title="Rutin för läkemedel", kind="rutin"),
            DocumentInfo(id="nyhet", file="n.txt", title="Nyhet", kind="nyhet")]
    sections = [section("avtal-2027", "A", None, "Inledning"),
                section("avtal-2027", "C", "Samverkan kring rehabilitering", "Syfte"),
                section("avtal-2027", "C", "Samverkan om Munhälsa", "Syfte"),
                section("rutin-x", None, None, "Ansvar"), section("nyhet", None, None, "Nytt")]
    keys = agreement_keys(docs, sections)
    assert keys == {"rehab": "Samverkan kring rehabilitering",
                    "samverkan_om_munhalsa": "Samverkan om Munhälsa"}
    values = [value for value, _ in scope_choices(docs, sections)]
    assert values == ["alla", "A", "C", "C:rehab", "C:samverkan_om_munhalsa", "rutin-x"]
    assert agreement_key("Samverkan om Munhälsa") == "samverkan_om_munhalsa"


def test_shipped_question_keys_resolve_through_the_manifest():
    documents, sections = load_corpus(ROOT / "corpus")
    keys = agreement_keys(documents, sections)
    for key in ("lakarmedverkan", "in_utskrivning", "psykisk_missbruk", "munhalsa"):
        assert any(s.agreement == keys[key] for s in sections), key
    values = [value for value, _ in scope_choices(documents, sections)]
    assert values[:4] == ["alla", "A", "B", "C"] and "fardplan" in values
