"""Follow-up detection (retrieve/conversation.py) with a word list standing in for the corpus:
fast, no model or index."""

from __future__ import annotations

import numpy as np
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
    "vem följer upp rehab sedan?",
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
    "Står det något om semesterdagar i avtalet?",
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


@pytest.fixture
def with_length_rule() -> Conversation:
    return Conversation(lambda word: word.lower() in TOPICS, standalone_words=12)


LONG_WITH_INNER_PRONOUN = ("Kan kommunen låta en annan vårdgivare ta hand om nattbesöken och "
                           "betala den för varje besök?")


def test_a_long_question_is_read_alone_even_with_a_pronoun(conversation, with_length_rule):
    # "den" points to the caregiver named before it; without the length rule it looks
    # like a pronoun pointing back in the conversation.
    assert conversation.depends(LONG_WITH_INNER_PRONOUN)
    assert not with_length_rule.depends(LONG_WITH_INNER_PRONOUN)
    reading = with_length_rule.read(LONG_WITH_INNER_PRONOUN,
                                    ["Vem betalar rullatorer till ungdomar?"])
    assert not reading.follow_up and reading.text == LONG_WITH_INNER_PRONOUN


@pytest.mark.parametrize("question", [
    "och om hen är 30 då?",
    "vem kallar till den?",
    "och vem står för kostnaden när brukaren bor kvar hemma då?",  # eleven words
])
def test_short_follow_ups_still_depend_with_the_length_rule(with_length_rule, question):
    assert with_length_rule.depends(question)


def test_a_long_earlier_turn_is_where_the_context_starts(with_length_rule):
    long_turn = ("Hur ska hemtjänsten och tandvården samarbeta när en brukare på "
                 "korttidsboende behöver hjälp med munvården varje dag?")
    history = ["Vem betalar rullatorer till ungdomar?", long_turn]
    reading = with_length_rule.read("och vem kallar till den?", history)
    assert reading.follow_up
    assert reading.text.startswith(long_turn) and "rullatorer" not in reading.text


def test_the_length_counts_words_not_characters():
    rule = Conversation(lambda word: False, standalone_words=3)
    assert rule.long("vem betalar den?") and not rule.long("betalar den?")
    assert not Conversation(lambda word: False).long(LONG_WITH_INNER_PRONOUN)


@pytest.fixture
def with_antecedents() -> Conversation:
    return Conversation(lambda word: word.lower() in TOPICS, antecedent_zipf=5.0)


@pytest.mark.parametrize("question", [
    "Vilken giltighetstid har överenskommelsen och vad gäller efter den?",
    "Vem får intyg om munvård – omfattar det personer i hemtjänsten?",
])
def test_a_pronoun_after_a_rarer_word_of_an_earlier_clause_points_to_it(
        conversation, with_antecedents, question):
    assert conversation.depends(question)  # no topic word before the pronoun
    assert not with_antecedents.depends(question)


@pytest.mark.parametrize("question", [
    "vem ska betala den?",  # nothing before it
    "och om hen är 30 då?",  # a continuation, whatever else
    "om det blir akut, vem tar den?",  # "akut" is common enough, "det" opens the question
    "vem ser till att personalen är med vid den?",  # one clause: the pronoun points back
])
def test_pronouns_without_an_earlier_rare_word_still_point_back(with_antecedents, question):
    assert with_antecedents.depends(question)


# --- the service's reading with a fake embedder and an in-memory index (no model) ---------

SHORT_CORPUS = [
    ("p-plan", "Planen", "En gemensam vårdplan upprättas när brukaren behöver insatser från "
     "både kommunen och regionen. Kommunens sjuksköterska kallar till planeringsmötet. "
     "Planen följs upp inom tre månader."),
    ("p-fot", "Fotvård", "Medicinsk fotvård till personer med diabetes betalas av regionen. "
     "Kommunen svarar för enklare fotvård i hemmet."),
    ("p-overlata", "Överlåtelse", "Regionen kan lämna över ansvaret för en uppgift till "
     "kommunen. Överlåtelsen regleras i ett skriftligt avtal mellan parterna."),
]


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    import dataclasses

    from assistant.config import Settings
    from assistant.service import Assistant
    from tests.fakes import HashEmbedder, decision_file, memory_index, section

    folder = tmp_path_factory.mktemp("conversation")
    config = dataclasses.replace(Settings(), index_dir=folder / "index",
                                 data_dir=folder / "data", decision_file=decision_file(folder),
                                 topic_share_max=0.4, domain_vocabulary=False, llm_url=None,
                                 chroma_url=None)
    sections = [section(id_, body, title=title, part="B") for id_, title, body in SHORT_CORPUS]
    embed = HashEmbedder()
    return Assistant(memory_index(sections, embed), config, embed_query=embed)


def test_a_follow_up_is_answered_from_the_earlier_topic(fake):
    history = ["Vem kallar till planeringsmötet om en gemensam vårdplan?"]
    query = fake.query("och när följs den upp?", history)
    assert query is not None and query.follow_up and query.text.startswith(history[0])
    answer = fake.ask("och när följs den upp?", history=history)
    assert answer.citations and answer.citations[0].section_id == "p-plan"


def test_a_long_question_after_another_topic_is_answered_as_if_asked_first(fake):
    question = ("Får regionen lämna över ansvaret för en uppgift till kommunen genom att "
                "skriva ett avtal om den?")
    history = ["Vem betalar medicinsk fotvård till personer med diabetes?"]
    query = fake.query(question, history)
    assert query is not None and not query.follow_up
    alone, after = fake.ask(question), fake.ask(question, history=history)
    assert [c.section_id for c in after.citations] == [c.section_id for c in alone.citations]
    assert after.citations[0].section_id == "p-overlata"


@pytest.mark.parametrize("question", [
    "Om brukaren flyttar, vem tar över den?",
    "När sjuksköterskan har gått hem – vem ansvarar då för dem?",
    "Ifall personalen saknar utbildning, får de ändå göra det?",
])
def test_a_condition_or_time_clause_gives_no_antecedent(with_antecedents, question):
    assert with_antecedents.depends(question)


# --- soft reading: the question alone and with its context, mixed by a weight -----------

def test_the_binary_weights_keep_each_reading_whole(conversation):
    earlier = ["Vem betalar rullatorer till ungdomar?"]
    follow = conversation.read("och för vuxna då?", earlier)
    alone = conversation.read("Hur lång uppsägningstid gäller?", earlier)
    assert follow.follow_up and follow.weight == 1.0 and follow.context == follow.text
    assert not alone.follow_up and alone.weight == 0.0
    assert alone.text == "Hur lång uppsägningstid gäller?"
    assert alone.context == "Vem betalar rullatorer till ungdomar? Hur lång uppsägningstid gäller?"


def test_the_weights_say_how_much_each_kind_of_turn_leans_on_its_context():
    soft = Conversation(lambda word: word.lower() in TOPICS, follow_up_weight=0.6,
                        alone_weight=0.2)
    earlier = ["Vem kallar till en samordnad plan?"]
    assert soft.read("vem kallar dit?", earlier).weight == 0.6
    standalone = soft.read("Hur många semesterdagar har hemtjänsten?", earlier)
    assert standalone.weight == 0.2 and standalone.text.startswith("Hur många")
    assert soft.read("vem kallar dit?", []).context is None


def test_a_follow_up_naming_a_topic_of_its_own_leans_less_on_its_context():
    soft = Conversation(lambda word: word.lower() in TOPICS, follow_up_weight=0.9,
                        topic_weight=0.4)
    earlier = ["Vem betalar rullatorer till ungdomar?"]
    bare, named = soft.read("och om hen är 30 då?", earlier), soft.read("och för vuxna?", earlier)
    assert bare.follow_up and named.follow_up and named.topic == ("vuxna",)
    assert (bare.weight, named.weight) == (0.9, 0.4)
    assert Conversation(lambda word: word in TOPICS).read("och för vuxna?", earlier).weight == 1.0


def test_a_question_whose_history_names_no_topic_has_no_context(conversation):
    reading = conversation.read("vem kallar dit?", ["hej!", "tack"])
    assert reading.context is None and reading.weight == 0.0 and not reading.follow_up


def test_mixing_is_a_weighted_sum_of_cosines():
    from assistant.retrieve.conversation import mixed

    rng = np.random.default_rng(7)
    alone, context, *texts = (v / np.linalg.norm(v) for v in rng.normal(size=(6, 16)))
    assert np.allclose(mixed(alone, context, 0.0), alone, atol=1e-6)
    assert np.allclose(mixed(alone, context, 1.0), context, atol=1e-6)
    vector = mixed(alone, context, 0.3)
    assert np.isclose(np.linalg.norm(vector), 1.0)
    fused = [0.7 * (t @ alone) + 0.3 * (t @ context) for t in texts]
    assert np.argsort([t @ vector for t in texts]).tolist() == np.argsort(fused).tolist()


def test_a_soft_follow_up_ranks_by_both_readings(fake):
    import dataclasses

    from assistant.service import Assistant

    history = ["Vem betalar medicinsk fotvård till personer med diabetes?"]
    question = "vem kallar till planeringsmötet då?"  # a follow-up naming its own topic
    hard = Assistant(fake.index, dataclasses.replace(fake.settings, topic_weight=1.0),
                     embed_query=fake.embed_query)
    binary = hard.query(question, history)
    assert binary is not None and binary.follow_up and binary.focus is None
    soft = Assistant(fake.index, dataclasses.replace(fake.settings, topic_weight=0.5),
                     embed_query=fake.embed_query)
    query = soft.query(question, history)
    assert query is not None and query.follow_up and query.text == binary.text
    assert np.array_equal(query.vector, binary.vector)  # declining reads the same question
    alone, after = fake.embed_query(question), binary.vector
    assert np.allclose(query.focus, (alone + after) / np.linalg.norm(alone + after), atol=1e-5)


def test_a_follow_up_may_be_answered_on_the_evidence_of_its_own_words(fake, monkeypatch):
    import dataclasses

    from assistant.service import Assistant

    history = ["Vem betalar medicinsk fotvård till personer med diabetes?"]
    question = "och vem kallar till planeringsmötet då?"
    strict = Assistant(fake.index, dataclasses.replace(fake.settings, alone_evidence=False),
                       embed_query=fake.embed_query)
    assert strict.query(question, history).alone is None
    lenient = fake
    query = lenient.query(question, history)
    assert query.follow_up and query.alone is not None and not query.alone.follow_up
    assert query.alone.text == lenient.search.expand(question)
    assert lenient.query("Vem kallar till planeringsmötet?", history).alone is None

    # The context's words show no evidence, the question's own do: the larger decides.
    def evidence(query_text, hits, vector, scope=None, own=None):
        return 0.0 if query_text.startswith("Vem betalar") else 0.95

    for assistant, declined in ((strict, True), (lenient, False)):
        monkeypatch.setattr(assistant.answerer, "evidence", evidence)
        assert assistant.ask(question, history=history).abstained is declined


# --- a question read alone that still signals it continues (cued_weight) -----------------

LONG_CONTINUATION = ("och om brukaren inte vill ta emot hemtjänsten på flera veckor, vem står "
                     "för kostnaden under tiden?")
LONG_WITHOUT_CUE = ("Hur många semesterdagar får personalen i hemtjänsten varje år enligt "
                    "avtalet för heltidsanställda?")


@pytest.fixture
def cued() -> Conversation:
    return Conversation(lambda word: word.lower() in TOPICS, standalone_words=12,
                        antecedent_zipf=5.0, cued_weight=0.4)


def test_a_long_continuation_is_read_alone_but_leans_on_its_context(cued):
    earlier = ["Vem betalar rullatorer till ungdomar?"]
    reading = cued.read(LONG_CONTINUATION, earlier)
    assert not reading.follow_up and reading.text == LONG_CONTINUATION
    assert reading.weight == 0.4
    assert reading.context == f"{earlier[0]} {LONG_CONTINUATION}"


def test_a_long_question_without_a_sign_of_continuing_stays_alone(cued):
    reading = cued.read(LONG_WITHOUT_CUE, ["Vem betalar rullatorer till ungdomar?"])
    assert not reading.follow_up and reading.weight == 0.0


@pytest.mark.parametrize("question", [
    # a pronoun is no sign in a long question: it mostly points inside it
    "kan arbetsterapeuten på boendet skriva ut den själv till brukaren fast regionen betalar?",
    "Hur många av de som bor på korttidsboende har rätt till tandvård varje år enligt avtalet?",
])
def test_only_an_opening_or_closing_continuation_is_a_sign(cued, question):
    assert cued.long(question) and not cued.cued(question)
    assert cued.read(question, ["Vem betalar rullatorer till ungdomar?"]).weight == 0.0


@pytest.mark.parametrize("question", [
    "men om brukaren bor kvar på korttidsboendet i flera månader, vem betalar läkarinsatserna?",
    "Vem står för tandvården när brukaren blir kvar på korttids i flera veckor då?",
    "Får vi ta ut avgiften för hela månaden av brukaren på korttids då ändå?",
])
def test_a_long_question_opening_or_closing_with_a_continuation_is_cued(cued, question):
    assert cued.long(question) and cued.cued(question)
    assert cued.read(question, ["Vem betalar rullatorer till ungdomar?"]).weight == 0.4


def test_without_cued_weight_a_question_read_alone_keeps_the_alone_weight():
    plain = Conversation(lambda word: word.lower() in TOPICS, standalone_words=12,
                         alone_weight=0.1)
    assert plain.read(LONG_CONTINUATION, ["Vem betalar rullatorer?"]).weight == 0.1


def test_a_cued_question_without_history_has_no_context(cued):
    reading = cued.read(LONG_CONTINUATION, [])
    assert reading.context is None and reading.weight == 0.0


def test_a_cued_question_read_alone_ranks_by_both_readings(fake):
    import dataclasses

    from assistant.service import Assistant

    def assistant(**settings) -> Assistant:
        return Assistant(fake.index, dataclasses.replace(fake.settings, **settings),
                         embed_query=fake.embed_query)

    history = ["Vem kallar till planeringsmötet om en gemensam vårdplan?"]
    question = ("och om brukaren inte vill delta i mötet alls, vad gör kommunens "
                "sjuksköterska med planen då?")
    plain = assistant(cued_weight=0.0).query(question, history)
    assert plain is not None and not plain.follow_up and plain.focus is None
    soft = assistant(cued_weight=0.5, cued_evidence=False).query(question, history)
    assert soft is not None and not soft.follow_up and soft.text == plain.text
    assert np.array_equal(soft.vector, plain.vector)  # declining reads the question alone
    alone = plain.ranking_vector
    after = fake.embed_query(fake.search.expand(" ".join([*history, question])))
    assert np.allclose(soft.focus, (alone + after) / np.linalg.norm(alone + after), atol=1e-5)
    assert soft.alone is None
    lenient = assistant(cued_weight=0.5, cued_evidence=True)
    both = lenient.query(question, history)
    assert both.alone is not None and both.alone.text.startswith(history[0])
    assert lenient.query("Hur betalas medicinsk fotvård till personer med diabetes?",
                         history).alone is None  # no sign of continuing: alone only


def test_a_cued_question_is_declined_only_when_neither_reading_shows_evidence(fake,
                                                                           monkeypatch):
    import dataclasses

    from assistant.service import Assistant

    history = ["Vem kallar till planeringsmötet om en gemensam vårdplan?"]
    question = ("och om brukaren inte vill delta i mötet alls, vad gör kommunens "
                "sjuksköterska med planen då?")

    # Its own words show no evidence, the reading with the turn before does.
    def evidence(query_text, hits, vector, scope=None, own=None):
        return 0.95 if query_text.startswith("Vem kallar") else 0.0

    for cued_evidence, declined in ((False, True), (True, False)):
        assistant = Assistant(fake.index, dataclasses.replace(
            fake.settings, cued_weight=0.5, cued_evidence=cued_evidence),
            embed_query=fake.embed_query)
        monkeypatch.setattr(assistant.answerer, "evidence", evidence)
        assert assistant.ask(question, history=history).abstained is declined


# --- a long question whose pronoun comes first (pointing_weight) -------------------------

LONG_POINTING = ("om hen säger nej till besöket i år, måste vi då erbjuda det igen "
                 "nästa höst?")


@pytest.fixture
def pointing() -> Conversation:
    return Conversation(lambda word: word.lower() in TOPICS, standalone_words=12,
                        antecedent_zipf=5.0, cued_weight=0.4, pointing_weight=0.3)


def test_a_long_question_leading_with_a_pronoun_leans_on_its_context(pointing):
    earlier = ["Vem betalar rullatorer till ungdomar?"]
    assert pointing.long(LONG_POINTING) and not pointing.cued(LONG_POINTING)
    reading = pointing.read(LONG_POINTING, earlier)
    assert not reading.follow_up and reading.text == LONG_POINTING
    assert reading.weight == 0.3 and reading.context == f"{earlier[0]} {LONG_POINTING}"


@pytest.mark.parametrize("question", [
    # the pronoun follows a word it can point to
    "Vilken uppsägningstid har avtalet för kommunerna och vad händer när den har löpt ut helt?",
    "Gäller riktlinjerna för alla kommuner i länet, eller måste de antas av varje nämnd för sig?",
    # the "det" of a cleft, and of a formal subject, points at nothing
    "vem är det som beslutar om avtalet ska förlängas när perioden har gått ut?",
    "finns det några regler om vilka yrkesgrupper som får delegera insatser i hemmet?",
    # names two topic words of its own
    "om hen byter från rullatorer till en annan modell, betalar vi tandvård för hela året?",
])
def test_a_long_question_whose_pronoun_has_somewhere_to_point_stays_alone(pointing, question):
    assert pointing.long(question)
    assert pointing.read(question, ["Vem betalar rullatorer till ungdomar?"]).weight == 0.0


def test_without_pointing_weight_such_a_question_keeps_the_alone_weight():
    plain = Conversation(lambda word: word.lower() in TOPICS, standalone_words=12,
                         antecedent_zipf=5.0, alone_weight=0.1)
    assert plain.read(LONG_POINTING, ["Vem betalar rullatorer?"]).weight == 0.1


def test_a_pointing_question_ranks_by_both_readings_but_is_judged_on_its_own(fake):
    import dataclasses

    from assistant.service import Assistant

    def assistant(**settings) -> Assistant:
        return Assistant(fake.index, dataclasses.replace(fake.settings, **settings),
                         embed_query=fake.embed_query)

    history = ["Vem kallar till planeringsmötet om en gemensam vårdplan?"]
    plain = assistant(pointing_weight=0.0).query(LONG_POINTING, history)
    assert plain is not None and not plain.follow_up and plain.focus is None
    soft = assistant(pointing_weight=0.5, cued_evidence=True).query(LONG_POINTING, history)
    assert soft is not None and not soft.follow_up and soft.text == plain.text
    assert np.array_equal(soft.vector, plain.vector)
    alone = plain.ranking_vector
    after = fake.embed_query(fake.search.expand(" ".join([*history, LONG_POINTING])))
    assert np.allclose(soft.focus, (alone + after) / np.linalg.norm(alone + after), atol=1e-5)
    # no sign of continuing ("och …", "… då?"): declined on its own words' evidence only
    assert soft.alone is None
