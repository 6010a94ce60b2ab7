"""The web chat's HTML and turn records, without a browser or a model (fast tier)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest

from assistant.ingest.manifest import DocumentInfo
from assistant.privacy import REDACTED
from assistant.types import Answer, Citation, Section
from assistant.web import chat, render
from assistant.web.app import HtmlLang

AGREEMENT = DocumentInfo(
    id="avtal-x", file="x.txt", title="Samverkansavtal X", kind="avtal",
    valid_from="2024-01-01", valid_to="2027-12-31",
)
CONTEXT = DocumentInfo(
    id="anteckning-y", file="y.txt", title="Mötesanteckning Y", kind="kontext", date="2020-05-04",
)
DOCUMENTS = {d.id: d for d in (AGREEMENT, CONTEXT)}


def _section(id_: str, number: str | None, title: str, parent: str | None = None,
             body: str = "", level: int = 1, part: str | None = "B") -> Section:
    return Section(
        id=id_, document=AGREEMENT.id, document_title=AGREEMENT.title, kind="avtal", part=part,
        agreement=None, section=number, title=title, level=level, path=[title], body=body,
        parent=parent,
    )


SECTIONS = [
    _section("del-b", None, "Del B", level=1),
    _section("b-3", "B.3", "Rullstolar", parent="del-b", level=2,
             body="Regionen står för rullstolar.\n\nKommunen lånar ut dem till boenden."),
    _section("b-3-1", "B.3.1", "Elrullstolar", parent="b-3", level=3, body="Elrullstolar."),
    _section("b-4", "B.4", "Tandvård", parent="del-b", level=2, body="Tandvård ges."),
]
BY_ID = {s.id: s for s in SECTIONS}


def _citation(section: Section, quote: str, page: int | None = 7) -> Citation:
    return Citation(
        document=section.document, document_title=section.document_title, part=section.part,
        agreement=None, section=section.section, title=section.title, page=page, quote=quote,
        section_id=section.id,
    )


def _answer(**changes) -> Answer:
    quote = ("Rullstolar lånas ut via hjälpmedelscentralen. För personer till och med 20 år "
             "står regionen för rullstolen. Vuxna betalar en avgift.")
    base = Answer(
        question="Vem står för rullstolen åt en tonåring?",
        answer=f"Enligt Del B, B.3 Rullstolar: ”{quote}”",
        abstained=False,
        citations=[_citation(BY_ID["b-3"], quote), _citation(BY_ID["b-4"], "Tandvård ges.")],
        confidence="hög",
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


class _Nesting(HTMLParser):
    """Records interactive elements that sit inside another interactive element."""

    INTERACTIVE = {"a", "button", "summary", "input", "textarea", "select"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nested: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.INTERACTIVE:
            outer = [t for t in self.stack if t in self.INTERACTIVE]
            if outer:
                self.nested.append((outer[-1], tag))
        if tag not in {"input", "br", "img", "meta"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def _nested(html: str) -> list[tuple[str, str]]:
    parser = _Nesting()
    parser.feed(html)
    return parser.nested


# --- short answer and key fact ----------------------------------------------------------------
def test_the_answers_own_key_fact_is_marked_in_the_short_answer():
    answer = _answer(short_answer="Avgiften är 1 200 kronor per dygn.", key_fact="1 200 kronor")
    assert chat.marked(answer.short_answer, answer) == (
        'Avgiften är <strong class="nyckel">1 200 kronor</strong> per dygn.')


def test_without_its_own_key_fact_the_answering_rule_marks_one():
    answer = _answer(question="Vem ansvarar för insatserna?")
    html = chat.marked("Kommunen ansvarar för insatser i det egna hemmet.", answer)
    assert '<strong class="nyckel">Kommunen</strong>' in html
    assert "<strong" not in chat.marked("Samverkan sker i dialog.", answer)


def test_short_answer_is_the_answers_own_else_the_best_quoted_sentence():
    assert chat.short_answer(_answer(short_answer="Regionen betalar.")) == "Regionen betalar."
    fallback = chat.short_answer(_answer())
    assert fallback == "För personer till och med 20 år står regionen för rullstolen."
    assert chat.short_answer(_answer(abstained=True, citations=[])) is None


def test_answer_shows_short_answer_and_source_line_first_rest_behind_visa_mer():
    html = chat.answer_html(_answer(), BY_ID.get, DOCUMENTS, SECTIONS)
    short = html.index('class="kort-svar"')
    line = html.index('class="kalla-rad"')
    more = html.index('<details class="visa-mer"><summary>Visa mer</summary>')
    assert short < line < more < html.index('class="svar-text"') < html.index("kalla-citat")
    assert '<strong class="nyckel">regionen</strong>' in html  # a "vem" question: who
    assert "Del B, B.3 Rullstolar · s. 7 · gäller 2024–2027" in html
    assert "Osäkert svar" not in html and "svar-osakert" not in html
    assert _nested(html) == []


def test_low_confidence_answer_is_labelled_and_styled_differently():
    html = chat.answer_html(_answer(confidence="låg"), BY_ID.get, DOCUMENTS, SECTIONS)
    assert 'class="svar svar-osakert"' in html
    assert "Osäkert svar" in html


def test_context_document_line_gives_its_date_not_a_validity():
    citation = Citation(
        document=CONTEXT.id, document_title=CONTEXT.title, part=None, agreement=None,
        section=None, title="Beslut", page=None, quote="Något beslutades.",
    )
    assert chat.source_line(citation, DOCUMENTS) == "Mötesanteckning Y (2020-05-04), Beslut · " \
        "dokument från 2020-05-04"


def test_decline_links_the_sections_its_text_names():
    text = ("Avtalet svarar inte på det. Närmast ligger: Del B, B.3.1 Elrullstolar; "
            "Del B, B.4 Tandvård.")
    answer = Answer(question="Vad kostar parkering?", answer=text, abstained=True)
    assert [s.id for s in chat.nearest_sections(answer, SECTIONS)] == ["b-3-1", "b-4"]
    html = chat.answer_html(answer, BY_ID.get, DOCUMENTS, SECTIONS)
    assert "svar-avbojt" in html and "Närliggande avsnitt" in html
    assert 'data-avsnitt="b-3-1"' in html and 'data-avsnitt="b-4"' in html
    assert 'data-avsnitt="b-3"' not in html  # "B.3 Rullstolar" is not named


# --- turns kept in the browser ------------------------------------------------------------------
def test_turn_record_round_trips_and_redacts_personnummer():
    question = "Gäller det 19850101-1234 som är 15 år?"
    turn = chat.turn_record(question, "B", _answer(question=question))
    assert REDACTED in turn["question"] and "1234" not in repr(turn)
    restored = chat.answer_from_record(turn)
    assert restored.citations[0].section_id == "b-3"
    assert restored.citations == _answer().citations
    assert chat.valid_turns([turn, {"answer": "trasig"}, "x"]) == [turn]
    assert len(chat.valid_turns([turn] * (chat.MAX_TURNS + 5))) == chat.MAX_TURNS


def test_conversation_escapes_questions_and_offers_examples_when_empty():
    empty = chat.conversation_html([], BY_ID.get, DOCUMENTS, SECTIONS, ["Fråga <ett>?"])
    assert 'class="exempel" data-fraga="Fråga &lt;ett&gt;?"' in empty
    payload = "<script>alert(1)</script>"
    turn = chat.turn_record(payload, "alla", _answer(question=payload))
    html = chat.conversation_html([turn], BY_ID.get, DOCUMENTS, SECTIONS)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "exempel" not in html
    assert html.count('class="fraga-text"') == 1 and _nested(html) == []


def test_copy_text_and_link_reopen_the_question():
    turn = chat.turn_record("Vem står för rullstolen?", "B", _answer())
    text = chat.plain_text(turn, chat.answer_from_record(turn), DOCUMENTS)
    assert text.startswith("Fråga: Vem står för rullstolen?\nKort svar: För personer")
    assert "[1] Del B, B.3 Rullstolar · s. 7 · gäller 2024–2027" in text
    assert "[2] Del B, B.4 Tandvård" in text and "<" not in text
    assert chat.question_url("Vem står för rullstolen?", "B") == (
        "?fraga=Vem+st%C3%A5r+f%C3%B6r+rullstolen%3F&omfang=B"
    )
    assert chat.question_url("Hej?") == "?fraga=Hej%3F"


# --- the agreement view -------------------------------------------------------------------------
def test_section_view_has_breadcrumbs_that_link_up_and_previous_next():
    section = BY_ID["b-3-1"]
    above = render.ancestors(section, BY_ID.get)
    before, after = render.neighbours(section, SECTIONS)
    html = render.section_html(section, above=above, before=before, after=after)
    crumbs = re.search(r'<nav class="brodsmulor".*?</nav>', html).group(0)
    assert 'data-avsnitt="del-b"' in crumbs and 'data-avsnitt="b-3"' in crumbs
    assert 'aria-current="page">B.3.1 Elrullstolar<' in crumbs
    assert 'rel="prev" data-avsnitt="b-3"' in html and 'rel="next" data-avsnitt="b-4"' in html
    assert render.neighbours(BY_ID["del-b"], SECTIONS)[0] is None


def test_tree_branch_title_and_toggle_are_siblings_not_nested():
    html = render.tree_html(SECTIONS, selected="b-3-1")
    assert _nested(html) == []
    assert 'type="search" id="trad-sokruta"' in html
    assert re.search(r'class="avsnitt-lank vald"[^>]*aria-current="page"[^>]*>B.3.1 ', html)
    # the branch holding the selected section is expanded, the others are not
    group = re.search(r'aria-controls="([^"]+)" aria-label="Visa eller dölj: B.3 ', html).group(1)
    assert f'<ul id="{group}">' in html
    assert html.count(" hidden>") == 0  # every branch above b-3-1 is open; b-4 has no kids


# --- the server -----------------------------------------------------------------------------------
def test_html_lang_middleware_makes_the_page_swedish_and_fixes_the_length():
    page = b'<!doctype html><html\n\tlang="en"><body>hej</body></html>'

    async def app(scope, receive, send):
        kind = b"text/html; charset=utf-8" if scope["path"] == "/" else b"application/json"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind),
                                (b"content-length", str(len(page)).encode())]})
        await send({"type": "http.response.body", "body": page[:20], "more_body": True})
        await send({"type": "http.response.body", "body": page[20:]})

    def run(path: str) -> list[dict]:
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": path}
        # a thread of its own: Playwright's sync API may hold this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, HtmlLang(app)(scope, None, send)).result()
        return sent

    start, body = run("/")
    assert body["body"] == page.replace(b'lang="en"', b'lang="sv"')
    assert dict(start["headers"])[b"content-length"] == str(len(body["body"])).encode()
    assert b"".join(m.get("body", b"") for m in run("/config")) == page  # JSON untouched


def test_best_sentence_drops_a_list_mark_and_stays_verbatim():
    quote = "Parterna samverkar. • Kommunen betalar 300 kronor per besök."
    best = chat.best_sentence("Vad betalar kommunen per besök?", quote)
    assert best == "Kommunen betalar 300 kronor per besök." and best in quote


@pytest.mark.slow
def test_launch_serves_extra_routes_beside_the_app():
    """Other faces (an HTTP API) join the same server through `launch(routes=…)`."""
    import socket
    import urllib.request

    import gradio as gr
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from assistant.web.app import launch

    async def ping(_request):
        return JSONResponse({"svar": "ja"})

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with gr.Blocks() as demo:
        gr.HTML("hej")
    url = launch(demo, "127.0.0.1", port, routes=[Route("/api/ping", ping)])
    try:
        with urllib.request.urlopen(url + "api/ping", timeout=30) as response:
            assert response.read() == b'{"svar":"ja"}'
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b'lang="sv"' in response.read(400)
    finally:
        demo.close()
