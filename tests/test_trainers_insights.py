"""What staff ask: the insights report counts, groups and plots the question log."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from assistant.cli import main
from assistant.config import settings
from assistant.storage import db
from assistant.storage.feedback import FeedbackStore, default_path
from assistant.storage.questions import log_question
from assistant.trainers.insights import gather, report
from assistant.trainers.printable import to_markdown


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("AVTAL_QUESTION_LOG", raising=False)
    monkeypatch.setenv("AVTAL_DATA_DIR", str(tmp_path / "data"))
    yield settings()
    db.dispose_all()


def _cited(section: str, title: str, confidence: str = "hög") -> dict:
    return {"abstained": False, "confidence": confidence, "citations": [
        {"section_id": f"hos-avtal-2023/{section}", "document": "hos-avtal-2023",
         "document_title": "Avtal", "part": "B", "agreement": None, "section": section,
         "title": title, "page": None, "quote": "…"}]}


DECLINED = {"abstained": True, "confidence": None, "citations": []}


def _fill(env):
    today = db.utcnow()
    yesterday = today - timedelta(days=1)
    log_question("Vem betalar rullatorn?", _cited("B.11", "Hjälpmedel"), settings=env,
                 now=yesterday)
    log_question("Vem betalar rullatorn", _cited("B.11", "Hjälpmedel"), settings=env)
    log_question("Vem står för dosdispensering?", _cited("B.9", "Läkemedel", "låg"),
                 settings=env)
    log_question("Hur bokar jag tolk?", DECLINED, settings=env, now=yesterday)
    log_question("hur bokar jag tolk", DECLINED, settings=env)
    store = FeedbackStore(default_path(env.data_dir))
    rated = store.rate(session="s", turn=1, rating="down", question="Vem står för dosdispensering?",
                       answer="…", citations=[])
    store.comment(rated, "Svaret nämnde inte öppenvårdsdos")
    store.rate(session="s", turn=3, rating="up", question="Vem betalar rullatorn?",
               answer="…", citations=[])
    return today.date(), yesterday.date()


def test_report_counts_days_sections_gaps_and_thumbs_down(env):
    today, yesterday = _fill(env)
    insights = gather(env)
    assert insights.per_day == [(yesterday.isoformat(), 2), (today.isoformat(), 3)]
    assert insights.sections[0] == ("Del B, B.11 Hjälpmedel", 2)
    assert insights.declined == [("Hur bokar jag tolk?", 2)]
    assert insights.low_confidence == [("Vem står för dosdispensering?", 1)]
    assert [(q, c) for _, q, c in insights.thumbs_down] == [
        ("Vem står för dosdispensering?", "Svaret nämnde inte öppenvårdsdos")]
    text = to_markdown(report(insights))
    assert "”Hur bokar jag tolk?” (2 gånger)" in text
    assert "Del B, B.11 Hjälpmedel: 2" in text
    since_today = gather(env, since=today)
    assert sum(n for _, n in since_today.per_day) == 3


def test_insights_command_writes_report_and_plots(env, tmp_path):
    _fill(env)
    out = tmp_path / "rapport" / "insikter.md"
    assert main(["insights", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    plots = sorted(p.name for p in out.parent.glob("*.png"))
    assert plots == ["insikter-avsnitt.png", "insikter-fragor-per-dag.png"]
    for name in plots:
        assert f"]({name})" in text
        assert (out.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = tmp_path / "rapport.html"
    assert main(["insights", "--format", "html", "--since",
                 date.today().isoformat(), "--out", str(html)]) == 0
    assert '<img src="rapport-avsnitt.png"' in html.read_text(encoding="utf-8")


def test_empty_log_gives_a_plain_report(env, capsys):
    assert main(["insights"]) == 0
    out = capsys.readouterr().out
    assert "Inga frågor loggade." in out and "0 frågor" in out
    assert dataclasses.is_dataclass(gather(env))
