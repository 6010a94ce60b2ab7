"""Personnummer never reach storage or logs: the redaction pattern and the log filter."""

from __future__ import annotations

import logging

import pytest

from assistant.privacy import REDACTED, RedactingFilter, redact_personnummer, redact_value


@pytest.mark.parametrize(
    "text",
    [
        "850101-1234",
        "850101+1234",
        "8501011234",
        "19850101-1234",
        "198501011234",
        "20121212-1212",
        "850161-1234",  # samordningsnummer (day + 60)
        "850101 1234",
    ],
)
def test_personnummer_forms_are_redacted(text):
    assert redact_personnummer(f"Patient {text}, fråga om hjälpmedel") == (
        f"Patient {REDACTED}, fråga om hjälpmedel"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Avtalet gäller 2023-01-01 – 2026-12-31.",
        "Uppsägningstid arton månader, B.11 och 9.4.3",
        "Diarienummer 2022VFN175 779",
        "1234567890123",  # thirteen digits: not a personnummer
        "20230101",  # a date alone
        "851301-1234",  # month 13
    ],
)
def test_other_numbers_are_kept(text):
    assert redact_personnummer(text) == text


def test_several_in_one_text_and_nested_values():
    text = "Två: 121212-1212 och 191212121212."
    assert redact_personnummer(text) == f"Två: {REDACTED} och {REDACTED}."
    nested = {"quote": ["850101-1234"], "page": 3}
    assert redact_value(nested) == {"quote": [REDACTED], "page": 3}


def test_log_filter_redacts_message_and_arguments(caplog):
    logger = logging.getLogger("test.privacy")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.privacy"):
        logger.info("fråga: %s", "gäller 19850101-1234?")
        logger.info("direkt 850101-1234")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [f"fråga: gäller {REDACTED}?", f"direkt {REDACTED}"]
    assert "1234" not in caplog.text


def test_log_filter_redacts_tracebacks():
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.privacy.traceback")
    logger.addHandler(handler)
    try:
        raise ValueError("fråga om 850101-1234")
    except ValueError:
        logger.exception("svaret misslyckades")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "ValueError" in text and REDACTED in text and "850101" not in text


# --- every written form, generated (Hypothesis) -----------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
SEPARATORS = ["", "-", "+", "–", "—", "‐", "−", "/", "_", " ", " - ", " – ", "  "]
SENTENCES = [
    "Patienten {} skrivs ut i morgon, vem ringer kommunen?",
    "Gäller hemsjukvård för {} som bor på särskilt boende",
    "{}: vem betalar hjälpmedlet",
    "Brukaren ({}) har fått en rullator – vad gäller?",
    "fråga om {}.",
]


@st.composite
def personnummer(draw) -> tuple[str, str]:
    """(written form, its four last digits) with or without century, coordination numbers."""
    year = draw(st.integers(1900, 2025))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))
    serial = f"{draw(st.integers(0, 9999)):04d}"
    century = draw(st.booleans())
    inner = draw(st.sampled_from(["", "", "-", " "]))
    date = inner.join([f"{year:04d}" if century else f"{year % 100:02d}",
                       f"{month:02d}", f"{day:02d}"])
    text = date + draw(st.sampled_from(SEPARATORS)) + serial
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text, serial


@settings(deadline=None)  # examples: the profile in conftest.py
@given(personnummer(), st.sampled_from(SENTENCES))
def test_generated_forms_inside_sentences_are_redacted(form, sentence):
    text, serial = form
    redacted = redact_personnummer(sentence.format(text))
    assert REDACTED in redacted
    folded = redacted.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    assert serial not in folded and redacted.count(REDACTED) == 1


@settings(deadline=None)  # examples: the profile in conftest.py
@given(st.dates(), st.sampled_from(SENTENCES), st.integers(1, 15))
def test_dates_and_section_numbers_are_kept(date, sentence, section):
    text = sentence.format(f"{date.isoformat()} enligt B.{section} och 9.4.3")
    assert redact_personnummer(text) == text


@pytest.mark.parametrize("text", [
    "370619–4821", "19370619 - 4821", "1937-06-19-4821", "370619—4821", "370619/4821",
    "370619_4821", "３７０６１９－４８２１", "45 03 12-1234", "450372-1234",
])
def test_reported_forms_are_redacted(text):
    assert redact_personnummer(f"Gäller {text} i Borås?") == f"Gäller {REDACTED} i Borås?"


def test_date_ranges_are_kept():
    text = "Avtalet gäller 2023-01-01 – 2026-12-31 och 2027-01-01–2030-12-31."
    assert redact_personnummer(text) == text


# --- eval reports: questions redacted unless --keep-questions ----------------------------

from test_eval_run import _eval, fake_setup  # noqa: E402,F401  (the eval tests' fake set-up)

PATIENT_QUESTION = """
- id: p1
  question: "Patient 19370619 – 4821 ska skrivas ut, vem betalar läkemedel i kommunal vård?"
  type: responsibility
  gold: [{document: agreement, part: B, section: B.9, title: Läkemedel}]
"""


@pytest.mark.parametrize("keep", [False, True])
def test_eval_reports_redact_questions_unless_kept(fake_setup, keep):  # noqa: F811
    questions, out = fake_setup
    questions.write_text(PATIENT_QUESTION, encoding="utf-8")
    assert _eval(["--questions", str(questions), "--out", str(out)]
                 + (["--keep-questions"] if keep else [])) == 0
    written = "".join((out / name).read_text(encoding="utf-8")
                      for name in ("results.jsonl", "report.md", "report.html"))
    assert ("4821" in written) is keep
    assert (REDACTED in written) is not keep


def _onnxruntime_leftovers(tmp_path, code: str) -> list[str]:
    """Files a fresh process running `code` leaves in its temp and home folders."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(TMPDIR=str(tmp_path / "home"), HOME=str(home))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120,
                   cwd=Path(__file__).resolve().parents[1])
    return sorted(str(p.relative_to(home)) for p in home.rglob("*"))


def test_onnx_runtime_keeps_no_telemetry_when_the_assistant_loads_it(tmp_path):
    left = _onnxruntime_leftovers(tmp_path, "import assistant.index.embed, onnxruntime")
    assert left == []


def test_onnx_runtime_alone_would_start_its_telemetry(tmp_path):
    """The counter-check: without the package's setting the runtime writes its session file
    (a runtime built without telemetry writes nothing, and then there is nothing to check)."""
    left = _onnxruntime_leftovers(tmp_path, "import onnxruntime")
    if not left:
        pytest.skip("this onnxruntime build has no telemetry")
    assert ".ses" in left
