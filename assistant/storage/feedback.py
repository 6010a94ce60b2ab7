"""👍/👎 feedback on answers, exported as CSV for trainers: one store over SQLAlchemy Core.

Without `AVTAL_DATABASE_URL` the table lives in a local SQLite file in the data folder; with
it (PostgreSQL for a region) every serving process writes to and reads from the same table.
One row per rated answer (session + turn): rating again replaces the rating, a comment is
added afterwards. Every text is redacted for personnummer before it is written, and again on
export, so nothing identifying leaves through this table.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import NullPool

from assistant.config import Settings
from assistant.errors import UserError
from assistant.privacy import redact_personnummer, redact_value
from assistant.storage.db import configured_url

log = logging.getLogger(__name__)

RATINGS = ("up", "down")
CSV_COLUMNS = ["id", "tid", "betyg", "kommentar", "omfang", "fraga", "svar", "kallor"]

metadata = sa.MetaData()
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("session", sa.Text, nullable=False),
    sa.Column("turn", sa.Integer, nullable=False),
    sa.Column("rating", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("scope", sa.Text, nullable=False, server_default=""),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("citations", sa.Text, nullable=False),
    sa.UniqueConstraint("session", "turn"),
    sa.CheckConstraint("rating IN ('up', 'down')"),
)
_COLUMNS = ("id", "created_at", "rating", "comment", "scope", "question", "answer", "citations")

OFF = ("Återkoppling är avstängd: {where} går inte att skriva till. Svaren fungerar som "
       "vanligt.")
NOT_SAVED = ("Omdömet kunde inte sparas just nu ({where} går inte att skriva till). Det "
             "finns kvar och sparas när det går igen.")
COMMENT_NOT_SAVED = "Kommentaren kunde inte sparas just nu ({where} går inte att skriva till)."
_FAILURES = (OSError, sqlite3.Error, sa.exc.SQLAlchemyError)


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


class FeedbackUnavailable(UserError):
    """Feedback cannot be written; the message (Swedish) is for the user."""


def default_path(data_dir: Path) -> Path:
    return data_dir / "feedback.sqlite3"


def open_feedback(settings: Settings, read_only: bool = False) -> FeedbackStore:
    """The configured store: the shared database when AVTAL_DATABASE_URL is set, else the
    local SQLite file (`read_only` for exports: nothing is created or written)."""
    url = configured_url()
    if url:
        return FeedbackStore(url=url)
    return FeedbackStore(default_path(settings.data_dir), read_only=read_only)


class FeedbackStore:
    """The feedback table in a local SQLite file (`path`) or a shared database (`url`).

    A data folder that cannot be written never stops the chat: the store is then off
    (`available` False, `notice` says why in Swedish). A write that fails later keeps the
    rating in memory (`pending`) and stores it with the next rating that can be written."""

    def __init__(self, path: Path | None = None, read_only: bool = False,
                 url: str | None = None) -> None:
        if (path is None) == (url is None):
            raise ValueError("give a SQLite path or a database URL")
        self.path = path
        self.read_only = read_only
        self.pending: list[dict] = []
        self._lock = threading.Lock()
        self._where = f"datamappen {path.parent}" if path is not None else "databasen"
        if url is not None:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        elif read_only:
            self.engine = self._sqlite_engine(immutable=False)
        else:
            # A connection per call (no pool): a folder that goes away is noticed at once.
            self.engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool,
                                           connect_args={"timeout": 10})
            sa.event.listen(self.engine, "connect", _wal)
        self.available = read_only or self._create()

    def _sqlite_engine(self, immutable: bool) -> sa.Engine:
        """Read-only: a WAL database in a folder that cannot be written opens only as
        immutable."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
        return sa.create_engine("sqlite://", poolclass=NullPool,
                                creator=lambda: sqlite3.connect(uri, uri=True, timeout=10))

    def _create(self) -> bool:
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.engine.begin() as connection:
                metadata.create_all(connection, checkfirst=True)
        except _FAILURES as error:
            log.warning("feedback is off: %s", type(error).__name__)
            return False
        return True

    @property
    def notice(self) -> str:
        """Swedish notice when feedback is off ('' when it works)."""
        return "" if self.available else OFF.format(where=self._where)

    def rate(self, *, session: str, turn: int, rating: str, question: str, answer: str,
             citations: list[dict], scope: str = "") -> int:
        """Store (or replace) the rating of one answer; returns the row id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        row = {
            "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "session": session, "turn": turn, "rating": rating, "scope": scope,
            "question": redact_personnummer(question), "answer": redact_personnummer(answer),
            "citations": json.dumps(redact_value(citations), ensure_ascii=False),
        }
        with self._lock:
            if not self.available:
                self.available = self._create()
            if not self.available:
                raise FeedbackUnavailable(self.notice)
            self.pending.append(row)
            try:
                with self.engine.begin() as connection:
                    for waiting in self.pending:
                        connection.execute(self._upsert(waiting))
                    found = connection.execute(sa.select(feedback.c.id).where(
                        feedback.c.session == session, feedback.c.turn == turn)).scalar_one()
            except _FAILURES as error:
                log.warning("rating kept in memory: %s", type(error).__name__)
                raise FeedbackUnavailable(NOT_SAVED.format(where=self._where)) from None
            self.pending.clear()
        return int(found)

    def _upsert(self, row: dict):
        insert = (pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(
            feedback).values(**row)
        return insert.on_conflict_do_update(
            index_elements=["session", "turn"],
            set_={"rating": insert.excluded.rating, "created_at": insert.excluded.created_at})

    def comment(self, feedback_id: int, text: str) -> bool:
        """Attach a (redacted) comment to a stored rating; False if the row is gone."""
        try:
            with self.engine.begin() as connection:
                result = connection.execute(sa.update(feedback).where(
                    feedback.c.id == feedback_id).values(
                        comment=redact_personnummer(text.strip())))
        except _FAILURES:
            raise FeedbackUnavailable(COMMENT_NOT_SAVED.format(where=self._where)) from None
        return result.rowcount == 1

    def rows(self) -> list[FeedbackRow]:
        if self.path is not None and not self.path.exists():
            return []
        query = sa.select(*(feedback.c[name] for name in _COLUMNS)).order_by(feedback.c.id)
        try:
            records = self._fetch(self.engine, query)
        except sa.exc.OperationalError:
            if not self.read_only:
                raise
            records = self._fetch(self._sqlite_engine(immutable=True), query)
        return [FeedbackRow(*r[:7], json.loads(r[7])) for r in records]

    @staticmethod
    def _fetch(engine: sa.Engine, query) -> list:
        with engine.connect() as connection:
            return list(connection.execute(query).all())

    def export_csv(self, out: IO[str]) -> int:
        """Write all rows as CSV (Swedish headers, one line per answer); returns the count."""
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        rows = self.rows()
        for row in rows:
            writer.writerow(_safe_cell(value) for value in (
                row.id, row.created_at, "👍" if row.rating == "up" else "👎", row.comment,
                row.scope, row.question, row.answer, _citations_text(row.citations)))
        return len(rows)

    def close(self) -> None:
        self.engine.dispose()


def _wal(connection, _record) -> None:
    connection.execute("PRAGMA journal_mode=WAL")


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
