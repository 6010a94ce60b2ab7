"""Shapes of real documents the layout-agnostic reader met in two more foreign fixtures (a
region–municipality agreement whose sub-agreements restart their numbering, a Word guideline
that lost most of its heading numbers), written here as small texts of our own. Fast: no
model, no index."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.auto import build_auto
from assistant.ingest.clean import Line
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.structure import load_corpus
from assistant.types import Section


def _tree(tmp_path: Path, text: str, name: str = "dokument.txt") -> list[Section]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    _, sections = load_corpus(tmp_path)
    return sections


def _labels(sections: list[Section]) -> list[str]:
    return [f"{s.section} {s.title}" if s.section else s.title for s in sections[1:]]


RESTARTING = """Gemensam överenskommelse om hemsjukvård
mellan region och kommuner

1. Inledning
Överenskommelsen gäller hemsjukvård i hela länet.
2. Parter
Regionen och kommunerna i länet.
3. Uppföljning
Parterna följer upp överenskommelsen vart tredje år.

Samverkan kring
rehabilitering i hemmet

1. Bakgrund
Rehabilitering i hemmet kräver att båda parter deltar.
1.1 Syfte
Insatserna ska samordnas kring patienten.
2. Ansvar
2.1 Regionen åtar sig att
•
utse en fysioterapeut för varje patient
•
svara för hjälpmedel
2.2 Kommunen åtar sig att
•
utföra träningen i vardagen
3. Rutin vid brister
1.
Sjuksköterskan kontaktar den ansvariga fysioterapeuten.
2. Om bristen kvarstår skriver sjuksköterskan en avvikelse.
3. Verksamhetschefen tar ställning inom en vecka.
4. Definitioner
Hemrehabilitering,
## HR
Träning i den egna bostaden efter beslut av legitimerad personal.
Rehabiliteringen regleras i 16 kap 4 § HSL och i 2 kap.
7 § SoL
"""


def test_numbering_restarting_under_a_title_opens_a_new_part(tmp_path):
    sections = _tree(tmp_path, RESTARTING)
    labels = _labels(sections)
    part = next(s for s in sections if s.title == "Samverkan kring rehabilitering i hemmet")
    inside = [s for s in sections if s.parent == part.id]
    assert [f"{s.section} {s.title}" for s in inside] == [
        "1 Bakgrund", "2 Ansvar", "3 Rutin vid brister", "4 Definitioner"]
    assert "1.1 Syfte" in labels and "3 Uppföljning" in labels


def test_a_list_numbered_from_one_is_no_new_part(tmp_path):
    labels = _labels(_tree(tmp_path, RESTARTING))
    assert not any(label.startswith(("1 Sjuksköterskan", "2 Om bristen")) for label in labels)


def test_numbered_heading_that_runs_into_its_bullet_list(tmp_path):
    sections = _tree(tmp_path, RESTARTING)
    regionen = next(s for s in sections if s.section == "2.1")
    assert regionen.title == "Regionen åtar sig att"  # not joined with the lone bullet
    assert "utse en fysioterapeut" in regionen.body
    assert next(s for s in sections if s.section == "2.2").title == "Kommunen åtar sig att"


def test_markup_and_citations_that_continue_the_line_above(tmp_path):
    labels = _labels(_tree(tmp_path, RESTARTING))
    assert "HR" not in labels  # "Hemrehabilitering," / "## HR": one term of a table
    assert not any("§" in label for label in labels)  # "… i 2 kap." / "7 § SoL"


def test_item_of_a_lone_bullet_is_no_heading(tmp_path):
    text = ("Rutin för hembesök\n\nAnsvar\nSjuksköterskan planerar besöken.\n\n"
            "Underlaget ska innehålla\n•\n## Läkemedel\no\naktuell läkemedelslista\n\n"
            "Uppföljning\nRutinen följs upp varje år.\n")
    labels = _labels(_tree(tmp_path, text))
    assert labels == ["Ansvar", "Uppföljning"]


WORD_GUIDELINE = """Riktlinje för hemgång

Bakgrund

Riktlinjen beskriver hur hemgången planeras för den enskilde.

Bestämmelser

Bestämmelserna finns i socialtjänstlagen (4 kapitlet 1 §) och i patientlagen (6 kapitlet

2 §) och gäller alla verksamheter.

Planering

Vid planeringsmötet går deltagarna igenom följande frågor:

Finns det hjälpmedel i hemmet?

Behöver den enskilde hemtjänst?

Vem följer upp planen? När sker det?

Har närstående fått information?

Planeringen dokumenteras i journalen och följs upp efter två veckor av den som är ansvarig.

5.2.1 Samtycke

Den enskilde ska samtycka till planeringen.

5.2.2 Kallelse

Kallelsen skickas senast tre dagar före mötet.

7. Mallar

Mallarna finns på intranätet.

7. Egen plan inom kommunen

En egen plan används när bara kommunens verksamheter deltar.
"""


def test_questions_announced_by_a_colon_are_items_not_headings(tmp_path):
    labels = _labels(_tree(tmp_path, WORD_GUIDELINE))
    assert not any(label.endswith("?") for label in labels)
    assert "Planering" in labels


def test_a_bracket_left_open_is_a_sentence_broken_by_the_conversion(tmp_path):
    labels = _labels(_tree(tmp_path, WORD_GUIDELINE))
    assert not any(label.startswith("Bestämmelserna") for label in labels)


def test_numbering_that_starts_deep_and_goes_on_is_kept(tmp_path):
    labels = _labels(_tree(tmp_path, WORD_GUIDELINE))
    assert "5.2.1 Samtycke" in labels and "5.2.2 Kallelse" in labels


def test_a_number_printed_twice_over_two_headings_keeps_both(tmp_path):
    labels = _labels(_tree(tmp_path, WORD_GUIDELINE))
    assert "7 Mallar" in labels and "7 Egen plan inom kommunen" in labels


def test_a_figure_at_a_line_start_is_still_no_heading(tmp_path):
    text = ("Rapport om hemsjukvård\n\nLäget\nI länet finns\n\n45 Kommuner som deltar\n\n"
            "i samarbetet sedan starten.\n")
    labels = _labels(_tree(tmp_path, text))
    assert not any(label.startswith("45") for label in labels)


def test_title_set_over_several_lines_of_a_cover(tmp_path):
    (tmp_path / "omslag.txt").write_text(
        "Samlad\növerenskommelse om\nvård i hemmet för\nbarn\nMellan region och kommuner\n\n"
        "1. Syfte\nVården ska vara samordnad.\n", encoding="utf-8")
    documents, _ = load_corpus(tmp_path)
    assert documents[0].title == "Samlad överenskommelse om vård i hemmet för barn"


def test_pdf_heading_in_large_type_wrapped_over_four_lines():
    doc = DocumentInfo(id="pdf", file="pdf.pdf", title="Avtal", kind="avtal")

    def body(text: str, page: int = 1) -> Line:
        return Line(text, page, size=10.0)

    def big(text: str, page: int = 2) -> Line:
        return Line(text, page, size=15.0, bold=True)

    lines = [big("1 Ansvar", 1), body("Parterna ansvarar för sina egna insatser i hemmet."),
             big("2 Uppföljning", 1), body("Avtalet följs upp varje år av parterna gemensamt."),
             Line("", 1),
             big("Samverkan mellan kommunens sjuksköterskor och"),
             big("regionens läkare vid vård i"), big("hemmet för patienter med"),
             big("långvariga behov"), Line("", 2),
             body("Texten om samverkan mellan kommunens sjuksköterskor och läkarna.", 2)]
    titles = [s.title for s in build_auto(doc, lines)]
    assert ("Samverkan mellan kommunens sjuksköterskor och regionens läkare vid vård i "
            "hemmet för patienter med långvariga behov") in titles
    assert "långvariga behov" not in titles and "hemmet för patienter med" not in titles
