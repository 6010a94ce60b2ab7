"""The Gradio web app: a chat with cited answers and a browsable agreement ("Avtalet").

`build_app(assistant)` wires components to small handler functions; `launch(...)` serves it
privately (no analytics, system fonts only, no run history in the browser). All HTML shown
to users is produced by `render`, which escapes every string.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute

from assistant.answer.guard import check_question
from assistant.config import Settings, settings  # also sets GRADIO_ANALYTICS_ENABLED=False
from assistant.errors import UserError
from assistant.ingest.manifest import DocumentInfo
from assistant.storage.feedback import RATINGS, FeedbackStore
from assistant.types import Answer, Section
from assistant.web import chat, render
from assistant.web.routes import TRAINERS_PATH, compare_pair
from assistant.web.security import app_kwargs as protections

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TITLE = "Avtalsassistenten"
CHAT_TAB, BROWSE_TAB = "fraga", "avtalet"
VIEW_PARAM = "vy"  # ?vy=avtalet opens the Avtalet view
EXAMPLES = [
    "Vem betalar hjälpmedel till en 15-åring?",
    "Hur lång uppsägningstid har avtalet?",
    "Vem ansvarar för läkemedel i kommunal hälso- och sjukvård?",
    "Vad gäller vid utskrivning från sluten hälso- och sjukvård?",
]
SYSTEM_FONTS = [
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Consolas", "Liberation Mono", "monospace"]


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


class AssistantLike(Protocol):
    """What the web app needs from `assistant.service.Assistant`."""

    sections: list[Section]
    documents: list[DocumentInfo]

    def ask(self, question: str, scope: str = ..., history: list[str] | None = ...) -> Answer: ...
    def scopes(self) -> list[tuple[str, str]]: ...
    def section(self, section_id: str) -> Section | None: ...
    def banner(self) -> str: ...


@dataclass
class Handlers:
    """Event handlers bound to one assistant and feedback store (plain methods, testable).

    `turns` is the conversation as the browser keeps it (`chat.turn_record` dicts); every
    handler that changes it returns the re-rendered conversation with it."""

    assistant: AssistantLike
    store: FeedbackStore
    max_chars: int
    config: Settings | None = None  # where the question log and collections are stored

    # --- chat -------------------------------------------------------------------------
    def check(self, question: str | None) -> str | None:
        """The Swedish message when the question cannot be asked (the service's own rules)."""
        try:
            check_question(question, self.max_chars)
        except UserError as error:
            return str(error)
        return None

    def conversation(self, turns: list[dict], pending: str | None = None,
                     draft: str | None = None) -> str:
        documents = {d.id: d for d in getattr(self.assistant, "documents", [])}
        return chat.conversation_html(
            turns,
            self.assistant.section,
            documents,
            self.assistant.sections,
            EXAMPLES,
            pending,
            draft,
        )

    def respond(
        self, question: str | None, scope: str, turns: list[dict] | None
    ) -> Iterator[tuple[Any, str, list[dict], str]]:
        """Show the question at once, then the answer with its sources."""
        turns = chat.valid_turns(turns)
        problem = self.check(question)
        if problem:
            yield gr.update(), gr.update(), turns, render.message_html(problem, "fel")
            return
        text = (question or "").strip()
        yield "", self.conversation(turns, pending=text), turns, ""
        history = [turn["question"] for turn in turns]
        try:
            answer = None
            if getattr(self.assistant, "generator", None) is not None:
                # A language model writes the answer: show its text as it comes, marked as
                # unchecked; the checked answer (or the quotes) replaces it at the end.
                draft = ""
                for item in self.assistant.ask_stream(text, scope=scope or "alla",
                                                      history=history):
                    if isinstance(item, Answer):
                        answer = item
                    else:
                        draft += item
                        yield "", self.conversation(turns, pending=text, draft=draft), turns, ""
            if answer is None:
                answer = self.assistant.ask(text, scope=scope or "alla", history=history)
        except UserError as error:
            yield text, self.conversation(turns), turns, render.message_html(str(error), "fel")
            return
        except Exception:
            log.exception("answering failed")
            note = "Något gick fel när svaret togs fram. Försök igen om en stund."
            yield text, self.conversation(turns), turns, render.message_html(note, "fel")
            return
        self.log(text, answer, scope or "alla")
        turns = chat.valid_turns([*turns, chat.turn_record(text, scope, answer)])
        yield "", self.conversation(turns), turns, ""

    def log(self, question: str, answer: Answer, scope: str) -> None:
        """The question log for trainers (redacted by the storage); never stops an answer."""
        from assistant.storage.questions import log_question

        try:
            log_question(question, answer, scope=scope, channel="web", settings=self.config)
        except Exception:  # noqa: BLE001 - the answer matters more than the log
            log.warning("the question log could not be written")

    def clear(self) -> tuple[str, list, str, Any, None]:
        return self.conversation([]), [], "", gr.update(visible=False, value=""), None

    # --- feedback ---------------------------------------------------------------------
    def on_conversation(self, turns: list[dict] | None, request: gr.Request, evt: gr.EventData):
        """Clicks inside the conversation that need the server: 👍/👎 on an answer, and the
        browser handing back the conversation it kept (after a reload)."""
        data = getattr(evt, "_data", None) or {}
        turns = chat.valid_turns(turns)
        skip = (gr.update(), turns, gr.update(), gr.update(), gr.update())
        if data.get("action") == "aterstall":
            kept = chat.valid_turns(data.get("turer"))
            if turns or not kept:
                return skip
            return self.conversation(kept), kept, gr.update(), gr.update(), gr.update()
        if data.get("action") == "spara":
            return self.save(turns, data.get("tur"), data.get("samling"))
        if data.get("action") != "betyg" or data.get("betyg") not in RATINGS:
            return skip
        try:
            index = int(data.get("tur"))
            turn = turns[index]
        except (TypeError, ValueError, IndexError):
            return skip
        answer = turn["answer"]
        try:
            feedback_id = self.store.rate(
                session=_session(request),
                turn=index,
                rating=data["betyg"],
                question=turn["question"],
                answer=answer.get("answer", ""),
                citations=answer.get("citations") or [],
                scope=turn.get("scope", "alla"),
            )
        except UserError as error:  # data folder not writable: say so, keep the chat going
            return (gr.update(), turns, gr.update(), gr.update(),
                    render.message_html(str(error), "fel"))
        turns[index] = {**turn, "rating": data["betyg"], "feedback_id": feedback_id}
        thanks = "Tack för ditt omdöme! Lägg gärna till en kommentar nedan."
        return (
            self.conversation(turns),
            turns,
            gr.update(visible=True),
            feedback_id,
            render.message_html(thanks, "ok"),
        )

    def save(self, turns: list[dict], index: object, name: object):
        """"Spara": the turn's question, answer and citations into a trainers' collection
        (personnummer redacted by the storage); outputs as `on_conversation`."""
        from assistant.storage.collections import clean_name, save_answer

        keep = gr.update()
        try:
            position = int(index)  # type: ignore[arg-type]
            turn = turns[position]
        except (TypeError, ValueError, IndexError):
            return keep, turns, keep, keep, keep
        name = " ".join(str(name or "").split()) or chat.DEFAULT_COLLECTION
        try:
            name = clean_name(name)  # personnummer redacted, length checked
            save_answer(name, turn["question"], turn["answer"], settings=self.config)
        except UserError as error:
            return keep, turns, keep, keep, render.message_html(f"Kunde inte spara: {error}", "fel")
        except Exception:  # noqa: BLE001 - e.g. a read-only data folder: say so, keep chatting
            log.warning("saving to a collection failed")
            note = "Svaret kunde inte sparas (datamappen går inte att skriva till)."
            return keep, turns, keep, keep, render.message_html(note, "fel")
        turns[position] = {**turn, "saved_to": name}
        done = render.message_html(f"Sparat i ”{name}”.", "ok")
        return self.conversation(turns), turns, keep, keep, done

    def comment(self, feedback_id: int | None, text: str | None):
        """Attach the optional comment to the last rating."""
        text = (text or "").strip()
        if feedback_id is None or not text:
            note = "Skriv en kommentar först." if feedback_id else "Betygsätt ett svar först."
            return gr.update(), gr.update(), render.message_html(note, "fel")
        try:
            self.store.comment(int(feedback_id), text[: self.max_chars * 2])
        except UserError as error:
            return gr.update(), gr.update(), render.message_html(str(error), "fel")
        done = render.message_html("Tack! Kommentaren är sparad.", "ok")
        return gr.update(visible=False, value=""), None, done

    # --- agreement browser ------------------------------------------------------------
    def show(self, section_id: str | None, quotes: list[str] | None = None) -> str:
        """Section view for `section_id` (the first section of the agreement when None)."""
        sections = self.assistant.sections
        section = self.assistant.section(section_id) if section_id else None
        if section_id and section is None:
            return render.section_missing_html(section_id)
        section = section or next((s for s in sections if s.kind == "avtal"), None)
        section = section or (sections[0] if sections else None)
        if section is None:
            return render.message_html("Inga avsnitt är inlästa.", "fel")
        children = [s for s in sections if s.parent == section.id]
        above = render.ancestors(section, self.assistant.section)
        before, after = render.neighbours(section, sections)
        documents = getattr(self.assistant, "documents", [])
        actions = render.section_actions_html(section, compare_pair(section.document, documents))
        return render.section_html(
            section, quotes or [], children, above=above, before=before, after=after,
            actions=actions,
        )

    def tree(self) -> str:
        return render.tree_html(self.assistant.sections)

    def on_load(self, request: gr.Request):
        """Open `?avsnitt=` (with its highlighted quote) or `?vy=avtalet` directly, and take the
        scope of a `?fraga=…&omfang=…` link. The section tree is sent only with the Avtalet view."""
        params = request.query_params if request else {}
        section_id = params.get(render.SECTION_PARAM)
        quote = params.get(render.HIGHLIGHT_PARAM)
        scope = params.get(chat.SCOPE_PARAM)
        known = {value for value, _ in self.assistant.scopes()}
        scope_update = gr.update(value=scope) if scope in known else gr.update()
        if section_id or params.get(VIEW_PARAM) == BROWSE_TAB:
            view = self.show(section_id, [quote] if quote else None)
            return gr.Tabs(selected=BROWSE_TAB), view, self.tree(), True, scope_update
        return gr.Tabs(), gr.update(), gr.update(), False, scope_update

    def open_browser(self, loaded: bool, view: str | None):
        """The Avtalet view was opened: send the tree (once) and a first section."""
        tree = gr.update() if loaded else self.tree()
        return tree, True, (gr.update() if view else self.show(None))

    def open_link(self, evt: gr.EventData) -> str:
        data = getattr(evt, "_data", None) or {}
        return self.show(str(data.get("avsnitt") or "") or None)


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "okand"


def _theme() -> gr.themes.Base:
    """Gradio's default theme, but with system fonts: the stock one loads Google Fonts."""
    return gr.themes.Default(
        primary_hue="blue", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS
    )


def _head() -> str:
    """Page-level styles (padding, width) live outside Gradio's app container, which scopes
    every rule passed as `css=`: they go inline into <head> instead."""
    return f"<style>{_static('page.css')}</style>"


def build_app(
    assistant: AssistantLike,
    store: FeedbackStore | None = None,
    config: Settings | None = None,
) -> gr.Blocks:
    """The whole UI; `launch` serves it. Settings default to the assistant's own."""
    config = config or getattr(assistant, "settings", None) or settings()
    store = store or _open_feedback(config)
    h = Handlers(assistant, store, config.max_question_chars, config)
    scopes = [(label, value) for value, label in assistant.scopes()]

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(_header_html(assistant), elem_id="sidhuvud", js_on_load=None)
        # The conversation is kept in the browser's own storage (conversation.js; never sent
        # anywhere but back to this server to be drawn again after a reload).
        turns = gr.State([])
        feedback_id = gr.State(None)
        tree_loaded = gr.State(False)
        with gr.Tabs(selected=CHAT_TAB, elem_id="vyer") as tabs:
            with gr.Tab("Fråga", id=CHAT_TAB, elem_id="flik-fraga"):
                chat_ui = _chat_components(scopes, h.conversation([]))
            with gr.Tab("Avtalet", id=BROWSE_TAB, elem_id="flik-avtalet") as browse_tab:
                with gr.Row(equal_height=False, elem_id="avtal-rad"):
                    with gr.Column(scale=1, min_width=240, elem_id="avtal-tradkolumn"):
                        tree = gr.HTML("", elem_id="avtal-trad", js_on_load=_static("tree.js"))
                    with gr.Column(scale=2, min_width=280, elem_id="avtal-vykolumn"):
                        view = gr.HTML(
                            "", elem_id="avsnitt-vy", js_on_load=_static("section_view.js")
                        )

        question, scope, conversation, send, status = (
            chat_ui["question"],
            chat_ui["scope"],
            chat_ui["conversation"],
            chat_ui["send"],
            chat_ui["status"],
        )
        ask_io = {
            "inputs": [question, scope, turns],
            "outputs": [question, conversation, turns, status],
        }
        # One concurrency group for all ways of asking: the limit is on answers in flight.
        ask_opts: dict[str, Any] = {"concurrency_id": "svar", "api_visibility": "private"}
        send.click(h.respond, **ask_io, api_name="fraga", concurrency_id="svar")
        question.submit(h.respond, **ask_io, **ask_opts)
        reset_io = [conversation, turns, status, chat_ui["comment_box"], feedback_id]
        chat_ui["clear"].click(h.clear, None, reset_io, api_visibility="private")
        conversation.click(
            h.on_conversation,
            [turns],
            [conversation, turns, chat_ui["comment_box"], feedback_id, status],
            api_visibility="private",
        )
        chat_ui["comment_send"].click(
            h.comment,
            [feedback_id, chat_ui["comment"]],
            [chat_ui["comment_box"], feedback_id, status],
            api_visibility="private",
        )
        # Links in the tree and the section view open a section in place (the browser's
        # history records each one); the tree is sent when the view is first opened.
        tree.click(h.open_link, None, [view], api_visibility="private")
        view.click(h.open_link, None, [view], api_visibility="private")
        browse_tab.select(
            h.open_browser, [tree_loaded, view], [tree, tree_loaded, view],
            api_visibility="private",
        )
        demo.load(
            h.on_load, None, [tabs, view, tree, tree_loaded, scope], api_visibility="private"
        )
    return demo


def _header_html(assistant: AssistantLike) -> str:
    return (
        # The link floats beside the title: on a phone it takes no line of its own.
        f'<header class="sidhuvud"><nav class="sidlankar" aria-label="Fler vyer">'
        f'<a href="{TRAINERS_PATH}" target="_blank" rel="noopener">Utbildning '
        '<span class="sr-only">(öppnas i ny flik)</span><span aria-hidden="true">↗</span>'
        f'</a></nav><h1>{render.esc(TITLE)}</h1>'
        '<p class="underrubrik">Svar med källhänvisningar ur Hälso- och sjukvårdsavtalet '
        "mellan Västra Götalandsregionen och kommunerna.</p>"
        f"{render.banner_html(assistant.banner())}</header>"
    )


def _chat_components(scopes: list[tuple[str, str]], empty: str) -> dict[str, Any]:
    """The chat tab's components (created inside the caller's layout context): the
    conversation, then a footer that stays in view with messages, comment box and input."""
    with gr.Row(equal_height=True, elem_id="omfang-rad"):
        scope = gr.Dropdown(
            choices=scopes,
            value=scopes[0][1] if scopes else "alla",
            label="Sök i",
            info="Begränsa svaren till en del av avtalet.",
            elem_id="omfang",
            filterable=False,
            scale=4,
            min_width=200,
        )
        clear = gr.Button(
            "Ny konversation",
            variant="secondary",
            size="md",
            scale=1,
            min_width=150,
            elem_id="rensa",
        )
    conversation = gr.HTML(
        empty, elem_id="samtal", js_on_load=_static("conversation.js"), min_height=120
    )
    with gr.Column(elem_id="fraga-fot"):
        status = gr.HTML("", elem_id="status", js_on_load=None)
        with gr.Row(visible=False, elem_id="kommentar-rad") as comment_box:
            comment = gr.Textbox(
                label="Kommentar till ditt omdöme (valfritt)",
                placeholder="Vad var bra eller fel i svaret? Skriv inga personuppgifter.",
                lines=2,
                scale=5,
                elem_id="kommentar",
            )
            comment_send = gr.Button(
                "Spara kommentar", scale=1, min_width=90, elem_id="spara-kommentar"
            )
        with gr.Row(elem_id="fraga-rad", equal_height=True):
            question = gr.Textbox(
                show_label=False,
                label="Din fråga",
                placeholder="Skriv din fråga här …",
                lines=1,
                max_lines=4,
                scale=5,
                min_width=160,
                elem_id="fraga",
            )
            send = gr.Button("Skicka", variant="primary", scale=1, min_width=80, elem_id="skicka")
    return {
        "scope": scope,
        "conversation": conversation,
        "question": question,
        "send": send,
        "status": status,
        "comment_box": comment_box,
        "comment": comment,
        "comment_send": comment_send,
        "clear": clear,
    }


class HtmlLang:
    """ASGI middleware: the page is Swedish (`<html lang="sv">`; Gradio's template says en)."""

    def __init__(self, app: Any, lang: str = "sv") -> None:
        self.app = app
        self.replacement = f'lang="{lang}"'.encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def rewrite(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                if html and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks).replace(b'lang="en"', self.replacement, 1)
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, rewrite)


def _open_feedback(config: Settings):
    from assistant.storage.feedback import open_feedback  # a shared database when configured

    return open_feedback(config)


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    concurrency: int = 2,
    quiet: bool = True,
    routes: Sequence[BaseRoute] = (),
    api: Any = None,
) -> str:
    """Serve `demo` privately in the background; returns the local URL. `api` (a FastAPI app,
    assistant/api) is served under /api on the same server.

    `routes` (Starlette/FastAPI routes, e.g. an `APIRouter().routes` for `/api/…`) are
    served by the same server, ahead of Gradio's own. Call `demo.block_thread()` to keep
    serving, `demo.close()` to stop.
    """
    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    _, local_url, _ = demo.launch(
        server_name=host,
        server_port=port,
        theme=_theme(),
        css=_static("app.css"),
        head=_head(),
        js=_static("page.js"),
        app_kwargs={
            # The guard outermost (no uploads, size and rate limits: security.py), then gzip,
            # which compresses the page HtmlLang has made Swedish (and skips event streams).
            "middleware": [*protections(host)["middleware"],
                           Middleware(GZipMiddleware, minimum_size=1024), Middleware(HtmlLang)],
            "routes": list(routes),
        },
        share=False,
        inbrowser=False,
        show_error=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        run_history=False,
        footer_links=[],
        prevent_thread_lock=True,
        quiet=quiet,
    )
    if api is not None:
        from assistant.api.app import mount_api

        mount_api(demo.app, api)
    return local_url
