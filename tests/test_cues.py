"""Cues a question gives about where its answer stands."""

from __future__ import annotations

import pytest

from assistant.answer.cues import (
    asked_in_turn,
    asked_quantities,
    counted,
    gives_quantity,
    in_english,
    named_agreement,
    read_cues,
    without_asking,
)


def test_a_named_part_is_read():
    assert read_cues("Vad säger del A om kunskap?").part == "A"
    assert read_cues("Vad gäller enligt Del C?").part == "C"
    assert read_cues("Vad delar kommunen ut?").part is None  # "delar" is not "del"


def test_two_parts_name_no_single_part():
    assert read_cues("Skiljer sig del A och del B åt?").part is None


def test_the_strategy_is_read():
    assert read_cues("Vilka mål har färdplanen?").strategy
    assert not read_cues("Vilka mål har avtalet?").strategy


def test_questions_about_changes_or_the_previous_agreement():
    for question in ("Vad ändrades i uppsägningstiden?", "Vad sa det gamla avtalet?",
                     "Är avtalstiden längre nu jämfört med förut?",
                     "Vilka skillnader finns mot tidigare avtal?", "Vad är nytt i avtalet?"):
        assert read_cues(question).history, question
    assert not read_cues("Hur lång är uppsägningstiden?").history


def test_english_questions_are_recognised():
    assert in_english("How long before the end can the parties cancel this contract?")
    assert not in_english("Vem betalar hjälpmedel till barn?")
    assert not in_english("SIP?")


def test_the_kind_of_quantity_asked_for_is_read():
    assert asked_quantities("Vad kostar en hörapparat för en pensionär?") == ("amount",)
    assert asked_quantities("Hur mycket får man betala för fotvården?") == ("amount",)
    assert asked_quantities("Hur länge får en patient ligga kvar efter beslutet?") == (
        "duration",)
    # a number of days names its unit: a span of them, not a bare count
    assert asked_quantities("Inom hur många dygn ska planen vara klar?") == ("span",)
    assert asked_quantities("Inom hur lång tid ska planen vara klar?") == ("duration",)
    assert asked_quantities("Hur många platser har nattpatrullen?") == ("count",)
    assert asked_quantities("Hur ofta ska vikten följas upp?") == ("frequency",)
    assert asked_quantities("Upp till vilken ålder får barn hörapparater gratis?") == ("age",)
    assert asked_quantities("Hur lång väntetid är det på korttidsplats?") == ("duration",)
    assert asked_quantities("Vad tar dietisten betalt för ett hembesök?") == ("amount",)
    # a modal verb before "kosta" asks an amount all the same
    assert asked_quantities("Vad ska en natt på korttids kosta brukaren?") == ("amount",)


def test_a_figure_in_a_named_unit_is_asked_for_and_given():
    assert asked_quantities("Hur många procent av fotvården står regionen för?") == ("figure",)
    assert asked_quantities("Vad kostar en hörapparat i kronor?") == ("figure",)
    assert asked_quantities("Har någon den exakta summan för ett hembesök?") == ("figure",)
    assert gives_quantity("Regionen står för 40 % och kommunen för resten.", ("figure",))
    assert gives_quantity("Kommunen betalar en fjärdedel av kostnaden.", ("figure",))
    assert gives_quantity("Egenavgiften är 1 200 kr per år.", ("figure",))
    # naming the payment is an amount's answer, not a figure's
    assert gives_quantity("Kommunen betalar ersättning enligt fastställt belopp.", ("amount",))
    assert not gives_quantity("Kommunen betalar ersättning enligt fastställt belopp.",
                              ("figure",))


def test_who_and_what_questions_ask_for_no_quantity():
    assert asked_quantities("Vem betalar hörapparatens batterier?") == ()
    assert asked_quantities("Vem står för kostnaden för sondmaten?") == ()
    assert asked_quantities("Vad gäller för fotvård på korttidsboende?") == ()


def test_a_way_to_reach_someone_is_asked_for_and_given():
    assert asked_quantities("Vilket telefonnummer har jouren i helgen?") == ("contact",)
    assert asked_quantities("vilket nummer ringer jag då?") == ("contact",)
    assert asked_quantities("Vart skickar man det, har ni en mejladress?") == ("contact",)
    # a number that is not a way to reach anyone
    assert asked_quantities("Vilket nummer har paragrafen om hjälpmedel?") == ()
    assert gives_quantity("Ring växeln på 031-123 45 67 dygnet runt.", ("contact",))
    assert gives_quantity("Frågor skickas till kansli@exempel.se.", ("contact",))
    assert gives_quantity("Mer finns på www.exempel.se.", ("contact",))
    assert not gives_quantity("Kontakta den kommunala sjuksköterskan.", ("contact",))
    assert not gives_quantity("Avtalet gäller 2024-2027.", ("contact",))


def test_a_follow_up_asks_what_its_own_words_ask():
    earlier = "Vem ansvarar för fotvården på boendet?"
    # its own words ask an amount, though the turn before asked who
    assert asked_in_turn(f"{earlier} hur mycket kostar den?", "hur mycket kostar den?") == (
        "amount",)
    # its own words ask who, though the turn before asked an amount
    assert asked_in_turn("Vad kostar fotvården? och vem betalar?", "och vem betalar?") == ()
    # its own words ask nothing: it asks what the turn before asked
    assert asked_in_turn("Vad kostar fotvården? och för barn då?", "och för barn då?") == (
        "amount",)


def test_a_sentence_gives_the_kind_of_quantity_asked_for():
    assert gives_quantity("Avgiften är 150 kronor per besök.", ("amount",))
    assert not gives_quantity("Regionen betalar sondmaten.", ("amount",))
    assert gives_quantity("Tvisten lyfts inom 30 dagar.", ("duration",))
    assert gives_quantity("Planen ska göras skyndsamt.", ("duration",))
    assert not gives_quantity("Tvisten lyfts till samrådsgruppen.", ("duration",))
    assert gives_quantity("Vikten följs upp varje månad.", ("frequency",))
    assert gives_quantity("Listan stäms av kvartalsvis med enheten.", ("frequency",))
    assert gives_quantity("Såren läggs om dagligen.", ("frequency",))
    assert not gives_quantity("Såren läggs om exempelvis av hemsjukvården.", ("frequency",))
    assert gives_quantity("Barn till och med 17 år får hörapparater.", ("age",))


def test_how_often_is_given_by_a_time_not_by_every_thing():
    assert gives_quantity("Listan stäms av en gång per kvartal.", ("frequency",))
    assert gives_quantity("Teamet träffas varje vecka.", ("frequency",))
    assert not gives_quantity("Varje enhet utser en ombudsperson.", ("frequency",))
    assert not gives_quantity("Ersättningen räknas per kommun.", ("frequency",))


def test_a_dated_period_says_how_long_something_holds():
    assert gives_quantity("Planen gäller från 1 mars 2025 till 28 februari 2027.", ("duration",))
    assert gives_quantity("Riktlinjen gäller för perioden 2024–2027.", ("duration",))
    assert gives_quantity("Ordningen gäller till och med 2028.", ("duration",))
    assert gives_quantity("Ordningen gäller t.o.m. juni 2028.", ("duration",))
    assert not gives_quantity("Planen antogs av nämnden i mars.", ("duration",))
    # a date answers how long, not how many days
    assert not gives_quantity("Planen gäller från 1 mars 2025.", ("span",))


def test_numbers_in_words_give_a_span():
    assert gives_quantity("Beslutet gäller i sjutton månader.", ("span",))
    assert gives_quantity("Uppsägningstiden är fjorton dagar.", ("duration",))


def test_a_span_is_given_by_a_number_of_time_units():
    assert gives_quantity("Tvisten lyfts inom 30 dagar.", ("span",))
    assert gives_quantity("Svar ges inom fem arbetsdagar.", ("span",))
    assert not gives_quantity("Planen ska göras skyndsamt.", ("span",))
    assert not gives_quantity("Frågan lyfts inom ramen för samverkan.", ("span",))


def test_a_count_names_the_thing_counted():
    assert counted("Hur många nattpatruller har staden?") == "nattpatruller"
    assert counted("Hur många finns det i länet?") is None  # a verb, not a thing
    assert counted("Hur många ssk behövs på natten?") is None  # an abbreviation
    # "hur många gånger" asks how often, not for a count
    assert asked_quantities("Hur många gånger per vecka byts förbandet?") == ("frequency",)
    assert asked_quantities("Hur många ggr om året tvättas gardinerna?") == ("frequency",)


def test_a_count_is_given_by_a_number_of_the_thing_counted():
    assert gives_quantity("Staden har 12 nattpatruller.", ("count",), "nattpatruller")
    assert gives_quantity("Länet delas in i fyra lokala samverkansområden.", ("count",),
                          "områden")  # the thing as a compound's last part
    assert gives_quantity("Varje enhet utser minst en ombudsperson.", ("count",),
                          "ombudspersoner")
    assert gives_quantity("Det ska finnas tillräckligt många handledare.", ("count",),
                          "handledare")
    # another number, or the article "en", does not count the thing
    assert not gives_quantity("Staden har 12 bilar.", ("count",), "nattpatruller")
    assert not gives_quantity("En nattpatrull åker ut vid larm.", ("count",), "nattpatruller")
    # without a thing any number is a count
    assert gives_quantity("Staden har 12 bilar.", ("count",))


def test_the_phrase_asking_for_a_quantity_is_not_the_topic():
    words = without_asking("Hur många veckor innan ska kallelsen till vårdplaneringen gå ut?")
    assert "veckor" not in words and "vårdplaneringen" in words
    words = without_asking("Hur mycket får vi betala för fotvården?")
    assert "betala" not in words and "fotvården" in words
    words = without_asking("Vad måste brukaren betala för fotvården?")
    assert "betala" not in words and "fotvården" in words
    # a named time ("…tiden") is asked for and is the topic too: only "hur lång" goes
    words = without_asking("Hur lång är handläggningstiden?")
    assert asked_quantities("Hur lång är handläggningstiden?") == ("duration",)
    assert "handläggningstiden" in words and "lång" not in words
    assert "sondavgiften" in without_asking("Vad är sondavgiften i år?")
    # a question asking no quantity is left as it is
    question = "Vem betalar fotvården?"
    assert without_asking(question) == question


TITLES = ("Samverkan kring hjälpmedel i hemmet", "Läkemedelsförsörjning på särskilt boende",
          "Samverkan kring barn och unga")


@pytest.mark.parametrize(("question", "title"), [
    ("Vad säger hjälpmedelsöverenskommelsen om rullatorer?", TITLES[0]),
    ("Gäller läkemedelsöverenskommelsen korttidsboenden?", TITLES[1]),
    ("Vad står i överenskommelsen om barn om skolan?", TITLES[2]),
    ("Vad säger samverkansöverenskommelsen?", None),  # two titles share the word
    ("Är en överenskommelse bindande?", None),
])
def test_an_agreement_named_by_a_word_of_its_title(question, title):
    assert named_agreement(question, TITLES) == title
