"""Local store for 👍/👎 feedback on answers (SQLite), exported as CSV for trainers.

One row per rated answer (session + turn): rating again replaces the rating, a comment is
added afterwards. Every text is redacted for personnummer before it is written, and again
on export, so nothing identifying leaves the staff's machine through this file.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from assistant.privacy import redact_personnummer, redact_value

RATINGS = ("up", "down")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    session TEXT NOT NULL,
    turn INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    UNIQUE (session, turn)
)
"""
CSV_COLUMNS = ["id", "tid", "betyg", "kommentar", "omfang", "fraga", "svar", "kallor"]


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: str
    rating: str
    comment: str
    scope: str
    question: str
    answer: str
    citations: list[dict]


def default_path(data_dir: Path) -> Path:
    return data_dir / "feedback.sqlite3"


class FeedbackStore:
    """A small SQLite table; a connection per call keeps it safe across Gradio's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def rate(
        self,
        *,
        session: str,
        turn: int,
        rating: str,
        question: str,
        answer: str,
        citations: list[dict],
        scope: str = "",
    ) -> int:
        """Store (or replace) the rating of one answer; returns the row id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        row = (
            datetime.now().astimezone().isoformat(timespec="seconds"),
            session,
            turn,
            rating,
            scope,
            redact_personnummer(question),
            redact_personnummer(answer),
            json.dumps(redact_value(citations), ensure_ascii=False),
        )
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback (created_at, session, turn, rating, scope, question,"
                " answer, citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (session, turn) DO UPDATE SET rating = excluded.rating,"
                " created_at = excluded.created_at",
                row,
            )
            found = db.execute(
                "SELECT id FROM feedback WHERE session = ? AND turn = ?", (session, turn)
            ).fetchone()
        return int(found[0])

    def comment(self, feedback_id: int, text: str) -> bool:
        """Attach a (redacted) comment to a stored rating; False if the row is gone."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE feedback SET comment = ? WHERE id = ?",
                (redact_personnummer(text.strip()), feedback_id),
            )
        return cursor.rowcount == 1

    def rows(self) -> list[FeedbackRow]:
        with self._connect() as db:
            records = db.execute(
                "SELECT id, created_at, rating, comment, scope, question, answer, citations"
                " FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in records
        ]

    def export_csv(self, out: IO[str]) -> int:
        """Write all rows as CSV (Swedish headers, one line per answer); returns the count."""
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        rows = self.rows()
        for row in rows:
            writer.writerow(
                _safe_cell(value)
                for value in (
                    row.id,
                    row.created_at,
                    "👍" if row.rating == "up" else "👎",
                    row.comment,
                    row.scope,
                    row.question,
                    row.answer,
                    _citations_text(row.citations),
                )
            )
        return len(rows)


def _citations_text(citations: list[dict]) -> str:
    lines = []
    for c in citations:
        where = f"Del {c['part']}" if c.get("part") else c.get("document_title", "")
        if c.get("agreement"):
            where = f"{where} – {c['agreement']}"
        number = f"{c['section']} " if c.get("section") else ""
        page = f", s. {c['page']}" if c.get("page") is not None else ""
        lines.append(f"{where}: {number}{c.get('title', '')}{page} – ”{c.get('quote', '')}”")
    return "\n".join(lines)


def _safe_cell(value: object) -> str:
    """Redact, and keep spreadsheet programs from running a cell as a formula."""
    text = redact_personnummer(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
