"""Feedback in a real PostgreSQL server (Debian's postgresql, started by the test on loopback):
what one process writes, another sees; personnummer never reach the table."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from postgres_server import PostgresProcess, binaries

from assistant.storage.db import configured_url
from assistant.storage.feedback import FeedbackStore, open_feedback

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(binaries() is None, reason="Debian postgresql not installed")]

CITATIONS = [{"document": "hos-avtal-2023", "part": "B", "section": "B.9", "title": "Läkemedel",
              "page": 23, "quote": "Regionen ansvarar för kostnaderna."}]


@pytest.fixture(scope="module")
def postgres():
    with PostgresProcess() as server:
        yield server


@pytest.fixture
def url(postgres, monkeypatch) -> str:
    monkeypatch.setenv("AVTAL_DATABASE_URL", postgres.url)
    found = configured_url()
    engine = sa.create_engine(found)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS feedback"))
    engine.dispose()
    return found


WRITER = textwrap.dedent("""
    import sys
    from assistant.storage.feedback import FeedbackStore
    store = FeedbackStore(url=sys.argv[1])
    row = store.rate(session=sys.argv[2], turn=1, rating="down",
                     question="Gäller det för 19121212-1212 också?", answer="Svar.",
                     citations=[{"title": "Läkemedel", "quote": "Regionen ansvarar."}])
    store.comment(row, "Fel paragraf för 191212121212")
    print(row)
""")


def write_in_other_process(url: str, session: str) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", WRITER, url, session], env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    return int(done.stdout.strip())


def test_postgresql_url_gets_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("AVTAL_DATABASE_URL", "postgresql://avtal@db/avtal")
    assert configured_url() == "postgresql+psycopg://avtal@db/avtal"
    monkeypatch.delenv("AVTAL_DATABASE_URL")
    assert configured_url() is None


def test_default_is_the_local_sqlite_store(test_settings, monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    store = open_feedback(test_settings)
    assert isinstance(store, FeedbackStore) and store.engine.dialect.name == "sqlite"


def test_feedback_from_one_process_is_seen_by_another(url, test_settings):
    store = open_feedback(test_settings)
    assert store.engine.dialect.name == "postgresql"
    written = write_in_other_process(url, "sess-a")
    rows = store.rows()
    assert [r.id for r in rows] == [written]
    assert rows[0].rating == "down" and rows[0].comment.startswith("Fel paragraf")
    # and what this process writes, a third one sees
    store.rate(session="sess-b", turn=2, rating="up", question="Vem betalar?",
               answer="Regionen.", citations=CITATIONS, scope="B")
    reader = subprocess.run(
        [sys.executable, "-c", "import sys; from assistant.storage.feedback import "
         "FeedbackStore as S; print(len(S(url=sys.argv[1]).rows()))", url],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True, capture_output=True, text=True, timeout=120)
    assert reader.stdout.strip() == "2"
    store.close()


def test_personnummer_never_stored(url):
    write_in_other_process(url, "sess-c")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        raw = connection.execute(sa.text("SELECT question, comment FROM feedback")).all()
    engine.dispose()
    assert raw and all("1212" not in " ".join(row) for row in raw)


def test_rating_again_replaces_and_export(url):
    store = FeedbackStore(url=url)
    first = store.rate(session="s", turn=1, rating="up", question="Vem betalar?",
                       answer="Regionen.", citations=CITATIONS)
    again = store.rate(session="s", turn=1, rating="down", question="Vem betalar?",
                       answer="Regionen.", citations=CITATIONS)
    assert first == again and [r.rating for r in store.rows()] == ["down"]
    assert store.comment(first, "=SUMMA(A1)") and not store.comment(first + 99, "x")
    out = io.StringIO()
    assert store.export_csv(out) == 1
    assert "'=SUMMA(A1)" in out.getvalue() and "B.9 Läkemedel" in out.getvalue()
    store.close()
