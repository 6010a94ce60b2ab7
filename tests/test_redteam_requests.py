"""Red team: earlier turns of a conversation are bounded like questions are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from assistant.answer.guard import check_history
from assistant.errors import UserError


def test_a_turn_longer_than_a_question_is_refused_in_swedish():
    with pytest.raises(UserError, match="tidigare fråga"):
        check_history(["Vem betalar?", "du " * 5000], max_chars=1000)


def test_only_the_latest_turns_are_read():
    turns = [f"Fråga nummer {n}?" for n in range(50)]
    assert check_history(turns, max_chars=1000, max_turns=5) == turns[-5:]
    assert check_history(None, max_chars=1000) == []


@pytest.mark.slow  # a CLI subprocess (no model)
def test_jsonl_refuses_huge_lines_before_loading_the_model(tmp_path):
    # On main the first line went on to read its 900 000-character turn for instructions
    # and never finished; the second came back whole, 10 MB in one error object.
    lines = [json.dumps({"question": "Och vad gäller då?", "history": ["du " * 300_000]}),
             "x" * 10_000_000]
    env = dict(os.environ, AVTAL_INDEX_DIR=str(tmp_path / "index"),
               AVTAL_DATA_DIR=str(tmp_path / "data"), AVTAL_MODEL_DIR=str(tmp_path / "ingen"))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--jsonl"],
                          input="\n".join(lines).encode() + b"\n", capture_output=True,
                          env=env, timeout=120)
    assert time.perf_counter() - started < 60
    rows = [json.loads(x) for x in done.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 2 and "tidigare fråga" in rows[0]["error"]
    assert "för lång" in rows[1]["error"] and len(rows[1]["question"]) <= 1000
    assert b"Traceback" not in done.stderr
