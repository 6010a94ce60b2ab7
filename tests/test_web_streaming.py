"""With a language model, the chat shows its text as it is written, then the checked answer."""

from __future__ import annotations

import dataclasses

from assistant.config import settings
from assistant.types import Answer, Citation
from assistant.web.app import Handlers

QUOTE = "Kommunen ansvarar för insatser i det egna hemmet."


class StreamingAssistant:
    """A stand-in for the service with a model configured (no index, no model)."""

    sections: list = []
    documents: list = []
    generator = object()

    def section(self, _section_id):
        return None

    def ask_stream(self, question, scope="alla", history=None, date=None):
        yield "Kommunen "
        yield "ansvarar [1]."
        citation = Citation("doc", "Dokument", None, None, None, "Ansvar", None, QUOTE, "doc/a")
        yield Answer(question, "Kommunen ansvarar [1].", abstained=False, citations=[citation],
                     answer_mode="generated", short_answer=QUOTE, confidence="hög")

    def ask(self, *args, **kwargs):  # pragma: no cover - must not be called when streaming
        raise AssertionError("the streamed answer is the answer")


class FakeStore:
    notice = ""


def test_model_text_is_shown_as_unchecked_while_written_then_the_checked_answer(tmp_path):
    config = dataclasses.replace(settings(), data_dir=tmp_path)  # the question log goes here
    handlers = Handlers(StreamingAssistant(), FakeStore(), max_chars=1000, config=config)
    steps = list(handlers.respond("Vem ansvarar för insatser i hemmet?", "alla", []))
    views = [view for _, view, _, _ in steps]
    drafts = [v for v in views if "svar-utkast" in v]
    assert drafts and "kontrolleras" in drafts[0] and "Kommunen" in drafts[0]
    assert "ansvarar [1]." in drafts[-1]
    final_view, turns = views[-1], steps[-1][2]
    assert "svar-utkast" not in final_view and QUOTE in final_view
    assert turns[-1]["answer"]["answer_mode"] == "generated"
