"""The section tree of the shipped corpus, pinned against the printed text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.ingest.clean import READ_MORE, collapse, page_lines
from assistant.ingest.manifest import load_manifest
from assistant.ingest.pages import read_pages
from assistant.ingest.structure import load_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
PACKET = CORPUS / "004_5245c9c2ebab2e83.txt"

DEL_B = {
    "B.1": "Lagstiftning", "B.2": "Gemensamt ansvar och samverkan", "B.3": "Parternas ansvar",
    "B.4": "Rehabilitering och habilitering",
    "B.5": "Bedömning om hälso- och sjukvårdsinsats kan utföras som egenvård",
    "B.6": "Vårdhygien",
    "B.7": "Asylsökande och personer som vistas i Sverige utan nödvändiga tillstånd",
    "B.8": "Förvaring och transport av avliden", "B.9": "Läkemedel",
    "B.10": "Personligt förskrivna hjälpmedel och läkemedelsnära produkter i vardagsmiljö",
    "B.11": "Personligt förskrivna hjälpmedel",
    "B.12": "Personligt förskrivna läkemedelsnära produkter",
    "B.13": "Oreglerade medicintekniska produkter", "B.14": "Tjänsteköp",
    "B.15": "Gemensamma utvecklingsområden",
}
DEL_A = [
    "Inledning", "Syfte", "Värdegrund", "Personcentrerat förhållningssätt",
    "Samordnad Individuell Plan, SIP", "Informationsöverföring och planering",
    "Bästa tillgängliga kunskap", "Avtalsparter", "Avtalets omfattning och uppbyggnad",
    "Avtalstid", "Ändringar och tillägg till avtalet", "Gemensam samverkansstruktur",
    "Digitalisering och e-hälsa", "Uppföljning", "Avvikelser", "Oenighet om tolkning av avtal",
]
DEL_C_NUMBERED = {
    "lakarmedverkan": {"5.1": "Regionens ansvar", "5.2": "Kommunens ansvar"},
    "in_utskrivning": {"5.2": "Ekonomisk modell för att beräkna betalningsansvaret"},
    "psykisk_missbruk": {
        "3.1": "Samarbete kring personer med psykisk funktionsnedsättning samt kring personer "
               "med missbruk",
        "3.2": "Samarbete vid psykiatrisk tvångsvård och rättspsykiatrisk vård",
        "5.1": "Brukarinflytande", "5.2": "Bästa tillgängliga kunskap",
        "5.3": "Informationsöverföring, planering och SIP",
        "6.1": "Personer med psykisk funktionsnedsättning",
        "6.2": "Personer med missbruk och beroende samt samsjuklighet",
        "6.3": "Placering utanför hemmet (Hem för vård och boende, familjehem och hem för viss "
               "annan heldygnsvård)",
        "6.4": "Personer i psykiatrisk tvångsvård",
    },
    "munhalsa": {
        "5.1": "Västra Götalandsregionens ansvar för munhälsa – uppsökande och nödvändig tandvård",
        "5.2": "Kommunens ansvar för munhälsa – uppsökande och nödvändig tandvård",
        "7.1": "Öka andel intyg om N-tandvård",
    },
}
AGREEMENT = next(d for d in load_manifest(CORPUS) if d.id == "hos-avtal-2023")
AGREEMENT_KEYS = AGREEMENT.agreements
DECORATION = {line for d in load_manifest(CORPUS) for line in d.hint("decoration")}
PACKET_DOCUMENTS = {"tjansteskrivelse-2022", "hos-avtal-2023", "fardplan-2022", "protokoll-2022"}
FARDPLAN_NUMBERS = (
    [str(n) for n in range(1, 14)] + ["3.1", "3.2", "3.3"] + [f"9.{n}" for n in range(1, 7)]
    + [f"9.4.{n}" for n in range(1, 5)] + [f"10.{n}" for n in range(1, 6)]
)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def tree(corpus):
    return corpus[1]


def of(tree, **fields):
    return [s for s in tree if all(getattr(s, k) == v for k, v in fields.items())]


def test_del_b_has_b1_to_b15_with_titles(tree):
    found = {s.section: s.title for s in of(tree, part="B") if s.section}
    assert found == DEL_B


def test_every_del_a_heading_unnumbered(tree):
    level2 = [s.title for s in of(tree, part="A", level=2)]
    assert level2 == DEL_A
    assert all(s.section is None for s in of(tree, part="A"))


def test_four_agreements_with_numbered_subsections(tree):
    titles = {s.agreement for s in of(tree, part="C", level=1)}
    assert titles == set(AGREEMENT_KEYS.values())
    for key, numbered in DEL_C_NUMBERED.items():
        found = {s.section: s.title for s in of(tree, part="C", agreement=AGREEMENT_KEYS[key])
                 if s.section}
        assert found == numbered, key


def test_del_c_named_subheadings_sit_under_their_numbered_section(tree):
    by_id = {s.id: s for s in tree}
    akut = of(tree, part="B", title="Akutläkemedelsförråd")[0]
    assert by_id[akut.parent].section == "B.9"
    vardcentral = of(tree, title="Vårdcentralens särskilda ansvar")[0]
    assert by_id[vardcentral.parent].section == "5.1"
    kostnad = of(tree, title="Överenskommelse om kostnadsansvar")[0]
    assert by_id[kostnad.parent].section == "6.3"
    top = [s.title for s in of(tree, agreement=AGREEMENT_KEYS["munhalsa"], level=2)]
    assert top == ["Inledning", "Målgrupp", "Syfte", "Gemensamt ansvar", "Parternas ansvar",
                   "Uppföljning och utvärdering", "Utveckling och gemensamma utmaningar"]


def test_fardplan_numbers(tree):
    numbers = [s.section for s in of(tree, document="fardplan-2022") if s.section]
    assert numbers == sorted(FARDPLAN_NUMBERS, key=lambda n: tuple(map(int, n.split("."))))
    sip = of(tree, document="fardplan-2022", section="9.4.3")[0]
    assert sip.title == "Samordnad individuell plan, SIP" and sip.level == 4


def test_no_heading_is_a_sentence_or_bullet(tree):
    for section in of(tree, document="hos-avtal-2023") + of(tree, document="fardplan-2022"):
        assert not section.title.endswith((".", ":", ";", ",")), section.title
        assert not section.title.startswith(("•", "-", "–")), section.title
        assert not re.search(r"[.!?] [A-ZÅÄÖ]", section.title), section.title


def test_context_documents_are_split_at_their_headings(tree):
    sro = [s.title for s in of(tree, document="sro-arenden-2022", level=2)]
    assert "Ställningstaganden av SRO dec 2022" in sro
    assert "Ställningstaganden av SRO sept 2022- Extramöte 1" in sro
    assert "Uppdraget" in [s.title for s in of(tree, document="presentation-nytt-avtal-2027")]
    for document in ("sro-arenden-2022", "sro-minnesanteckningar-2021",
                     "presentation-nytt-avtal-2027", "nyhet-regionstyrelsen-2022"):
        for section in of(tree, document=document):
            assert ":" not in section.title or section.level == 1, section.title
            assert section.title != "SRO noterar informationen"  # a repeated formula
            if section.section:  # only numbers the text prints: "1. Mötets öppnande"
                text = collapse((CORPUS / next(d.file for d in load_manifest(CORPUS)
                                               if d.id == document)).read_text("utf-8"))
                assert f"{section.section}. {section.title}" in text, section.title


def test_numbers_are_never_invented(tree):
    text = collapse(PACKET.read_text(encoding="utf-8"))
    for section in tree:
        if section.section:
            assert f"{section.section} " in text


def test_every_character_in_exactly_one_section(tree):
    """All text of the packet (after page furniture is removed) is in the tree exactly once:
    as a heading, as body text of one section, or as a "Läs mer" reference."""
    lines = page_lines(read_pages(PACKET))
    expected = Counter(_letters(x.text for x in lines
                                if x.text not in DECORATION and not READ_MORE.match(x.text)))
    # A part's title repeated at the top of a page is a running header, left out of the tree.
    parts = {s.title for s in tree if s.level == 1}
    headers = Counter(_letters(x.text for x in lines if x.text in parts))
    found = Counter()
    for section in tree:
        if section.document in PACKET_DOCUMENTS:
            heading = section.title if not section.section else f"{section.section} {section.title}"
            if section.title == section.document_title:
                heading = ""  # a document's root is named by the manifest, not by the text
            found += Counter(_letters([heading, section.body, *section.references]))
    assert not found - expected, found - expected
    assert expected - found <= headers, expected - found


def _letters(texts) -> str:
    return "".join(ch for text in texts for ch in text if ch.isalnum())


def test_read_more_boxes_are_references_not_body(tree):
    sip = of(tree, part="A", title="Bästa tillgängliga kunskap")[0]
    assert any("Riktlinje för SIP" in r for r in sip.references)
    assert all("L Ä S" not in s.body for s in tree)
    b11 = of(tree, section="B.11")[0]
    assert any("Handbok för förskrivning" in r for r in b11.references)


def test_page_markers_and_labels_are_not_body(tree):
    for section in tree:
        assert "Page " not in section.body or "of 87" not in section.body
        assert "Sida |" not in section.body


def test_hyphenated_words_are_joined(tree):
    text = " ".join(s.body for s in tree)
    assert "samsjuklighet" in text and "samsjuk-" not in text
    assert "hälso- och sjukvård" in text  # a shared word part is not a break
    assert "N-tandvård" in text


def test_known_pages_come_from_markers(tree):
    protocol = of(tree, document="protokoll-2022")
    assert any(s.page_start == 77 for s in protocol)
    assert all(s.page_start in (None, 77) for s in tree if s.kind != "övrigt")
