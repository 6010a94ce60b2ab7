"""Answers in a conversation, short answers and declines on the real index (own wording)."""

from __future__ import annotations

import pytest

from assistant.answer.compose import UNSURE
from assistant.ingest.clean import collapse
from assistant.service import NOT_A_QUESTION

pytestmark = pytest.mark.slow


def test_a_standalone_question_after_another_topic_is_searched_alone(assistant):
    alone = assistant.ask("Vilken vårdcentral har läkaransvaret på ett korttidsboende?")
    after = assistant.ask("Vilken vårdcentral har läkaransvaret på ett korttidsboende?",
                          history=["Vad ska en samordnad individuell plan innehålla?"])
    assert after.citations[0].section_id == alone.citations[0].section_id


def test_an_elliptic_follow_up_stays_on_the_earlier_topic(assistant):
    answer = assistant.ask("och när det gäller vuxna då?",
                           history=["Till vilken ålder bekostar regionen barns hjälpmedel?"])
    assert not answer.abstained
    assert answer.citations[0].section in ("B.10", "B.11")


def test_ordinary_questions_with_instruction_words_are_answered(assistant):
    for question in ("Kan vi ignorera en SIP om patienten flyttar till en annan kommun?",
                     "Får kommunen bortse från regionens bedömning vid utskrivningen?"):
        answer = assistant.ask(question)
        assert answer.answer != NOT_A_QUESTION, question
        assert answer.citations, question


def test_the_short_answer_is_a_verbatim_sentence_of_the_first_quote(assistant):
    answer = assistant.ask("Hur många månader i förväg ska avtalet sägas upp?")
    assert answer.short_answer and answer.confidence in ("hög", "låg")
    assert collapse(answer.short_answer) in collapse(answer.citations[0].quote)
    assert answer.key_fact and answer.key_fact in answer.short_answer
    assert "arton månader" in answer.key_fact
    assert answer.answer.count(answer.citations[0].quote) <= 1


def test_a_decline_under_a_filter_names_it_and_offers_everything(assistant):
    answer = assistant.ask("Vem betalar semesterersättning till tandsköterskor?", scope="A")
    assert answer.abstained and answer.confidence is None
    assert "Del A" in answer.answer and "Alla" in answer.answer


def test_low_confidence_answers_say_so(assistant):
    low = assistant.answerer.decision.decline_below + 1e-6
    assert assistant.answerer.decision.confidence(low) == "låg"
    assert UNSURE.startswith("Jag är inte säker")


@pytest.mark.parametrize("question", [
    "Hur fungerar den gemensamma planeringen när någon lämnar slutenvården?",
    "Finns det någon regel om vem som betalar tolk vid läkarbesök i hemmet?",
    "Rullatorer till barn – vem står för dem?",
    # long: it says what it asks about, though "den" looks like a pronoun pointing back
    "Får regionen lämna över ansvaret för en uppgift till kommunen genom att skriva ett avtal "
    "om den?",
    # "den" points to the agreement named in the clause before it
    "Vilken giltighetstid har överenskommelsen och vad gäller efter den?",
])
def test_articles_and_pronouns_with_their_own_antecedent_are_read_alone(assistant, question):
    query = assistant.query(question, ["Varför finns munhälsoavtalet, vad ska det uppnå?"])
    assert query is not None and not query.follow_up


def test_a_question_about_another_region_is_declined(assistant):
    answer = assistant.ask("Hur ersätts hemsjukvården i Region Jämtland Härjedalen?")
    assert answer.abstained


def test_a_follow_up_with_a_word_of_its_own_is_read_with_the_turn_before(assistant):
    # Alone it would be answered confidently (about ordinations); it continues the plan.
    history = ["Vem kallar till en samordnad individuell plan?"]
    query = assistant.query("och om patienten har en ordination från läkaren?", history)
    assert query is not None and query.follow_up
    assert "samordnad individuell plan" in query.text
