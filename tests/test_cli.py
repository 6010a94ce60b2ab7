"""The command line, run as a user runs it (a subprocess on the real index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(args, test_settings, stdin: str | None = None):
    env = dict(os.environ, AVTAL_INDEX_DIR=str(test_settings.index_dir),
               AVTAL_DATA_DIR=str(test_settings.data_dir))
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=600)


def test_jsonl_answers_in_order(assistant, test_settings):
    questions = ["Hur lång är uppsägningstiden?", "", "Vem betalar hjälpmedel till barn?"]
    done = run(["ask", "--jsonl"], test_settings, "\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert rows[1]["abstained"] and "tom" in rows[1]["answer"]


def test_empty_question_exits_non_zero_without_traceback(assistant, test_settings):
    done = run(["ask", ""], test_settings)
    assert done.returncode != 0
    assert "Frågan är tom" in done.stderr and "Traceback" not in done.stderr


def test_too_long_question_is_refused(assistant, test_settings):
    done = run(["ask", "a" * 2000], test_settings)
    assert done.returncode != 0 and "för lång" in done.stderr


def test_sections_jsonl_has_the_tree(test_settings):
    done = run(["sections", "--jsonl"], test_settings)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    keys = {"document", "document_title", "part", "agreement", "section", "title", "level",
            "page_start", "page_end", "chars"}
    assert rows and all(set(r) == keys for r in rows)
    assert {r["section"] for r in rows if r["part"] == "B"} >= {f"B.{n}" for n in range(1, 16)}
