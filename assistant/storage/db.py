"""The database: one engine per URL, tables in SQLAlchemy Core, small versioned migrations.

`engine(settings)` reads `AVTAL_DATABASE_URL` (e.g. postgresql+psycopg://user@host/avtal);
without it the database is SQLite at `<data_dir>/avtal.db`. Tables are created or migrated
the first time an engine is made: `schema_version` holds the version reached, and each step
in MIGRATIONS runs once, in its own transaction, in order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.config import Settings

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

collections = sa.Table(
    "collections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

collection_items = sa.Table(
    "collection_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collection_id", sa.Integer,
              sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("short_answer", sa.Text),
    sa.Column("citations", sa.JSON, nullable=False),
    sa.Column("key_facts", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

question_log = sa.Table(
    "question_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False, server_default=""),
    sa.Column("scope", sa.String(100), nullable=False, server_default=""),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("abstained", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.String(10)),
    sa.Column("sections", sa.JSON, nullable=False),
    sa.Column("latency_ms", sa.Float),
)


def _v1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[collections, collection_items, question_log])


# (version, step): append new steps, never edit old ones.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1)]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(db: Engine) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    with db.begin() as connection:
        schema_version.create(connection, checkfirst=True)
        found = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
    before = int(found or 0)
    for version, step in MIGRATIONS:
        if version <= before:
            continue
        with db.begin() as connection:
            step(connection)
            connection.execute(sa.delete(schema_version))
            connection.execute(sa.insert(schema_version).values(version=version))
    return before


def configured_url() -> str | None:
    """AVTAL_DATABASE_URL (plain postgresql:// URLs get the psycopg 3 driver), or None."""
    url = os.environ.get("AVTAL_DATABASE_URL", "").strip()
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url or None


def database_url(settings: Settings) -> str:
    """The configured database, else SQLite in the data folder."""
    return configured_url() or f"sqlite:///{settings.data_dir / 'avtal.db'}"


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine(settings: Settings) -> Engine:
    """The engine for the configured database, migrated; one per URL per process."""
    url = database_url(settings)
    with _lock:
        if url not in _engines:
            _engines[url] = _create(url, settings)
        return _engines[url]


def _create(url: str, settings: Settings) -> Engine:
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = sa.create_engine(url, connect_args={"timeout": 10})
        sa.event.listen(db, "connect", _sqlite_pragmas)
    else:
        db = sa.create_engine(url, pool_pre_ping=True)
    migrate(db)
    return db


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def dispose_all() -> None:
    """Close every engine (tests switching databases)."""
    with _lock:
        for db in _engines.values():
            db.dispose()
        _engines.clear()


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "nej", "off", "av"}


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class StorageSettings:
    """Settings of the trainers' data (environment variables, defaults for a local install).

    AVTAL_QUESTION_LOG=0 turns the question log off; AVTAL_QUESTION_LOG_DAYS is how long a
    logged question is kept (90); AVTAL_TRAINER_TOKEN guards trainer views and exports when
    the app is served beyond this computer."""

    question_log: bool = field(default_factory=lambda: _flag("AVTAL_QUESTION_LOG", True))
    retention_days: int = field(
        default_factory=lambda: max(1, _int("AVTAL_QUESTION_LOG_DAYS", 90)))
    trainer_token: str = field(
        default_factory=lambda: os.environ.get("AVTAL_TRAINER_TOKEN", "").strip())
