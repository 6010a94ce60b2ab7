"""The command line, run as a user runs it (a subprocess on the real index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(args, test_settings, stdin: str | None = None):
    env = dict(os.environ, AVTAL_INDEX_DIR=str(test_settings.index_dir),
               AVTAL_DATA_DIR=str(test_settings.data_dir))
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
@pytest.mark.smoke
def test_jsonl_answers_in_order(assistant, test_settings):
    questions = ["Hur lång är uppsägningstiden?", "", "Vem betalar hjälpmedel till barn?"]
    done = run(["ask", "--jsonl"], test_settings, "\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert rows[1]["abstained"] and "tom" in rows[1]["answer"]


@pytest.mark.slow
def test_empty_question_exits_non_zero_without_traceback(assistant, test_settings):
    done = run(["ask", ""], test_settings)
    assert done.returncode != 0
    assert "Frågan är tom" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_too_long_question_is_refused(assistant, test_settings):
    done = run(["ask", "a" * 2000], test_settings)
    assert done.returncode != 0 and "för lång" in done.stderr


@pytest.mark.slow
def test_sections_jsonl_has_the_tree(test_settings):
    done = run(["sections", "--jsonl"], test_settings)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    keys = {"document", "document_title", "part", "agreement", "section", "title", "level",
            "page_start", "page_end", "chars"}
    assert rows and all(set(r) == keys for r in rows)
    assert {r["section"] for r in rows if r["part"] == "B"} >= {f"B.{n}" for n in range(1, 16)}


# --- input of any bytes ------------------------------------------------------------------


def run_bytes(args, stdin: bytes, env_extra: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin,
                          capture_output=True, env=env, timeout=600)


def nowhere(tmp_path) -> dict:
    """Folders with no index and no model: anything that loads the model fails."""
    return {"AVTAL_INDEX_DIR": str(tmp_path / "index"), "AVTAL_DATA_DIR": str(tmp_path / "data"),
            "AVTAL_MODEL_DIR": str(tmp_path / "no-model")}


@pytest.mark.slow  # CLI subprocesses (no model)
def test_invalid_lines_get_swedish_errors_before_any_model_load(tmp_path):
    lines = [b"Vem betalar f\xf6r s\xe4ngen?", b"", b"x" * 1500, b"Fr\xc3\xa5ga \x01\x02 om avtal",
             b'{"question": 5}', b"\xff\xfe\xfd"]
    done = run_bytes(["ask", "--jsonl"], b"\n".join(lines) + b"\n",
                     nowhere(tmp_path) | {"PYTHONUTF8": "1"})
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    text = done.stdout.decode("utf-8")  # strict: the output is valid UTF-8
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == len(lines) and all(r["abstained"] and r["error"] for r in rows)
    assert "UTF-8" in rows[0]["error"] and "UTF-8" in rows[5]["error"]
    assert "tom" in rows[1]["error"] and "för lång" in rows[2]["error"]
    assert "tecken som inte kan läsas" in rows[3]["error"]
    assert not (tmp_path / "index").exists()  # nothing was built or loaded
    assert b"Traceback" not in done.stderr


@pytest.mark.slow
def test_over_long_and_undecodable_arguments_are_refused_before_loading(tmp_path):
    too_long = run_bytes(["ask", "a" * 2000], b"", nowhere(tmp_path))
    assert too_long.returncode == 2 and "för lång" in too_long.stderr.decode()
    latin1 = run_bytes(["ask", os.fsdecode(b"Vem betalar f\xf6r hj\xe4lpmedel?")], b"",
                       nowhere(tmp_path))
    assert latin1.returncode == 2 and "inte kan läsas" in latin1.stderr.decode()
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
def test_a_bad_line_does_not_stop_the_batch(assistant, test_settings):
    lines = [b"Hur l\xc3\xa5ng \xc3\xa4r upps\xc3\xa4gningstiden?",
             b"Vem st\xe5r f\xf6r kostnaden?",
             b"Vem betalar \x1b[31mhj\xc3\xa4lpmedel\x1b[0m till barn?",
             b'{"question": "Vem betalar l\xc3\xa4kemedel?", "history": []}']
    env = {"AVTAL_INDEX_DIR": str(test_settings.index_dir),
           "AVTAL_DATA_DIR": str(test_settings.data_dir), "PYTHONUTF8": "1"}
    done = run_bytes(["ask", "--jsonl"], b"\n".join(lines) + b"\n", env)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 4
    assert rows[0]["citations"] and not rows[0].get("error")
    assert "UTF-8" in rows[1]["error"] and "\ufffd" in rows[1]["question"]
    assert rows[2].get("error") and "\x1b" not in done.stdout.decode("utf-8")
    assert rows[3]["citations"] and rows[3]["question"] == "Vem betalar läkemedel?"
