"""Retrieval helpers: abbreviations from the corpus, Swedish tokens, typos and compounds."""

from __future__ import annotations

from assistant.retrieve.glossary import build_glossary, distinctive, expand
from assistant.retrieve.lexical import Vocabulary, correct, tokens


def test_glossary_reads_definitions_from_the_text():
    text = ("personer som vistas i hem för vård och boende, HVB, eller hem för viss annan "
            "heldygnsvård. Västra Götalandsregionen (VGR) ansvarar. Enligt socialtjänstlagen "
            "(2001:453), SoL, ska …")
    glossary = build_glossary([text])
    assert glossary["hvb"] == "hem för vård och boende"
    assert glossary["vgr"] == "Västra Götalandsregionen"
    assert glossary["sol"] == "socialtjänstlagen"


def test_glossary_long_form_holds_the_abbreviations_letters_in_order():
    glossary = build_glossary([
        "Frågan prövas enligt föräldrabalken (FB) av tingsrätten.",
        "Ansökan görs på en särskild blankett, SKV 1234, hos myndigheten.",
        "Uppgifterna skyddas av offentlighets- och sekretesslagen (OSL) i alla led.",
        "Boendet för personer med demens enligt socialtjänstlagen (SoL) drivs av kommunen.",
    ])
    assert glossary["fb"] == "föräldrabalken"  # not the words before it
    assert "skv" not in glossary  # a form number, not a definition
    assert glossary["osl"] == "offentlighets- och sekretesslagen"  # not "och sekretesslagen"
    assert glossary["sol"] == "socialtjänstlagen"


def test_glossary_ignores_lists_of_abbreviations():
    glossary = build_glossary(["enligt LSS, SoL, LVU eller LVM med placering"])
    assert "lvu" not in glossary and "sol" not in glossary


def test_expand_adds_long_forms_once():
    glossary = {"hvb": "hem för vård och boende"}
    assert expand("Vem betalar vården på HVB?", glossary).endswith("(hem för vård och boende)")
    assert expand("hem för vård och boende, HVB?", glossary) == "hem för vård och boende, HVB?"


def test_an_abbreviation_most_passages_name_is_not_distinctive():
    glossary = {"lss": "lagen om stöd och service", "ivo": "Inspektionen för vård och omsorg"}
    passages = ["LSS-handläggaren utreder.", "Beslut enligt LSS överklagas.",
                "Insatser enligt lagen om stöd och service ges.",
                "Inspektionen för vård och omsorg (IVO) granskar.", "Avgifter tas ut."]
    kept = distinctive(glossary, passages)
    assert kept == {"ivo": "Inspektionen för vård och omsorg"}
    assert distinctive(glossary, passages[:1] + passages[3:] * 3) == glossary


def test_tokens_fold_diacritics_and_drop_stopwords():
    assert tokens("Hjälpmedel för barnen") == tokens("hjalpmedel for barnen")
    assert "och" not in tokens("hälso- och sjukvård")


def test_typos_are_corrected_to_corpus_words():
    vocabulary = set(tokens("hjälpmedel utskrivningsklar betalningsansvar"))
    assert correct(tokens("hjälpmedell utskrivningsklr"), vocabulary) == tokens(
        "hjälpmedel utskrivningsklar")


def test_compounds_are_searched_by_their_parts():
    vocabulary = Vocabulary(set(tokens("trakeostomi produkter diabetes informationsmaterial")))
    assert vocabulary.parts(tokens("trakeostomiprodukter")[0]) == tokens("trakeostomi produkter")
    assert vocabulary.parts(tokens("parkeringsplats")[0]) is None


def test_a_compound_head_may_be_a_bare_form_with_a_linking_s():
    vocabulary = Vocabulary(set(tokens("hela dygnet beloppet fastställs diabetes material")))
    assert vocabulary.parts("dygnsbeloppet") == ["dygnet", "beloppet"]
    assert vocabulary.parts(tokens("diabetesmaterial")[0]) == tokens("diabetes material")


def test_an_unknown_compound_is_searched_by_its_last_part():
    vocabulary = Vocabulary(set(tokens("utan nödvändiga tillstånd")))
    assert vocabulary.parts(tokens("uppehållstillstånd")[0]) is None  # not a known compound
    assert vocabulary.search_tokens(tokens("uppehållstillstånd")) == tokens("tillstånd")


def test_staff_shorthand_is_spelled_out():
    assert "vårdcentral" in expand("Vilken vc ansvarar?", build_glossary([]))


def test_shorthand_the_documents_write_themselves_is_left_as_it_is():
    # a document that says "säbo" finds its sections by the word; one that never does is
    # searched with what the word stands for
    assert "särskilt boende" in expand("Vem tar hand om tänderna på säbo?", build_glossary(
        ["Läkare på särskilt boende."]))
    assert expand("Vem tar hand om tänderna på säbo?", build_glossary(
        ["Läkare på säbo och särskilt boende."])) == "Vem tar hand om tänderna på säbo?"


def test_words_the_documents_never_use_are_unknown_topics(assistant):
    search = assistant.search
    assert search.unknown_topics("Hur många semesterdagar har man?") == ["semesterdagar"]
    assert search.unknown_topics("Vem betalar dygnsbeloppet för utskrivningsklara?") == []
    assert search.unknown_topics("Vem ansvarar för hjälpmedel 2026?") == []


def test_misspelled_question_finds_the_right_section(assistant):
    answer = assistant.ask("vem betalar hjalpmedel till barn under 18")
    assert answer.citations and answer.citations[0].section == "B.11"


def test_abbreviation_question_finds_the_right_section(assistant):
    answer = assistant.ask("Vem ansvarar för hälso- och sjukvården på HVB?")
    sections = {(c.part, c.section) for c in answer.citations}
    assert ("B", "B.3") in sections or any(c.part == "C" for c in answer.citations)
