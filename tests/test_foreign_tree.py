"""The layout-agnostic reader on shapes the shipped packet's text has without its manifest
entry, and that other agreements share: an överenskommelse's name wrapped onto the next lines,
the same outline ("Syfte", "Uppföljning") in every part, chapters implied by "3.1"-style
numbers, a part's cover page, its title as a running header. Fast: no model, no index."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.auto import Candidate, inside_numbered_chapters
from assistant.ingest.headings import parse_number
from assistant.ingest.structure import load_corpus
from assistant.types import Section

AGREEMENT = """Samverkansavtal om vård i hemmet

Del A, Gemensamma utgångspunkter

Syfte
Avtalet beskriver hur parterna delar ansvaret för vården i hemmet.

Uppföljning
Parterna följer upp avtalet vartannat år i den gemensamma ledningsgruppen.

 Samverkan kring rehabilitering i hemmet
Bilaga till samverkansavtalet

Upprättad mellan kommunerna och regionen om rehabilitering i hemmet.
Del C, Överenskommelse
Samverkan kring rehabilitering
i hemmet
Denna överenskommelse är en bilaga till avtalet och omfattar rehabilitering i hemmet.
Del A och Del B tillsammans med del C utgör avtalet i sin helhet.

Syfte
Överenskommelsen ska göra rehabiliteringen i hemmet sammanhållen för patienten.

Ansvar
Båda parter ansvarar för sina egna insatser enligt följande avsnitt.

3.1 Regionens insatser
Regionen ansvarar för specialiserad rehabilitering och för hjälpmedelsförskrivning.

3.2 Kommunens insatser
Kommunen ansvarar för rehabilitering i vardagen och för träning i hemmet.

Samordning
Parterna utser var sin kontaktperson för samordning av insatserna.

4.1 Gemensam planering
Planeringen sker i en samordnad individuell plan när patienten behöver det.

Regionens ansvar

• Kallar till planeringsmöte inom tre dagar.

4.2 Avvikelser
Avvikelser rapporteras till den part som har ansvaret.

Regionens ansvar

• Utreder avvikelsen inom en månad.

Del C, Överenskommelse Samverkan kring rehabilitering i hemmet
Kommunen svarar för att personalen har kunskap om träning i hemmet.

Uppföljning
Överenskommelsen följs upp varje år av ledningsgruppen.
"""


def _tree(tmp_path: Path, text: str, name: str = "samverkansavtal.txt") -> list[Section]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    _, sections = load_corpus(tmp_path)
    return sections


def _find(sections: list[Section], title: str, part: str | None = None) -> list[Section]:
    return [s for s in sections if s.title == title and (part is None or s.part == part)]


def test_agreement_name_on_the_lines_after_its_part_heading(tmp_path):
    sections = _tree(tmp_path, AGREEMENT)
    parts = [s for s in sections if s.part == "C" and s.title.startswith("Del C")]
    assert len(parts) == 1  # the title repeated further down is a running header
    assert parts[0].agreement == "Samverkan kring rehabilitering i hemmet"
    inside = [s for s in sections if s.part == "C" and s is not parts[0]]
    assert inside and all(s.agreement == parts[0].agreement for s in inside)


def test_part_opens_at_its_cover_heading(tmp_path):
    sections = _tree(tmp_path, AGREEMENT)
    part_a = _find(sections, "Uppföljning", "A")[0]
    assert "Upprättad mellan" not in part_a.body
    part_c = next(s for s in sections if s.title.startswith("Del C"))
    assert "Upprättad mellan kommunerna" in part_c.body


def test_same_outline_in_every_part(tmp_path):
    sections = _tree(tmp_path, AGREEMENT)
    assert len(_find(sections, "Syfte", "A")) == 1
    assert len(_find(sections, "Syfte", "C")) == 1
    assert len(_find(sections, "Uppföljning", "C")) == 1
    # a subheading printed under two numbered sections is a heading under each
    assert [s.parent for s in _find(sections, "Regionens ansvar")] == [
        _find(sections, "Gemensam planering")[0].id, _find(sections, "Avvikelser")[0].id]


def test_sentence_naming_parts_is_no_part(tmp_path):
    sections = _tree(tmp_path, AGREEMENT)
    assert not [s for s in sections if s.title.startswith("Del A och")]
    assert parse_number("Del A och Del B tillsammans utgör avtalet") is None
    assert parse_number("Del A, Gemensamma utgångspunkter").number == "A"


def test_unnumbered_headings_are_the_chapters_the_numbers_imply(tmp_path):
    sections = _tree(tmp_path, AGREEMENT)
    ansvar, samordning = _find(sections, "Ansvar", "C")[0], _find(sections, "Samordning", "C")[0]
    syfte = _find(sections, "Syfte", "C")[0]
    assert ansvar.level == samordning.level == syfte.level
    assert _find(sections, "Regionens insatser")[0].parent == ansvar.id
    assert _find(sections, "Gemensam planering")[0].parent == samordning.id
    assert _find(sections, "Uppföljning", "C")[0].level == syfte.level


def test_each_file_without_entry_is_described_from_its_own_text(tmp_path):
    (tmp_path / "a.txt").write_text("Riktlinje för läkemedelshantering\n\nText om läkemedel.\n",
                                    encoding="utf-8")
    (tmp_path / "b.txt").write_text("Rutin för fallprevention\n\nText om fall.\n",
                                    encoding="utf-8")
    documents, _ = load_corpus(tmp_path)
    assert {d.id: (d.title, d.kind) for d in documents} == {
        "a": ("Riktlinje för läkemedelshantering", "riktlinje"),
        "b": ("Rutin för fallprevention", "rutin")}


def _candidate(start: int, label: str, size: float) -> Candidate:
    return Candidate(start, start + 1, label, parse_number(label), style=(size, True))


def test_pdf_heading_set_like_a_chapter_inside_numbered_chapters():
    found = [_candidate(0, "1 Ansvar", 14), _candidate(5, "Telefontid", 14),
             _candidate(9, "2 Hembesök", 14), _candidate(12, "Bilagor", 14)]
    for candidate in found:
        candidate.rank = 10.0
    inside_numbered_chapters(found)
    assert found[1].rank == 10.5  # between chapter 1 and 2: inside chapter 1
    assert found[3].rank == 10.0  # after the last chapter: left where its type puts it


def test_read_more_box_is_the_sections_references_not_its_text(tmp_path):
    text = ("Riktlinje för delegering\n\nAnsvar\nEnhetschefen ansvarar för att delegeringen "
            "följs upp.\n\n* L Ä S  M E R\nRutin för delegering av läkemedel, PDF\n\n"
            "Uppföljning\nDelegeringen följs upp en gång om året.\n")
    sections = _tree(tmp_path, text, "delegering.txt")
    ansvar = _find(sections, "Ansvar")[0]
    assert ansvar.references == ["Rutin för delegering av läkemedel, PDF"]
    assert "Rutin för delegering" not in ansvar.body and "L Ä S" not in ansvar.body
    assert [s.title for s in sections[1:]] == ["Ansvar", "Uppföljning"]


def test_a_title_cut_after_a_word_that_cannot_end_it_goes_on(tmp_path):
    (tmp_path / "lokal.txt").write_text(
        "Lokal överenskommelse om hembesök mellan\nVårdcentralen Ekbacken och ____________\n\n"
        "1. Syfte\nHembesök görs varje vecka.\n", encoding="utf-8")
    documents, _ = load_corpus(tmp_path)
    assert documents[0].title == "Lokal överenskommelse om hembesök mellan Vårdcentralen Ekbacken"
