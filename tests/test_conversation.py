"""Follow-up detection (retrieve/conversation.py) with a word list standing in for the corpus:
fast, no model or index."""

from __future__ import annotations

import pytest

from assistant.retrieve.conversation import Conversation

# Stand-in for "a word only some sections use": the topic words of these tests.
TOPICS = {"rullatorer", "rullator", "tandvård", "tandvården", "korttidsboende", "kallar",
          "uppsägning", "uppsägningstid", "läkarinsatser", "vuxna", "plan", "ungdomar",
          "bårhus", "rehab", "hemtjänsten", "semesterdagar"}


@pytest.fixture
def conversation() -> Conversation:
    return Conversation(lambda word: word.lower() in TOPICS)


@pytest.mark.parametrize("question", [
    "och om hen är 30 då?",
    "vem kallar till den?",
    "gäller det även vuxna?",
    "och för vuxna?",
    "men om patienten vägrar då?",
    "hur ofta?",
    "vem godkänner ett sånt beslut?",
])
def test_elliptic_questions_depend_on_the_turn_before(conversation, question):
    assert conversation.depends(question)


@pytest.mark.parametrize("question", [
    "Vem ansvarar för läkarinsatser på korttidsboende?",
    "Hur lång uppsägningstid gäller?",
    "Vem betalar rullatorer till ungdomar?",
])
def test_a_question_with_its_own_topic_stands_alone(conversation, question):
    assert not conversation.depends(question)


@pytest.mark.parametrize("question", [
    "och vem sköter tandvården för de på korttidsboende?",
    "Hur är det med rehab på korttidsboende då?",
])
def test_an_opening_or_closing_continuation_depends_even_with_topics_of_its_own(
        conversation, question):
    # Service.query then searches it alone only if it is answered surely on its own.
    assert conversation.depends(question)


def test_a_follow_up_is_searched_with_the_earlier_topic_words(conversation):
    reading = conversation.read("och om hen är 30 då?", ["Vem betalar rullatorer till ungdomar?"])
    assert reading.follow_up
    assert reading.text == "Vem betalar rullatorer till ungdomar? och om hen är 30 då?"


def test_a_standalone_question_ignores_the_history(conversation):
    reading = conversation.read("Vem ansvarar för läkarinsatser på korttidsboende?",
                                ["Vem kallar till en samordnad plan?"])
    assert not reading.follow_up
    assert reading.text == "Vem ansvarar för läkarinsatser på korttidsboende?"


def test_a_chain_of_follow_ups_goes_back_to_the_last_standalone_turn(conversation):
    history = ["Hur lång uppsägningstid har avtalet?", "Vem betalar rullatorer till ungdomar?",
               "och för vuxna?"]
    reading = conversation.read("gäller det hemtjänsten också?", history)
    assert reading.follow_up
    assert "rullatorer" in reading.text and "vuxna" in reading.text
    assert "uppsägningstid" not in reading.text


def test_without_history_nothing_is_added(conversation):
    reading = conversation.read("och för vuxna?", [])
    assert not reading.follow_up and reading.text == "och för vuxna?"


def test_a_history_without_topic_words_adds_nothing(conversation):
    reading = conversation.read("och då?", ["hej", "tack"])
    assert not reading.follow_up and reading.text == "och då?"


def test_everyday_words_bring_the_agreement_concept():
    from assistant.retrieve.vocabulary import load_vocabulary, with_concepts

    vocabulary = load_vocabulary()
    assert with_concepts("Vem betalar en rullator?", vocabulary) == (
        "Vem betalar en rullator? (hjälpmedel)")
    assert with_concepts("Vem betalar hjälpmedel som rullstol?", vocabulary) == (
        "Vem betalar hjälpmedel som rullstol?")
    assert with_concepts("Vad gäller på kortis?", {"kortis": "korttidsboende"}).endswith(
        "(korttidsboende)")


@pytest.mark.parametrize("question", [
    "Hur ska den gemensamma planen följas upp av kommunen?",  # "den" is an article
    "Vad gäller för de tre äldsta brukarna på boendet?",
    "Finns det någon avgift för rehab?",  # the formal subject "det"
    "Vad ska vi göra när det gäller rehab för äldre?",
    "Tandvården, vem betalar den egentligen?",  # points to the topic before it
])
def test_articles_formal_subjects_and_own_antecedents_do_not_point_back(conversation, question):
    assert not conversation.depends(question)


@pytest.mark.parametrize("question", [
    "kan det vara rehab?",  # the topic comes after the pronoun
    "vem ska betala den?",
    "gäller detta även ungdomar?",
    "måste de gå med på det?",
])
def test_pronouns_without_antecedent_in_the_question_still_point_back(conversation, question):
    assert conversation.depends(question)


def test_a_topic_in_the_same_clause_is_no_antecedent(conversation):
    # "kallar" is a topic word of the stand-in corpus, but the pronoun points further back.
    assert conversation.depends("vem kallar till den?")
