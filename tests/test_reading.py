"""Fast unit tests (no model) of the general structure reader: numbering styles, tables of
contents, page furniture, validity periods and the layout-agnostic tree."""

from __future__ import annotations

import pytest

from assistant.ingest.auto import build_auto
from assistant.ingest.clean import Line
from assistant.ingest.furniture import furniture_flags, page_number_line
from assistant.ingest.headings import parse_number
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.toc import find_toc
from assistant.ingest.versions import kind_of, validity

DOC = DocumentInfo(id="riktlinje", file="riktlinje.txt", title="Riktlinje", kind="riktlinje")


@pytest.mark.parametrize("text,style,number,title,depth", [
    ("3. Ansvarsfördelning", "decimal", "3", "Ansvarsfördelning", 1),
    ("4.2 Kommunens åtaganden", "decimal", "4.2", "Kommunens åtaganden", 2),
    ("2.3.1 Rutin vid utskrivning", "decimal", "2.3.1", "Rutin vid utskrivning", 3),
    ("A.4 Gemensamma mål", "letter", "A.4", "Gemensamma mål", 1),
    ("C.11 Tolkning", "letter", "C.11", "Tolkning", 1),
    ("§ 7 Betalningsansvar", "paragraph", "§ 7", "Betalningsansvar", 1),
    ("Kapitel 4 Uppföljning", "chapter", "Kapitel 4", "Uppföljning", 1),
    ("Bilaga 2 Blankett", "appendix", "Bilaga 2", "Blankett", 1),
    ("Del B, Särskilda villkor", "part", "B", "Särskilda villkor", 1),
    ("III. Ekonomi", "roman", "III", "Ekonomi", 1),
])
def test_numbering_styles(text, style, number, title, depth):
    parsed = parse_number(text)
    assert (parsed.style, parsed.number, parsed.title, parsed.depth) == (style, number, title,
                                                                         depth)


@pytest.mark.parametrize("text", ["I kommunen finns tre enheter", "1 000 kronor per dygn",
                                  "2024 beslutade nämnden", "Vårdcentralen ansvarar"])
def test_sentences_are_not_numbered_headings(text):
    assert parse_number(text) is None


def test_numbers_compare_within_their_family():
    assert parse_number("1.10 X").key > parse_number("1.9 X").key
    assert parse_number("IX. X").key > parse_number("IV. X").key
    assert parse_number("A.2 X").family != parse_number("B.2 X").family


def lines(*texts: str, page: int = 1) -> list[Line]:
    return [Line(" ".join(t.split()), page) for t in texts]


def test_table_of_contents_is_found_with_its_heading():
    text = lines("Innehåll", "", "1. Bakgrund . . . . . . . 3", "2. Ansvar ........ 4",
                 "2.1 Kommunens ansvar", "och uppdrag ....... 5", "3. Uppföljning 7", "",
                 "1. Bakgrund", "Här börjar texten.")
    taken, entries = find_toc(text)
    assert taken == {0, 2, 3, 4, 5, 6}
    assert [e.title for e in entries] == ["1. Bakgrund", "2. Ansvar",
                                          "2.1 Kommunens ansvar och uppdrag", "3. Uppföljning"]
    assert entries[0].page == 3


def test_a_list_of_numbers_in_text_is_no_table_of_contents():
    taken, _ = find_toc(lines("Kostnaden är 450", "Taxan höjs till 500", "Slutsats"))
    assert taken == set()


@pytest.mark.parametrize("text", ["Sida 3 av 41", "7 (51)", "Page 4 of 87", "Sida | 6",
                                  "- 12 -", "3(5)"])
def test_page_numbers_are_furniture(text):
    assert page_number_line(text)


@pytest.mark.parametrize("text", ["4 Syfte", "21 maj", "2022-03-08", "B.9", "3.1",
                                  "På gång 2023", "2022VFN175 779", "Kostnad 450 kronor"])
def test_other_short_lines_are_not(text):
    assert not page_number_line(text)


def test_running_headers_and_footers_are_found_by_repetition():
    titles = ["Inledning", "Ansvar", "Uppföljning", "Avvikelser"]
    pages = [[f"Riktlinje för samverkan {2024}", f"{n}. {titles[n - 1]}",
              f"Löptext om {titles[n - 1].lower()}.", f"Dnr RS 2024-{n:03d} | Sida {n} av 4"]
             for n in range(1, 5)]
    flags = furniture_flags(pages)
    assert all(page[0] and page[3] for page in flags)
    assert not any(page[1] or page[2] for page in flags)


def test_a_heading_repeated_at_page_top_in_few_pages_is_kept():
    pages = [["Inledning", "Text."] + ["Mer text."] * 8 for _ in range(2)]
    pages += [[f"Rubrik {chr(65 + n)}", "Text."] + ["Mer text."] * 8 for n in range(18)]
    flags = furniture_flags(pages)
    assert not flags[0][0]


@pytest.mark.parametrize("text,period", [
    ("Avtalet gäller från och med 1 januari 2027 till och med 31 december 2030.",
     ("2027-01-01", "2030-12-31")),
    ("Överenskommelsen gäller under perioden 2023-01-01 – 2026-12-31 och kan förlängas.",
     ("2023-01-01", "2026-12-31")),
    ("Riktlinjen gäller 2024–2027.", ("2024-01-01", "2027-12-31")),
    ("Avtalstid: 2025-04-01 till 2028-03-31", ("2025-04-01", "2028-03-31")),
    ("Avtalet gäller från och med 2027-01-01 tills vidare.", ("2027-01-01", None)),
    ("Nämnden sammanträdde 2023-01-01 och 2023-02-01.", (None, None)),
])
def test_validity_period_is_read_from_the_text(text, period):
    assert validity(text) == period


def test_kind_from_title_and_opening():
    assert kind_of("Överenskommelse om samverkan kring hjälpmedel", "") == "överenskommelse"
    assert kind_of("Samverkan kring barn", "Denna riktlinje beskriver …") == "riktlinje"
    assert kind_of("Bilaga", "") == "övrigt"


def test_numbering_restarts_inside_each_agreement():
    text = lines(
        "Överenskommelse om hemsjukvård", "", "1 Inledning", "", "Text om hemsjukvård.", "",
        "2 Ansvar", "", "Kommunen ansvarar.", "",
        "Överenskommelse om rehabilitering", "", "1 Inledning", "", "Text om rehab.", "",
        "2 Ansvar", "", "Regionen ansvarar.", "", "2.1 Hjälpmedel", "", "Text.")
    sections = build_auto(DOC, text)
    found = [(s.level, s.section, s.title, s.agreement) for s in sections[1:]]
    assert found == [
        (2, None, "Överenskommelse om hemsjukvård", "hemsjukvård"),
        (3, "1", "Inledning", "hemsjukvård"), (3, "2", "Ansvar", "hemsjukvård"),
        (2, None, "Överenskommelse om rehabilitering", "rehabilitering"),
        (3, "1", "Inledning", "rehabilitering"), (3, "2", "Ansvar", "rehabilitering"),
        (4, "2.1", "Hjälpmedel", "rehabilitering")]


def test_a_number_going_backwards_is_text_not_a_heading():
    text = lines("1 Syfte", "", "Text.", "", "2 Ansvar", "", "Parterna ska:", "",
                 "1 Informera", "", "3 Uppföljning", "", "Text.")
    numbers = [s.section for s in build_auto(DOC, text) if s.section]
    assert numbers == ["1", "2", "3"]


def test_pdf_headings_from_font_size_and_weight():
    def styled(text, size, bold=False):
        return Line(text, 1, False, size, bold)
    text = [styled("Riktlinje för läkemedel", 20, True), styled("", 0),
            styled("Inledning", 14, True), styled("", 0),
            styled("Riktlinjen gäller alla enheter i kommunen.", 10),
            styled("", 0), styled("Ansvar för ordination", 12, True), styled("", 0),
            styled("Läkaren ordinerar.", 10), styled("", 0), styled("Uppföljning", 14, True),
            styled("", 0), styled("Följs upp varje år.", 10)]
    sections = build_auto(DOC, text)
    titles = [(s.level, s.title) for s in sections[1:]]
    assert ("Inledning" in [t for _, t in titles]) and ("Uppföljning" in [t for _, t in titles])
    levels = {t: level for level, t in titles}
    assert levels["Ansvar för ordination"] == levels["Inledning"] + 1
    assert levels["Uppföljning"] == levels["Inledning"]
    assert all(s.page_start == 1 for s in sections)


def test_pdf_duplicate_characters_are_dropped_as_pdfplumber_does(tmp_path):
    """Overprinted text (fake bold) reads once, exactly as pdfplumber's own dedupe gives it."""
    import pdfplumber
    from fpdf import FPDF

    from assistant.ingest.pages import _deduped

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for y, line in ((20, "Ansvar for hjalpmedel"), (30, "Kommunen ansvarar for rullstolar.")):
        pdf.text(20, y, line)
        pdf.text(20.2, y, line)  # printed twice, a fifth of a point apart
    path = tmp_path / "dubbeltryck.pdf"
    pdf.output(str(path))
    with pdfplumber.open(path) as document:
        page = document.pages[0]
        ours = [line["text"] for line in _deduped(page).extract_text_lines()]
        theirs = [line["text"] for line in page.dedupe_chars().extract_text_lines()]
    assert ours == theirs == ["Ansvar for hjalpmedel", "Kommunen ansvarar for rullstolar."]
