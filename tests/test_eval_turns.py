"""Question sets with conversations, intervals and risk–coverage (assistant/eval): fast."""

from __future__ import annotations

import pytest

from assistant.eval.metrics import Verdict, aggregate, risk_coverage, wilson
from assistant.eval.questions import QuestionFileError, parse_questions
from assistant.eval.runner import conversation

ITEMS = """
- id: a1
  question: "Vem bekostar rullatorer?"
  type: responsibility
  gold: [{document: agreement, part: B, section: "B.11"}]
- id: a2
  question: "och för vuxna då?"
  type: responsibility
  gold: [{document: agreement, part: B, section: "B.11"}]
  history: ["Vem bekostar rullatorer?"]
- id: a3
  question: "Hur många semesterdagar har en kurator?"
  type: out_of_scope
  gold: []
  history: ["Vem bekostar rullatorer?", "och för vuxna då?"]
  turn: topic_switch
"""


def test_history_and_turn_are_read_and_derived():
    first, follow, switch = parse_questions(ITEMS)
    assert first.history == () and first.turn == "first"
    assert follow.history == ("Vem bekostar rullatorer?",) and follow.turn == "follow_up"
    assert switch.turn == "topic_switch" and len(switch.history) == 2


@pytest.mark.parametrize("extra, message", [
    ('  history: "inte en lista"\n', "history"),
    ("  history: [\"x\"]\n  turn: sidled\n", "turn"),
    ("  turn: follow_up\n", "turn"),
])
def test_bad_conversation_fields_are_reported(extra, message):
    text = '- id: b1\n  question: "Vad är SIP?"\n  type: definition\n' \
           '  gold: [{document: agreement, part: A, title: "SIP"}]\n' + extra
    with pytest.raises(QuestionFileError, match=message):
        parse_questions(text)


def test_chat_order_asks_after_every_earlier_question_of_the_file():
    questions = parse_questions(ITEMS)
    assert conversation(questions, 0, chat_order=True) == []
    assert conversation(questions, 2, chat_order=True) == ["Vem bekostar rullatorer?",
                                                           "och för vuxna då?"]
    assert conversation(questions, 1, chat_order=False) == ["Vem bekostar rullatorer?"]


def test_wilson_interval_contains_the_share_and_narrows_with_n():
    low, high = wilson(8, 10)
    assert low < 0.8 < high
    wide, narrow = wilson(8, 10), wilson(800, 1000)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert wilson(0, 0) is None
    assert wilson(10, 10)[1] == pytest.approx(1.0)


def verdict(vid: str, answerable: bool, rank: int | None, evidence: float, turn: str = "first",
            abstained: bool = False, retrieved_rank: int | None = None) -> Verdict:
    return Verdict(vid, "?", "numeric", answerable, abstained, rank, [], [], None,
                   turn=turn, searched=True, retrieved_rank=retrieved_rank, evidence=evidence)


def test_risk_rises_as_less_sure_answers_are_taken():
    verdicts = [verdict("1", True, 1, 0.9), verdict("2", True, 1, 0.8),
                verdict("3", False, None, 0.4, abstained=True),
                verdict("4", True, None, 0.3, abstained=True, retrieved_rank=1)]
    points = risk_coverage(verdicts)
    assert points[0] == (0.25, 0.0)
    assert points[2] == (0.75, pytest.approx(1 / 3))
    assert points[3] == (1.0, 0.25)  # the declined answerable one would have been right


def test_aggregate_reports_turns_recall_and_intervals():
    verdicts = [verdict("1", True, 1, 0.9, retrieved_rank=1),
                verdict("2", True, 2, 0.8, turn="follow_up", retrieved_rank=4),
                verdict("3", True, None, 0.7, turn="follow_up", retrieved_rank=None)]
    metrics = aggregate(verdicts)
    assert set(metrics["by_turn"]) == {"first", "follow_up"}
    assert metrics["by_turn"]["follow_up"]["hit3"] == 0.5
    assert metrics["recall1"] == pytest.approx(1 / 3)
    assert metrics["recall5"] == pytest.approx(2 / 3)
    low, high = metrics["ci"]["hit1"]
    assert low < metrics["hit1"] < high
