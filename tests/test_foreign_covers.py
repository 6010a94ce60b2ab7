"""Shapes of real documents the layout-agnostic reader met in two more foreign fixtures (a
region–municipality agreement on the care of the deceased, a municipal delegation routine),
written here as small texts of our own: subheadings flattened into running text without
blank lines, paragraphs ending in a web address, covers whose first line is a diary number
or a block of document data, and a title that is only the document's kind. Fast: no model,
no index."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.structure import load_corpus
from assistant.types import Section


def _read(tmp_path: Path, text: str, name: str = "rutin.txt"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    documents, sections = load_corpus(tmp_path)
    return documents[0], sections


def _labels(sections: list[Section]) -> list[str]:
    return [f"{s.section} {s.title}" if s.section else s.title for s in sections[1:]]


ROUTINE = """Socialförvaltningen
Beslutad av: Socialchef
Beslutsdatum: 2024-03-01
---
Gäller tills vidare
Ersätter: Äldre rutin för nyckelhantering
1/3
# RUTIN
Nyckelhantering
## Syfte
Rutinen beskriver hur nycklar till brukarnas bostäder hanteras i hemtjänsten. Den gäller
alla medarbetare.
## Genomförande
Kvittering av nyckel
Medarbetaren kvitterar nyckeln i nyckelskåpet vid arbetspassets början och lämnar
tillbaka den när passet är slut.
Förlorad nyckel
Den som tappar en nyckel meddelar genast sin chef. Chefen kontaktar brukaren och beställer
ett nytt lås samma dag.
Blanketten för kvittens finns på intranätet under rubriken Nycklar och lås i hemtjänsten,
se Blanketter - Intranät
Tillfälliga nycklar
Vid larm under natten lånar nattpatrullen en tillfällig nyckel av den som har jour och
lämnar tillbaka den efter besöket.
Kontroll av nyckelskåpet i slutet av varje månad
samt vid byte av personal
Enhetschefen går igenom skåpet och jämför med kvittenslistan. Avvikelser dokumenteras
i verksamhetssystemet.
Medarbetaren som hämtar en nyckel ska alltid ha med sig
tjänstelegitimation och visa den för den som lämnar ut nyckeln.
"""


def test_subheadings_flattened_into_running_text_are_sections(tmp_path):
    _, sections = _read(tmp_path, ROUTINE)
    labels = _labels(sections)
    assert ["Kvittering av nyckel", "Förlorad nyckel"] == [
        x for x in labels if x in ("Kvittering av nyckel", "Förlorad nyckel")]
    lost = next(s for s in sections if s.title == "Förlorad nyckel")
    assert lost.body.startswith("Den som tappar en nyckel")


def test_a_subheading_after_a_paragraph_ending_in_a_short_line(tmp_path):
    """"… se Blanketter - Intranät" ends its paragraph without a full stop."""
    _, sections = _read(tmp_path, ROUTINE)
    spare = next(s for s in sections if s.title == "Tillfälliga nycklar")
    assert spare.body.startswith("Vid larm under natten")


def test_short_lines_of_a_flattened_list_are_no_subheadings(tmp_path):
    _, sections = _read(tmp_path, AGREEMENT, "hjalpmedel.txt")
    labels = _labels(sections)
    assert not any(x in labels for x in ("Norra sjukhuset AB", "Södra sjukhuset AB",
                                         "Västra vårdcentralen"))


def test_a_flattened_subheading_wrapped_over_two_lines(tmp_path):
    _, sections = _read(tmp_path, ROUTINE)
    assert ("Kontroll av nyckelskåpet i slutet av varje månad samt vid byte av personal"
            in _labels(sections))


def test_a_sentence_starting_on_a_short_line_is_no_heading(tmp_path):
    """"Medarbetaren som hämtar en nyckel ska alltid ha med sig" goes on in lower case."""
    _, sections = _read(tmp_path, ROUTINE)
    assert not any(label.startswith("Medarbetaren som") for label in _labels(sections))


def test_document_data_above_the_title_is_the_cover_not_sections(tmp_path):
    document, sections = _read(tmp_path, ROUTINE)
    assert document.title == "RUTIN Nyckelhantering"
    assert document.kind == "rutin"
    labels = _labels(sections)
    assert labels[:2] == ["Syfte", "Genomförande"]
    assert not any(x in labels for x in ("Gäller tills vidare", "RUTIN", "Nyckelhantering"))


AGREEMENT = """# ABC/21/0042

1(3)

Överenskommelse om
hjälpmedel i hemmet mellan
regionen och
kommunerna i länet
2021-05-04

1. Ansvar
Kommunen ansvarar för hjälpmedel till personer i särskilt boende.

Beställning görs i regionens system, se bilaga 2.
www.example.se/hjalpmedel/bestallning/

Kvittens, se bilaga 4 i ”Handbok för hjälpmedel”
www.example.se/hjalpmedel/

2. Kostnad
Regionen fakturerar kommunen varje kvartal enligt prislistan för de sjukhus som lånar ut
Norra sjukhuset AB
Södra sjukhuset AB
Västra vårdcentralen
- Avgift per hjälpmedel och månad: 120 kronor exkl. moms

Begrepp
Definition
Förskrivare
(Egen definition)
Den som ordinerar ett hjälpmedel.
"""


def test_a_paragraph_ending_in_a_web_address_is_no_heading(tmp_path):
    _, sections = _read(tmp_path, AGREEMENT, "hjalpmedel.txt")
    labels = _labels(sections)
    assert not any("www." in label or label.startswith(("Beställning", "Kvittens"))
                   for label in labels)
    ansvar = next(s for s in sections if s.section == "1")
    assert "www.example.se/hjalpmedel/" in ansvar.body


def test_a_diary_number_above_the_title_is_no_title(tmp_path):
    document, sections = _read(tmp_path, AGREEMENT, "hjalpmedel.txt")
    assert document.title == ("Överenskommelse om hjälpmedel i hemmet mellan regionen och "
                              "kommunerna i länet")
    assert not any("ABC/21/0042" in label for label in _labels(sections))


def test_a_term_of_a_flattened_table_is_no_subheading(tmp_path):
    _, sections = _read(tmp_path, AGREEMENT, "hjalpmedel.txt")
    assert not any(label.startswith("Förskrivare") for label in _labels(sections))


def test_a_title_cut_before_a_blank_to_fill_in_ends_before_it(tmp_path):
    text = ("Lokal överenskommelse om läkarinsatser mellan\nVårdcentralen i Norrby och ______\n"
            "Sida 1 (4)\n\n1. Parter\nVårdcentralen och kommunen.\n")
    document, _ = _read(tmp_path, text, "lokal.txt")
    assert document.title == "Lokal överenskommelse om läkarinsatser mellan Vårdcentralen i Norrby"


def _pdf_lines() -> list:
    """A small PDF's lines: a table of contents, then headings in 12.5 pt bold over 10 pt
    body text, two of them set over two lines as a publisher breaks long headings."""
    from assistant.ingest.clean import Line

    def body(text: str, page: int) -> Line:
        return Line(text, page, size=10.0)

    def head(text: str, page: int) -> Line:
        return Line(text, page, size=12.5, bold=True)

    toc = ["Innehåll", "1 Boende ........................................ 2",
           "1.1 Korttidsboende .................................. 2",
           "1.2 Korttidsboende för barn med funktionsnedsättning ....... 2",
           "2 Avgifter ...................................... 3",
           "2.1 Ingen avgift tas ut om inget annat sägs i beslutet ....... 3"]
    return ([body(x, 1) for x in toc] + [
        head("1 Boende", 2), body("Kommunen erbjuder boende efter beslut om bistånd.", 2),
        head("1.1 Korttidsboende", 2), body("Korttidsboende beviljas för en begränsad tid.", 2),
        head("1.2 Korttidsboende", 2), head("för barn med funktionsnedsättning", 2),
        body("Barnet bor på korttidsboendet under planerade vistelser.", 2),
        head("2 Avgifter", 3), body("Avgifterna beslutas av kommunfullmäktige varje år.", 3),
        head("2.1 Ingen avgift tas ut om inget", 3), head("annat sägs i beslutet", 3),
        body("Den enskilde betalar då ingenting för insatsen.", 3)])


def test_a_listed_heading_set_over_two_lines_in_a_pdf_is_one_heading():
    from assistant.ingest.auto import build_auto
    from assistant.ingest.manifest import DocumentInfo

    doc = DocumentInfo(id="boende", file="boende.pdf", title="Riktlinje för boende",
                       kind="riktlinje", origin="text")
    labels = [f"{s.section} {s.title}" for s in build_auto(doc, _pdf_lines())[1:]]
    assert "1.2 Korttidsboende för barn med funktionsnedsättning" in labels
    assert "2.1 Ingen avgift tas ut om inget annat sägs i beslutet" in labels
    assert not any(label.startswith(("None för barn", "None annat")) for label in labels)


def test_a_diary_number_in_the_largest_type_of_a_pdf_cover_is_no_title():
    from assistant.ingest.clean import Line
    from assistant.ingest.versions import title_from_lines

    cover = [Line("ABC/21/0042", 1, size=20.0, bold=True),
             Line("Överenskommelse om hjälpmedel i hemmet", 1, size=16.0, bold=True),
             Line("2021-05-04", 1, size=10.0), Line("1 Ansvar", 2, size=13.0, bold=True)]
    assert title_from_lines(cover) == "Överenskommelse om hjälpmedel i hemmet"


def test_a_fill_in_blank_on_a_pdf_cover_leaves_the_title():
    from assistant.ingest.clean import Line
    from assistant.ingest.versions import complete_title, title_from_lines

    cover = [Line("Lokal överenskommelse om läkarinsatser mellan", 1, size=18.0, bold=True),
             Line("Vårdcentralen i Norrby och ______________", 1, size=18.0, bold=True),
             Line("1 Parter", 2, size=13.0, bold=True)]
    assert complete_title(title_from_lines(cover), cover) == (
        "Lokal överenskommelse om läkarinsatser mellan Vårdcentralen i Norrby")


def test_a_metadata_title_that_names_nothing_is_not_used():
    from assistant.ingest.versions import plausible_title

    assert not plausible_title("A V T A L")
    assert not plausible_title("Microsoft Word - Samverkansavtal_slutversion.docx")
    assert not plausible_title("VGR/2026:0113")
    assert plausible_title("Samverkansavtal om hälso- och sjukvård 2027")


def test_an_agreement_heading_inside_an_agreement_opens_no_new_one():
    """"Överenskommelse om kostnadsansvar" set in the top heading type inside "Del C,
    Överenskommelse …" is a heading of that agreement: agreements do not nest."""
    from assistant.ingest.auto import build_auto
    from assistant.ingest.clean import Line
    from assistant.ingest.manifest import DocumentInfo

    def body(text: str) -> Line:
        return Line(text, 2, size=10.0)

    def part(text: str) -> Line:
        return Line(text, 2, size=17.0, bold=True)

    def top(text: str) -> Line:
        return Line(text, 2, size=15.0, bold=True)

    def sub(text: str) -> Line:
        return Line(text, 2, size=12.5, bold=True)

    lines = [part("Del B, Avtalet"), top("Gemensamt ansvar"),
             body("Parterna ansvarar gemensamt för vården i hemmet och samverkar kring den."),
             part("Del C, Överenskommelse Samverkan kring rehabilitering"),
             sub("1 Syfte"), body("Rehabiliteringen ska vara samordnad för den enskilde."),
             top("Överenskommelse om kostnadsansvar"),
             body("Varje huvudman bär kostnaderna för sina egna insatser i hemmet."),
             sub("2 Uppföljning"), body("Överenskommelsen följs upp varje år av parterna.")]
    doc = DocumentInfo(id="avtal", file="avtal.pdf", title="Samverkansavtal", kind="avtal",
                       origin="text")
    sections = build_auto(doc, lines)
    in_c = [s for s in sections if s.part == "C"]
    assert {s.agreement for s in in_c} == {"Samverkan kring rehabilitering"}
    assert "Överenskommelse om kostnadsansvar" in [s.title for s in in_c]


def test_a_pdf_cover_set_in_the_body_type_is_read_as_text():
    """No line stands out by size: the first line that may be a title is the title, not the
    first four lines of the cover run together."""
    from assistant.ingest.clean import Line
    from assistant.ingest.versions import title_from_lines

    cover = [Line("S A M V E R K A N", 1, size=20.0, bold=True),
             Line("Samverkansavtal om hälso- och sjukvård", 1, size=10.0),
             Line("Huvudavtal med bilagor om läkarinsatser och hjälpmedel.", 1, size=10.0),
             Line("Reglerar ansvaret mellan länets kommuner och regionen.", 1, size=10.0),
             Line("1 Syfte", 2, size=13.0, bold=True),
             Line("Avtalet beskriver hur kommunerna och regionen delar ansvaret för vården.", 2,
                  size=10.0)]
    assert title_from_lines(cover) == "Samverkansavtal om hälso- och sjukvård"
