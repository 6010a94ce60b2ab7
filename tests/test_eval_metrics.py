"""Gold ↔ citation matching, quote verification and metrics on a small hand-made tree."""

from __future__ import annotations

import argparse

import pytest

from assistant.eval.baseline import SectionLocator
from assistant.eval.commands import parse_thresholds
from assistant.eval.matching import (
    SectionTree,
    agreement_titles,
    hit_rank,
    missing_facts,
    quote_problem,
    resolve_golds,
)
from assistant.eval.metrics import aggregate, judge, threshold_failures
from assistant.eval.questions import GoldRef, Question
from assistant.types import Answer, Citation, Section

_TITLES = agreement_titles() or {}
MUNHALSA = _TITLES.get("munhalsa", "Samverkan om Munhälsa – uppsökande och nödvändig tandvård")
LAKARE = _TITLES.get("lakarmedverkan", "Läkarmedverkan i kommunal primärvård")


def _section(id_, kind, part, agreement, number, title, body, parent=None, level=1, doc=None):
    document = doc or {"avtal": "hos-avtal-2023", "strategi": "fardplan-2022"}.get(kind, "nyhet")
    return Section(
        id=id_,
        document=document,
        document_title=document,
        kind=kind,
        part=part,
        agreement=agreement,
        section=number,
        title=title,
        level=level,
        path=[title],
        body=body,
        spans=[(0, 10)],
        parent=parent,
    )


def sample_sections() -> list[Section]:
    return [
        _section(
            "a-avtalstid",
            "avtal",
            "A",
            None,
            None,
            "Avtalstid",
            "Avtalet gäller under perioden 2023-01-01 – 2026-12-31. Om ingen part "
            "skriftligen sagt upp avtalet förlängs det med tre år i taget med arton "
            "månaders uppsägningstid.",
        ),
        _section(
            "b-9",
            "avtal",
            "B",
            None,
            "B.9",
            "Läkemedel",
            "VGR ansvarar för kostnader, exklusive patientens egenavgift, för läkemedel.",
        ),
        _section(
            "b-11",
            "avtal",
            "B",
            None,
            "B.11",
            "Personligt förskrivna hjälpmedel",
            "Hjälpmedel till barn och unga upp till 18 år är VGR:s ansvar.",
        ),
        _section("c-mun", "avtal", "C", MUNHALSA, None, MUNHALSA, "Inledning om munhälsa."),
        _section("c-mun-5", "avtal", "C", MUNHALSA, "5", "Ansvar", "", parent="c-mun"),
        _section(
            "c-mun-5-1",
            "avtal",
            "C",
            MUNHALSA,
            "5.1",
            "Västra Götalandsregionens ansvar",
            "Regionen ansvarar för uppsökande munhälsobedömning.",
            parent="c-mun-5",
            level=3,
        ),
        _section(
            "c-mun-5-2",
            "avtal",
            "C",
            MUNHALSA,
            "5.2",
            "Kommunens ansvar",
            "Kommunen identifierar personer med rätt till intyg.",
            parent="c-mun-5",
            level=3,
        ),
        _section("c-lak", "avtal", "C", LAKARE, None, LAKARE, "Om läkarmedverkan."),
        _section(
            "c-lak-5-1",
            "avtal",
            "C",
            LAKARE,
            "5.1",
            "Regionens ansvar",
            "Regionen ansvarar för läkarmedverkan dygnet runt.",
            parent="c-lak",
        ),
        _section(
            "f-9-4-3",
            "strategi",
            None,
            None,
            "9.4.3",
            "Samordnad individuell plan",
            "SIP ska användas mer.",
        ),
        _section(
            "n-1",
            "nyhet",
            None,
            None,
            None,
            "Regionstyrelsen 17 maj",
            "Regionstyrelsen beslutade om ett nytt avtal.",
            doc="regionstyrelsen-2022",
        ),
    ]


@pytest.fixture
def tree() -> SectionTree:
    return SectionTree(sample_sections())


def cite(tree: SectionTree, section_id: str, quote: str | None = None) -> Citation:
    s = tree.by_id[section_id]
    return Citation(
        s.document,
        s.document_title,
        s.part,
        s.agreement,
        s.section,
        s.title,
        10,
        s.body if quote is None else quote,
        section_id=s.id,
    )


def question(qtype: str = "numeric", gold=(), facts=()) -> Question:
    return Question("q", "Fråga?", qtype, tuple(gold), tuple(facts))


GOLD_MUN_5 = GoldRef("agreement", "C", "munhalsa", "5", "Ansvar")
GOLD_B9 = GoldRef("agreement", "B", None, "B.9", "Läkemedel")
GOLD_TIME = GoldRef("agreement", "A", None, None, "avtalstid")


def test_gold_resolves_by_number_or_title_and_agreement(tree):
    assert [s.id for s in tree.resolve(GOLD_B9)] == ["b-9"]
    assert [s.id for s in tree.resolve(GOLD_TIME)] == ["a-avtalstid"]
    lak = GoldRef("agreement", "C", "lakarmedverkan", "5.1", None)
    assert [s.id for s in tree.resolve(lak)] == ["c-lak-5-1"]
    assert tree.resolve(GoldRef("agreement", "B", None, "B.99", None)) == []
    fardplan = GoldRef("fardplan", None, None, "9.4.3", None)
    assert [s.id for s in tree.resolve(fardplan)] == ["f-9-4-3"]
    context = GoldRef("context", None, None, None, "Regionstyrelsen 17 maj", "regionstyrelsen-2022")
    assert [s.id for s in tree.resolve(context)] == ["n-1"]


def test_subheading_of_gold_is_a_hit_but_parent_and_other_agreement_are_not(tree):
    golds = resolve_golds(question(gold=[GOLD_MUN_5]), tree)
    assert hit_rank([cite(tree, "c-mun-5-1")], golds, tree, multi=False) == 1
    assert hit_rank([cite(tree, "c-mun")], golds, tree, multi=False) is None
    assert hit_rank([cite(tree, "c-lak-5-1")], golds, tree, multi=False) is None
    cited = [cite(tree, "b-9"), cite(tree, "c-lak-5-1"), cite(tree, "c-mun-5-2")]
    assert hit_rank(cited, golds, tree, multi=False) == 3


def test_citation_without_section_id_is_located_by_fields(tree):
    golds = resolve_golds(question(gold=[GOLD_MUN_5]), tree)
    plain = Citation("hos-avtal-2023", "x", "C", MUNHALSA, "5.2", "Kommunens ansvar", None, "q")
    assert tree.locate(plain).id == "c-mun-5-2"
    assert hit_rank([plain], golds, tree, multi=False) == 1


def test_multi_needs_every_gold_within_max_k_and_gold_count(tree):
    q = question("multi", gold=[GOLD_B9, GOLD_TIME])
    golds = resolve_golds(q, tree)
    both = [cite(tree, "a-avtalstid"), cite(tree, "b-9")]
    assert hit_rank(both, golds, tree, multi=True) == 1
    late = [cite(tree, "b-9"), cite(tree, "c-mun"), cite(tree, "a-avtalstid")]
    assert hit_rank(late, golds, tree, multi=True) == 3
    assert hit_rank([cite(tree, "b-9")], golds, tree, multi=True) is None


def test_quote_must_be_verbatim_in_the_cited_section(tree):
    assert quote_problem(cite(tree, "b-9", "VGR ansvarar  för\nkostnader,"), tree) is None
    assert quote_problem(cite(tree, "b-9", "VGR ansvarar för … egenavgift,"), tree) is None
    assert quote_problem(cite(tree, "b-9", "egenavgift … VGR ansvarar"), tree) is not None
    assert quote_problem(cite(tree, "b-9", "VGR betalar allt."), tree) is not None
    # True text, but from another section than the one cited.
    assert quote_problem(cite(tree, "b-11", "VGR ansvarar för kostnader"), tree) is not None
    assert quote_problem(cite(tree, "b-9", "vgr ansvarar för kostnader"), tree) is not None
    missing = Citation("hos-avtal-2023", "x", "B", None, "B.42", "Finns ej", None, "text")
    assert quote_problem(missing, tree) is not None


def test_key_facts_ignore_case_and_whitespace():
    assert missing_facts(["Arton  månader"], ["… med arton\nmånaders uppsägningstid"]) == []
    assert missing_facts(["tolv månader"], ["arton månader"]) == ["tolv månader"]


def test_aggregate_scores_hits_facts_and_abstentions(tree):
    answerable = question(gold=[GOLD_TIME], facts=["arton månaders uppsägningstid"])
    right = Answer(
        "?",
        "Avtalet förlängs med arton månaders uppsägningstid.",
        False,
        [cite(tree, "a-avtalstid")],
    )
    wrong = Answer(
        "?", "Läkemedel betalas av VGR.", False, [cite(tree, "b-9"), cite(tree, "a-avtalstid")]
    )
    declined = Answer("?", "Det framgår inte av dokumenten.", True, [cite(tree, "a-avtalstid")])
    oos = Question("o", "Vad kostar parkering?", "out_of_scope")
    verdicts = [
        judge(answerable, right, tree),
        judge(answerable, wrong, tree),
        judge(answerable, declined, tree),
        judge(oos, declined, tree),
        judge(oos, wrong, tree),
    ]
    m = aggregate(verdicts)
    assert m["n"] == 5 and m["n_answerable"] == 3
    assert m["hit1"] == pytest.approx(1 / 3)
    assert m["hit3"] == pytest.approx(2 / 3)  # a declined answer is a miss
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["facts"] == pytest.approx(2 / 3)  # quotes count; a declined answer states none
    assert m["false_abstain"] == pytest.approx(1 / 3)
    assert m["oos_abstain"] == pytest.approx(1 / 2)
    assert m["citation_precision"] == pytest.approx(2 / 3)  # answered: 1 of 1, 1 of 2 gold
    assert m["unverified_quotes"] == 0
    assert m["by_part"]["Del A"]["n"] == 3
    assert m["by_type"]["out_of_scope"]["oos_abstain"] == pytest.approx(0.5)


def test_short_facts_count_only_the_sentence_the_answer_opens_with(tree):
    """`short_facts`: the key facts in `short_answer` alone; the quote holding them is not
    enough, and an answer without a short answer (or declined) holds none."""
    asked = question(gold=[GOLD_TIME], facts=["arton månaders uppsägningstid"])
    quoted = cite(tree, "a-avtalstid")
    opens_with_it = Answer("?", "…", False, [quoted],
                           short_answer="Om ingen part skriftligen sagt upp avtalet förlängs det "
                           "med tre år i taget med arton månaders uppsägningstid.")
    opens_elsewhere = Answer("?", "…", False, [quoted],
                             short_answer="Avtalet gäller under perioden 2023-01-01 – 2026-12-31.")
    without = Answer("?", "…", False, [quoted])
    verdicts = [judge(asked, a, tree) for a in (opens_with_it, opens_elsewhere, without)]
    assert [v.facts_ok for v in verdicts] == [True, True, True]
    assert [v.short_facts_ok for v in verdicts] == [True, False, False]
    assert aggregate(verdicts)["short_facts"] == pytest.approx(1 / 3)


def test_aggregate_counts_unverified_quotes(tree):
    bad = Answer("?", "x", False, [cite(tree, "b-9", "Påhittat citat.")])
    m = aggregate([judge(question(gold=[GOLD_B9]), bad, tree)])
    assert m["unverified_quotes"] == 1
    assert m["hit1"] == 1.0


def test_fail_under_thresholds():
    levels = parse_thresholds("hit1=0.6, oos=0.8")
    assert levels == {"hit1": 0.6, "oos": 0.8}
    ok = {"hit1": 0.7, "oos_abstain": 0.9, "unverified_quotes": 0}
    assert threshold_failures(ok, levels) == []
    failing = threshold_failures({"hit1": 0.5, "oos_abstain": 0.9, "unverified_quotes": 2}, levels)
    assert len(failing) == 2 and "hit1" in failing[0]
    with pytest.raises(argparse.ArgumentTypeError):
        parse_thresholds("hit9=0.5")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_thresholds("hit1=1.5")


def test_baseline_locator_maps_raw_text_with_debris(tree):
    locator = SectionLocator(tree.sections)
    raw = (
        "Page 4 of 87\nVGR ansvarar för kost-\nnader, exklusive patientens egenavgift, "
        "för läke-\nmedel."
    )
    section, _ = locator.locate(raw)
    assert section is not None and section.id == "b-9"
    heading = "B.11 Personligt förskrivna hjälpmedel\nHjälpmedel till barn och unga upp till 18 år"
    section, _ = locator.locate(heading)
    assert section is not None and section.id == "b-11"
    assert locator.locate("Helt annan text som inte finns någonstans i korpusen alls.")[0] is None
