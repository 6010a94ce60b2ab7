"""The ranking as units, without the model and without an index on disk (issue 9.6).

A handful of hand-written sections about an invented agreement (foot care, hearing aids,
tube feeding, night patrols, disputes) are indexed in memory with a bag-of-words fake
embedder (tests/fakes.py): fusion of the dense and lexical ranks, the evidence signals,
which sections and sentences are cited, and how follow-ups are read. The real-model tests
(test_answer.py, test_retrieve.py) stay; these run in the fast tier in about a second.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.answer.decide import load_model
from assistant.answer.extractive import relevance
from assistant.answer.verify import quote_in_section
from assistant.config import Settings
from assistant.index import hubness as stored_hubness
from assistant.index.chunking import sentences
from assistant.index.hubness import hubness, ranking_vectors
from assistant.index.store import window_texts
from assistant.retrieve.hybrid import Hit, HybridSearch, Scope
from assistant.service import Assistant
from tests.fakes import HashEmbedder, decision_file, memory_index, section

SECTIONS = [
    section("a-inledning", "Denna överenskommelse beskriver hur kommunen och regionen delar "
            "ansvaret för fotvård, hörapparater, sondmat och nattpatrullens besök.",
            title="Inledning", part="A", level=1),
    section("a-fotvard", "Medicinsk fotvård till personer med diabetes betalas av regionen. "
            "Kommunen svarar för enklare fotvård i hemmet, som att klippa naglar.",
            title="Fotvård", part="A", number="A.2"),
    section("a-horsel", "Hörapparater förskrivs av hörselvården i regionen. Batterier till "
            "hörapparaterna bekostar brukaren själv.",
            title="Hörsel", part="A", number="A.3"),
    section("b-sondmat", "Sondmat och näringsdrycker förskrivs av dietist. Kommunen betalar "
            "sondmat till den som bor på särskilt boende. Regionen betalar sondmat för "
            "övriga patienter.", title="Sondmat", part="B", number="B.1"),
    section("b-dietist", "Dietisten ansvarar för att:\n• bedöma behovet av kosttillägg\n"
            "• skriva ut näringsdrycker efter bedömning\n• följa upp vikten varje månad",
            title="Dietistens uppgifter", part="B", number="B.2"),
    section("b-natt", "Nattpatrullen besöker brukare i ordinärt boende mellan klockan 22 och "
            "07. Besöken planeras av kommunens sjuksköterska.",
            title="Nattpatrull", part="B", number="B.3"),
    section("b-tvist", "Vid oenighet om kostnadsansvar ska parterna först försöka enas "
            "lokalt. Tvisten lyfts därefter till den politiska samrådsgruppen inom 30 dagar.",
            title="Tvister", part="B", number="B.4"),
    section("c-fotvard", "Medicinsk fotvård till personer med diabetes betalas av regionen. "
            "Överenskommelsen gäller även fotvård på korttidsboende.",
            title="Fotvård på korttidsboende", part="C", number="C.1"),
    section("pm-nyheter", "Nytt är att medicinsk fotvård till personer med diabetes betalas "
            "av regionen. Tidigare delade parterna på kostnaden.",
            document="pm", title="Nyheter", kind="tjänsteskrivelse"),
]
# What a real model knows and bag-of-words does not: these words mean the same thing.
CONCEPTS = {"öronproteser": "hörapparater"}


@pytest.fixture(scope="module")
def embed() -> HashEmbedder:
    return HashEmbedder(CONCEPTS)


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Settings:
    folder = tmp_path_factory.mktemp("fake")
    # Nine sections: a word in one or two of them names a topic (the shipped corpus has
    # hundreds, where the default share is 0.1). The everyday-word concepts of
    # vocabulary.yaml belong to the shipped corpus and stay out.
    return dataclasses.replace(Settings(), index_dir=folder / "index", data_dir=folder / "data",
                               decision_file=decision_file(folder), topic_share_max=0.3,
                               domain_vocabulary=False, llm_url=None, chroma_url=None)


@pytest.fixture(scope="module")
def index(embed):
    return memory_index(SECTIONS, embed)


@pytest.fixture(scope="module")
def search(index, config) -> HybridSearch:
    return HybridSearch(index, config)


@pytest.fixture(scope="module")
def fake_assistant(index, config, embed) -> Assistant:
    return Assistant(index, config, embed_query=embed)


EVERYWHERE = Scope()


def ranked(search: HybridSearch, embed: HashEmbedder, question: str,
           scope: Scope = EVERYWHERE, limit: int = 10):
    expanded = search.expand(question)
    return search.search(expanded, embed(expanded), scope, limit)


# --- fusion (retrieve/hybrid.py) -----------------------------------------------------------


def test_found_by_both_retrievers_beats_found_first_by_one(index, config, monkeypatch):
    """Reciprocal rank fusion: second in both lists beats first in only one of them."""
    dense = [("a-horsel#0", 0.9), ("b-natt#0", 0.8), ("b-tvist#0", 0.7)]
    chunk_at = {c.id: i for i, c in enumerate(index.chunks)}
    lexical = [chunk_at["a-fotvard#0"], chunk_at["b-natt#0"]]
    results = {}
    for mode in ("hybrid", "dense", "bm25"):
        engine = HybridSearch(index, config, mode)
        monkeypatch.setattr(engine, "_dense", lambda vector, scope: dense)
        monkeypatch.setattr(engine, "_lexical", lambda query, scope: lexical)
        results[mode] = engine.search("fråga", None)
    assert [h.section.id for h in results["hybrid"]][0] == "b-natt"
    assert results["dense"][0].section.id == "a-horsel"
    assert results["bm25"][0].section.id == "a-fotvard"
    both = results["hybrid"][0]
    assert (both.dense_rank, both.lexical_rank) == (1, 1)
    assert both.similarity == pytest.approx(0.8)
    assert both.score == pytest.approx(2 / (config.rrf_k + 2))
    # Only the mode's retrievers count, but both ranks are always reported (evidence).
    assert {h.section.id for h in results["dense"]} == {"a-horsel", "b-natt", "b-tvist"}
    assert results["dense"][0].lexical_rank is None


def test_a_question_in_the_texts_own_words_tops_both_lists(search, embed):
    hits = ranked(search, embed, "Vem förskriver sondmat och näringsdrycker?")
    top = hits[0]
    assert top.section.id == "b-sondmat"
    assert (top.dense_rank, top.lexical_rank) == (0, 0)


def test_a_word_only_the_model_knows_is_found_by_the_dense_side(search, embed):
    hits = ranked(search, embed, "Vem skriver ut öronproteser?")
    by_id = {h.section.id: h for h in hits}
    assert by_id["a-horsel"].dense_rank == 0 and by_id["a-horsel"].lexical_rank is None
    assert "a-horsel" in [h.section.id for h in hits[:2]]
    lexical_only = HybridSearch(search.index, search.settings, "bm25")
    assert "a-horsel" not in [h.section.id for h in ranked(lexical_only, embed,
                                                          "Vem skriver ut öronproteser?")]


def test_a_long_section_is_ranked_once_by_its_best_chunk(embed, config):
    long = section("lang", " ".join(f"Stycke {n} om rutiner för hörapparater och batterier."
                                    for n in range(40)), title="Lång rutin")
    engine = HybridSearch(memory_index([long, *SECTIONS], embed, chunk_chars=200), config)
    assert len([c for c in engine.index.chunks if c.section_id == "lang"]) > 3
    hits = ranked(engine, embed, "batterier till hörapparater")
    ids = [h.section.id for h in hits]
    assert len(ids) == len(set(ids)) and "lang" in ids[:2]
    assert hits[ids.index("lang")].chunk_id.startswith("lang#")


def test_scope_keeps_other_parts_out_of_both_retrievers(search, embed):
    question = "Vem betalar medicinsk fotvård?"
    assert {h.section.part for h in ranked(search, embed, question)} >= {"A", "C"}
    in_c = ranked(search, embed, question, Scope(part="C"))
    assert in_c and {h.section.part for h in in_c} == {"C"}
    without_pm = ranked(search, embed, question, Scope(excluded=frozenset({"pm"})))
    assert "pm" not in {h.section.document for h in without_pm}


# --- evidence signals (retrieve/hybrid.py, answer/decide.py) -------------------------------


def test_signals_set_an_answerable_question_apart_from_an_off_topic_one(search, embed):
    inside = "Vem betalar sondmat på särskilt boende?"
    outside = "Hur många semesterdagar får en undersköterska med paracetamol?"
    signals = {q: search.signals(search.expand(q), ranked(search, embed, q))
               for q in (inside, outside)}
    assert signals[inside]["similarity"] > signals[outside]["similarity"]
    assert signals[inside]["coverage"] > signals[outside]["coverage"]
    assert signals[inside]["unknown"] == 0.0 and signals[outside]["unknown"] == 1.0
    assert signals[inside]["peak"] > 0
    shipped = load_model()  # fitted to e5: the order holds whatever the scale
    assert shipped.probability(signals[inside]) > shipped.probability(signals[outside])


def test_unknown_topics_are_words_neither_the_texts_nor_everyday_swedish_use(search):
    assert search.unknown_topics("Vem betalar paracetamol?") == ["paracetamol"]
    assert search.unknown_topics("Vem betalar hörapparaten för patienten?") == []
    assert search.unknown_topics("Vem betalar hörapparatr?") == []  # a typo of a corpus word


def test_a_known_topic_is_a_topic_word_the_texts_use(search, embed):
    """`known_topic`: the question names something only some sections speak of ("sondmat"),
    not only everyday words ("betalar", "patienten") or words the texts never use."""
    def known(question: str) -> float:
        return search.signals(search.expand(question), ranked(search, embed, question)
                              )["known_topic"]

    assert known("Vem betalar sondmat för patienten?") == 1.0
    assert known("Vem betalar paracetamol för patienten?") == 0.0
    assert known("Vem betalar för patienten?") == 0.0


def test_declining_follows_the_evidence(fake_assistant):
    answered = fake_assistant.ask("Vem betalar sondmat till den som bor på särskilt boende?")
    declined = fake_assistant.ask("Hur många semesterdagar ger paracetamol?")
    assert not answered.abstained and answered.citations
    assert declined.abstained and not declined.citations
    assert answered.evidence > declined.evidence


# --- citation choice (answer/extractive.py) -----------------------------------------------


def test_the_answer_quotes_the_sentence_that_answers_verbatim(fake_assistant):
    answer = fake_assistant.ask("Vem bekostar batterier till hörapparater?")
    first = answer.citations[0]
    assert first.section_id == "a-horsel"
    assert "Batterier till hörapparaterna bekostar brukaren själv." in first.quote
    assert quote_in_section(first.quote, fake_assistant.section("a-horsel"))
    assert "brukaren" in (answer.short_answer or "")


def test_every_citation_is_verbatim_in_its_section(fake_assistant):
    for question in ("Vem betalar medicinsk fotvård?", "När besöker nattpatrullen brukare?",
                     "Vad gör dietisten?", "Hur löses en tvist om kostnadsansvar?"):
        for citation in fake_assistant.ask(question).citations:
            assert quote_in_section(citation.quote, fake_assistant.section(citation.section_id))


def test_the_binding_text_is_cited_before_a_memo_unless_changes_are_asked(config, embed):
    """The memo only reports on the agreement: cited first only when the question asks what
    changed (cues.py)."""
    sentence = "Kvällsbesök hos brukare med demenssjukdom planeras av distriktssköterskan."
    binding = section("e-avtal", sentence, title="Rutin", part="C")
    memo = section("e-pm", sentence, document="pm", title="Rutin", kind="tjänsteskrivelse")
    for order in ([binding, memo], [memo, binding]):
        tiny = Assistant(memory_index(order, embed), config, embed_query=embed)
        plain = tiny.ask("Vem planerar kvällsbesök hos brukare med demenssjukdom?")
        assert plain.citations[0].section_id == "e-avtal"
        changed = tiny.ask("Vad ändrades om kvällsbesök hos brukare med demenssjukdom?")
        assert changed.citations[0].section_id == "e-pm"


def test_a_part_named_in_the_question_is_cited_first(fake_assistant):
    question = "Vem betalar medicinsk fotvård till personer med diabetes enligt del C?"
    assert fake_assistant.ask(question).citations[0].section_id == "c-fotvard"
    plain = "Vem betalar medicinsk fotvård till personer med diabetes?"
    assert fake_assistant.ask(plain).citations[0].section_id == "a-fotvard"  # Del A before C


def test_the_same_sentence_is_not_quoted_twice(fake_assistant):
    answer = fake_assistant.ask("Vem betalar medicinsk fotvård till personer med diabetes?")
    assert len(answer.citations) >= 1
    repeated = "Medicinsk fotvård till personer med diabetes betalas av regionen."
    assert sum(repeated in c.quote for c in answer.citations) == 1


def test_front_matter_is_not_cited_first(config, embed):
    """A part's introduction says what follows; the section itself is cited before it."""
    sentence = "Kvällsbesök hos brukare med demenssjukdom planeras av distriktssköterskan."
    intro = section("d-intro", sentence + " Här följer besöksrutinerna.", title="Om delen",
                    part="C", level=1)
    body = section("d-besok", "Rutinen gäller hela länet. " + sentence, title="Besök",
                   part="C")
    for order in ([intro, body], [body, intro]):
        tiny = Assistant(memory_index(order, embed), config, embed_query=embed)
        answer = tiny.ask("Vem planerar kvällsbesök hos brukare med demenssjukdom?")
        assert answer.citations[0].section_id == "d-besok"


def test_a_quote_announcing_a_list_carries_its_items(fake_assistant):
    answer = fake_assistant.ask("Vad ansvarar dietisten för?")
    quote = next(c.quote for c in answer.citations if c.section_id == "b-dietist")
    assert quote.startswith("Dietisten ansvarar för att:")
    assert "följa upp vikten varje månad" in quote


def test_the_short_answer_holds_the_fact_asked_for(fake_assistant):
    answer = fake_assistant.ask("Inom hur många dagar lyfts en tvist om kostnadsansvar?")
    assert answer.citations[0].section_id == "b-tvist"
    assert answer.key_fact and "30" in answer.key_fact


# --- follow-ups (retrieve/conversation.py, service.py) -------------------------------------


def test_topic_words_are_read_from_the_corpus(search):
    assert search.is_topic("nattpatrullen") and search.is_topic("sondmat")
    assert search.is_topic("semesterdagar")  # a word the texts never use names a topic too
    assert not search.is_topic("regionen")  # in most sections: says nothing of the topic
    assert not search.is_topic("patienten")  # everyday Swedish


def test_a_follow_up_without_a_topic_inherits_the_previous_one(fake_assistant):
    history = ["Vem betalar sondmat på särskilt boende?"]
    query = fake_assistant.query("och för övriga patienter då?", history)
    assert query.follow_up
    assert query.text.startswith(history[0])
    answer = fake_assistant.ask("och för övriga patienter då?", history=history)
    assert answer.citations[0].section_id == "b-sondmat"
    assert "Regionen betalar sondmat för övriga patienter." in answer.citations[0].quote


def test_a_question_with_its_own_topic_does_not_inherit(fake_assistant):
    history = ["Vem betalar sondmat på särskilt boende?"]
    query = fake_assistant.query("Vem planerar nattpatrullens besök?", history)
    assert not query.follow_up and "sondmat" not in query.text
    answer = fake_assistant.ask("Vem planerar nattpatrullens besök?", history=history)
    assert answer.citations[0].section_id == "b-natt"


def test_a_chain_of_follow_ups_keeps_the_last_standalone_topic(fake_assistant):
    history = ["Vem förskriver hörapparater?", "Vem betalar sondmat på särskilt boende?",
               "och för övriga patienter då?"]
    query = fake_assistant.query("gäller det även för barn?", history)
    assert query.follow_up
    assert "sondmat" in query.text and "hörapparater" not in query.text


def test_an_everyday_word_gets_its_concept_only_when_the_documents_do_not_use_it(config,
                                                                                monkeypatch):
    # a vocabulary mapping "rullator" to "hjälpmedel" and "hemsjukvård" to "kommunal
    # primärvård"; these documents use "hemsjukvård" themselves, never "rullator".
    monkeypatch.setattr("assistant.retrieve.hybrid.load_vocabulary", lambda: {
        "rullator": "hjälpmedel", "hemsjukvård": "kommunal primärvård"})
    own = [section("hem", "Kommunen ger hemsjukvård till den som inte tar sig till mottagningen."),
           section("hjalp", "Regionen förskriver hjälpmedel för att gå och förflytta sig.")]
    index = memory_index(own, HashEmbedder())
    settings = dataclasses.replace(config, domain_vocabulary=True)
    search = HybridSearch(index, settings)
    assert search.expand("Vem lånar ut en rullator?") == "Vem lånar ut en rullator? (hjälpmedel)"
    assert search.expand("Vem ger hemsjukvård på natten?") == "Vem ger hemsjukvård på natten?"
    both = HybridSearch(index, dataclasses.replace(settings, concepts_for_corpus_words=True))
    assert both.expand("Vem ger hemsjukvård på natten?") \
        == "Vem ger hemsjukvård på natten? (kommunal primärvård)"
    # a word of the vocabulary is never an unknown topic, with or without its concept
    assert search.unknown_topics("Vem ger hemsjukvård och rullator?") == []


def _verdict(number: int, rank: int | None, facts_missing: list[str]):
    from assistant.eval.metrics import Verdict

    return Verdict(id=f"t{number}", question="Vem betalar sondmat?", type="responsibility",
                   answerable=True, abstained=False, rank=rank, gold=["B.1"], cited=["B.1"],
                   facts_missing=facts_missing)


def test_tuning_folds_choose_by_the_criterion_asked_for(capsys):
    # One variant cites the right section first without the fact; the other quotes the fact
    # from the right section cited second: ranking settings choose the first, quote
    # settings the second, in every fold.
    from scripts.tune import correct, cross_validate, facts_correct

    verdicts = {"(current)": [_verdict(i, 1, ["30 dagar"]) for i in range(10)],
                "extend_margin=0.1": [_verdict(i, 2, []) for i in range(10)]}
    cross_validate(verdicts, 5, correct)
    assert "chosen per fold: " + "; ".join(["(current)"] * 5) in capsys.readouterr().out
    cross_validate(verdicts, 5, facts_correct)
    assert "chosen per fold: " + "; ".join(["extend_margin=0.1"] * 5) in capsys.readouterr().out


def test_tuning_can_leave_each_question_set_out(capsys):
    # A variant that only suits one set is never chosen to score that set.
    from scripts.tune import cross_validate

    verdicts = {"(current)": [_verdict(i, 1 if i < 5 else None, []) for i in range(10)],
                "rank_weight=0.03": [_verdict(i, None if i < 5 else 1, []) for i in range(10)]}
    labels = ["a.yaml"] * 5 + ["b.yaml"] * 5
    cross_validate(verdicts, 5, labels=labels, by_set=True)
    out = capsys.readouterr().out
    assert "chosen per fold: rank_weight=0.03; (current)" in out
    assert "sets left out" in out and "b.yaml" in out


def test_tuning_answers_each_set_with_an_adapter_fitted_without_it(monkeypatch):
    # --adapter-folds: the sets fall into folds of whole sets; each set's adapter is fitted
    # on the other folds' sets only, with the shipped adapter's penalty.
    import sys
    import types
    from pathlib import Path

    from scripts.tune import adapters_without

    trained: list[tuple[list[str], float]] = []

    def fitted(assistant, paths, penalty, matrix):
        trained.append(([p.name for p in paths], penalty))
        return len(trained) - 1

    fake = types.SimpleNamespace(fitted=fitted, sentence_matrix=lambda assistant: None)
    monkeypatch.setitem(sys.modules, "fit_adapter", fake)
    shipped = types.SimpleNamespace(adapter=types.SimpleNamespace(meta={"penalty": 0.003}))
    paths = [Path(f"s{i}.yaml") for i in range(5)]
    adapters = adapters_without(shipped, paths, 2)
    assert trained == [(["s1.yaml", "s3.yaml"], 0.003),
                       (["s0.yaml", "s2.yaml", "s4.yaml"], 0.003)]
    assert all(name not in trained[found][0] for name, found in adapters.items())
    assert set(adapters) == {p.name for p in paths}


def test_a_subsection_close_to_its_parent_is_cited_first(config, embed):
    """The lowest heading that holds the evidence is the citation: the one subsection
    scoring within `specific_margin` of its parent goes first (the parent stays cited after
    it); with two such subsections the parent stays first; a section outside the parent is
    never moved up by it."""
    parent = section("f-lon", "Kommunen betalar för vårdhundar som stannar kvar hos "
                     "brukaren efter vårdtiden. Reglerna följer nedan.", title="Vårdhundar")
    child = dataclasses.replace(
        section("f-lon-dygn", "Beloppet för vårdhundar som stannar kvar beräknas per dygn.",
                title="Beräkning", number="3.2"), parent="f-lon")
    other = section("f-annat", "Vårdhundar som stannar kvar hos brukaren tränas av kommunen.",
                    title="Träning")
    question = "Vad betalar kommunen för vårdhundar som stannar kvar hos brukaren?"
    index = memory_index([parent, child, other], embed)
    plain = Assistant(index, dataclasses.replace(config, specific_margin=0.0), embed_query=embed)
    first = [c.section_id for c in plain.ask(question).citations]
    assert first[0] == "f-lon"
    wide = Assistant(index, dataclasses.replace(config, specific_margin=1.0,
                                                citation_margin=1.0), embed_query=embed)
    cited = [c.section_id for c in wide.ask(question).citations]
    assert cited[:2] == ["f-lon-dygn", "f-lon"]
    sibling = dataclasses.replace(
        section("f-lon-natt", "Beloppet för vårdhundar som stannar kvar hos brukaren över "
                "natten beräknas per natt.", title="Natt", number="3.3"), parent="f-lon")
    spanning = Assistant(memory_index([parent, child, sibling, other], embed),
                         dataclasses.replace(config, specific_margin=1.0), embed_query=embed)
    assert spanning.ask(question).citations[0].section_id == "f-lon"  # two near: the parent
    orphan = dataclasses.replace(child, parent=None)
    alone = Assistant(memory_index([parent, orphan, other], embed),
                      dataclasses.replace(config, specific_margin=1.0), embed_query=embed)
    assert alone.ask(question).citations[0].section_id == "f-lon"


def test_a_section_holding_the_questions_rarer_words_wins_a_near_tie(config, embed):
    """Two sibling sections share their best sentence; the one that also holds the
    question's rarest word elsewhere in its text comes first once `section_lexical_weight`
    weighs the whole section's words, though the search ranked the other first."""
    shared = "Sjuksköterskan ringer anhöriga vid behov."
    holder = section("h-kanyl", f"{shared} Detta gäller även den som har trakealkanyl.",
                     title="Anhörigkontakt", part="C", number="4.1")
    other = section("h-natt", f"{shared} Hon ringer också läkaren.", title="Nattkontakt",
                    part="C", number="4.2")
    index = memory_index([holder, other], embed)
    question = "Vem ringer anhöriga om trakealkanyl?"
    searched = [Hit(other, 0.03, 0.5, "h-natt#0"), Hit(holder, 0.02, 0.5, "h-kanyl#0")]

    def first(weight: float) -> str:
        tiny = Assistant(index, dataclasses.replace(config, section_lexical_weight=weight),
                         embed_query=embed)
        ranked = tiny.answerer._rank_sections(searched, question, embed(question), question)
        return ranked[0][1].id

    assert first(0.0) == "h-natt"  # the search's order decides a tie in the best sentence
    assert first(0.05) == "h-kanyl"


def test_a_section_whose_heading_names_the_question_wins_a_tie_in_its_body(config, embed):
    """Two sections hold the same sentence; the one whose heading names the question's
    topic comes first once `heading_weight` weighs the heading path's share of the
    question's words, though the search ranked the other first (the word shares of the
    sentence and the whole section, which also read headings, are off, and the search's
    order weighs more than the sentences' cosines, which read the headings too)."""
    shared = "Personalen dokumenterar varje insats i journalen samma dag."
    titled = section("h-lakemedel", shared, title="Läkemedelsgenomgång", part="B",
                     number="B.9")
    other = section("h-rutin", shared, title="Dokumentation", part="B", number="B.8")
    index = memory_index([titled, other], embed)
    question = "Hur dokumenteras en läkemedelsgenomgång?"
    searched = [Hit(other, 0.03, 0.5, "h-rutin#0"), Hit(titled, 0.02, 0.5, "h-lakemedel#0")]

    def first(weight: float) -> str:
        tiny = Assistant(index, dataclasses.replace(
            config, heading_weight=weight, lexical_weight=0.0, section_lexical_weight=0.0,
            rank_weight=1.0),
            embed_query=embed)
        ranked = tiny.answerer._rank_sections(searched, question, embed(question), question)
        return ranked[0][1].id

    assert first(0.0) == "h-rutin"
    assert first(1.0) == "h-lakemedel"


def test_a_follow_ups_own_words_weigh_the_whole_section_unless_switched_off(fake_assistant,
                                                                             monkeypatch):
    """The section word share reads the question as asked: for a follow-up ("och om det är
    på helgen då?") its own words, without the earlier turn's (section_words_in_follow_ups;
    off, none are given)."""
    seen: list[str] = []
    answerer = fake_assistant.answerer
    original = answerer._rank_sections

    def spy(hits, query, vector, asked=""):
        seen.append(asked)
        return original(hits, query, vector, asked)

    monkeypatch.setattr(answerer, "_rank_sections", spy)
    first, follow_up = "Vem planerar nattpatrullens besök?", "och om det är på helgen då?"
    fake_assistant.ask(first)
    fake_assistant.ask(follow_up, history=[first])
    monkeypatch.setattr(answerer, "settings", dataclasses.replace(
        answerer.settings, section_words_in_follow_ups=False))
    fake_assistant.ask(follow_up, history=[first])
    assert seen == [first, follow_up, ""]


def test_window_texts_keep_to_their_section_under_its_headings():
    first = section("x-ett", "Första meningen här. Andra meningen här.", title="Ett")
    second = section("x-tva", "Tredje meningen där.", title="Två")
    quotable = [x for s in (first, second) for x in sentences(s)]
    windows = window_texts(quotable, {s.id: s for s in (first, second)})
    assert windows[0] == "Avtal › Ett\nFörsta meningen här. Andra meningen här."
    assert windows[1] == windows[0]  # the last sentence of its section: no next sentence
    assert windows[2] == "Avtal › Två\nTredje meningen där."


def test_the_ranking_reads_the_window_by_its_weight(index):
    mixed = ranking_vectors(index.sentence_vectors, index.window_vectors, 0.3)
    expected = 0.7 * index.sentence_vectors + 0.3 * index.window_vectors
    assert np.allclose(mixed, expected, atol=1e-6)
    assert ranking_vectors(index.sentence_vectors, index.window_vectors, 0.0) \
        is index.sentence_vectors
    assert ranking_vectors(index.sentence_vectors, None, 0.3) is index.sentence_vectors


def _unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_sentence_near_every_other_section_is_a_hub():
    # a generic sentence between three specific ones, each in a section of its own
    vectors = _unit([1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1])
    hubs = hubness(vectors, ["a", "b", "c", "d"], k=2)
    assert hubs[0] > 0 > hubs[1]
    assert np.isclose(hubs.mean(), 0.0, atol=1e-6)  # centred: the corpus's level is zero


def test_neighbours_in_the_same_section_do_not_make_a_hub():
    vectors = _unit([1, 0.1, 0], [1, 0, 0.1], [0, 1, 0], [0, 0, 1])
    apart = hubness(vectors, ["a", "b", "c", "d"], k=1)
    together = hubness(vectors, ["a", "a", "c", "d"], k=1)
    assert apart[0] > together[0]


def test_hubness_in_blocks_equals_hubness_at_once():
    vectors = _unit(*np.random.default_rng(0).normal(size=(50, 8)).tolist())
    sections = [f"s{i // 3}" for i in range(50)]
    assert np.allclose(hubness(vectors, sections, 5, block=7), hubness(vectors, sections, 5),
                       atol=1e-6)


def test_each_sentence_score_is_lowered_by_its_hubness_times_the_weight(index, config, embed):
    plain = Assistant(index, dataclasses.replace(config, hub_weight=0.0), embed_query=embed)
    weighted = Assistant(index, dataclasses.replace(config, hub_weight=0.5), embed_query=embed)
    section = index.sections[1]
    vector = embed("Vem betalar hjälpmedel till barn?")
    before = {c.index: c.score for c in plain.answerer._candidates(section, vector, {})}
    after = {c.index: c.score for c in weighted.answerer._candidates(section, vector, {})}
    hubs = hubness(weighted.answerer.rank_vectors, [x.section_id for x in index.sentences],
                   config.hub_k)
    assert before and before.keys() == after.keys()
    for i, score in before.items():
        assert after[i] == pytest.approx(score - 0.5 * hubs[i], abs=1e-5)


def test_the_answerer_reads_the_hubness_a_build_stored(index, config, embed):
    stored = np.linspace(-0.1, 0.1, len(index.sentences)).astype(np.float32)
    assistant = Assistant(dataclasses.replace(index, hubness=stored),
                          dataclasses.replace(config, hub_weight=0.5), embed_query=embed)
    assert np.allclose(assistant.answerer.hub_penalty, 0.5 * stored)


def test_stored_hubness_is_read_only_for_the_settings_it_was_computed_for(tmp_path, index):
    config = Settings(window_weight=0.3, hub_k=2)
    sections = [x.section_id for x in index.sentences]
    stored_hubness.write(tmp_path, index.sentence_vectors, index.window_vectors, sections, config)
    manifest = {"hubness": stored_hubness.computed_for(config)}
    count = len(index.sentences)
    expected = hubness(ranking_vectors(index.sentence_vectors, index.window_vectors, 0.3),
                       sections, 2)
    assert np.allclose(stored_hubness.read(tmp_path, manifest, config, count), expected)
    assert stored_hubness.read(tmp_path, manifest, Settings(window_weight=0.3, hub_k=3),
                               count) is None
    assert stored_hubness.read(tmp_path, manifest, Settings(window_weight=0.5, hub_k=2),
                               count) is None
    assert stored_hubness.read(tmp_path, {}, config, count) is None  # an older build
    assert stored_hubness.read(tmp_path, manifest, config, count + 1) is None


def test_relevance_shown_reads_the_distance_to_the_answer_not_the_ratio():
    """The "relevans N %" of a further source: the same gap shows the same share whether
    scores are plain cosines near 0.85 or adapted ones near 0 (a ratio would read 98 % and
    -100 %); always within 0–1."""
    assert relevance(0.86, 0.83, 0.06) == pytest.approx(relevance(0.03, 0.0, 0.06)) == 0.75
    assert relevance(0.86, 0.80, 0.06) == pytest.approx(0.5)
    assert relevance(0.05, -0.5, 0.06) == 0.0
    assert relevance(0.05, 0.09, 0.06) == 1.0
    assert relevance(0.5, 0.1, 0.0) == 1.0


def test_margins_are_read_wider_for_a_question_ranked_through_the_adapter(config, index,
                                                                        embed):
    """An adapted question's scores spread wider, so the same margins take in more: with
    margins too narrow to reach a second sentence, the adapted reading still widens the quote
    and adds sources, the plain one does not."""
    narrow = dataclasses.replace(config, extend_margin=1e-6, citation_margin=1e-6,
                                 adapted_margin_scale=1e6)
    tiny = Assistant(index, narrow, embed_query=embed)
    question = "Vem betalar sondmat till den som bor på särskilt boende?"
    query = tiny.query(question)
    plain = tiny.answerer.answer(question, query, EVERYWHERE)
    wide = tiny.answerer.answer(question, dataclasses.replace(query, adapted=True), EVERYWHERE)
    assert len(plain.citations) == 1 and plain.citations[0].quote.count(".") == 1
    assert plain.citations[0].section_id == wide.citations[0].section_id == "b-sondmat"
    assert len(wide.citations) > 1 or wide.citations[0].quote.count(".") > 1
