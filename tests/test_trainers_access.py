"""Trainer views: open on this computer, token-guarded when served in the network."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.config import settings
from assistant.storage import db
from assistant.trainers.access import (
    TrainerAccessDenied,
    is_loopback,
    require_trainer,
    trainer_allowed,
)
from assistant.trainers.routes import trainer_router

TOKEN = "kurs-2026-hemligt"


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("127.0.1.1", True), ("0.0.0.0", False), ("192.168.1.20", False), ("", False),
    ("avdelning.local", False),
])
def test_loopback_addresses(host, expected):
    assert is_loopback(host) is expected


def test_beyond_loopback_the_token_is_required(monkeypatch):
    monkeypatch.delenv("AVTAL_TRAINER_TOKEN", raising=False)
    assert trainer_allowed("127.0.0.1", None)
    assert not trainer_allowed("0.0.0.0", None)
    assert not trainer_allowed("0.0.0.0", "något")  # no token configured: shut
    monkeypatch.setenv("AVTAL_TRAINER_TOKEN", TOKEN)
    assert not trainer_allowed("0.0.0.0", None)
    assert not trainer_allowed("0.0.0.0", "fel")
    assert trainer_allowed("0.0.0.0", TOKEN)
    with pytest.raises(TrainerAccessDenied, match="utbildarlösenordet"):
        require_trainer("10.0.0.5", "fel")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("AVTAL_DATA_DIR", str(tmp_path / "data"))
    yield settings()
    db.dispose_all()


def _client(env, host: str, token: str | None) -> TestClient:
    app = FastAPI()
    app.include_router(trainer_router(env, host, token=token))
    return TestClient(app)


def test_routes_refuse_without_the_token_on_a_network_address(env):
    client = _client(env, "0.0.0.0", TOKEN)
    for path in ("/api/trainers/collections", "/api/trainers/quiz?scope=B&count=2",
                 "/api/trainers/export?what=B.11", "/api/trainers/insights"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "utbildarlösenordet" in refused.json()["detail"]
        assert client.get(path, headers={"X-Trainer-Token": "fel"}).status_code == 403
    allowed = client.get("/api/trainers/quiz?scope=B&count=2",
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and len(allowed.json()) == 2


def test_routes_save_list_and_export_on_this_computer(env):
    client = _client(env, "127.0.0.1", None)
    answer = {"answer": "Enligt …", "abstained": False, "citations": [
        {"document": "hos-avtal-2023", "document_title": "Avtal", "part": "B",
         "agreement": None, "section": "B.9", "title": "Läkemedel", "page": None,
         "quote": "Ett citat.", "section_id": "x"}]}
    saved = client.post("/api/trainers/collections/Kurs%20A/items",
                        json={"question": "Fråga om 850101-1234?", "answer": answer})
    assert saved.status_code == 201
    assert client.get("/api/trainers/collections").json()[0]["items"] == 1
    shown = client.get("/api/trainers/collections/Kurs A")
    assert "Fråga om [personnummer borttaget]?" in shown.text
    pdf = client.get("/api/trainers/export", params={"what": "B.11", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    missing = client.get("/api/trainers/export", params={"what": "Z.99"})
    assert missing.status_code == 400 and "hittar inget" in missing.json()["detail"]


def test_the_trainer_page_asks_for_the_password_in_the_network(env):
    client = _client(env, "0.0.0.0", TOKEN)
    shut = client.get("/api/trainers/")
    assert shut.status_code == 403 and 'type="password"' in shut.text
    assert "Skapa quiz" not in shut.text
    wrong = client.post("/api/trainers/login", data={"token": "fel"}, follow_redirects=False)
    assert wrong.status_code == 403 and "Fel lösenord." in wrong.text
    assert "avtal_utbildare" not in client.cookies
    right = client.post("/api/trainers/login", data={"token": TOKEN}, follow_redirects=False)
    assert right.status_code == 303
    cookie = client.cookies.get("avtal_utbildare")
    assert cookie and TOKEN not in cookie  # the browser keeps a derived value only
    page = client.get("/api/trainers/")
    assert page.status_code == 200 and "Skapa quiz" in page.text
    quiz = client.get("/api/trainers/quiz", params={"scope": "B", "count": 3, "format": "html"})
    assert quiz.status_code == 200 and "Facit" in quiz.text
    client.cookies.clear()
    assert client.get("/api/trainers/collections").status_code == 403
    forged = client.get("/api/trainers/collections", headers={"Cookie": "avtal_utbildare=gissat"})
    assert forged.status_code == 403


def test_the_trainer_page_is_open_on_this_computer(env):
    page = _client(env, "127.0.0.1", None).get("/api/trainers/")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text and "Inga samlingar än." in page.text
    assert "http://" not in page.text and "https://" not in page.text
