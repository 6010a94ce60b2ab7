"""The feedback store: ratings, comments, redaction and the CSV export (also via the CLI)."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from assistant.privacy import REDACTED
from assistant.storage.feedback import CSV_COLUMNS, FeedbackStore, default_path

CITATIONS = [
    {
        "document": "hos-avtal-2023",
        "document_title": "Hälso- och sjukvårdsavtal",
        "part": "B",
        "agreement": None,
        "section": "B.11",
        "title": "Personligt förskrivna hjälpmedel",
        "page": 27,
        "quote": "För barn och ungdomar till och med 17 år har VGR kostnadsansvar …",
    }
]


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(default_path(tmp_path / "data"))


def _rate(store: FeedbackStore, rating: str = "up", turn: int = 1, question: str = "") -> int:
    return store.rate(
        session="s1",
        turn=turn,
        rating=rating,
        question=question or "Vem betalar hjälpmedel till 850101-1234?",
        answer="Enligt Del B, B.11 …",
        citations=CITATIONS,
        scope="alla",
    )


def test_rating_is_stored_redacted_with_time_and_citations(store):
    feedback_id = _rate(store)
    assert store.comment(feedback_id, "Rätt! Gäller även 19850101-1234")
    (row,) = store.rows()
    assert row.rating == "up"
    assert row.question == f"Vem betalar hjälpmedel till {REDACTED}?"
    assert row.comment == f"Rätt! Gäller även {REDACTED}"
    assert row.citations[0]["section"] == "B.11"
    assert row.created_at[:2] == "20" and "T" in row.created_at
    raw = sqlite3.connect(store.path).execute("SELECT * FROM feedback").fetchall()
    assert "1234" not in repr(raw)


def test_rating_again_replaces_the_rating(store):
    first = _rate(store, "up")
    second = _rate(store, "down")
    assert first == second
    assert [row.rating for row in store.rows()] == ["down"]
    _rate(store, "up", turn=3)
    assert len(store.rows()) == 2


def test_invalid_rating_and_missing_row(store):
    with pytest.raises(ValueError):
        _rate(store, "meh")
    assert store.comment(999, "ingen rad") is False


def test_csv_export_is_redacted_and_formula_safe(store):
    feedback_id = _rate(store, question='=HYPERLINK("x") 850101-1234')
    store.comment(feedback_id, "+46 bra")
    out = io.StringIO()
    assert store.export_csv(out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == CSV_COLUMNS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["betyg"] == "👍"
    assert record["fraga"].startswith("'=HYPERLINK")
    assert REDACTED in record["fraga"]
    assert record["kommentar"] == "'+46 bra"
    assert "Del B: B.11 Personligt förskrivna hjälpmedel, s. 27" in record["kallor"]


def test_cli_feedback_export_writes_csv(tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    data_dir = tmp_path / "data"
    monkeypatch.setenv("AVTAL_DATA_DIR", str(data_dir))
    _rate(FeedbackStore(default_path(data_dir)), "down")
    out = tmp_path / "export" / "feedback.csv"
    assert main(["feedback", "export", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert "👎" in text and REDACTED in text and "850101" not in text
    assert main(["feedback", "export"]) == 0
    assert "👎" in capsys.readouterr().out
