"""The question log: what staff ask, for trainers' insights (content gaps, popular sections).

On by default for a local install (AVTAL_QUESTION_LOG=0 turns it off). Personnummer and a
name after "patient"/"brukare" are redacted before a row is written; rows older than the
retention period (AVTAL_QUESTION_LOG_DAYS, 90) are deleted when the log is opened and on
every write. Only what the answer cited is kept, never the answer text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from assistant.config import Settings
from assistant.config import settings as default_settings
from assistant.ingest.clean import collapse
from assistant.privacy import redact_personal
from assistant.storage import db

# The citation fields kept per logged question (enough to name and link the section).
SECTION_FIELDS = ("section_id", "document", "document_title", "part", "agreement", "section",
                  "title")


@dataclass(frozen=True)
class LoggedQuestion:
    id: int
    asked_at: datetime
    channel: str
    scope: str
    question: str
    abstained: bool
    confidence: str | None
    sections: list[dict]
    latency_ms: float | None


def _answer_fields(answer) -> dict:
    """Accepts an `Answer` or its contract dict."""
    data = answer.to_dict() if hasattr(answer, "to_dict") else dict(answer or {})
    return {
        "abstained": bool(data.get("abstained", not data.get("citations"))),
        "confidence": data.get("confidence"),
        "sections": [{k: c.get(k) for k in SECTION_FIELDS} for c in data.get("citations") or []],
        "latency_ms": data.get("latency_ms"),
    }


def log_question(question: str, answer=None, *, scope: str = "", channel: str = "",
                 settings: Settings | None = None, now: datetime | None = None) -> int | None:
    """Log one asked question with what its answer cited; returns the row id, or None when
    the log is turned off or the question is empty. Never raises on a storage problem: the
    answer to the staff member matters more than the log."""
    options = db.StorageSettings()
    text = redact_personal(collapse(question or ""))
    if not options.question_log or not text:
        return None
    moment = now or db.utcnow()
    row = {"asked_at": moment, "channel": channel[:20], "scope": (scope or "")[:100],
           "question": text, **_answer_fields(answer)}
    try:
        engine = db.engine(settings or default_settings())
        with engine.begin() as connection:
            _purge(connection, moment, options.retention_days)
            result = connection.execute(sa.insert(db.question_log).values(**row))
            return int(result.inserted_primary_key[0])
    except (sa.exc.SQLAlchemyError, OSError):
        import logging

        logging.getLogger(__name__).warning("frågeloggen kunde inte skrivas", exc_info=False)
        return None


def _purge(connection, now: datetime, days: int) -> int:
    cutoff = now - timedelta(days=days)
    result = connection.execute(
        sa.delete(db.question_log).where(db.question_log.c.asked_at < cutoff))
    return result.rowcount or 0


def purge(settings: Settings | None = None, now: datetime | None = None) -> int:
    """Delete rows past retention (the app calls this at start); returns how many."""
    engine = db.engine(settings or default_settings())
    with engine.begin() as connection:
        return _purge(connection, now or db.utcnow(), db.StorageSettings().retention_days)


def logged(settings: Settings | None = None, since: datetime | None = None,
           now: datetime | None = None) -> list[LoggedQuestion]:
    """Logged questions, oldest first (rows past retention are deleted first)."""
    engine = db.engine(settings or default_settings())
    table = db.question_log
    query = sa.select(table).order_by(table.c.asked_at, table.c.id)
    if since is not None:
        query = query.where(table.c.asked_at >= since)
    with engine.begin() as connection:
        _purge(connection, now or db.utcnow(), db.StorageSettings().retention_days)
        rows = connection.execute(query).mappings().all()
    return [
        LoggedQuestion(
            id=int(r["id"]), asked_at=db.as_utc(r["asked_at"]), channel=r["channel"],
            scope=r["scope"], question=r["question"], abstained=bool(r["abstained"]),
            confidence=r["confidence"], sections=list(r["sections"] or []),
            latency_ms=r["latency_ms"],
        )
        for r in rows
    ]
