"""The HTTP API: the same answers as the chat, as JSON, on the same server (under /api).

`create_api(assistant)` returns a FastAPI app with `POST /ask`, `GET /sections`,
`GET /sections/{id}` and its OpenAPI description at `/openapi.json`; `mount_api` puts it at
`/api` on the chat's server. Bad input gets a 4xx answer in Swedish, never a traceback; bodies
over `Settings.api_max_body` bytes are refused before they are read in full.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from assistant.config import Settings
from assistant.errors import UserError
from assistant.privacy import redact_personnummer
from assistant.storage.questions import log_question
from assistant.types import Answer, Section
from assistant.web.security import BodyLimit

log = logging.getLogger(__name__)

PREFIX = "/api"
MAX_HISTORY = 20


class AssistantLike(Protocol):
    """What the API needs from `assistant.service.Assistant`."""

    settings: Settings
    sections: list[Section]

    def ask(self, question: str, scope: str = ..., history: list[str] | None = ...,
            date: str | None = ...) -> Answer: ...
    def section(self, section_id: str) -> Section | None: ...


# --- request and response shapes (the answer contract, DESIGN.md) -----------------------
class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="Frågan, på svenska (högst 1 000 tecken).")
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY,
                               description="Tidigare frågor i samma samtal, äldst först.")
    scope: str | None = Field(default=None,
                              description="Alla, A, B, C, C:<överenskommelse> eller fardplan.")
    date: str | None = Field(default=None, description="Svara ur versionen som gäller detta "
                                                       "datum (ÅÅÅÅ-MM-DD).")


class CitationOut(BaseModel):
    document: str
    document_title: str
    part: str | None
    agreement: str | None
    section: str | None
    title: str
    page: int | None
    quote: str
    section_id: str
    page_label: str | None = None


class AnswerOut(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    latency_ms: float
    short_answer: str | None = None
    confidence: str | None = None
    answer_mode: str = "extractive"
    fallback_reason: str | None = None


class SectionSummary(BaseModel):
    id: str
    document: str
    document_title: str
    part: str | None
    agreement: str | None
    section: str | None
    title: str
    level: int
    page_start: int | None
    page_end: int | None
    chars: int


class SectionOut(SectionSummary):
    path: list[str]
    parent: str | None
    children: list[str]
    references: list[str]
    body: str


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session: str = Field(min_length=1, max_length=100, description="Samtalets id.")
    turn: int = Field(ge=0, description="Svarets nummer i samtalet.")
    rating: str = Field(pattern="^(up|down)$", description="up (👍) eller down (👎).")
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    scope: str = Field(default="", max_length=100)
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    id: int


class FeedbackSink(Protocol):
    """FeedbackStore's writing methods."""

    def rate(self, *, session: str, turn: int, rating: str, question: str, answer: str,
             citations: list[dict], scope: str = "") -> int: ...
    def comment(self, feedback_id: int, text: str) -> bool: ...


class ApiError(Exception):
    """An error answered with `status` and a Swedish `detail`."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


class ErrorOut(BaseModel):
    detail: str
    errors: list[dict[str, Any]] | None = None


ERRORS = {400: {"model": ErrorOut, "description": "Ogiltig fråga"},
          413: {"model": ErrorOut, "description": "För stor begäran"},
          422: {"model": ErrorOut, "description": "Fel i begärans fält"}}


def section_summary(section: Section) -> dict:
    return {"id": section.id, **section.summary()}


def section_detail(section: Section, children: list[str]) -> dict:
    return {**section_summary(section), "path": list(section.path), "parent": section.parent,
            "children": children, "references": list(section.references),
            "body": section.body}


# --- the app --------------------------------------------------------------------------
def create_api(assistant: AssistantLike, feedback: FeedbackSink | None = None) -> FastAPI:
    """The API routes bound to one assistant (mount it at /api with `mount_api`); with a
    feedback store also `POST /feedback` (👍/👎 on an answer, personnummer redacted)."""
    api = FastAPI(
        title="Avtalsassistenten API",
        description="Frågor om Hälso- och sjukvårdsavtalet i Västra Götaland, besvarade med "
                    "ordagranna citat och källhänvisning till avsnitt.",
        version="1",
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI loads scripts from a CDN: no foreign hosts
        redoc_url=None,
    )
    cache = AnswerCache(assistant.settings.api_cache_size)
    busy = threading.BoundedSemaphore(max(1, assistant.settings.api_concurrency))
    children: dict[str, list[str]] = {}
    for section in assistant.sections:
        if section.parent:
            children.setdefault(section.parent, []).append(section.id)

    @api.post("/ask", response_model=AnswerOut, responses=ERRORS,
              summary="Ställ en fråga om avtalet")
    def ask(request: AskRequest) -> dict:
        for earlier in request.history:
            if len(earlier) > assistant.settings.max_question_chars:
                raise UserError("En tidigare fråga i history är för lång.")
        started = time.perf_counter()
        key = cache.key(request, getattr(getattr(assistant, "index", None), "path", None),
                        id(getattr(assistant, "generator", None)))

        def answer() -> dict:
            with busy:  # one question per core at a time; the others wait their turn
                return assistant.ask(request.question, scope=request.scope or "alla",
                                     history=request.history, date=request.date).to_dict()

        found = cache.get_or_compute(key, answer)
        found = {**found, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
        # The trainers' question log (redacted by the storage; never stops an answer).
        log_question(request.question, found, scope=request.scope or "alla", channel="api",
                     settings=assistant.settings)
        return found

    @api.get("/sections", response_model=list[SectionSummary], summary="Alla avsnitt")
    def sections() -> list[dict]:
        return [section_summary(s) for s in assistant.sections]

    @api.get("/sections/{section_id:path}", response_model=SectionOut,
             responses={404: {"model": ErrorOut, "description": "Okänt avsnitt"}},
             summary="Ett avsnitt med sin text")
    def section(section_id: str) -> dict:
        found = assistant.section(section_id)
        if found is None:
            raise ApiError(404, f"Avsnittet {section_id!r} finns inte.")
        return section_detail(found, children.get(found.id, []))

    if feedback is not None:
        @api.post("/feedback", response_model=FeedbackOut, responses=ERRORS,
                  summary="Betygsätt ett svar (👍/👎)")
        def rate(request: FeedbackIn) -> dict:
            row = feedback.rate(session=request.session, turn=request.turn,
                                rating=request.rating, question=request.question,
                                answer=request.answer, citations=request.citations,
                                scope=request.scope)
            if request.comment:
                feedback.comment(row, request.comment)
            return {"id": row}

    _install_errors(api)
    api.add_middleware(BodyLimit, max_bytes=assistant.settings.api_max_body)
    return api


class AnswerCache:
    """Recent answers by request (question, scope, history, date, index build): staff ask the
    same questions again and again. A new build or another day misses; a question holding a
    personnummer is never kept."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()
        self.pending: dict[tuple, threading.Event] = {}

    @staticmethod
    def key(request: AskRequest, build: object, generator: int = 0) -> tuple | None:
        texts = [request.question, *request.history]
        if any(redact_personnummer(t) != t for t in texts):
            return None
        day = request.date or datetime.date.today().isoformat()
        return (request.question.strip(), request.scope or "alla", tuple(request.history),
                day, str(build), generator)

    def get(self, key: tuple | None) -> dict | None:
        if key is None or self.size <= 0:
            return None
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def get_or_compute(self, key: tuple | None, compute: Callable[[], dict]) -> dict:
        """The cached answer, or `compute()`'s; while one request computes a key, others
        asking the same wait for it instead of answering it again. A fallback answer (a model
        that failed may answer next time) is not kept."""
        found = self.get(key)
        if found is not None or key is None or self.size <= 0:
            return found if found is not None else compute()
        with self.lock:
            pending = self.pending.get(key)
            owner = pending is None
            if owner:
                pending = self.pending[key] = threading.Event()
        if not owner:
            pending.wait(timeout=120)
            found = self.get(key)
            return found if found is not None else compute()
        try:
            value = compute()
            if not value.get("fallback_reason"):
                self.put(key, value)
            return value
        finally:
            with self.lock:
                self.pending.pop(key, None)
            pending.set()

    def put(self, key: tuple | None, value: dict) -> None:
        if key is None or self.size <= 0:
            return
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def mount_api(app: Any, api: FastAPI, prefix: str = PREFIX) -> None:
    """Serve `api` under `prefix` on an already created (e.g. Gradio's) app, ahead of its
    own routes."""
    app.router.routes.insert(0, Mount(prefix, app=api))


# --- errors in Swedish ----------------------------------------------------------------
STATUS_TEXT = {
    400: "Ogiltig begäran.",
    404: "Det finns ingen sådan adress i API:et.",
    405: "Metoden stöds inte för den här adressen.",
    413: "Begäran är för stor.",
    415: "Skicka begäran som JSON.",
}


def _install_errors(api: FastAPI) -> None:
    @api.exception_handler(UserError)
    async def user_error(_: Request, error: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @api.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e), "message": validation_message(e)} for e in error.errors()]
        detail = "Ogiltig begäran: " + " ".join(e["message"] for e in errors)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = STATUS_TEXT.get(error.status_code, "Begäran kunde inte utföras.")
        return JSONResponse({"detail": detail}, status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @api.exception_handler(Exception)
    async def crash(_: Request, error: Exception) -> JSONResponse:
        log.error("API error: %s", type(error).__name__)  # never the question: it may be private
        return JSONResponse({"detail": "Ett internt fel uppstod. Försök igen."}, status_code=500)


def _field(error: dict) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"


def validation_message(error: dict) -> str:
    """One pydantic validation error in Swedish."""
    field = _field(error)
    kind = error.get("type", "")
    limit = (error.get("ctx") or {}).get("max_length")
    messages = {
        "missing": f"Fältet ”{field}” saknas.",
        "string_type": f"Fältet ”{field}” ska vara en text.",
        "list_type": f"Fältet ”{field}” ska vara en lista med texter.",
        "too_long": f"Fältet ”{field}” har för många värden (högst {limit}).",
        "string_too_long": f"Fältet ”{field}” är för långt (högst {limit} tecken).",
        "string_too_short": f"Fältet ”{field}” är tomt.",
        "string_pattern_mismatch": f"Fältet ”{field}” har ett otillåtet värde.",
        "int_parsing": f"Fältet ”{field}” ska vara ett heltal.",
        "int_type": f"Fältet ”{field}” ska vara ett heltal.",
        "greater_than_equal": f"Fältet ”{field}” får inte vara negativt.",
        "extra_forbidden": f"Fältet ”{field}” är okänt.",
        "json_invalid": "Begäran är inte giltig JSON.",
        "model_attributes_type": "Begäran ska vara ett JSON-objekt.",
        "dict_type": "Begäran ska vara ett JSON-objekt.",
    }
    if field == "body" and kind == "missing":
        return "Begäran saknar innehåll: skicka ett JSON-objekt med ”question”."
    return messages.get(kind, f"Fältet ”{field}” har fel värde.")
