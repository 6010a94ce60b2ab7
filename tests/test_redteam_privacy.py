"""Red team: personnummer written in ways the redaction missed on main."""

from __future__ import annotations

import pytest

from assistant.privacy import redact_personnummer


@pytest.mark.parametrize("written", [
    "810423\u00ad5678",  # a soft hyphen copied from a word processor
    "810423\u200b-5678",  # a zero-width space copied from a web page
    "19810423\ufeff5678",
    "810423\n5678",  # pasted over two lines
    "810423-56 78",  # the last four in pairs
    "19810483 56 78",  # samordningsnummer, last four in pairs
])
def test_invisible_characters_line_breaks_and_pairs_do_not_hide_a_personnummer(written):
    redacted = redact_personnummer(f"Brukaren {written} flyttar hem i morgon, vem ansvarar?")
    assert "5678" not in redacted and "56 78" not in redacted


@pytest.mark.parametrize("kept", [
    "Avtalet gäller 2023-01-01 – 2026-12-31 i hela länet.",
    "Mötet hölls 2022-04-19 kl. 13.30 i sal 12.",
])
def test_dates_are_still_kept(kept):
    assert redact_personnummer(kept) == kept
