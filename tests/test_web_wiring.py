"""The trainers' workspace and the version comparison wired into the web chat (fast tests).

Real storage (SQLite in a temporary data folder), real corpus loading and the real FastAPI
routes; the assistant behind the chat handler is a stub that returns a fixed cited answer.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlparse

import gradio as gr
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.config import settings
from assistant.ingest.structure import load_corpus
from assistant.storage.feedback import FeedbackStore, default_path
from assistant.types import Answer, Citation, Section
from assistant.web import chat, render
from assistant.web.app import Handlers
from assistant.web.routes import compare_pair, compare_router, server_routes
from tests.fixtures import next_version

PERSONNUMMER = "19121212-1212"


class StubAssistant:
    sections: list[Section] = []
    documents: list = []

    def ask(self, question: str, scope: str = "alla", history=None) -> Answer:
        quote = "Kommunen ansvarar för hjälpmedlen i det egna boendet."
        cite = Citation("dok", "Ett avtal", "B", None, "B.3", "Hjälpmedel", 4, quote,
                        section_id="dok-b3")
        return Answer(question, quote, False, [cite], 12.0, short_answer=quote,
                      confidence="hög")

    def scopes(self):
        return [("alla", "Hela avtalet")]

    def section(self, section_id):
        return None

    def banner(self) -> str:
        return ""


def _handlers(data_dir) -> Handlers:
    config = dataclasses.replace(settings(), data_dir=data_dir)
    return Handlers(StubAssistant(), FeedbackStore(default_path(data_dir)), 1000, config)


def _answer_turns(handlers: Handlers, question: str) -> list[dict]:
    *_, last = handlers.respond(question, "alla", [])
    return last[2]


@pytest.fixture(autouse=True)
def sqlite_only(monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("AVTAL_QUESTION_LOG", raising=False)


def test_each_chat_answer_lands_in_the_question_log_redacted(tmp_path):
    from assistant.storage.questions import logged

    handlers = _handlers(tmp_path / "data")
    turns = _answer_turns(handlers, f"Vem ger hjälpmedel till {PERSONNUMMER} hemma?")
    assert len(turns) == 1
    rows = logged(handlers.config)
    assert [(r.channel, r.scope) for r in rows] == [("web", "alla")]
    assert PERSONNUMMER not in rows[0].question and "hjälpmedel" in rows[0].question
    assert rows[0].sections[0]["section_id"] == "dok-b3" and not rows[0].abstained


def test_an_unwritable_data_folder_still_gives_the_answer(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("en fil, ingen mapp")
    handlers = _handlers(blocker)
    turns = _answer_turns(handlers, "Vem ger hjälpmedel hemma?")
    assert turns and turns[0]["answer"]["citations"][0]["section_id"] == "dok-b3"


def test_spara_puts_question_answer_and_citations_in_a_named_collection(tmp_path):
    from assistant.storage.collections import collection_items, list_collections

    handlers = _handlers(tmp_path / "data")
    turns = _answer_turns(handlers, f"Hjälpmedel för {PERSONNUMMER}?")
    click = gr.EventData(None, {"action": "spara", "tur": 0, "samling": "  Kurs   vår "})
    shown, turns, _, _, status = handlers.on_conversation(turns, None, click)
    assert "Sparat i ”Kurs vår”" in status and "Sparat i Kurs vår" in shown
    assert turns[0]["saved_to"] == "Kurs vår"
    assert [(c.name, c.items) for c in list_collections(handlers.config)] == [("Kurs vår", 1)]
    item = collection_items("Kurs vår", handlers.config)[0]
    assert PERSONNUMMER not in item.question and item.citations[0]["section"] == "B.3"


def test_spara_without_a_name_uses_the_default_and_a_bad_turn_changes_nothing(tmp_path):
    from assistant.storage.collections import list_collections

    handlers = _handlers(tmp_path / "data")
    turns = _answer_turns(handlers, "Hjälpmedel hemma?")
    blank = gr.EventData(None, {"action": "spara", "tur": 0, "samling": " "})
    *_, status = handlers.on_conversation(turns, None, blank)
    assert chat.DEFAULT_COLLECTION in status
    wrong = gr.EventData(None, {"action": "spara", "tur": 7, "samling": "X"})
    assert handlers.on_conversation(turns, None, wrong)[4] == gr.update()
    assert [c.name for c in list_collections(handlers.config)] == [chat.DEFAULT_COLLECTION]


def test_spara_on_an_unwritable_folder_says_so_in_swedish(tmp_path):
    handlers = _handlers(tmp_path / "ok")
    turns = _answer_turns(handlers, "Hjälpmedel hemma?")
    blocker = tmp_path / "data"
    blocker.write_text("en fil")
    handlers.config = dataclasses.replace(handlers.config, data_dir=blocker)
    click = gr.EventData(None, {"action": "spara", "tur": 0, "samling": "Kurs"})
    *_, status = handlers.on_conversation(turns, None, click)
    assert "kunde inte sparas" in status and "meddelande-fel" in status


def test_each_answer_has_spara_with_a_labelled_collection_field():
    turn = chat.turn_record("Fråga?", "alla", StubAssistant().ask("Fråga?"))
    html = chat.conversation_html([turn], lambda _: None, {}, [], [])
    assert 'class="spara"' in html and 'aria-controls="spara-0"' in html
    assert '<label for="samling-0">Spara i samlingen</label>' in html
    assert f'value="{chat.DEFAULT_COLLECTION}"' in html and "hidden" in html


def _section(part: str | None, document: str = "hsa") -> Section:
    return Section(id="hsa-b11", document=document, document_title="Avtal", kind="avtal",
                   part=part, agreement=None, section="B.11", title="Hjälpmedel", level=2,
                   path=["Avtal", "B.11"], body="Text.")


def test_section_view_links_exports_of_the_section_and_its_part():
    html = render.section_actions_html(_section("B"))
    targets = [parse_qs(urlparse(href).query) for href in _hrefs(html, "exportera")]
    assert [(t["what"][0], t["format"][0]) for t in targets] == [
        ("hsa-b11", "pdf"), ("hsa-b11", "docx"), ("B", "pdf"), ("B", "docx")]
    assert all(urlparse(h).path == "/api/trainers/export" for h in _hrefs(html, "exportera"))
    assert "Jämför versioner" not in html
    whole = render.section_actions_html(_section(None, "fardplan"))
    assert "what=fardplan" in whole and "Exportera hela dokumentet" in whole


def _hrefs(html: str, css: str) -> list[str]:
    import re

    return [m.replace("&amp;", "&") for m in re.findall(rf'class="{css}" href="([^"]+)"', html)]


@pytest.fixture(scope="module")
def versions_corpus(tmp_path_factory):
    corpus = next_version.write_corpus(tmp_path_factory.mktemp("versions") / "corpus")
    documents, _ = load_corpus(corpus)
    return corpus, documents


def test_two_versions_of_a_series_give_a_compare_link_to_the_newest_pair(versions_corpus):
    _, documents = versions_corpus
    pair = compare_pair(next_version.SHIPPED_ID, documents)
    assert pair == (next_version.SHIPPED_ID, next_version.NEXT_ID)
    others = [d for d in documents if d.id != next_version.NEXT_ID]
    assert compare_pair(next_version.SHIPPED_ID, others) is None
    html = render.section_actions_html(_section("B"), pair)
    [link] = _hrefs(html, "jamfor")
    assert parse_qs(urlparse(link).query) == {"old": [pair[0]], "new": [pair[1]]}


def test_compare_route_shows_the_changes_between_two_indexed_versions(versions_corpus):
    corpus, documents = versions_corpus
    app = FastAPI()
    app.include_router(compare_router(lambda: documents, corpus))
    client = TestClient(app)
    page = client.get("/api/compare", params={"old": next_version.SHIPPED_ID,
                                              "new": next_version.NEXT_ID})
    assert page.status_code == 200 and '<html lang="sv">' in page.text
    assert "Tillagda avsnitt" in page.text and "tjugofyra månaders uppsägningstid" in page.text
    path = str(corpus / f"{next_version.NEXT_ID}.txt")  # a file path is never read
    refused = client.get("/api/compare", params={"old": next_version.SHIPPED_ID, "new": path})
    assert refused.status_code == 404 and "Okänt dokument" in refused.text


def test_serve_routes_hold_the_trainers_workspace_and_compare(tmp_path):
    config = dataclasses.replace(settings(), data_dir=tmp_path / "data")
    paths = {getattr(r, "path", "") for r in server_routes(config, "127.0.0.1", StubAssistant())}
    assert {"/api/trainers/", "/api/trainers/export", "/api/trainers/collections/{name}/items",
            "/api/compare"} <= paths


def test_the_page_header_links_to_the_trainers_page():
    from assistant.web.app import _header_html

    header = _header_html(StubAssistant())
    assert 'href="/api/trainers/"' in header and ">Utbildning" in header


def test_beyond_loopback_the_trainers_page_asks_for_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("AVTAL_TRAINER_TOKEN", "kurs-hemlighet-1")
    config = dataclasses.replace(settings(), data_dir=tmp_path / "data")
    app = FastAPI()
    app.router.routes.extend(server_routes(config, "0.0.0.0", StubAssistant()))
    client = TestClient(app)
    page = client.get("/api/trainers/")
    assert page.status_code == 403 and 'type="password"' in page.text
    assert "kurs-hemlighet-1" not in page.text
    assert client.get("/api/trainers/export", params={"what": "B"}).status_code == 403
    allowed = client.get("/api/trainers/collections",
                         headers={"X-Trainer-Token": "kurs-hemlighet-1"})
    assert allowed.status_code == 200 and allowed.json() == []
