"""The conversation as HTML: each turn is a question and an answer that opens with one short
sentence (its key fact marked), the source on one line, and the full quote and further
sources behind "Visa mer".

Turns are plain dicts (JSON) so the browser can keep them in its own storage (localStorage,
see static/conversation.js) and hand them back after a reload; every string is escaped when
it is rendered, never stored as HTML.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlencode

from assistant.answer import keyfact
from assistant.answer.compose import where
from assistant.ingest.manifest import DocumentInfo
from assistant.privacy import redact_personnummer
from assistant.retrieve.lexical import tokens
from assistant.types import Answer, Citation, Section
from assistant.web.render import esc, highlight, reflow, section_url

QUESTION_PARAM = "fraga"
SCOPE_PARAM = "omfang"
MAX_TURNS = 30  # kept in the browser; older turns drop off the front

Lookup = Callable[[str], Section | None]
Documents = Mapping[str, DocumentInfo]

_LIST_MARK = re.compile(r"^(?:[•●▪◦\-–—*]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•”\"(])")

# Thumbs as inline SVG: no emoji font needed, no request, hidden from screen readers.
_THUMB_PATH = (
    "M2 10h4v11H2zM8 21h9.3a2 2 0 0 0 2-1.6l1.5-7A2 2 0 0 0 18.8 10H14l.9-4.3a1.6 1.6 0 0 0-"
    "2.8-1.4L8 9.6z"
)
_THUMB = (
    '<svg class="ikon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" '
    f'focusable="false"><path fill="currentColor" d="{_THUMB_PATH}"/></svg>'
)
_THUMB_DOWN = _THUMB.replace('class="ikon"', 'class="ikon" style="transform: rotate(180deg)"')


DEFAULT_COLLECTION = "Mina frågor"  # the trainers' collection "Spara" suggests


# --- turns (what the browser keeps) ------------------------------------------------------------
def turn_record(question: str, scope: str, answer: Answer) -> dict:
    """One turn as JSON, personnummer redacted (it is kept in the browser's storage)."""
    data = answer.to_dict()
    data["question"] = redact_personnummer(data["question"])
    data["answer"] = redact_personnummer(data["answer"])
    return {
        "question": redact_personnummer(question),
        "scope": scope or "alla",
        "answer": data,
        "rating": None,
        "feedback_id": None,
    }


def _fields(cls: type, data: Mapping) -> dict:
    names = {f.name for f in dataclasses.fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def answer_from_record(turn: Mapping) -> Answer | None:
    """The `Answer` a stored turn holds (None when the record is damaged)."""
    try:
        data = dict(turn["answer"])
        citations = [Citation(**_fields(Citation, c)) for c in data.get("citations") or []]
        data["citations"] = citations
        return Answer(**_fields(Answer, data))
    except (KeyError, TypeError, ValueError):
        return None


def valid_turns(turns: object) -> list[dict]:
    """Stored turns that can still be rendered, at most `MAX_TURNS` (newest kept)."""
    if not isinstance(turns, list):
        return []
    good = [t for t in turns if isinstance(t, dict) and answer_from_record(t) is not None]
    return good[-MAX_TURNS:]


def question_url(question: str, scope: str = "alla") -> str:
    """The relative link that asks `question` again (`?fraga=…`)."""
    params = {QUESTION_PARAM: question}
    if scope and scope != "alla":
        params[SCOPE_PARAM] = scope
    return "?" + urlencode(params)


# --- the short answer ----------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]


def key_fact_span(answer: Answer, sentence: str) -> tuple[int, int] | None:
    """Where the answer's key fact stands in `sentence`: the answering side's own
    (`Answer.key_fact`) when it is there, else the same rule applied to this sentence."""
    if answer.key_fact and answer.key_fact in sentence:
        start = sentence.index(answer.key_fact)
        return start, start + len(answer.key_fact)
    return keyfact.key_fact(sentence, answer.question)


def best_sentence(question: str, quote: str) -> str | None:
    """The quote's sentence that shares most words with the question (a stated fact breaks
    ties), the stand-in until the answer carries its own `short_answer`."""
    asked = set(tokens(question))
    best, best_score = None, -1.0
    for sentence in sentences(quote):
        sentence = _LIST_MARK.sub("", sentence)  # still a verbatim slice of the quote
        fact = keyfact.key_fact(sentence, question)
        score = len(asked & set(tokens(sentence))) + (0.5 if fact else 0.0)
        if score > best_score:
            best, best_score = sentence, score
    return best


def short_answer(answer: Answer) -> str | None:
    if answer.short_answer:
        return answer.short_answer
    if answer.abstained or not answer.citations:
        return None
    return best_sentence(answer.question, answer.citations[0].quote)


def marked(sentence: str, answer: Answer) -> str:
    """Escaped sentence with its key fact in `<strong class="nyckel">`."""
    span = key_fact_span(answer, sentence)
    if span is None:
        return esc(sentence)
    start, end = span
    return (
        f"{esc(sentence[:start])}<strong class=\"nyckel\">{esc(sentence[start:end])}</strong>"
        f"{esc(sentence[end:])}"
    )


# --- labels ----------------------------------------------------------------------------------
def validity(document: DocumentInfo | None) -> str:
    """"gäller 2023–2026" for a document in force; the date of one that is not."""
    if document is None:
        return ""
    if document.valid_from and document.valid_to and not document.is_context:
        return f"gäller {document.valid_from[:4]}–{document.valid_to[:4]}"
    if document.is_context and document.date:
        return f"dokument från {document.date}"
    return ""


def page_text(citation: Citation) -> str:
    page = citation.page_label or citation.page
    return f"s. {page}" if page is not None else ""


def source_line(citation: Citation, documents: Documents) -> str:
    """Where the quote stands, on one line: name · page · validity."""
    pieces = [
        where(citation, dict(documents)),
        page_text(citation),
        validity(documents.get(citation.document)),
    ]
    return " · ".join(p for p in pieces if p)


def nearest_sections(answer: Answer, sections: Sequence[Section]) -> list[Section]:
    """The sections a declined answer names (by the same label the answer text uses)."""
    found: list[tuple[int, int, Section]] = []
    for section in sections:
        label = where(section)
        position = answer.answer.find(label)
        if position >= 0:
            found.append((position, -len(label), section))
    found.sort(key=lambda item: (item[0], item[1]))
    chosen: list[Section] = []
    end = -1
    for position, negative_length, section in found:
        if position >= end:  # a shorter label inside a longer one is the same mention
            chosen.append(section)
            end = position - negative_length
    return chosen


# --- HTML -----------------------------------------------------------------------------------
def _citation_html(index: int, citation: Citation, section: Section | None,
                   documents: Documents) -> str:
    quote = f'<q class="kalla-citat">{esc(citation.quote)}</q>' if citation.quote else ""
    full = ""
    if section is not None:
        body = reflow(section.body)
        full = (
            '<details class="kalla-hela"><summary>Visa hela avsnittet</summary>'
            f'<div class="avsnitt-text">{highlight(body, [citation.quote])}</div>'
            f'<a class="kalla-lank" href="{esc(section_url(section.id, [citation.quote]))}" '
            'target="_blank" rel="noopener">Öppna avsnittet i fliken Avtalet '
            '<span aria-hidden="true">↗</span><span class="sr-only">(ny flik)</span></a>'
            "</details>"
        )
    return (
        f'<li class="kalla" data-avsnitt="{esc(citation.section_id)}">'
        f'<p class="kalla-meta"><span class="kalla-nr" aria-hidden="true">{index}</span> '
        f"{esc(source_line(citation, documents))}</p>{quote}{full}</li>"
    )


def _tools_html(index: int, turn: Mapping, answer: Answer, documents: Documents) -> str:
    copy = plain_text(turn, answer, documents)
    link = question_url(turn.get("question", ""), turn.get("scope", "alla"))
    rating = turn.get("rating")
    buttons = []
    for value, symbol, label in (("up", _THUMB, "Bra svar"), ("down", _THUMB_DOWN, "Dåligt svar")):
        pressed = "true" if rating == value else "false"
        buttons.append(
            f'<button type="button" class="betyg" data-betyg="{value}" data-tur="{index}" '
            f'aria-pressed="{pressed}" aria-label="{label}" title="{label}">'
            f"{symbol}</button>"
        )
    return (
        '<div class="svar-verktyg">'
        f'<button type="button" class="kopiera" data-kopia="{esc(copy)}">Kopiera</button>'
        f"{_save_html(index, turn)}"
        f'<a class="fraga-lank" href="{esc(link)}">Länk till frågan</a>'
        f'<button type="button" class="skriv-ut" data-tur="{index}">Skriv ut</button>'
        f'{"".join(buttons)}<span class="kopierat" role="status"></span></div>'
    )


def _save_html(index: int, turn: Mapping) -> str:
    """"Spara" and its small form (hidden until "Spara" is pressed; conversation.js)."""
    saved = turn.get("saved_to")
    label = f"Sparat i {saved}" if saved else "Spara"
    field = f"samling-{index}"
    return (
        f'<button type="button" class="spara" data-tur="{index}" aria-expanded="false" '
        f'aria-controls="spara-{index}">{esc(label)}</button>'
        f'<form class="spara-form" id="spara-{index}" data-tur="{index}" hidden>'
        f'<label for="{field}">Spara i samlingen</label>'
        f'<input id="{field}" name="samling" maxlength="100" autocomplete="off" '
        f'value="{esc(saved or DEFAULT_COLLECTION)}">'
        '<button type="submit">Spara svaret</button></form>'
    )


def answer_html(
    answer: Answer,
    lookup: Lookup,
    documents: Documents,
    sections: Sequence[Section] = (),
    tools: str = "",
) -> str:
    """One answer: short answer first, then source line; the rest behind "Visa mer"."""
    if answer.abstained:
        return _declined_html(answer, sections, tools)
    uncertain = answer.confidence == "låg"
    css = "svar svar-osakert" if uncertain else "svar"
    parts = [f'<div class="{css}" data-testid="bot" tabindex="-1">']
    if uncertain:
        parts.append(
            '<p class="svar-etikett">Osäkert svar – kontrollera källan innan du går vidare.</p>'
        )
    short = short_answer(answer)
    if short:
        parts.append(f'<p class="kort-svar">{marked(short, answer)}</p>')
    if answer.citations:
        parts.append(f'<p class="kalla-rad">{esc(source_line(answer.citations[0], documents))}</p>')
    parts.append('<details class="visa-mer"><summary>Visa mer</summary>')
    parts.append(f'<div class="svar-text">{esc(answer.answer)}</div>')
    if answer.citations:
        items = "".join(
            _citation_html(i, c, lookup(c.section_id) if c.section_id else None, documents)
            for i, c in enumerate(answer.citations, start=1)
        )
        parts.append('<div class="kallor"><h4 class="kallor-rubrik">Källor</h4>')
        parts.append(f'<ol class="kallor-lista">{items}</ol></div>')
    parts.append("</details>")
    parts.append(tools)
    parts.append("</div>")
    return "".join(parts)


def _declined_html(answer: Answer, sections: Sequence[Section], tools: str) -> str:
    parts = ['<div class="svar svar-avbojt" data-testid="bot" tabindex="-1">',
             f'<p class="svar-text">{esc(answer.answer)}</p>']
    nearest = nearest_sections(answer, sections)
    if nearest:
        links = "".join(
            f'<li><a class="avsnitt-lank" href="{esc(section_url(s.id))}" '
            f'data-avsnitt="{esc(s.id)}">{esc(where(s))}</a></li>'
            for s in nearest
        )
        parts.append(
            '<div class="kallor narliggande"><h4 class="kallor-rubrik">Närliggande avsnitt</h4>'
            f"<ul>{links}</ul></div>"
        )
    parts.append(tools)
    parts.append("</div>")
    return "".join(parts)


def plain_text(turn: Mapping, answer: Answer, documents: Documents) -> str:
    """What "Kopiera" puts on the clipboard: question, short answer, answer, sources."""
    lines = [f"Fråga: {turn.get('question', '')}"]
    short = short_answer(answer)
    if short:
        lines.append(f"Kort svar: {short}")
    lines += ["", answer.answer]
    if answer.citations and not answer.abstained:
        lines += ["", "Källor:"]
        for i, citation in enumerate(answer.citations, start=1):
            lines.append(f"[{i}] {source_line(citation, documents)}")
            if citation.quote:
                lines.append(f"”{citation.quote}”")
    return "\n".join(lines)


def turn_html(index: int, turn: Mapping, lookup: Lookup, documents: Documents,
              sections: Sequence[Section] = ()) -> str:
    answer = answer_from_record(turn)
    question = f'<h3 class="fraga-text" data-testid="user">{esc(turn.get("question", ""))}</h3>'
    if answer is None:
        return ""
    tools = _tools_html(index, turn, answer, documents)
    body = answer_html(answer, lookup, documents, sections, tools)
    return f'<article class="tur" id="tur-{index}" data-tur="{index}">{question}{body}</article>'


def pending_html(question: str, draft: str | None = None) -> str:
    """The question being answered; with a language model, its text as it is written, marked
    as not yet checked (it is replaced by the checked answer, or the quotes, when done)."""
    status = '<p class="svar-vantar" role="status">Söker i avtalet …</p>'
    if draft:
        status = ('<p class="svar-vantar" role="status">Svaret skrivs och kontrolleras mot '
                  f'citaten innan det visas:</p><p class="svar-utkast">{esc(draft)}</p>')
    return (
        '<article class="tur tur-vantar">'
        f'<h3 class="fraga-text" data-testid="user">{esc(question)}</h3>{status}</article>'
    )


def conversation_html(
    turns: Sequence[Mapping],
    lookup: Lookup,
    documents: Documents,
    sections: Sequence[Section] = (),
    examples: Sequence[str] = (),
    pending: str | None = None,
    draft: str | None = None,
) -> str:
    """The whole conversation; the examples when nothing has been asked yet. The turns ride
    along as JSON (`data-turer`) for the browser to keep in its own storage."""
    kept = esc(json.dumps(list(turns), ensure_ascii=False, separators=(",", ":")))
    parts = [
        f'<section class="samtal" aria-label="Samtal" data-turer="{kept}">'
        '<h2 class="sr-only">Samtal</h2>'
    ]
    if not turns and pending is None:
        buttons = "".join(
            f'<li><button type="button" class="exempel" data-fraga="{esc(q)}">'
            f"{esc(q)}</button></li>"
            for q in examples
        )
        parts.append(
            '<div class="samtal-tomt"><p>Ställ en fråga om Hälso- och sjukvårdsavtalet – '
            "eller välj ett exempel:</p>"
            f'<ul class="exempel-lista">{buttons}</ul></div>'
        )
    parts.extend(turn_html(i, t, lookup, documents, sections) for i, t in enumerate(turns))
    if pending is not None:
        parts.append(pending_html(pending, draft))
    parts.append("</section>")
    return "".join(parts)
