"""Fault tests: hostile corpora, failed and concurrent builds, read-only folders, the web
server probed on loopback. Corpora are built here in tmp folders; servers are bounded."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.config import settings
from assistant.ingest.structure import load_corpus

RUTIN_TXT = "Rutin\n\nSjuksköterskan ringer kommunen när patienten skrivs ut från sjukhuset.\n"
RUTIN_MD = "# Rutin\n\nUndersköterskan dokumenterar insatserna i journalen varje dag.\n"
PROSE = ("Kommunen ansvarar för hemsjukvård i ordinärt boende och regionen för "
         "specialiserad vård. ")


def _pdf(path: Path, text: str) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def _encrypt(source: Path, target: Path, user_password: str = "") -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password=user_password, owner_password="hemligt", algorithm="AES-256")
    writer.write(target)


@pytest.fixture
def hostile(tmp_path) -> Path:
    """A corpus with every kind of bad file beside two good ones that share a stem."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plain = _pdf(tmp_path / "plain.pdf", "Rutin for lakemedel. Sjukskoterskan delar ut "
                                         "lakemedel enligt ordination.")
    _encrypt(plain, corpus / "agarlosen.pdf")  # owner password only: readable
    _encrypt(plain, corpus / "anvandarlosen.pdf", user_password="user")  # needs a password
    (corpus / "Rutin.txt").write_text(RUTIN_TXT, encoding="utf-8")
    (corpus / "rutin.md").write_text(RUTIN_MD, encoding="utf-8")
    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "brus.txt").write_bytes(bytes((n * 7919) % 255 + 1 for n in range(20_000)))
    (corpus / "hogbytes.md").write_bytes(bytes(0x80 + (n * 31) % 128 for n in range(20_000)))
    (corpus / "trasig.pdf").write_bytes(b"%PDF-1.7\n" + b"junk " * 200)
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: borta\n    file: borta.txt\n    title: Borta\n    kind: övrigt\n",
        encoding="utf-8")
    return corpus


def test_every_unreadable_file_is_skipped_and_named(hostile):
    problems: list[str] = []
    documents, sections = load_corpus(hostile, problems)
    ids = {d.id for d in documents}
    assert {"rutin-txt", "rutin-md", "agarlosen"} <= ids
    named = {p.split(":")[0] for p in problems}
    assert named == {"borta.txt", "tom.txt", "brus.txt", "hogbytes.md", "trasig.pdf",
                     "anvandarlosen.pdf"}
    assert all(any(w in p for w in ("saknas", "tom", "binär", "trasig", "lösenord"))
               for p in problems)
    section_ids = [s.id for s in sections]
    assert len(section_ids) == len(set(section_ids))
    bodies = " ".join(s.body for s in sections)
    assert "journalen" in bodies and "ringer kommunen" in bodies and "ordination" in bodies


def test_oversize_file_is_skipped_with_its_name(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    limit = settings().max_file_chars
    (corpus / "jatte.txt").write_text(PROSE * (limit // len(PROSE) + 10), encoding="utf-8")
    (corpus / "liten.txt").write_text(RUTIN_TXT, encoding="utf-8")
    problems: list[str] = []
    documents, _ = load_corpus(corpus, problems)
    assert [d.file for d in documents] == ["liten.txt"]
    assert problems[0].startswith("jatte.txt:") and "för lång" in problems[0]


def test_corpus_limit_names_the_largest_documents(tmp_path):
    from assistant.errors import UserError
    from assistant.index.store import check_corpus_size

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "stor.txt").write_text(PROSE * 50, encoding="utf-8")
    _, sections = load_corpus(corpus)
    small = dataclasses.replace(settings(), max_corpus_chars=1000)
    with pytest.raises(UserError, match="Korpusen är för stor.*stor"):
        check_corpus_size(sections, small)
    check_corpus_size(sections, settings())


# --- builds: waiting for another build, failing builds ------------------------------------


def _fake_build(target_settings, calls):
    """Stands in for the embedding-heavy `_build`: writes a current build and swaps it in."""
    from assistant.index import store

    def fake(config, progress):
        calls.append(time.monotonic())
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{len(calls)}"
        path = config.index_dir / "builds" / name
        path.mkdir(parents=True)
        (path / "manifest.json").write_text(json.dumps(
            {"fingerprint": store.fingerprint(config), "skipped": []}))
        store._swap(config, name)
        return path
    return fake


def test_second_build_waits_with_a_message_and_does_not_repeat(tmp_path, monkeypatch):
    from assistant.index import store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(RUTIN_TXT, encoding="utf-8")
    config = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index")
    calls: list[float] = []
    monkeypatch.setattr(store, "_build", _fake_build(config, calls))
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with store._build_lock(config):
            holding.set()
            release.wait(10)
            store._build(config, False)

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(10)
    assert store.building(config)
    messages: list[str] = []
    threading.Timer(0.3, release.set).start()
    store.build(config, force=True, notify=messages.append)  # like `index --rebuild`
    thread.join(10)
    assert len(calls) == 1
    assert messages[0].startswith("Ett annat bygge") and "inget nytt bygge" in messages[1]
    assert not store.building(config)


def test_failed_build_is_recorded_and_the_last_good_index_kept(tmp_path, monkeypatch):
    from assistant.index import store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(RUTIN_TXT, encoding="utf-8")
    config = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index")
    monkeypatch.setattr(store, "_build", _fake_build(config, []))
    good = store.build(config)
    (corpus / "manifest.yaml").write_text("documents: [: trasig", encoding="utf-8")
    monkeypatch.setattr(store, "_build", lambda *_: store.load_corpus(corpus))
    with pytest.raises(Exception, match="manifest"):
        store.build(config)
    assert store.current_build(config) == good
    found = store.ensure(config, background=True)  # no retry of a build known to fail
    assert not found.current and found.failed and not found.building
    assert "misslyckades" in found.notice() and "manifest" in found.notice()


def test_changed_corpus_notice_names_new_unreadable_files(tmp_path, monkeypatch):
    from assistant.index import store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(RUTIN_TXT, encoding="utf-8")
    config = dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index")
    monkeypatch.setattr(store, "_build", _fake_build(config, []))
    store.build(config)
    assert store.state(config).notice() == ""
    (corpus / "nytt.txt").write_bytes(bytes(range(1, 256)) * 40)
    (corpus / "enorm.txt").write_text(PROSE * 60_000, encoding="utf-8")
    started = time.monotonic()
    found = store.state(config)
    assert time.monotonic() - started < 5  # an over-size file is not read to be refused
    assert not found.current
    assert "nytt.txt" in found.notice() and "enorm.txt: texten är för lång" in found.notice()


# --- real builds and answers (model, Chroma) -----------------------------------------------


def _cli(args, env, stdin: bytes | None = None, timeout: float = 900):
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin,
                          capture_output=True, env=env, timeout=timeout)


def _env(corpus: Path, index: Path, data: Path) -> dict:
    return dict(os.environ, AVTAL_CORPUS_DIR=str(corpus), AVTAL_INDEX_DIR=str(index),
                AVTAL_DATA_DIR=str(data))


@pytest.mark.slow
def test_hostile_corpus_builds_answers_and_falls_back(hostile, tmp_path):
    from assistant.index import store

    env = _env(hostile, tmp_path / "index", tmp_path / "data")
    done = _cli(["index"], env)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    for name in ("borta.txt", "tom.txt", "brus.txt", "trasig.pdf", "anvandarlosen.pdf"):
        assert f"Hoppade över: {name}" in err
    # said once, in Swedish: no English log lines beside the notices unless -v is given
    assert "WARNING" not in err, err
    asked = _cli(["ask", "--json", "Vem dokumenterar i journalen?"], env)
    assert asked.returncode == 0, asked.stderr.decode()
    answer = json.loads(asked.stdout)
    assert any("journalen" in c["quote"] for c in answer["citations"])
    notice = asked.stderr.decode()
    assert notice.count("Obs:") == 1 and "brus.txt" in notice

    # A change that breaks the build: the last good index keeps answering, without waiting.
    (hostile / "manifest.yaml").write_text("documents: [: trasig", encoding="utf-8")
    started = time.monotonic()
    asked = _cli(["ask", "--json", "Vem dokumenterar i journalen?"], env)
    assert asked.returncode == 0 and json.loads(asked.stdout)["citations"]
    assert "byggs i bakgrunden" in asked.stderr.decode()
    config = dataclasses.replace(settings(), corpus_dir=hostile, index_dir=tmp_path / "index")
    deadline = started + 600
    while time.monotonic() < deadline and store.failure(config) is None:
        time.sleep(1)
    while time.monotonic() < deadline and store.building(config):
        time.sleep(1)
    asked = _cli(["ask", "--json", "Vem ringer kommunen?"], env)
    assert asked.returncode == 0 and json.loads(asked.stdout)["citations"]
    assert "misslyckades" in asked.stderr.decode()


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_answering_never_writes_to_the_index_folder(assistant, test_settings, tmp_path):
    import shutil

    index = tmp_path / "index"
    shutil.copytree(test_settings.index_dir, index)
    (index / ".build.lock").unlink(missing_ok=True)
    before = _snapshot(index)
    for path in [index, *index.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        env = _env(test_settings.corpus_dir, index, tmp_path / "data")
        asked = _cli(["ask", "--json", "Vem betalar hjälpmedel till barn?"], env)
        assert asked.returncode == 0, asked.stderr.decode()
        assert json.loads(asked.stdout)["citations"]
    finally:
        for path in [index, *index.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert _snapshot(index) == before


# --- feedback when the data folder cannot be written -------------------------------------


def test_unwritable_data_folder_turns_feedback_off_in_swedish(tmp_path):
    from assistant.storage.feedback import FeedbackStore, FeedbackUnavailable, default_path

    blocker = tmp_path / "data"
    blocker.write_text("en fil, ingen mapp")
    store = FeedbackStore(default_path(blocker))
    assert not store.available and "Återkoppling är avstängd" in store.notice
    with pytest.raises(FeedbackUnavailable, match="avstängd"):
        store.rate(session="s", turn=1, rating="up", question="Fråga?", answer="Svar.",
                   citations=[])
    assert FeedbackStore(default_path(tmp_path / "saknas"), read_only=True).rows() == []
    assert not (tmp_path / "saknas").exists()


def test_failed_write_keeps_the_rating_and_stores_it_later(tmp_path):
    from assistant.storage.feedback import FeedbackStore, FeedbackUnavailable, default_path

    data = tmp_path / "data"
    store = FeedbackStore(default_path(data))
    moved = tmp_path / "undan"
    data.rename(moved)
    data.write_text("mappen är borta")  # writes now fail
    with pytest.raises(FeedbackUnavailable, match="kunde inte sparas"):
        store.rate(session="s", turn=1, rating="down", question="Första?", answer="Svar.",
                   citations=[])
    assert len(store.pending) == 1
    data.unlink()
    moved.rename(data)
    store.rate(session="s", turn=2, rating="up", question="Andra?", answer="Svar.",
               citations=[])
    assert [r.question for r in store.rows()] == ["Första?", "Andra?"] and not store.pending
    rows = sqlite3.connect(store.path).execute("SELECT rating FROM feedback").fetchall()
    assert rows == [("down",), ("up",)]


# --- the web server's surface ----------------------------------------------------------------


def test_guard_limits_rate_per_client_and_body_size():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from assistant.web.security import Guard, TokenBucket

    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    clock = [0.0]
    limiter = TokenBucket(per_minute=60, burst=3, clock=lambda: clock[0])
    app = Starlette(routes=[Route("/gradio_api/run", echo, methods=["POST"]),
                            Route("/gradio_api/upload", echo, methods=["POST"])],
                    middleware=[Middleware(Guard, max_body=1000, limiter=limiter)])
    client = TestClient(app)
    assert client.post("/gradio_api/upload", content=b"x").status_code == 403
    assert [client.post("/gradio_api/run", content=b"x").status_code for _ in range(3)] == \
        [200, 200, 200]
    refused = client.post("/gradio_api/run", content=b"x")
    assert refused.status_code == 429 and "För många" in refused.json()["detail"]
    clock[0] += 1.0  # one token a second comes back
    assert client.post("/gradio_api/run", content=b"y" * 1000).text == "1000"
    clock[0] += 5.0
    assert client.post("/gradio_api/run", content=b"y" * 1001).status_code == 413

    def chunks():
        for _ in range(5):
            yield b"z" * 300
    assert client.post("/gradio_api/run", content=chunks()).status_code == 413


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(assistant, test_settings, tmp_path):
    """`assistant serve` on a free loopback port; yields (base URL, temp folder, log file)."""
    port = _free_port()
    temp = tmp_path / "gradio-temp"
    log = tmp_path / "server.log"
    private = tmp_path / "tmp"  # the server's own temp folder (index copies)
    private.mkdir()
    env = dict(_env(test_settings.corpus_dir, test_settings.index_dir, tmp_path / "data"),
               GRADIO_TEMP_DIR=str(temp), TMPDIR=str(private))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while "körs på" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", temp, log
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    assert process.returncode == 0  # SIGTERM ends it like Ctrl+C …
    assert not list(private.glob("avtal-index-*"))  # … and its index copy is removed


@pytest.mark.slow
def test_server_refuses_uploads_big_bodies_and_malformed_calls(server):
    import httpx

    base, temp, log = server
    files = {"files": ("rapport.pdf", b"%PDF-1.4 " + b"x" * 1_000_000, "application/pdf")}
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in ("/gradio_api/upload", "/upload", "/gradio_api/upload/"):
            assert client.post(path, files=files).status_code in (403, 404, 413), path
        small = {"files": ("a.txt", b"hej", "text/plain")}
        assert client.post("/gradio_api/upload", files=small).status_code == 403
        assert client.post("/gradio_api/queue/join", content=b"x" * 100_000,
                           headers={"content-type": "application/json"}).status_code == 413
        assert client.post("/gradio_api/queue/join", content=b"{inte json",
                           headers={"content-type": "application/json"}).status_code == 422
        leaking = {"data": ["Gäller 19370619-4821?"], "fn_index": 0, "session_hash": "abc"}
        refused = client.post("/gradio_api/queue/join", json=leaking)
        assert 400 <= refused.status_code < 500
        assert client.post("/gradio_api/queue/join",
                           json={"data": "x", "fn_index": "a"}).status_code == 422
        for path in ("/gradio_api/call/finns_inte", "/gradio_api/run/finns_inte"):
            assert client.post(path, json={"data": ["Gäller 19370619-4821?"]}
                               ).status_code == 404, path
        assert client.get("/").status_code == 200  # the chat itself is still served
    time.sleep(1)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "4821" not in text and "Received inputs" not in text
    stored = [p for p in temp.rglob("*") if p.is_file()] if temp.exists() else []
    assert not any(p.name.endswith((".pdf", ".txt")) for p in stored)


def test_chat_rating_on_an_unwritable_folder_says_so_in_swedish(tmp_path):
    from types import SimpleNamespace

    from assistant.storage.feedback import FeedbackStore, default_path
    from assistant.types import Answer
    from assistant.web import chat
    from assistant.web.app import Handlers

    blocker = tmp_path / "data"
    blocker.write_text("en fil, ingen mapp")
    handlers = Handlers(assistant=None, store=FeedbackStore(default_path(blocker)),
                        max_chars=1000)
    turns = [chat.turn_record("Fråga?", "alla", Answer("Fråga?", "Svar.", abstained=False))]
    click = SimpleNamespace(_data={"action": "betyg", "betyg": "up", "tur": 0})
    _, kept, _, feedback_id, status = handlers.on_conversation(turns, None, click)
    assert kept == turns and "Återkoppling är avstängd" in status


def test_gradio_error_printing_leaves_out_the_inputs(capsys, caplog):
    import gradio.queueing

    from assistant.web.security import quiet_gradio_tracebacks

    quiet_gradio_tracebacks()
    try:
        raise ValueError("Received inputs:\n    [\"Gäller 19370619-4821?\"]")
    except ValueError:
        gradio.queueing.traceback.print_exc()
    printed = capsys.readouterr().err + caplog.text
    assert "4821" not in printed and "Traceback" not in printed
    assert "ValueError" in caplog.text
