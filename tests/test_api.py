"""The HTTP API on the chat's own server: real assistant, real Gradio/uvicorn server, real HTTP."""

from __future__ import annotations

import socket

import httpx
import pytest
from llm_standin import ModelServer

from assistant.answer.generate import Generator
from assistant.ingest.clean import collapse

pytestmark = pytest.mark.slow

CONTRACT = {"question", "answer", "abstained", "citations", "latency_ms", "short_answer",
            "confidence", "answer_mode"}
CITATION = {"document", "document_title", "part", "agreement", "section", "title", "page",
            "quote", "section_id", "page_label"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(assistant):
    from assistant.api.app import create_api
    from assistant.web.app import build_app, launch

    demo = build_app(assistant)
    url = launch(demo, "127.0.0.1", free_port(), api=create_api(assistant))
    with httpx.Client(base_url=url.rstrip("/"), timeout=60, trust_env=False) as client:
        yield client
    demo.close()


def ask(server, **body) -> httpx.Response:
    return server.post("/api/ask", json=body)


@pytest.mark.smoke
def test_ask_returns_the_answer_contract_with_verbatim_quotes(server, assistant):
    response = ask(server, question="Vem ansvarar för hjälpmedel till barn under 18 år?")
    assert response.status_code == 200
    data = response.json()
    assert CONTRACT <= set(data) and data["abstained"] is False
    assert data["answer_mode"] == "extractive"
    assert data["citations"]
    for citation in data["citations"]:
        assert CITATION <= set(citation)
        section = assistant.section(citation["section_id"])
        assert collapse(citation["quote"]) in collapse(section.body)


def test_repeated_question_is_answered_from_the_cache(server, assistant):
    body = {"question": "Vem ansvarar för läkemedel till personer i särskilt boende?"}
    first = server.post("/api/ask", json=body).json()
    asked = []
    original = assistant.ask
    assistant.ask = lambda *a, **k: asked.append(a) or original(*a, **k)
    try:
        again = server.post("/api/ask", json=body).json()
        other_scope = server.post("/api/ask", json={**body, "scope": "B"}).json()
    finally:
        del assistant.ask
    assert again["citations"] == first["citations"] and again["answer"] == first["answer"]
    assert len(asked) == 1 and other_scope["citations"]  # only the new scope was answered


def test_ask_with_scope_and_history(server):
    data = ask(server, question="Och vem betalar läkemedlen där?",
               history=["Vad gäller för personer i särskilt boende?"], scope="B").json()
    assert data["citations"] and all(c["part"] == "B" for c in data["citations"])


def test_question_outside_the_documents_is_declined(server):
    data = ask(server, question="Hur många semesterveckor får en sjuksköterska på sommaren?").json()
    assert data["abstained"] is True and data["citations"] == []


@pytest.mark.parametrize("body, status, words", [
    ({}, 422, "”question” saknas"),
    ({"question": 42}, 422, "ska vara en text"),
    ({"question": "Vem betalar?", "history": "inte en lista"}, 422, "lista"),
    ({"question": "Vem betalar?", "okänt": 1}, 422, "okänt"),
    ({"question": "   "}, 400, "tom"),
    ({"question": "x" * 1500}, 400, "för lång"),
    ({"question": "Vem betalar hjälpmedel?", "scope": "Z"}, 400, "Okänt urval"),
    ({"question": "Vem betalar hjälpmedel?", "date": "igår"}, 400, "Ogiltigt datum"),
])
def test_bad_input_gets_a_swedish_4xx(server, body, status, words):
    response = ask(server, **body)
    assert response.status_code == status
    assert words.lower() in response.json()["detail"].lower()
    assert "Traceback" not in response.text


def test_invalid_json_and_wrong_method(server):
    response = server.post("/api/ask", content=b'{"question": ',
                           headers={"content-type": "application/json"})
    assert response.status_code == 422 and "giltig JSON" in response.json()["detail"]
    response = server.get("/api/ask")
    assert response.status_code == 405 and "Metoden" in response.json()["detail"]
    response = server.get("/api/finns-inte")
    assert response.status_code == 404 and "ingen sådan adress" in response.json()["detail"]


def test_oversized_body_is_refused(server):
    response = ask(server, question="Vem betalar?", history=["ord " * 20000])
    assert response.status_code == 413
    assert "för stor" in response.json()["detail"]


def test_sections_list_and_one_section_by_id_with_slashes(server, assistant):
    rows = server.get("/api/sections").json()
    assert len(rows) == len(assistant.sections)
    wanted = next(s for s in assistant.sections if s.section == "B.11")
    assert "/" in wanted.id
    row = next(r for r in rows if r["id"] == wanted.id)
    assert row["title"] == wanted.title
    detail = server.get(f"/api/sections/{wanted.id}").json()
    assert detail["body"] == wanted.body and detail["path"] == wanted.path
    missing = server.get("/api/sections/inget/sådant")
    assert missing.status_code == 404 and "finns inte" in missing.json()["detail"]


def test_openapi_description(server):
    spec = server.get("/api/openapi.json").json()
    assert {"/ask", "/sections", "/sections/{section_id}"} <= set(spec["paths"])
    assert "AskRequest" in spec["components"]["schemas"]


def test_chat_page_still_served(server):
    page = server.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()


@pytest.mark.parametrize("behaviour, mode", [("faithful", "generated"),
                                             ("invent_amount", "extractive"),
                                             ("invent_quote", "extractive")])
def test_api_answers_with_a_model_server(server, assistant, behaviour, mode):
    with ModelServer(behaviour) as model:
        assistant.generator = Generator(model.url, "stand-in", timeout=5)
        try:
            data = ask(server, question="Vem betalar hjälpmedel för barn och ungdomar?").json()
        finally:
            assistant.generator = None
    assert model.requests, "the model server was asked"
    assert data["answer_mode"] == mode
    if mode == "generated":
        assert "[1]" in data["answer"] and data.get("fallback_reason") is None
    else:
        assert data["fallback_reason"] and "4 750" not in data["answer"]
        assert "hela kostnaden för alla" not in data["answer"]


def test_cache_answers_a_question_asked_by_many_at_once_only_once():
    import threading
    import time

    from assistant.api.app import AnswerCache, AskRequest

    cache, calls = AnswerCache(8), []

    def compute() -> dict:
        calls.append(1)
        time.sleep(0.2)
        return {"answer": "svar"}

    key = cache.key(AskRequest(question="Vem ansvarar för transporterna?"), "bygge-1")
    threads = [threading.Thread(target=cache.get_or_compute, args=(key, compute))
               for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert cache.key(AskRequest(question="Gäller det 19121212-1212?"), "bygge-1") is None
    fallback = cache.get_or_compute(cache.key(AskRequest(question="Och nu?"), "bygge-1"),
                                    lambda: {"fallback_reason": "timeout: …"})
    assert fallback and len(cache.items) == 1  # a fallback answer is not kept
