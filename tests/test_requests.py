"""`ask --jsonl` lines: plain questions and JSON objects with history, scope and date."""

from __future__ import annotations

import pytest

from assistant.commands import parse_request
from assistant.errors import UserError
from assistant.service import parse_date


def test_plain_line_is_a_question_with_the_command_defaults():
    assert parse_request("Vem ansvarar för tandvården?", "B", "2027-02-01") == {
        "question": "Vem ansvarar för tandvården?", "scope": "B", "date": "2027-02-01"}


def test_object_line_carries_history_scope_and_date():
    line = ('{"question": "och för vuxna?", "history": ["Vem står för rullatorn?"], '
            '"date": "2027-01-05"}')
    request = parse_request(line)
    assert request == {"question": "och för vuxna?", "history": ["Vem står för rullatorn?"],
                       "scope": "alla", "date": "2027-01-05"}


@pytest.mark.parametrize("line", ['{"question": 5}', '{"history": []}', "{not json",
                                  '{"question": "x", "history": "fel"}'])
def test_malformed_object_lines_get_a_swedish_error(line):
    with pytest.raises(UserError):
        parse_request(line)


def test_dates_are_iso_or_refused_in_swedish():
    assert str(parse_date("2027-03-01")) == "2027-03-01"
    with pytest.raises(UserError, match="ÅÅÅÅ-MM-DD"):
        parse_date("1 mars")
