"""Red-team findings on hostile corpora: each test failed on main before its fix."""

from __future__ import annotations

import time

from assistant.ingest.toc import entry

PROSE = ("Regionen ansvarar för den specialiserade vården och kommunen för hemsjukvården "
         "i ordinärt boende. ")


def test_a_paragraph_on_one_long_line_is_read_in_linear_time():
    # A text exported with one paragraph per line: 10 000 characters on a single line.
    # Checking it as a table-of-contents entry took seconds per line, growing with length².
    line = (PROSE * 100).strip()
    started = time.perf_counter()
    assert entry(line, in_run=True) is None
    assert time.perf_counter() - started < 0.5


def test_short_plain_entries_are_still_read():
    found = entry("Ansvar och samverkan 12", in_run=True)
    assert found is not None and found.page == 12 and not found.leader
