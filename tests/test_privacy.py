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
