"""Generated answers from an OpenAI-compatible model server, shown only when checked.

The extractive answerer chooses the citations first (and declines without calling the model
when the documents do not answer). The model then gets the question and the numbered quotes as
its only sources and writes a short Swedish answer with [n] markers. `verify.generated_problems`
checks the text deterministically (markers name cited sources, quoted strings are verbatim,
every number occurs in the sources); on any problem, timeout, HTTP error or unreadable reply
the extractive answer is given instead, with `fallback_reason` saying why.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from assistant.answer.compose import where
from assistant.answer.verify import generated_problems
from assistant.config import Settings
from assistant.ingest.manifest import DocumentInfo
from assistant.privacy import redact_personnummer
from assistant.types import Answer, Section

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "Du är Avtalsassistenten och svarar på frågor om Hälso- och sjukvårdsavtalet i Västra "
    "Götaland. Svara ENDAST utifrån de numrerade källorna i användarens meddelande. Använd "
    "aldrig egen kunskap och gissa aldrig. Skriv ett kort svar på svenska (högst tre meningar). "
    "Sätt källans nummer inom hakparentes, till exempel [1], efter varje påstående. Skriv tal, "
    "belopp, datum, åldrar och avsnittsnummer exakt som de står i källorna, och hitta aldrig "
    "på egna. Citera bara ordagrant ur källorna inom ”…”. Om källorna inte besvarar frågan, "
    "skriv: Källorna besvarar inte frågan."
)


class GenerationError(Exception):
    """The model gave no usable text: `code` for programs, the message in Swedish."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

    @property
    def reason(self) -> str:
        return f"{self.code}: {self}"


def source_lines(answer: Answer, documents: dict[str, DocumentInfo] | None = None) -> list[str]:
    """The numbered sources as the model sees them: "[n] where: ”quote”"."""
    return [f"[{n}] {where(c, documents)}: ”{c.quote}”"
            for n, c in enumerate(answer.citations, 1)]


def messages(answer: Answer, documents: dict[str, DocumentInfo] | None = None) -> list[dict]:
    """The chat request: the rules, then the question with its sources (last message)."""
    question = redact_personnummer(answer.question)
    user = (f"Fråga: {question}\n\nKällor:\n" + "\n".join(source_lines(answer, documents))
            + "\n\nSvara kort på svenska med källnummer som [1].")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def check(text: str, answer: Answer, sections: dict[str, Section],
          documents: dict[str, DocumentInfo] | None = None,
          max_chars: int = 2500) -> GenerationError | None:
    """The first problem of a generated text for this extractive answer, or None."""
    labelled = [line.split("] ", 1)[1] for line in source_lines(answer, documents)]
    # A quoted string may come from the rest of a cited section: still verbatim in the corpus.
    bodies = [sections[c.section_id].body for c in answer.citations if c.section_id in sections]
    problems = generated_problems(text, labelled, max_chars, quotable=bodies)
    return GenerationError(*problems[0]) if problems else None


def shown(answer: Answer, text: str) -> Answer:
    """The answer with the checked text: citations and short answer unchanged."""
    return dataclasses.replace(answer, answer=text.strip(), answer_mode="generated",
                               fallback_reason=None)


def fallback(answer: Answer, error: GenerationError) -> Answer:
    log.info("generated answer refused: %s", error.code)
    return dataclasses.replace(answer, answer_mode="extractive", fallback_reason=error.reason)


@dataclass
class Generator:
    """A client of one OpenAI-compatible server (`POST {url}/chat/completions`)."""

    url: str
    model: str
    key: str | None = None
    timeout: float = 20.0
    max_tokens: int = 400
    max_chars: int = 2500

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        self._client = httpx.Client(headers=headers, timeout=self.timeout, trust_env=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Generator | None:
        """The configured generator; None when no model server is set (extractive only)."""
        if not settings.llm_url:
            return None
        return cls(settings.llm_url.rstrip("/"), settings.llm_model, settings.llm_key,
                   settings.llm_timeout, settings.llm_max_tokens, settings.llm_max_chars)

    def close(self) -> None:
        self._client.close()

    def _body(self, chat: list[dict], stream: bool) -> dict:
        return {"model": self.model, "messages": chat, "temperature": 0,
                "max_tokens": self.max_tokens, "stream": stream}

    def complete(self, chat: list[dict]) -> str:
        """The model's reply text; GenerationError on timeout, HTTP error or bad JSON."""
        with _errors():
            response = self._client.post(f"{self.url}/chat/completions",
                                         json=self._body(chat, False))
            response.raise_for_status()
            return _content(response.json())

    def stream(self, chat: list[dict]) -> Iterator[str]:
        """The reply as it is written (server-sent events), piece by piece."""
        deadline = time.monotonic() + self.timeout
        with _errors(), self._client.stream("POST", f"{self.url}/chat/completions",
                                            json=self._body(chat, True)) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("stream took too long")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                piece = _delta(json.loads(data))
                if piece:
                    yield piece

    def rewrite(self, answer: Answer, sections: dict[str, Section],
                documents: dict[str, DocumentInfo] | None = None) -> Answer:
        """The checked generated answer, or the extractive one with the reason; a declined
        answer is returned as it is (the model is not asked)."""
        if answer.abstained or not answer.citations:
            return answer
        try:
            text = self.complete(messages(answer, documents))
        except GenerationError as error:
            return fallback(answer, error)
        error = check(text, answer, sections, documents, self.max_chars)
        return fallback(answer, error) if error else shown(answer, text)

    def rewrite_stream(self, answer: Answer, sections: dict[str, Section],
                       documents: dict[str, DocumentInfo] | None = None
                       ) -> Iterator[str | Answer]:
        """Yield the model's text as it arrives (unchecked: a chat should show it only as
        provisional, or wait), then the checked result as the last item: the generated
        answer, or the extractive one with `fallback_reason`."""
        if answer.abstained or not answer.citations:
            yield answer
            return
        pieces: list[str] = []
        try:
            for piece in self.stream(messages(answer, documents)):
                pieces.append(piece)
                yield piece
        except GenerationError as error:
            yield fallback(answer, error)
            return
        text = "".join(pieces)
        error = check(text, answer, sections, documents, self.max_chars)
        yield fallback(answer, error) if error else shown(answer, text)


class _errors:
    """Translate what can go wrong talking to the server into GenerationError."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, trace) -> bool:
        if error is None or isinstance(error, GenerationError):
            return False
        if isinstance(error, httpx.TimeoutException):
            raise GenerationError("timeout", "Språkmodellen svarade inte i tid.") from None
        if isinstance(error, httpx.HTTPStatusError):
            raise GenerationError("http_error", "Språkmodellen svarade med ett fel "
                                  f"(HTTP {error.response.status_code}).") from None
        if isinstance(error, httpx.HTTPError):
            raise GenerationError("unreachable", "Språkmodellen gick inte att nå.") from None
        if isinstance(error, ValueError | KeyError | IndexError | TypeError | AttributeError):
            raise GenerationError("bad_response", "Språkmodellens svar hade fel format.") \
                from None
        return False


def _content(data: dict) -> str:
    text = data["choices"][0]["message"]["content"]
    if not isinstance(text, str):
        raise TypeError("content is not text")
    return text


def _delta(data: dict) -> str:
    choices = data.get("choices") or []
    if not choices:
        return ""
    piece = (choices[0].get("delta") or {}).get("content") or ""
    if not isinstance(piece, str):
        raise TypeError("delta is not text")
    return piece
