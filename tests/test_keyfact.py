"""The key fact of a short answer (answer/keyfact.py) and the calibrated decision model
(answer/decide.py): pure logic, milliseconds."""

from __future__ import annotations

from assistant.answer.decide import HIGH, LOW, DecisionModel
from assistant.answer.keyfact import key_fact, marked


def fact(sentence: str, question: str) -> str | None:
    span = key_fact(sentence, question)
    return sentence[span[0]:span[1]] if span else None


def test_an_age_limit_is_the_fact_of_an_age_question():
    sentence = "För ungdomar till och med 19 år står regionen för kostnaden."
    assert fact(sentence, "Upp till vilken ålder betalar regionen?") == "till och med 19 år"


def test_the_responsible_party_is_the_fact_of_a_who_question():
    sentence = "Kommunen ansvarar för transporten men regionen äger förrådet."
    assert fact(sentence, "Vem sköter transporten?") == "Kommunen"


def test_a_period_in_words_is_found():
    sentence = "Avtalet kan sägas upp med nio månaders uppsägningstid."
    assert fact(sentence, "Hur lång tid har parterna på sig?") == "nio månaders uppsägningstid"


def test_dates_and_amounts_are_facts():
    assert fact("Planen gäller 2024-02-01 – 2025-01-31.", "När gäller planen?") == (
        "2024-02-01 – 2025-01-31")
    assert fact("Avgiften är 250 kronor per besök.", "Vad kostar ett besök?") == "250 kronor"


def test_how_often_and_which_year_are_facts():
    assert fact("Tandvården erbjuds årligen till alla med intyg.",
                "Hur ofta erbjuds tandvård?") == "årligen"
    assert fact("Rutinen ses över två gånger per år av förvaltningen.",
                "Hur ofta ses rutinen över?") == "två gånger per år"
    assert fact("Planen utvärderas 2025 och 2029.", "När utvärderas planen?") == "2025"
    assert key_fact("Planen utvärderas 2025 och 2029.", "Vad ska utvärderas?") is None
    # a law's number is not a year
    assert key_fact("Enligt lagen (2017:30) gäller detta.", "När gäller detta?") is None


def test_a_who_question_is_not_answered_by_a_number():
    sentence = "Taxan bestäms varje år av regeringen."
    assert fact(sentence, "Vem bestämmer taxan?") == "regeringen"
    assert key_fact("Taxan räknas om varje år.", "Vem räknar om taxan?") is None
    assert fact("Taxan räknas om varje år.", "Hur ofta räknas taxan om?") == "varje år"
    assert fact("Utsedd vårdcentral har ansvaret på boendet.", "Vem har ansvaret?") == (
        "vårdcentral")


def test_a_sentence_without_a_fact_has_none():
    assert key_fact("Samverkan ska präglas av tillit.", "Hur ska samverkan vara?") is None


def test_marking_wraps_the_fact_only():
    sentence = "Avgiften är 250 kronor per besök."
    assert marked(sentence, key_fact(sentence, "Vad kostar det?")) == (
        "Avgiften är **250 kronor** per besök.")


def model(decline: float = 0.3, sure: float = 0.7) -> DecisionModel:
    return DecisionModel(("similarity", "unknown"), (0.8, 0.0), (0.1, 1.0), (3.0, -2.0),
                         0.0, decline, sure)


def test_probability_rises_with_similarity_and_falls_with_an_unknown_topic():
    m = model()
    low = m.probability({"similarity": 0.75, "unknown": 0.0})
    high = m.probability({"similarity": 0.9, "unknown": 0.0})
    unknown = m.probability({"similarity": 0.9, "unknown": 1.0})
    assert low < high and unknown < high


def test_three_states_from_two_thresholds():
    m = model()
    assert m.confidence(0.1) is None
    assert m.confidence(0.5) == LOW
    assert m.confidence(0.9) == HIGH


def test_the_model_round_trips_through_its_file_format():
    m = model()
    assert DecisionModel.from_dict(m.to_dict()) == m
