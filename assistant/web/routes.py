"""HTTP routes served beside the web chat: the trainers' workspace and the version comparison.

`server_routes(...)` is the one list `assistant serve` hands to `launch(routes=…)`; add new
routers there. `compare_router` serves `GET /api/compare?old=ID&new=ID`, an HTML page with
`compare.compare_html` of two versions of one document series (document ids of the index
only: never a file path from the request).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute

from assistant.config import Settings
from assistant.errors import UserError
from assistant.ingest.manifest import DocumentInfo

COMPARE_PATH = "/api/compare"
TRAINERS_PATH = "/api/trainers/"
EXPORT_PATH = "/api/trainers/export"

_PAGE_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; }
h1, h2 { color: #1b4f72; } table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #94a3b8; padding: .3rem .5rem; vertical-align: top; text-align: left; }
a { color: #1d4ed8; display: inline-block; min-height: 44px; line-height: 44px; }
"""


def compare_pair(document: str, documents: Iterable[DocumentInfo]) -> tuple[str, str] | None:
    """The two newest versions (older, newer) of the series `document` belongs to, when the
    index holds two or more versions of it; else None."""
    from assistant.versions import series_groups

    for versions in series_groups(list(documents)).values():
        ids = [d.id for d in versions]
        if document in ids:
            return ids[-2], ids[-1]
    return None


def compare_url(old: str, new: str) -> str:
    return f"{COMPARE_PATH}?{urlencode({'old': old, 'new': new})}"


def export_url(what: str, fmt: str) -> str:
    return f"{EXPORT_PATH}?{urlencode({'what': what, 'format': fmt})}"


def compare_page(body: str) -> str:
    """A whole Swedish page around a compare_html fragment."""
    title = "Jämför versioner"
    return (f'<!doctype html><html lang="sv"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} – Avtalsassistenten</title><style>{_PAGE_CSS}</style>"
            f"</head><body><main><h1>{html.escape(title)}</h1>{body}"
            '<p><a href="/?vy=avtalet">Tillbaka till Avtalet</a></p></main></body></html>')


def compare_router(documents: Callable[[], Iterable[DocumentInfo]], corpus_dir: Path
                   ) -> APIRouter:
    """`GET /api/compare?old=…&new=…` for documents of the index in use (`documents()`, read
    per request: a background index build may add a version)."""
    router = APIRouter()

    @router.get(COMPARE_PATH, response_class=HTMLResponse)
    def compare_view(old: str, new: str) -> HTMLResponse:
        from assistant.compare import compare, compare_html

        known = {d.id for d in documents()}
        unknown = [ref for ref in (old, new) if ref not in known]
        if unknown:
            raise HTTPException(status_code=404, detail=f"Okänt dokument: {unknown[0][:80]}")
        try:
            comparison = compare(old, new, corpus_dir)
        except UserError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        return HTMLResponse(compare_page(compare_html(comparison)))

    return router


def server_routes(settings: Settings, host: str, assistant: object) -> list[BaseRoute]:
    """Every route `assistant serve` serves beside the chat (extend this list)."""
    from assistant.trainers.routes import trainer_router

    return [
        *trainer_router(settings, host).routes,
        *compare_router(lambda: getattr(assistant, "documents", []), settings.corpus_dir).routes,
    ]
