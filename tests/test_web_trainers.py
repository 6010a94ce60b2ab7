"""The trainers' workspace in the web chat, in a real browser: "Spara" on an answer, "Exportera"
in the Avtalet view, the "Utbildning" link. The server is the real app with the routes
`assistant serve` adds (`server_routes`), on the real `Assistant` with this session's own
data folder; helpers and the browser come from tests/test_web_browser.py.
"""

from __future__ import annotations

import shutil

import pytest

from assistant.privacy import REDACTED
from tests.test_web_browser import (
    CHROMIUM,
    DESKTOP,
    _free_port,
    _open,
    ask,
    axe,
    section_id,
    shot,
    status_text,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} saknas (Debian-paketet chromium)"
    ),
]


@pytest.fixture(scope="module")
def wired(assistant, test_settings):
    """The app as `assistant serve` runs it: chat plus trainers' and compare routes."""
    from assistant.web.app import build_app, launch
    from assistant.web.routes import server_routes

    demo = build_app(assistant, config=test_settings)
    routes = server_routes(test_settings, "127.0.0.1", assistant)
    url = launch(demo, "127.0.0.1", _free_port(), concurrency=2, quiet=True, routes=routes)
    yield url.rstrip("/")
    demo.close()


@pytest.fixture
def desk(browser, wired):
    context, recorder = _open(browser, wired, DESKTOP)
    page = context.new_page()
    page.goto(wired + "/")
    page.wait_for_selector("#fraga textarea")
    yield page
    context.close()
    assert recorder.foreign(wired) == []


def test_spara_puts_the_answer_in_a_collection_and_the_question_is_logged(desk, wired,
                                                                          test_settings):
    from urllib.parse import quote

    from assistant.storage.questions import logged

    answer = ask(desk, "Vilken huvudman betalar hjälpmedel för brukaren 19121212-1212, 15 år?")
    save = answer.locator("button.spara")
    save.click()
    field = answer.get_by_label("Spara i samlingen")
    assert field.is_visible() and field.input_value() == "Mina frågor"
    assert field.evaluate("e => e === document.activeElement")
    assert save.get_attribute("aria-expanded") == "true"
    assert axe(desk, "spara-desktop") == []
    shot(desk, "20-spara-formular")
    field.fill("Kursdag hjälpmedel")
    field.press("Enter")
    assert "Sparat i ”Kursdag hjälpmedel”" in status_text(desk, "Sparat i")
    desk.wait_for_selector("button.spara:has-text('Sparat i Kursdag hjälpmedel')")
    listed = desk.request.get(wired + "/api/trainers/collections")
    assert {"name": "Kursdag hjälpmedel", "items": 1} in [
        {k: c[k] for k in ("name", "items")} for c in listed.json()]
    markdown = desk.request.get(
        f"{wired}/api/trainers/collections/{quote('Kursdag hjälpmedel')}?format=md").text()
    assert "1212-1212" not in markdown and "B.11" in markdown
    rows = [r for r in logged(test_settings) if r.channel == "web"]
    assert rows and "1212-1212" not in rows[-1].question and REDACTED in rows[-1].question


def test_section_view_exports_the_section_and_its_part_as_pdf_and_word(desk, wired,
                                                                       assistant):
    desk.goto(f"{wired}/?avsnitt={section_id(assistant, 'B.11')}")
    desk.wait_for_selector("#avsnitt-vy h2")
    links = desk.locator("#avsnitt-vy a.exportera")
    assert links.count() == 4
    assert desk.locator("#avsnitt-vy .avsnitt-atgarder").inner_text().count("Exportera") == 2
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44
    assert axe(desk, "avtalet-export-desktop") == []
    shot(desk, "21-avtalet-exportera")
    pdf = desk.request.get(wired + links.nth(0).get_attribute("href"))
    assert pdf.status == 200 and pdf.body()[:4] == b"%PDF"
    word = desk.request.get(wired + links.nth(3).get_attribute("href"))
    assert word.status == 200 and word.body()[:2] == b"PK"  # a .docx is a zip
    assert "Jämför versioner" not in desk.locator("#avsnitt-vy").inner_text()  # one version


def test_utbildning_link_in_the_header_opens_the_trainers_page(desk):
    link = desk.locator("#sidhuvud a", has_text="Utbildning")
    assert link.is_visible()
    with desk.context.expect_page() as opened:
        link.click()
    page = opened.value
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Utbildning"
    assert page.locator("form[action$='/export']").count() == 1
    assert axe(page, "utbildning-desktop") == []
    page.close()
