"""Local store for 👍/👎 feedback on answers (SQLite), exported as CSV for trainers.

One row per rated answer (session + turn): rating again replaces the rating, a comment is
added afterwards. Every text is redacted for personnummer before it is written, and again
on export, so nothing identifying leaves the staff's machine through this file.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from assistant.errors import UserError
from assistant.privacy import redact_personnummer, redact_value

log = logging.getLogger(__name__)

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


OFF = ("Återkoppling är avstängd: datamappen {folder} går inte att skriva till. Svaren "
       "fungerar som vanligt.")
NOT_SAVED = ("Omdömet kunde inte sparas just nu (datamappen går inte att skriva till). Det "
             "finns kvar och sparas när det går igen.")


class FeedbackUnavailable(UserError):
    """Feedback cannot be written; the message (Swedish) is for the user."""


class FeedbackStore:
    """A small SQLite table; a connection per call keeps it safe across Gradio's threads.

    A data folder that cannot be written never stops the chat: the store is then off
    (`available` False, `notice` says why in Swedish). A write that fails later keeps the
    rating in memory (`pending`) and stores it with the next rating that can be written."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.pending: list[tuple] = []
        self._lock = threading.Lock()
        self.available = read_only or self._create()

    def _create(self) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            log.warning("feedback is off: %s", type(error).__name__)
            return False
        return True

    @property
    def notice(self) -> str:
        """Swedish notice when feedback is off ('' when it works)."""
        return "" if self.available else OFF.format(folder=self.path.parent)

    @contextmanager
    def _connect(self, immutable: bool = False) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            # A WAL database in a folder that cannot be written opens only as immutable.
            uri = f"{self.path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
            with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
                yield db
            return
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
        with self._lock:
            if not self.available:
                self.available = self._create()
            if not self.available:
                raise FeedbackUnavailable(self.notice)
            self.pending.append(row)
            try:
                with self._connect() as db:
                    for waiting in self.pending:
                        db.execute(
                            "INSERT INTO feedback (created_at, session, turn, rating, scope,"
                            " question, answer, citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT (session, turn) DO UPDATE SET rating ="
                            " excluded.rating, created_at = excluded.created_at",
                            waiting,
                        )
                    found = db.execute(
                        "SELECT id FROM feedback WHERE session = ? AND turn = ?", (session, turn)
                    ).fetchone()
            except (OSError, sqlite3.Error) as error:
                log.warning("rating kept in memory: %s", type(error).__name__)
                raise FeedbackUnavailable(NOT_SAVED) from None
            self.pending.clear()
        return int(found[0])

    def comment(self, feedback_id: int, text: str) -> bool:
        """Attach a (redacted) comment to a stored rating; False if the row is gone."""
        try:
            with self._connect() as db:
                cursor = db.execute(
                    "UPDATE feedback SET comment = ? WHERE id = ?",
                    (redact_personnummer(text.strip()), feedback_id),
                )
        except (OSError, sqlite3.Error):
            raise FeedbackUnavailable("Kommentaren kunde inte sparas just nu (datamappen går "
                                      "inte att skriva till).") from None
        return cursor.rowcount == 1

    def rows(self) -> list[FeedbackRow]:
        if not self.path.exists():
            return []
        query = ("SELECT id, created_at, rating, comment, scope, question, answer, citations"
                 " FROM feedback ORDER BY id")
        try:
            with self._connect() as db:
                records = db.execute(query).fetchall()
        except sqlite3.OperationalError:
            if not self.read_only:
                raise
            with self._connect(immutable=True) as db:
                records = db.execute(query).fetchall()
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
