"""👍/👎 feedback in a shared database (PostgreSQL for a region), with FeedbackStore's methods.

With `AVTAL_DATABASE_URL` (e.g. `postgresql://avtal@db.example/avtal`) every serving process
writes to and reads from the same table, so feedback given on one server is seen by all;
without it `open_feedback` returns the local SQLite `FeedbackStore`. The table is the same as
the SQLite one; it is created on first use.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import IO

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assistant.config import Settings
from assistant.privacy import redact_personnummer, redact_value
from assistant.web.feedback import (
    CSV_COLUMNS,
    RATINGS,
    FeedbackRow,
    FeedbackStore,
    _citations_text,
    _safe_cell,
    default_path,
)

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


def database_url() -> str | None:
    """AVTAL_DATABASE_URL with a psycopg (v3) driver for plain postgresql:// URLs."""
    url = os.environ.get("AVTAL_DATABASE_URL", "").strip()
    if not url:
        return None
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def open_feedback(settings: Settings,
                  read_only: bool = False) -> FeedbackStore | DatabaseFeedbackStore:
    """The configured feedback store: the database when AVTAL_DATABASE_URL is set, else the
    local SQLite file (`read_only` for exports: nothing is created or written)."""
    url = database_url()
    if url:
        return DatabaseFeedbackStore(url)
    return FeedbackStore(default_path(settings.data_dir), read_only=read_only)


class DatabaseFeedbackStore:
    """FeedbackStore's public methods over SQLAlchemy Core (pooled, thread-safe)."""

    notice = ""  # a database that cannot be reached fails at start, not silently

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        with self.engine.begin() as connection:
            metadata.create_all(connection, checkfirst=True)

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
        insert = (pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(
            feedback).values(**row)
        insert = insert.on_conflict_do_update(
            index_elements=["session", "turn"],
            set_={"rating": insert.excluded.rating, "created_at": insert.excluded.created_at})
        with self.engine.begin() as connection:
            connection.execute(insert)
            found = connection.execute(sa.select(feedback.c.id).where(
                feedback.c.session == session, feedback.c.turn == turn)).scalar_one()
        return int(found)

    def comment(self, feedback_id: int, text: str) -> bool:
        """Attach a (redacted) comment to a stored rating; False if the row is gone."""
        with self.engine.begin() as connection:
            result = connection.execute(sa.update(feedback).where(
                feedback.c.id == feedback_id).values(comment=redact_personnummer(text.strip())))
        return result.rowcount == 1

    def rows(self) -> list[FeedbackRow]:
        columns = [feedback.c[name] for name in ("id", "created_at", "rating", "comment",
                                                 "scope", "question", "answer", "citations")]
        with self.engine.connect() as connection:
            records = connection.execute(sa.select(*columns).order_by(feedback.c.id)).all()
        return [FeedbackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
                for r in records]

    def export_csv(self, out: IO[str]) -> int:
        """Write all rows as CSV, as FeedbackStore does; returns the count."""
        import csv

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
