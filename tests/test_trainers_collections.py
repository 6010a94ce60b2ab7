"""Q&A collections: saved answers become a handout and a question file that passes
`assistant eval --check`."""

from __future__ import annotations

import io

import pytest
import yaml

from assistant.cli import main
from assistant.config import settings
from assistant.storage import db
from assistant.storage.collections import save_answer
from assistant.trainers.collections import collection_printable, eval_items
from assistant.trainers.printable import to_docx, to_markdown
from assistant.trainers.quiz import _citation
from assistant.trainers.source import load_library, select


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("AVTAL_DATA_DIR", str(tmp_path / "data"))
    yield settings()
    db.dispose_all()


@pytest.fixture(scope="module")
def library():
    return load_library(settings())


def _answer(library, what: str, sentence_start: str) -> dict:
    """An answer dict as the service gives it, citing the sentence of `what` that starts
    with `sentence_start` (real sections, real verbatim quote)."""
    section = next(s for s in select(library, what).sections if sentence_start in s.body)
    start = section.body.index(sentence_start)
    end = section.body.find(".", start) + 1
    quote = section.body[start:end]
    citation = _citation(section, start, quote).to_dict()
    return {"question": "…", "answer": f"Enligt …: ”{quote}”", "abstained": False,
            "citations": [citation], "short_answer": quote, "confidence": "hög"}


def _fill(library, settings_):
    save_answer("Introduktion nya ssk", "Till vilken ålder betalar VGR barnens hjälpmedel?",
                _answer(library, "B.11", "För barn och ungdomar"), settings=settings_)
    save_answer("Introduktion nya ssk", "När börjar och slutar avtalet att gälla?",
                _answer(library, "Avtalstid", "Avtalet gäller"), settings=settings_)
    munhalsa = _answer(library, "munhalsa", "Kommunen ansvarar för att omvårdnadspersonal")
    save_answer("Introduktion nya ssk", "Vem ser till att personalen är med vid "
                "munhälsobedömningen?", munhalsa, key_facts=["omvårdnadspersonal deltar"],
                settings=settings_)
    save_answer("Introduktion nya ssk", "Vad kostar en parkeringsplats vid sjukhuset?",
                {"answer": "Avtalet svarar inte på det.", "abstained": True, "citations": []},
                settings=settings_)


def test_collection_as_eval_file_passes_the_check(env, library, tmp_path, capsys):
    _fill(library, env)
    items = eval_items(library, "Introduktion nya ssk", env)
    assert [i["type"] for i in items] == ["numeric", "numeric", "responsibility", "out_of_scope"]
    assert items[0]["gold"] == [{"document": "agreement", "part": "B", "agreement": None,
                                 "section": "B.11", "title": "Personligt förskrivna hjälpmedel"}]
    assert items[0]["key_facts"] == ["17 år"]
    assert items[2]["gold"][0]["agreement"] == "munhalsa"
    assert items[2]["key_facts"] == ["omvårdnadspersonal deltar"]
    assert items[3]["gold"] == [] and "key_facts" not in items[3]
    out = tmp_path / "fragor.yaml"
    assert main(["collection", "export", "Introduktion nya ssk", "--format", "eval",
                 "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))[1]["key_facts"] == [
        "2023-01-01", "2026-12-31"]
    capsys.readouterr()
    assert main(["eval", "--check", str(out)]) == 0
    assert "4 frågor" in capsys.readouterr().out


def test_a_marked_fact_not_in_the_cited_text_is_left_out(env, library):
    save_answer("Fel", "Hur gammal?", _answer(library, "B.11", "För barn och ungdomar"),
                key_facts=["19 år"], settings=env)
    warnings = io.StringIO()
    [item] = eval_items(library, "Fel", env, warn=warnings)
    assert "key_facts" not in item
    assert "19 år" in warnings.getvalue()


def test_collection_handout_holds_questions_and_verbatim_quotes(env, library, capsys):
    _fill(library, env)
    document = collection_printable(library, "Introduktion nya ssk", env)
    text = to_markdown(document)
    assert "Till vilken ålder betalar VGR barnens hjälpmedel?" in text
    assert "Del B, B.11 Personligt förskrivna hjälpmedel" in text
    assert "Avtalet svarar inte på det." in text
    from docx import Document

    word = Document(io.BytesIO(to_docx(document)))
    assert any("För barn och ungdomar till och med 17 år" in p.text for p in word.paragraphs)
    assert main(["collection", "list"]) == 0
    assert "Introduktion nya ssk\t4 svar" in capsys.readouterr().out
    assert main(["export", "Introduktion nya ssk", "--format", "md"]) == 0
    assert "Samling: Introduktion nya ssk" in capsys.readouterr().out
    assert main(["collection", "show", "finns inte"]) == 2


@pytest.mark.slow
def test_a_real_answer_saved_and_exported_passes_the_check(test_settings, assistant,
                                                          tmp_path, monkeypatch, capsys):
    from assistant.eval.commands import check
    from assistant.trainers.collections import eval_yaml

    env = test_settings
    monkeypatch.delenv("AVTAL_DATABASE_URL", raising=False)
    answer = assistant.ask("Hur lång uppsägningstid gäller för avtalet mellan parterna?")
    assert not answer.abstained
    save_answer("Riktig", answer.question, answer.to_dict(), settings=env)
    out = tmp_path / "riktig.yaml"
    out.write_text(eval_yaml(load_library(env), "Riktig", env), encoding="utf-8")
    assert check(out) == 0
    db.dispose_all()
