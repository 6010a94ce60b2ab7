"""The Gradio web app: a chat with cited answers and a browsable agreement ("Avtalet").

`build_app(assistant)` wires components to small handler functions; `launch(...)` serves it
privately (no analytics, system fonts only, no run history in the browser). All HTML shown
to users is produced by `render`, which escapes every string.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from assistant.answer.guard import check_question
from assistant.config import Settings, settings  # also sets GRADIO_ANALYTICS_ENABLED=False
from assistant.errors import UserError
from assistant.privacy import redact_personnummer
from assistant.types import Answer, Section
from assistant.web import render
from assistant.web.feedback import FeedbackStore

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TITLE = "Avtalsassistenten"
CHAT_TAB, BROWSE_TAB = "fraga", "avtalet"
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

    def ask(self, question: str, scope: str = ..., history: list[str] | None = ...) -> Answer: ...
    def scopes(self) -> list[tuple[str, str]]: ...
    def section(self, section_id: str) -> Section | None: ...
    def banner(self) -> str: ...


@dataclass
class Handlers:
    """Event handlers bound to one assistant and feedback store (plain methods, testable)."""

    assistant: AssistantLike
    store: FeedbackStore
    max_chars: int

    # --- chat -------------------------------------------------------------------------
    def check(self, question: str | None) -> str | None:
        """The Swedish message when the question cannot be asked (the service's own rules)."""
        try:
            check_question(question, self.max_chars)
        except UserError as error:
            return str(error)
        return None

    def respond(
        self,
        question: str | None,
        scope: str,
        messages: list[dict] | None,
        turns: list[dict] | None,
    ) -> Iterator[tuple[Any, list[dict], list[dict], str]]:
        """Show the question at once, then the answer with its sources."""
        messages, turns = list(messages or []), list(turns or [])
        problem = self.check(question)
        if problem:
            yield gr.update(), messages, turns, render.message_html(problem, "fel")
            return
        text = (question or "").strip()
        messages.append({"role": "user", "content": render.user_message_html(text)})
        yield "", messages, turns, ""
        history = [turn["question"] for turn in turns]
        try:
            answer = self.assistant.ask(text, scope=scope or "alla", history=history)
        except UserError as error:
            messages.pop()
            yield text, messages, turns, render.message_html(str(error), "fel")
            return
        except Exception:
            log.exception("answering failed")
            messages.pop()
            note = "Något gick fel när svaret togs fram. Försök igen om en stund."
            yield text, messages, turns, render.message_html(note, "fel")
            return
        content = render.answer_html(answer, self.assistant.section)
        messages.append({"role": "assistant", "content": content})
        turns.append(_turn_record(len(messages) - 1, text, scope, answer))
        yield "", messages, turns, ""

    def example(self, scope: str, messages, turns, evt: gr.SelectData):
        value = evt.value if isinstance(evt.value, dict) else {}
        yield from self.respond(value.get("text", ""), scope, messages, turns)

    def clear(self) -> tuple[list, list, str, Any, None]:
        return [], [], "", gr.update(visible=False, value=""), None

    # --- feedback ---------------------------------------------------------------------
    def rate(self, turns: list[dict] | None, request: gr.Request, evt: gr.LikeData):
        """Store 👍/👎 for the rated answer and offer a comment box."""
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        turn = next((t for t in turns or [] if t["index"] == index), None)
        if turn is None or evt.liked not in (True, False):
            return gr.update(), None, ""
        feedback_id = self.store.rate(
            session=_session(request),
            turn=index,
            rating="up" if evt.liked else "down",
            question=turn["question"],
            answer=turn["answer"],
            citations=turn["citations"],
            scope=turn["scope"],
        )
        thanks = "Tack för ditt omdöme! Lägg gärna till en kommentar nedan."
        return gr.update(visible=True), feedback_id, render.message_html(thanks, "ok")

    def comment(self, feedback_id: int | None, text: str | None):
        """Attach the optional comment to the last rating."""
        text = (text or "").strip()
        if feedback_id is None or not text:
            note = "Skriv en kommentar först." if feedback_id else "Betygsätt ett svar först."
            return gr.update(), gr.update(), render.message_html(note, "fel")
        self.store.comment(int(feedback_id), text[: self.max_chars * 2])
        done = render.message_html("Tack! Kommentaren är sparad.", "ok")
        return gr.update(visible=False, value=""), None, done

    # --- agreement browser ------------------------------------------------------------
    def show(self, section_id: str | None, quotes: list[str] | None = None) -> tuple[str, str]:
        """Section view and tree for `section_id` (the first section when None)."""
        sections = self.assistant.sections
        section = self.assistant.section(section_id) if section_id else None
        if section_id and section is None:
            return render.section_missing_html(section_id), render.tree_html(sections)
        section = section or next((s for s in sections if s.kind == "avtal"), None)
        section = section or (sections[0] if sections else None)
        if section is None:
            return render.message_html("Inga avsnitt är inlästa.", "fel"), ""
        children = [s for s in sections if s.parent == section.id]
        parent = self.assistant.section(section.parent) if section.parent else None
        view = render.section_html(section, quotes or [], children, parent)
        return view, render.tree_html(sections, section.id)

    def on_load(self, request: gr.Request):
        """Open the section named in `?avsnitt=` (and its highlighted quote) directly."""
        params = request.query_params if request else {}
        section_id = params.get(render.SECTION_PARAM)
        quote = params.get(render.HIGHLIGHT_PARAM)
        view, tree = self.show(section_id, [quote] if quote else None)
        tab = gr.Tabs(selected=BROWSE_TAB) if section_id else gr.Tabs()
        return tab, view, tree

    def open_link(self, evt: gr.EventData) -> tuple[str, str]:
        data = getattr(evt, "_data", None) or {}
        return self.show(str(data.get("avsnitt") or "") or None)

    def open_view(self, evt: gr.EventData) -> str:
        return self.open_link(evt)[0]


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "okand"


def _turn_record(index: int, question: str, scope: str, answer: Answer) -> dict:
    """What a rating stores about one answer (held in session state until rated)."""
    return {
        "index": index,
        "question": redact_personnummer(question),
        "answer": redact_personnummer(answer.answer),
        "citations": [c.to_dict() | {"section_id": c.section_id} for c in answer.citations],
        "scope": scope,
    }


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
    h = Handlers(assistant, store, config.max_question_chars)
    scopes = [(label, value) for value, label in assistant.scopes()]

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(_header_html(assistant), elem_id="sidhuvud", js_on_load=None)
        turns = gr.State([])
        feedback_id = gr.State(None)
        with gr.Tabs(selected=CHAT_TAB) as tabs:
            with gr.Tab("Fråga", id=CHAT_TAB, elem_id="flik-fraga"):
                chat = _chat_components(scopes)
            with gr.Tab("Avtalet", id=BROWSE_TAB, elem_id="flik-avtalet"):
                with gr.Row(equal_height=False, elem_id="avtal-rad"):
                    with gr.Column(scale=1, min_width=240, elem_id="avtal-tradkolumn"):
                        tree = gr.HTML(
                            "", elem_id="avtal-trad", js_on_load=_static("section_links.js")
                        )
                    with gr.Column(scale=2, min_width=280, elem_id="avtal-vykolumn"):
                        view = gr.HTML(
                            "",
                            elem_id="avsnitt-vy",
                            js_on_load=_static("section_links.js") + _static("scroll_into_view.js"),
                        )

        question, scope, chatbot, send, status = (
            chat["question"],
            chat["scope"],
            chat["chatbot"],
            chat["send"],
            chat["status"],
        )
        ask_io = {
            "inputs": [question, scope, chatbot, turns],
            "outputs": [question, chatbot, turns, status],
        }
        # One concurrency group for all ways of asking: the limit is on answers in flight.
        ask_opts: dict[str, Any] = {"concurrency_id": "svar", "api_visibility": "private"}
        send.click(h.respond, **ask_io, api_name="fraga", concurrency_id="svar")
        question.submit(h.respond, **ask_io, **ask_opts)
        chatbot.example_select(h.example, [scope, chatbot, turns], ask_io["outputs"], **ask_opts)
        reset_io = [chatbot, turns, status, chat["comment_box"], feedback_id]
        chat["clear"].click(h.clear, None, reset_io, api_visibility="private")
        chatbot.clear(h.clear, None, reset_io, api_visibility="private")
        chatbot.like(
            h.rate, [turns], [chat["comment_box"], feedback_id, status], api_visibility="private"
        )
        chat["comment_send"].click(
            h.comment,
            [feedback_id, chat["comment"]],
            [chat["comment_box"], feedback_id, status],
            api_visibility="private",
        )
        # The tree keeps its own open/closed state (and marks the link itself); links inside
        # the section view re-render the tree so it shows where the reader went.
        tree.click(h.open_view, None, [view], api_visibility="private")
        view.click(h.open_link, None, [view, tree], api_visibility="private")
        demo.load(h.on_load, None, [tabs, view, tree], api_visibility="private")
    return demo


def _header_html(assistant: AssistantLike) -> str:
    return (
        f'<header class="sidhuvud"><h1>{render.esc(TITLE)}</h1>'
        '<p class="underrubrik">Svar med källhänvisningar ur Hälso- och sjukvårdsavtalet '
        "mellan Västra Götalandsregionen och kommunerna.</p>"
        f"{render.banner_html(assistant.banner())}</header>"
    )


def _chat_components(scopes: list[tuple[str, str]]) -> dict[str, Any]:
    """The chat tab's components (created inside the caller's layout context)."""
    with gr.Row(equal_height=True, elem_id="omfang-rad"):
        scope = gr.Dropdown(
            choices=scopes,
            value=scopes[0][1] if scopes else "alla",
            label="Sök i",
            info="Begränsa svaren till en del av avtalet.",
            elem_id="omfang",
            filterable=False,
            scale=4,
            min_width=220,
        )
        clear = gr.Button(
            "Ny konversation",
            variant="secondary",
            size="md",
            scale=1,
            min_width=150,
            elem_id="rensa",
        )
    chatbot = gr.Chatbot(
        label="Samtal",
        show_label=False,
        elem_id="samtal",
        height=None,
        min_height=320,
        max_height="75vh",
        placeholder="Ställ en fråga om Hälso- och sjukvårdsavtalet – eller välj ett exempel.",
        examples=[{"text": text} for text in EXAMPLES],
        latex_delimiters=[],
        buttons=[],  # Gradio's copy button would copy our HTML source, not the text
        feedback_options=("Like", "Dislike"),
        group_consecutive_messages=False,
        layout="panel",
    )
    with gr.Row(elem_id="fraga-rad", equal_height=True):
        question = gr.Textbox(
            show_label=False,
            label="Din fråga",
            placeholder="Skriv din fråga här …",
            lines=1,
            max_lines=6,
            scale=5,
            min_width=200,
            elem_id="fraga",
        )
        send = gr.Button("Skicka", variant="primary", scale=1, min_width=90, elem_id="skicka")
    status = gr.HTML("", label="Status", elem_id="status", js_on_load=None)
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
    return {
        "scope": scope,
        "chatbot": chatbot,
        "question": question,
        "send": send,
        "status": status,
        "comment_box": comment_box,
        "comment": comment,
        "comment_send": comment_send,
        "clear": clear,
    }


def _open_feedback(config: Settings):
    from assistant.web.feedback_db import open_feedback  # a shared database when configured

    return open_feedback(config)


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    concurrency: int = 2,
    quiet: bool = True,
    api: Any = None,
) -> str:
    """Serve `demo` privately in the background; returns the local URL. `api` (a FastAPI app,
    assistant/api) is served under /api on the same server.

    Call `demo.block_thread()` to keep serving, `demo.close()` to stop.
    """
    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    _, local_url, _ = demo.launch(
        server_name=host,
        server_port=port,
        theme=_theme(),
        css=_static("app.css"),
        head=_head(),
        js=_static("page.js"),
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
