"""`assistant compare`: section matching (fast, pure) and a real comparison of the shipped
agreement with a synthetic next version made by the test (tests/fixtures/next_version.py)."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.compare import (
    compare,
    compare_html,
    compare_sections,
    match_sections,
    sentence_changes,
    split_sentences,
    to_markdown,
)
from assistant.types import Section
from tests.fixtures import next_version


def section(title: str, body: str, number: str | None = None, parent: str = "Del B",
            sid: str | None = None) -> Section:
    heading = f"{number} {title}" if number else title
    return Section(id=sid or f"{parent}/{heading}", document="doc", document_title="Doc",
                   kind="plain", part=None, agreement=None, section=number, title=title,
                   level=2, path=[parent, heading], body=body)


# --- matching ------------------------------------------------------------------------------

def test_same_title_and_number_match_even_when_text_changed():
    old = [section("Avtalstid", "Avtalet gäller i fyra år. Det kan sägas upp.")]
    new = [section("Avtalstid", "Avtalet gäller i fem år. Det kan sägas upp.")]
    assert [(a.title, b.title) for a, b in match_sections(old, new)] == [("Avtalstid", "Avtalstid")]


def test_reworded_heading_with_same_number_is_the_same_section():
    body = "Parterna ansvarar gemensamt för att planera insatserna tillsammans med patienten."
    old = [section("Samordnad planering", body, "4.2")]
    new = [section("Samordnad individuell planering", body, "4.2")]
    changes, unchanged = compare_sections(old, new)
    assert unchanged == 0
    assert [(c.status, c.renamed, c.renumbered, c.sentences) for c in changes] == [
        ("changed", True, False, [])]


def test_renumbered_section_with_same_title_and_text_is_matched_not_added():
    body = "Kommunen ansvarar för hjälpmedel i särskilt boende. Regionen för övriga."
    old = [section("Hjälpmedel", body, "B.7"), section("Läkemedel", "Regionen betalar.", "B.8")]
    new = [section("Läkemedel", "Regionen betalar.", "B.7"), section("Hjälpmedel", body, "B.8")]
    changes, unchanged = compare_sections(old, new)
    assert {c.status for c in changes} == {"changed"}
    assert all(c.renumbered and not c.renamed and not c.sentences for c in changes)
    assert unchanged == 0


def test_different_section_under_a_freed_number_is_added_and_removed():
    old = [section("Tjänsteköp", "Tjänsteköp kan ske i undantagsfall efter förfrågan.", "B.14")]
    new = [section("Digital vård", "Parterna utvecklar vårdmöten på distans.", "B.14")]
    changes, _ = compare_sections(old, new)
    assert sorted(c.status for c in changes) == ["added", "removed"]


def test_same_title_in_another_part_of_the_tree_is_not_a_match():
    old = [section("Inledning", "Denna överenskommelse gäller läkarmedverkan.", parent="Del C › X")]
    new = [section("Inledning", "Denna överenskommelse gäller munhälsa.", parent="Del A")]
    assert match_sections(old, new) == []


def test_each_section_is_matched_once_to_its_best_counterpart():
    old = [section("Beslut", "Ett beslut ska vara tydligt och skriftligt.", "2.3"),
           section("Beslutsmotivering", "Skälen för beslutet ska anges.", "2.3", sid="m")]
    new = [section("Beslutsmotivering", "Skälen för beslutet ska anges.", "2.3", sid="n"),
           section("Beslut", "Ett beslut ska vara tydligt och skriftligt.", "2.3", sid="b")]
    pairs = {(a.title, b.title) for a, b in match_sections(old, new)}
    assert pairs == {("Beslut", "Beslut"), ("Beslutsmotivering", "Beslutsmotivering")}


def test_changed_sentences_are_paired_side_by_side_and_unchanged_ones_left_out():
    old = "Första meningen står kvar. Uppsägningstiden är arton månader. Sista står kvar."
    new = "Första meningen står kvar. Uppsägningstiden är tolv månader. Sista står kvar. Ny mening."
    pairs = [(s.old, s.new) for s in sentence_changes(old, new)]
    assert pairs == [("Uppsägningstiden är arton månader.", "Uppsägningstiden är tolv månader."),
                     (None, "Ny mening.")]


def test_sentences_split_at_sentence_ends_not_inside_numbers():
    assert split_sentences("Enligt 2 kap. 6 § HSL gäller det. Nästa 2023-01-01 – 2026-12-31.") == [
        "Enligt 2 kap. 6 § HSL gäller det.", "Nästa 2023-01-01 – 2026-12-31."]


# --- a real comparison -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def versions_corpus(tmp_path_factory):
    return next_version.write_corpus(tmp_path_factory.mktemp("versions") / "corpus")


def test_compare_lists_exactly_the_added_removed_and_changed_sections(versions_corpus):
    result = compare(next_version.SHIPPED_ID, next_version.NEXT_ID, versions_corpus)
    assert [c.new for c in result.of("added")] == [
        "Del B, B.16 Digital vård och omsorg på distans"]
    assert [c.old for c in result.of("removed")] == ["Del B, B.14 Tjänsteköp"]
    assert sorted(c.old for c in result.of("changed")) == [
        "Del A, Avtalstid", "Del B, B.11 Personligt förskrivna hjälpmedel"]
    notice = next(c for c in result.of("changed") if c.old == "Del A, Avtalstid")
    assert any(s.old and "arton månader" in s.old and s.new and "tjugofyra månader" in s.new
               for s in notice.sentences)
    assert result.unchanged > 50


def test_compare_accepts_file_paths_and_renders_markdown_and_html(versions_corpus):
    old = versions_corpus / f"{next_version.SHIPPED_ID}.txt"
    new = versions_corpus / f"{next_version.NEXT_ID}.txt"
    result = compare(str(old), str(new), versions_corpus)
    text = to_markdown(result)
    assert "## Tillagda avsnitt" in text and "## Borttagna avsnitt" in text
    assert "| Förut | Nu |" in text and "tjugofyra månaders uppsägningstid" in text
    assert "(2027-01-01 – 2030-12-31)" in text.splitlines()[0]
    page = compare_html(result)
    assert page.count("<table>") == 4 and "&" not in page.replace("&amp;", "")


def test_compare_command_prints_json(versions_corpus, monkeypatch, capsys):
    monkeypatch.setenv("AVTAL_CORPUS_DIR", str(versions_corpus))
    code = cli.main(["compare", next_version.SHIPPED_ID, next_version.NEXT_ID, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {c["status"] for c in data["changes"]} == {"added", "removed", "changed"}
    assert data["new"]["valid_from"] == "2027-01-01"


def test_compare_command_names_unknown_documents_in_swedish(versions_corpus, monkeypatch,
                                                            capsys):
    monkeypatch.setenv("AVTAL_CORPUS_DIR", str(versions_corpus))
    assert cli.main(["compare", "finns-inte", next_version.NEXT_ID]) == 2
    assert "Okänt dokument" in capsys.readouterr().err
