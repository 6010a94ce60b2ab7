"""End-to-end `assistant eval` runs: a fake assistant and baseline on a tiny corpus, the real
assistant on a few questions, and --check on the shipped question files."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import types

import pytest

from assistant.config import ROOT
from assistant.errors import UserError
from assistant.eval import commands
from assistant.types import Answer, Citation, Section

RAW = """Page 1 of 2
A V T A L
Avtalstid
Avtalet gäller under perioden 2023-01-01 – 2026-12-31. Om ingen part skriftligen sagt upp
avtalet förlängs det med tre år i taget med arton månaders uppsägningstid.

B.9 Läkemedel
VGR ansvarar för kostnader, exklusive patientens egenavgift, för läkemedel som
förskrivs till patienter i kommunal hälso- och sjukvård.
Page 2 of 2
B.11 Personligt förskrivna hjälpmedel
Hjälpmedel till barn och unga upp till 18 år förskrivs och bekostas av VGR. Kommunen
ansvarar för hjälpmedel till vuxna i kommunal hälso- och sjukvård.
"""

QUESTIONS = """
- id: t1
  question: "Hur lång uppsägningstid har avtalet?"
  type: numeric
  gold: [{document: agreement, part: A, title: Avtalstid}]
  key_facts: ["arton månaders uppsägningstid"]
- id: t2
  question: "Vem betalar läkemedel i kommunal hälso- och sjukvård?"
  type: responsibility
  gold: [{document: agreement, part: B, section: B.9, title: Läkemedel}]
  key_facts: ["VGR ansvarar för kostnader"]
- id: t3
  question: "Vem betalar hjälpmedel till barn och läkemedel?"
  type: multi
  gold:
    - {document: agreement, part: B, section: B.11}
    - {document: agreement, part: B, section: B.9}
- id: t4
  question: "Vad kostar parkeringen vid Sahlgrenska?"
  type: out_of_scope
  gold: []
"""


def _section(id_: str, part: str, number: str | None, title: str, body: str) -> Section:
    return Section(
        id=id_,
        document="hos-avtal-2023",
        document_title="Avtal",
        kind="avtal",
        part=part,
        agreement=None,
        section=number,
        title=title,
        level=2,
        path=[title],
        body=" ".join(body.split()),
        spans=[(0, 1)],
    )


def tiny_sections() -> list[Section]:
    blocks = re.split(r"\n(?=Avtalstid|B\.\d+ )", RAW.split("A V T A L\n", 1)[1])
    sections = []
    for block in blocks:
        head, body = block.split("\n", 1)
        body = re.sub(r"Page \d of \d", "", body)
        number, _, title = head.partition(" ") if head.startswith("B.") else (None, "", head)
        part = "B" if number else "A"
        sections.append(_section(f"s{len(sections)}", part, number, title, body))
    return sections


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 3}


class FakeAssistant:
    """Ranks sections by shared words; declines when nothing is shared (like a threshold)."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections

    def ask(self, question: str, scope: str = "alla", history: list[str] | None = None) -> Answer:
        scored = sorted(
            ((len(_words(question) & _words(s.title + " " + s.body)), s) for s in self.sections),
            key=lambda pair: -pair[0],
        )
        best = [s for score, s in scored if score >= 2][:3]
        citations = [
            Citation(
                s.document,
                s.document_title,
                s.part,
                s.agreement,
                s.section,
                s.title,
                1,
                s.body,
                section_id=s.id,
            )
            for s in best
        ]
        text = " ".join(c.quote for c in citations) or "Det framgår inte av dokumenten."
        return Answer(question, text, not citations, citations)


class FakeEmbeddings:
    """Hashed bag of words, L2-normalised: deterministic and offline."""

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * 64
        for word in _words(text):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def _eval(argv: list[str]) -> int:
    """Parse and run `assistant eval …` through this package's own sub-command."""
    parser = argparse.ArgumentParser(prog="assistant")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", *argv])
    return args.func(args)


@pytest.fixture
def fake_setup(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "avtal.txt").write_text(RAW, encoding="utf-8")
    questions = tmp_path / "fragor.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    monkeypatch.setenv("AVTAL_CORPUS_DIR", str(corpus))
    monkeypatch.setattr(commands, "_load_assistant", lambda _: FakeAssistant(tiny_sections()))
    monkeypatch.setattr(commands, "_document_files", lambda _: {"hos-avtal-2023": "avtal.txt"})
    embed = types.ModuleType("assistant.index.embed")
    embed.E5Embeddings = FakeEmbeddings
    monkeypatch.setitem(sys.modules, "assistant.index.embed", embed)
    return questions, tmp_path / "out"


SHARES = ("hit1", "hit3", "hit5", "mrr", "facts", "oos_abstain", "false_abstain")


def test_run_with_baseline_writes_every_file(fake_setup):
    questions, out = fake_setup
    assert _eval(["--questions", str(questions), "--out", str(out), "--baseline"]) == 0

    for name in (
        "metrics.json",
        "results.jsonl",
        "report.md",
        "report.html",
        "hit_at_k.png",
        "latency.png",
        "per_part.png",
        "baseline_results.jsonl",
    ):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in (
        *SHARES,
        "unverified_quotes",
        "latency_p50_ms",
        "latency_p95_ms",
        "n",
        "by_type",
        "by_part",
        "by_agreement",
        "baseline",
    ):
        assert key in metrics, key
    for key in SHARES:
        assert 0.0 <= metrics[key] <= 1.0, key
        assert 0.0 <= metrics["baseline"][key] <= 1.0, key
    assert metrics["n"] == 4 and metrics["unverified_quotes"] == 0
    assert metrics["hit1"] == 1.0 and metrics["oos_abstain"] == 1.0
    assert metrics["baseline"]["oos_abstain"] == 0.0  # the recipe never declines
    assert set(metrics["by_type"]) == {"numeric", "responsibility", "multi", "out_of_scope"}

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["t1", "t2", "t3", "t4"]
    for key in ("question", "answer", "abstained", "citations", "gold", "verdict"):
        assert key in rows[0]
    assert rows[0]["verdict"]["hit1"] is True and rows[3]["abstained"] is True

    baseline_rows = (out / "baseline_results.jsonl").read_text().splitlines()
    cited = json.loads(baseline_rows[1])["citations"]
    assert cited and all(c["title"] for c in cited)  # every chunk labelled with a section

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert 'src="http' not in html and 'href="http' not in html  # nothing fetched
    assert "procentenheter på hit@1" in html
    assert "Per frågetyp" in (out / "report.md").read_text(encoding="utf-8")


def test_fail_under_exits_nonzero_with_swedish_message(fake_setup, capsys):
    questions, out = fake_setup
    code = _eval(
        [
            "--questions",
            str(questions),
            "--out",
            str(out),
            "--fail-under",
            "hit1=0.5,facts=1.0,oos=1",
        ]
    )
    assert code == 0
    capsys.readouterr()
    broken = questions.with_name("svar.yaml")
    broken.write_text(
        QUESTIONS.replace(
            "type: out_of_scope\n  gold: []",
            "type: adversarial\n  gold: [{document: agreement, part: A, title: Avtalstid}]",
        ),
        encoding="utf-8",
    )
    code = _eval(["--questions", str(broken), "--out", str(out), "--fail-under", "hit1=0.9"])
    assert code == 1
    assert "hit1" in capsys.readouterr().err


def test_malformed_questions_stop_the_run_with_a_user_error(fake_setup):
    questions, out = fake_setup
    questions.write_text('- {id: x1, question: "Hur?", type: numeric}\n', encoding="utf-8")
    with pytest.raises(UserError, match='"gold"'):
        _eval(["--questions", str(questions), "--out", str(out)])


SHIPPED = [ROOT / "eval" / "questions.yaml", ROOT / "eval" / "holdout.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_question_files_check_against_the_corpus(path, capsys):
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    code = commands.check(path)
    assert code == 0, capsys.readouterr().err


REAL_QUESTIONS = """
- id: r1
  question: "Hur lång uppsägningstid har avtalet?"
  type: numeric
  gold: [{document: agreement, part: A, title: Avtalstid}]
  key_facts: ["arton månader"]
- id: r2
  question: "Vem ansvarar för kostnaderna för läkemedel?"
  type: responsibility
  gold: [{document: agreement, part: B, section: B.9, title: Läkemedel}]
- id: r3
  question: "Vilken tid går tåget till Borås i morgon?"
  type: out_of_scope
  gold: []
"""


@pytest.mark.slow  # the project's index and the real model
def test_real_assistant_end_to_end(tmp_path):
    pytest.importorskip("assistant.service")
    from assistant.cli import main

    try:
        commands._load_assistant("hybrid")
    except UserError as error:  # no index built on this machine
        pytest.skip(str(error))
    questions = tmp_path / "fragor.yaml"
    questions.write_text(REAL_QUESTIONS, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["eval", "--questions", str(questions), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 3
    for key in SHARES:
        assert metrics[key] is None or 0.0 <= metrics[key] <= 1.0, key
    assert metrics["unverified_quotes"] == 0
    assert (out / "report.html").exists() and (out / "results.jsonl").exists()
