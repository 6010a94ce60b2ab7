"""Generated answers: each way a model can be wrong falls back to the extractive answer.

A stand-in OpenAI-compatible server (tests/llm_standin.py, real HTTP on 127.0.0.1) plays the
model; the checks are the project's own (answer/verify.py)."""

from __future__ import annotations

import dataclasses

import pytest
from llm_standin import ModelServer

from assistant.answer import verify
from assistant.answer.generate import Generator, messages
from assistant.types import Answer, Citation, Section

BODY = ("Kommunen ansvarar för sjuksköterskeinsatser i den enskildes hem. Avgiften är 350 "
        "kronor per besök och tas ut under högst tolv månader. Regionen ansvarar för "
        "läkarinsatserna.")
SECTION = Section(id="demo/b/x", document="demo", document_title="Demoavtal", kind="avtal",
                  part="B", agreement=None, section="B.4", title="Hemsjukvård", level=2,
                  path=["Del B", "B.4 Hemsjukvård"], body=BODY)
QUOTE = ("Kommunen ansvarar för sjuksköterskeinsatser i den enskildes hem. Avgiften är 350 "
         "kronor per besök och tas ut under högst tolv månader.")


def extractive_answer() -> Answer:
    citation = Citation(document="demo", document_title="Demoavtal", part="B", agreement=None,
                        section="B.4", title="Hemsjukvård", page=3, quote=QUOTE,
                        section_id=SECTION.id)
    return Answer("Vad kostar ett hembesök av sjuksköterska?", f"Enligt Del B: ”{QUOTE}”",
                  abstained=False, citations=[citation], short_answer=QUOTE.split(". ")[0],
                  confidence="hög")


def generator(server: ModelServer, timeout: float = 2.0) -> Generator:
    return Generator(server.url, "stand-in", key="hemlig", timeout=timeout)


def rewrite(behaviour: str, **kwargs) -> tuple[Answer, ModelServer]:
    with ModelServer(behaviour, **kwargs) as server:
        result = generator(server).rewrite(extractive_answer(), {SECTION.id: SECTION})
    return result, server


def assert_fallback(result: Answer, code: str) -> None:
    original = extractive_answer()
    assert result.answer_mode == "extractive"
    assert result.fallback_reason.startswith(f"{code}: ")
    assert result.answer == original.answer
    assert result.citations == original.citations


# --- the server is asked correctly ------------------------------------------------------
def test_request_gives_numbered_quotes_as_only_sources():
    with ModelServer("faithful") as server:
        generator(server).rewrite(extractive_answer(), {SECTION.id: SECTION})
    body = server.requests[0]
    system, user = body["messages"]
    assert body["model"] == "stand-in" and body["temperature"] == 0
    assert "aldrig egen kunskap" in system["content"]
    assert f"[1] Del B, B.4 Hemsjukvård: ”{QUOTE}”" in user["content"]


def test_personnummer_is_not_sent_to_the_model():
    answer = dataclasses.replace(extractive_answer(),
                                 question="Vad kostar besöket för 19121212-1212?")
    user = messages(answer)[-1]["content"]
    assert "1212" not in user


# --- a faithful answer is shown as generated ---------------------------------------------
def test_faithful_answer_is_shown_as_generated():
    result, _ = rewrite("faithful")
    assert result.answer_mode == "generated"
    assert result.fallback_reason is None
    assert result.answer.startswith("Så här står det i avtalet: ”Kommunen ansvarar")
    assert result.answer.endswith("[1]")
    original = extractive_answer()
    assert result.citations == original.citations
    assert result.short_answer == original.short_answer


def test_streamed_faithful_answer_ends_with_checked_result():
    with ModelServer("faithful") as server:
        items = list(generator(server).rewrite_stream(extractive_answer(),
                                                      {SECTION.id: SECTION}))
    *pieces, final = items
    assert len(pieces) > 3 and all(isinstance(p, str) for p in pieces)
    assert final.answer_mode == "generated" and final.answer == "".join(pieces).strip()
    assert server.requests[0]["stream"] is True


# --- one test per way of being wrong -----------------------------------------------------
def test_invented_amount_falls_back():
    result, _ = rewrite("invent_amount")
    assert_fallback(result, "unsupported_number")
    assert "4 750" in result.fallback_reason


def test_invented_number_word_falls_back():
    result, _ = rewrite("number_word")
    assert_fallback(result, "unsupported_number")


def test_invented_quote_falls_back():
    result, _ = rewrite("invent_quote")
    assert_fallback(result, "unverified_quote")


def test_missing_source_falls_back():
    result, _ = rewrite("missing_source")
    assert_fallback(result, "bad_marker")
    assert "[7]" in result.fallback_reason


def test_answer_without_marker_falls_back():
    result, _ = rewrite("refuse")
    assert_fallback(result, "no_marker")


def test_timeout_falls_back():
    result, _ = rewrite("timeout", delay=4.0)
    assert_fallback(result, "timeout")


def test_server_error_falls_back():
    result, _ = rewrite("http_500")
    assert_fallback(result, "http_error")
    assert "500" in result.fallback_reason


def test_garbage_json_falls_back():
    result, _ = rewrite("garbage_json")
    assert_fallback(result, "bad_response")


def test_unreachable_server_falls_back():
    with ModelServer("faithful") as server:
        url = server.url
    result = Generator(url, "x", timeout=1.0).rewrite(extractive_answer(),
                                                      {SECTION.id: SECTION})
    assert_fallback(result, "unreachable")


def test_streamed_invented_amount_falls_back():
    with ModelServer("invent_amount") as server:
        final = list(generator(server).rewrite_stream(extractive_answer(),
                                                      {SECTION.id: SECTION}))[-1]
    assert_fallback(final, "unsupported_number")


def test_declined_answer_never_calls_the_model():
    declined = Answer("Hur många semesterdagar får jag?", "Avtalet svarar inte på det.",
                      abstained=True)
    with ModelServer("faithful") as server:
        result = generator(server).rewrite(declined, {})
    assert result is declined and server.requests == []


# --- the checks themselves (fast, no server) ---------------------------------------------
SOURCES = ["Del B, B.4 Hemsjukvård: Avgiften är 350 kronor per besök under högst tolv "
           "månader från 2024-07-01."]


@pytest.mark.parametrize("text", [
    "Ett besök kostar 350 kronor [1].",
    "Avgiften tas ut i högst 12 månader [1].",        # digits for a number word
    "Från 2024-07-01 kostar besöket 350 kronor [1].",
    "Se B.4 [1]: ”Avgiften är 350 kronor per besök” [1].",
    "Det står att ”avgiften är 350 kronor per besök …” [1, 1].",
])
def test_supported_text_passes(text):
    assert verify.generated_problems(text, SOURCES) == []


@pytest.mark.parametrize("text, code", [
    ("Ett besök kostar 400 kronor [1].", "unsupported_number"),
    ("Avgiften tas ut i högst tretton månader [1].", "unsupported_number"),
    ("Från 2025-07-01 gäller avgiften [1].", "unsupported_number"),
    ("Avgiften är 35 % av kostnaden [1].", "unsupported_number"),
    ("Det kostar 2 miljoner kronor sammanlagt enligt [1] och 350 kronor per besök.",
     "unsupported_number"),
    ("Avgiften gäller enligt ”alla besök i hemmet” [1].", "unverified_quote"),
    ("Avgiften gäller enligt ”Avgiften är 350 kronor per besök [1].", "unverified_quote"),
    ("Avtalet säger ’hela avgiften betalas av regionen’ [1].", "unverified_quote"),
    ("Avgiften är 350 kronor per besök.", "no_marker"),
    ("Avgiften är 350 kronor per besök [2].", "bad_marker"),
    ("", "empty"),
    ("[1] [1] 350 350 350 !!! ### ***", "garbage"),
    ("besök besök besök besök besök besök besök besök besök besök besök besök [1]", "garbage"),
])
def test_each_kind_of_error_is_caught(text, code):
    problems = verify.generated_problems(text, SOURCES)
    assert code in [c for c, _ in problems]


def test_number_words():
    assert verify.number_word_value("tolv") == 12
    assert verify.number_word_value("tjugofem") == 25
    assert verify.number_word_value("tvåhundrafemtio") == 250
    assert verify.number_word_value("sextio") == 60
    assert verify.number_word_value("ett") is None
    assert verify.number_word_value("entreprenad") is None


@pytest.mark.slow
def test_eval_scores_both_modes_side_by_side(tmp_path, test_settings):
    """`assistant eval --mode both` against a stand-in model: both runs written and counted."""
    import json
    import os
    import subprocess
    import sys

    questions = tmp_path / "q.yaml"
    questions.write_text(
        '- id: t1\n  question: "Vem har kostnadsansvaret för hjälpmedel till barn?"\n'
        '  type: responsibility\n  gold:\n    - {document: agreement, part: B, agreement: null, '
        'section: "B.11", title: "Personligt förskrivna hjälpmedel"}\n  key_facts: []\n'
        '- id: t2\n  question: "Hur många semesterveckor får en sjuksköterska?"\n'
        '  type: out_of_scope\n  gold: []\n  key_facts: []\n', encoding="utf-8")
    with ModelServer("invent_amount") as server:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
               "AVTAL_INDEX_DIR": str(test_settings.index_dir), "AVTAL_LLM_URL": server.url}
        subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--questions",
                        str(questions), "--out", str(tmp_path / "out"), "--mode", "both"],
                       env=env, check=True, capture_output=True, timeout=600)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    modes = metrics["answer_modes"]
    assert modes["answered"] == 1 and modes["generated"] == 0
    assert modes["fallback_reasons"] == {"unsupported_number": 1}
    assert "hit1" in metrics["extractive"]
    assert (tmp_path / "out" / "extractive" / "results.jsonl").exists()
    assert len(server.requests) == 1  # the declined question never reached the model
