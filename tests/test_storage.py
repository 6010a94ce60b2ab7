"""The storage layer: engine from settings, versioned migrations, redaction, retention."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assistant.config import settings
from assistant.errors import UserError
from assistant.storage import collections, db, questions


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("AVTAL_QUESTION_LOG", raising=False)
    monkeypatch.delenv("AVTAL_QUESTION_LOG_DAYS", raising=False)
    yield dataclasses.replace(settings(), data_dir=tmp_path / "data")
    db.dispose_all()


ANSWERED = {
    "answer": "Enligt Del B …", "abstained": False, "confidence": "hög",
    "short_answer": "Kortsvar.",
    "citations": [{"document": "hos-avtal-2023", "document_title": "Avtal", "part": "B",
                   "agreement": None, "section": "B.9", "title": "Läkemedel", "page": 12,
                   "quote": "Ett citat.", "section_id": "hos-avtal-2023/b9"}],
}


def test_default_database_is_sqlite_in_the_data_folder(local):
    assert db.database_url(local) == f"sqlite:///{local.data_dir / 'avtal.db'}"
    engine = db.engine(local)
    assert (local.data_dir / "avtal.db").exists()
    tables = set(sa.inspect(engine).get_table_names())
    assert {"schema_version", "collections", "collection_items", "question_log"} <= tables


def test_database_url_comes_from_the_environment(local, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("AVTAL_DATABASE_URL", url)
    assert db.database_url(local) == url
    assert str(db.engine(local).url) == url


def test_migrations_run_once_and_record_the_version(local):
    engine = db.engine(local)
    assert db.migrate(engine) == db.SCHEMA_VERSION  # already there: nothing to do
    with engine.connect() as connection:
        versions = connection.execute(sa.select(db.schema_version.c.version)).scalars().all()
    assert versions == [db.SCHEMA_VERSION]


def test_a_later_migration_step_runs_on_an_existing_database(local, monkeypatch):
    engine = db.engine(local)
    ran = []
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, (99, lambda c: ran.append(c))])
    assert db.migrate(engine) == db.SCHEMA_VERSION
    assert len(ran) == 1
    assert db.migrate(engine) == 99 and len(ran) == 1


def test_question_log_redacts_personnummer_and_patient_names(local):
    row = questions.log_question(
        "Patienten Anna Berg 19461224-1234 ska skrivas ut, vem betalar?", ANSWERED,
        scope="B", channel="web", settings=local)
    assert row is not None
    [logged] = questions.logged(local)
    assert "1234" not in logged.question and "Anna" not in logged.question
    assert "[personnummer borttaget]" in logged.question
    assert "[namn borttaget]" in logged.question
    assert logged.sections[0]["section"] == "B.9" and "quote" not in logged.sections[0]
    with db.engine(local).connect() as connection:
        stored = " ".join(connection.execute(sa.select(db.question_log.c.question)).scalars())
    assert "19461224" not in stored


def test_question_log_forgets_rows_past_retention(local, monkeypatch):
    monkeypatch.setenv("AVTAL_QUESTION_LOG_DAYS", "30")
    now = db.utcnow()
    questions.log_question("gammal fråga om hjälpmedel", ANSWERED, settings=local,
                           now=now - timedelta(days=31))
    questions.log_question("nästan gammal fråga", ANSWERED, settings=local,
                           now=now - timedelta(days=29))
    assert len(questions.logged(local, now=now - timedelta(days=30))) == 2
    questions.log_question("ny fråga", ANSWERED, settings=local, now=now)  # a write purges
    assert [q.question for q in questions.logged(local)] == ["nästan gammal fråga", "ny fråga"]
    assert questions.purge(local, now=now + timedelta(days=31)) == 2


def test_question_log_can_be_turned_off(local, monkeypatch):
    monkeypatch.setenv("AVTAL_QUESTION_LOG", "0")
    assert questions.log_question("en fråga", ANSWERED, settings=local) is None
    monkeypatch.delenv("AVTAL_QUESTION_LOG")
    assert questions.logged(local) == []


def test_saved_answers_are_redacted_and_grouped_by_collection(local):
    first = collections.save_answer(" Kurs  vår ", "Brukaren Per Ek 121212-1212, vem betalar?",
                                    ANSWERED, key_facts=["Ett citat"], settings=local)
    collections.save_answer("Kurs vår", "Andra frågan?", {"answer": "Avtalet svarar inte på det.",
                                                          "abstained": True, "citations": []},
                            settings=local)
    collections.save_answer("Annan", "Tredje?", ANSWERED, settings=local)
    assert [(c.name, c.items) for c in collections.list_collections(local)] == [
        ("Annan", 1), ("Kurs vår", 2)]
    items = collections.collection_items("Kurs vår", local)
    assert items[0].id == first
    assert "121212" not in items[0].question and "Per Ek" not in items[0].question
    assert items[0].citations[0]["quote"] == "Ett citat." and items[0].key_facts == ["Ett citat"]
    assert items[1].abstained and not items[0].abstained
    assert collections.remove_item(first, local)
    assert len(collections.collection_items("Kurs vår", local)) == 1
    with pytest.raises(UserError):
        collections.collection_items("finns inte", local)


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL on loopback (tests/postgres_server.py, Debian's postgresql)."""
    server_module = pytest.importorskip("postgres_server")
    if server_module.binaries() is None:
        pytest.skip("Debian postgresql not installed")
    with server_module.PostgresProcess() as server:
        yield server


@pytest.mark.slow
def test_the_same_storage_code_runs_on_postgresql(postgres, local, monkeypatch):
    monkeypatch.setenv("AVTAL_DATABASE_URL", postgres.url)
    assert db.database_url(local).startswith("postgresql+psycopg://")
    engine = db.engine(local)
    assert engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM collection_items"))
        connection.execute(sa.text("DELETE FROM collections"))
        connection.execute(sa.text("DELETE FROM question_log"))
    assert db.migrate(engine) == db.SCHEMA_VERSION
    now = db.utcnow()
    questions.log_question("Gammal fråga om 500101-2222", ANSWERED, settings=local,
                           now=now - timedelta(days=200))
    questions.log_question("Brukaren Lisa Ek undrar om 500101-2222", ANSWERED, settings=local)
    [row] = questions.logged(local)
    assert row.question == "Brukaren [namn borttaget] undrar om [personnummer borttaget]"
    assert row.asked_at.tzinfo is not None and row.sections[0]["section"] == "B.9"
    collections.save_answer("Kurs", "Fråga?", ANSWERED, key_facts=["citat"], settings=local)
    [item] = collections.collection_items("Kurs", local)
    assert item.citations == ANSWERED["citations"] and item.key_facts == ["citat"]
    assert [(c.name, c.items) for c in collections.list_collections(local)] == [("Kurs", 1)]


@pytest.mark.parametrize("text, kept, removed", [
    ("Patienten Anna-Lena Berg har fått en rullator", "har fått en rullator", "Anna-Lena"),
    ("brukaren: Omar Said behöver stöd", "behöver stöd", "Omar"),
    ("pat. Eriksson skrivs ut i dag", "skrivs ut i dag", "Eriksson"),
    ("Patienten har fått en rullator", "Patienten har fått en rullator", None),
    ("Brukare i särskilt boende", "Brukare i särskilt boende", None),
])
def test_names_after_patient_or_brukare_are_removed(text, kept, removed):
    from assistant.privacy import NAME_REDACTED, redact_personal

    redacted = redact_personal(text)
    assert kept in redacted
    if removed:
        assert removed not in redacted and NAME_REDACTED in redacted
    else:
        assert redacted == text
