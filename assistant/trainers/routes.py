"""HTTP routes of the trainers' workspace, for the web app's server (FastAPI).

`trainer_router(settings, bind_host)` returns an APIRouter under /api/trainers:
`POST /collections/{name}/items` (the chat's "Spara": question + answer contract dict),
`GET /collections`, `GET /collections/{name}?format=md|html|pdf|docx|eval`,
`GET /export?what=B.11&format=…`, `GET /quiz?scope=B&count=10&seed=1` (JSON items),
`GET /insights?since=ÅÅÅÅ-MM-DD` (HTML). When the app is bound beyond loopback every route
needs the trainer token (header X-Trainer-Token or "Authorization: Bearer …").
"""

from __future__ import annotations

import functools
from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import UserError
from assistant.trainers.access import TOKEN_HEADER, trainer_allowed

PREFIX = "/api/trainers"
_MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
          "pdf": "application/pdf", "eval": "application/yaml; charset=utf-8",
          "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class SaveRequest(BaseModel):
    question: str = Field(max_length=2000)
    answer: dict
    key_facts: list[str] = Field(default_factory=list, max_length=20)
    note: str = Field(default="", max_length=2000)


DENIED = "Utbildningsvyerna kräver utbildarlösenordet när appen delas i nätverket."


def _swedish_errors(route):
    """A UserError (unknown section, no such collection …) becomes a 400 with its message."""

    @functools.wraps(route)
    def wrapper(*args, **kwargs):
        try:
            return route(*args, **kwargs)
        except UserError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None

    return wrapper


def _supplied(request: Request) -> str | None:
    token = request.headers.get(TOKEN_HEADER)
    auth = request.headers.get("Authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:]
    return token


def trainer_router(settings: Settings, bind_host: str, token: str | None = None) -> APIRouter:
    """The trainers' routes for an app bound to `bind_host` (token: AVTAL_TRAINER_TOKEN)."""

    def guard(request: Request) -> None:
        if not trainer_allowed(bind_host, _supplied(request), token):
            raise HTTPException(status_code=403, detail=DENIED)

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(guard)])

    @router.post("/collections/{name}/items", status_code=201)
    @_swedish_errors
    def save(name: str, body: SaveRequest) -> dict:
        from assistant.storage.collections import save_answer

        item = save_answer(name, body.question, body.answer, key_facts=body.key_facts,
                           note=body.note, settings=settings)
        return {"id": item, "collection": name}

    @router.get("/collections")
    @_swedish_errors
    def collections() -> list[dict]:
        from assistant.storage.collections import list_collections

        return [{"name": c.name, "items": c.items, "created_at": c.created_at.isoformat()}
                for c in list_collections(settings)]

    @router.get("/collections/{name}")
    @_swedish_errors
    def collection(name: str, format: str = "md") -> Response:
        from assistant.trainers.collections import collection_printable, eval_yaml
        from assistant.trainers.printable import render
        from assistant.trainers.source import load_library

        library = load_library(settings)
        if format == "eval":
            return _file(eval_yaml(library, name, settings), "eval", name)
        return _file(render(collection_printable(library, name, settings), format), format, name)

    @router.get("/export")
    @_swedish_errors
    def export(what: str, format: str = "html") -> Response:
        from assistant.trainers.export import handout
        from assistant.trainers.printable import render
        from assistant.trainers.source import load_library, select

        library = load_library(settings)
        return _file(render(handout(library, select(library, what)), format), format, what)

    @router.get("/quiz")
    @_swedish_errors
    def quiz(scope: str = "alla", count: int = 10, seed: int = 1) -> list[dict]:
        from assistant.trainers.quiz import make_quiz
        from assistant.trainers.source import load_library

        items = make_quiz(load_library(settings), scope, count=max(1, min(count, 50)), seed=seed)
        return [item.to_dict() for item in items]

    @router.get("/insights", response_class=HTMLResponse)
    @_swedish_errors
    def insights(since: date | None = None) -> str:
        from assistant.trainers.insights import gather, report
        from assistant.trainers.printable import to_html

        return to_html(report(gather(settings, since)))

    return router


def _file(content: str | bytes, fmt: str, name: str) -> Response:
    from assistant.ingest.manifest import slug

    suffix = "yaml" if fmt == "eval" else fmt
    headers = {}
    if fmt in ("pdf", "docx", "eval"):
        headers["Content-Disposition"] = f'attachment; filename="{slug(name)}.{suffix}"'
    return Response(content, media_type=_MEDIA.get(fmt, "text/plain"), headers=headers)

