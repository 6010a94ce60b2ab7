"""HTTP routes of the trainers' workspace, for the web app's server (FastAPI).

`trainer_router(settings, bind_host)` returns an APIRouter under /api/trainers:
`POST /collections/{name}/items` (the chat's "Spara": question + answer contract dict),
`GET /collections`, `GET /collections/{name}?format=md|html|pdf|docx|eval`,
`GET /export?what=B.11&format=…`, `GET /quiz?scope=B&count=10&seed=1` (JSON items),
`GET /insights?since=ÅÅÅÅ-MM-DD` (HTML), and `GET /` — the "Utbildning" page: forms for
handouts and quizzes, the collections with their exports, the insights report. When the app
is bound beyond loopback every route needs the trainer token (header X-Trainer-Token,
"Authorization: Bearer …", or the session cookie set by the page's login form).
"""

from __future__ import annotations

import functools
import html
from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import UserError
from assistant.trainers.access import (
    TOKEN_HEADER,
    configured_token,
    session_allowed,
    session_value,
    trainer_allowed,
)

PREFIX = "/api/trainers"
COOKIE = "avtal_utbildare"
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

    def allowed(request: Request) -> bool:
        return (trainer_allowed(bind_host, _supplied(request), token)
                or session_allowed(bind_host, request.cookies.get(COOKIE), token))

    def guard(request: Request) -> None:
        if not allowed(request):
            raise HTTPException(status_code=403, detail=DENIED)

    router = APIRouter(prefix=PREFIX)
    guarded = [Depends(guard)]

    @router.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        if not allowed(request):
            return HTMLResponse(_login_html(""), status_code=403)
        from assistant.storage.collections import list_collections

        return HTMLResponse(_page_html(list_collections(settings)))

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        from urllib.parse import parse_qs

        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        supplied = (form.get("token") or [""])[0]
        if not trainer_allowed(bind_host, supplied, token):
            return HTMLResponse(_login_html("Fel lösenord."), status_code=403)
        response = Response(status_code=303, headers={"Location": f"{PREFIX}/"})
        expected = configured_token(token)
        if expected:
            response.set_cookie(COOKIE, session_value(expected), httponly=True,
                                samesite="strict", path=PREFIX)
        return response

    @router.post("/collections/{name}/items", status_code=201, dependencies=guarded)
    @_swedish_errors
    def save(name: str, body: SaveRequest) -> dict:
        from assistant.storage.collections import save_answer

        item = save_answer(name, body.question, body.answer, key_facts=body.key_facts,
                           note=body.note, settings=settings)
        return {"id": item, "collection": name}

    @router.get("/collections", dependencies=guarded)
    @_swedish_errors
    def collections() -> list[dict]:
        from assistant.storage.collections import list_collections

        return [{"name": c.name, "items": c.items, "created_at": c.created_at.isoformat()}
                for c in list_collections(settings)]

    @router.get("/collections/{name}", dependencies=guarded)
    @_swedish_errors
    def collection(name: str, format: str = "md") -> Response:
        from assistant.trainers.collections import collection_printable, eval_yaml
        from assistant.trainers.printable import render
        from assistant.trainers.source import load_library

        library = load_library(settings)
        if format == "eval":
            return _file(eval_yaml(library, name, settings), "eval", name)
        return _file(render(collection_printable(library, name, settings), format), format, name)

    @router.get("/export", dependencies=guarded)
    @_swedish_errors
    def export(what: str, format: str = "html") -> Response:
        from assistant.trainers.export import handout
        from assistant.trainers.printable import render
        from assistant.trainers.source import load_library, select

        library = load_library(settings)
        return _file(render(handout(library, select(library, what)), format), format, what)

    @router.get("/quiz", dependencies=guarded)
    @_swedish_errors
    def quiz(scope: str = "alla", count: int = 10, seed: int = 1,
             format: str = "json") -> Response:
        from assistant.trainers.printable import render
        from assistant.trainers.quiz import make_quiz, quiz_printable
        from assistant.trainers.source import load_library

        library = load_library(settings)
        items = make_quiz(library, scope, count=max(1, min(count, 50)), seed=seed)
        if format == "json":
            return JSONResponse([item.to_dict() for item in items])
        document = quiz_printable(items, library, scope, seed)
        return _file(render(document, format), format, f"quiz-{scope}")

    @router.get("/insights", response_class=HTMLResponse, dependencies=guarded)
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



_PAGE_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; }
h1 { color: #1b4f72; } h2 { color: #1b4f72; font-size: 1.2rem; margin-top: 2rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .9rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { background: #1b4f72; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
.fel { color: #a40000; }
"""


def _shell(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="sv"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_PAGE_CSS}</style></head>"
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")


def _login_html(problem: str) -> str:
    note = f'<p class="fel" role="alert">{html.escape(problem)}</p>' if problem else ""
    return _shell("Utbildning", (
        f"<p>Utbildningsvyerna kräver utbildarlösenordet.</p>{note}"
        f'<form method="post" action="{PREFIX}/login"><label>Lösenord'
        '<input type="password" name="token" autocomplete="current-password" required>'
        "</label><button>Logga in</button></form>"))


def _options(values: tuple[str, ...], default: str) -> str:
    return "".join(f'<option{" selected" if v == default else ""}>{v}</option>' for v in values)


def _page_html(collections) -> str:
    from urllib.parse import quote

    rows = "".join(
        f"<li>{html.escape(c.name)} ({c.items} svar): " + ", ".join(
            f'<a href="{PREFIX}/collections/{quote(c.name)}?format={f}">{f}</a>'
            for f in ("html", "pdf", "docx", "md", "eval")) + "</li>"
        for c in collections) or "<li>Inga samlingar än.</li>"
    formats = ("html", "pdf", "docx", "md")
    return _shell("Utbildning", (
        "<h2>Utskrift av avsnitt, del eller dokument</h2>"
        f'<form method="get" action="{PREFIX}/export"><label>Vad (t.ex. B.11, B, munhalsa)'
        '<input name="what" required></label>'
        f'<label>Format<select name="format">{_options(formats, "pdf")}</select></label>'
        "<button>Skapa utskrift</button></form>"
        "<h2>Quiz ur texten</h2>"
        f'<form method="get" action="{PREFIX}/quiz"><label>Omfång (t.ex. B, munhalsa)'
        '<input name="scope" value="alla"></label>'
        '<label>Antal<input name="count" type="number" min="1" max="50" value="10"></label>'
        '<label>Frö<input name="seed" type="number" value="1"></label>'
        f'<label>Format<select name="format">{_options((*formats, "json"), "html")}'
        "</select></label><button>Skapa quiz</button></form>"
        f"<h2>Sparade samlingar</h2><ul>{rows}</ul>"
        f'<h2>Vad personalen frågar</h2><p><a href="{PREFIX}/insights">Visa rapporten</a></p>'))
