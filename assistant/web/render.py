"""HTML for answers, citations, sections and the section tree.

Every piece of text that comes from a user or the corpus goes through `html.escape` here, so
a question holding `<script>` is shown as text. Quotes are highlighted with `<mark>` by
matching them whitespace-insensitively against the section text (the quote is collapsed to
one line, the section keeps the PDF's line breaks).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlencode

from assistant.types import Answer, Citation, Section

SECTION_PARAM = "avsnitt"
HIGHLIGHT_PARAM = "markera"

_BULLET = re.compile(r"^\s*(?:[•●▪◦\-–—*]|\d+[.)]|[a-zåäö][.)])\s+")
# The agreement first, then the strategy, then memo and context documents.
_KIND_ORDER = {"avtal": 0, "strategi": 1}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def section_url(section_id: str, quotes: Sequence[str] = ()) -> str:
    """The relative link that opens a section in the Avtalet tab (`?avsnitt=<id>`)."""
    params = {SECTION_PARAM: section_id}
    if quotes:
        params[HIGHLIGHT_PARAM] = " … ".join(quotes)
    return "?" + urlencode(params)


def reflow(body: str) -> str:
    """Paragraphs separated by blank lines, each on one line (list items on their own).

    A body with blank lines holds PDF lines (join them within each paragraph); a body
    without holds one paragraph per line already.
    """
    text = body.strip()
    if not text:
        return ""
    blocks = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.splitlines()
    out = []
    for block in blocks:
        lines: list[str] = []
        for raw in block.splitlines():
            line = " ".join(raw.split())
            if not line:
                continue
            if lines and not _BULLET.match(line):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        if lines:
            out.append("\n".join(lines))
    return "\n\n".join(out)


def quote_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of `text` that hold the quotes (pieces split at "…"), merged."""
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        for piece in _ELLIPSIS.split(quote or ""):
            words = piece.split()
            if len(words) < 2 and len(piece.strip()) < 12:
                continue  # too short to mark meaningfully
            pattern = r"\s+".join(re.escape(word) for word in words)
            spans.extend(m.span() for m in re.finditer(pattern, text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, quotes: Iterable[str]) -> str:
    """Escaped `text` with every quote wrapped in `<mark>`."""
    parts: list[str] = []
    position = 0
    for start, end in quote_spans(text, quotes):
        parts.append(esc(text[position:start]))
        parts.append(f"<mark>{esc(text[start:end])}</mark>")
        position = end
    parts.append(esc(text[position:]))
    return "".join(parts)


def _where(part: str | None, agreement: str | None, document_title: str) -> str:
    if part and agreement:
        return f"Del {part} – {agreement}"
    if part:
        return f"Del {part}"
    return document_title


def _numbered(section: str | None, title: str) -> str:
    return f"{section} {title}" if section else title


def citation_label(citation: Citation) -> str:
    """Plain-text label: part / överenskommelse / section number and title / page."""
    pieces = [
        _where(citation.part, citation.agreement, citation.document_title),
        _numbered(citation.section, citation.title),
    ]
    if citation.page is not None:
        pieces.append(f"s. {citation.page}")
    return " · ".join(pieces)


def _pages(section: Section) -> str:
    first, last = section.page_start, section.page_end
    if first is None:
        return ""
    return f"s. {first}" if first == last or last is None else f"s. {first}–{last}"


def _one_line(fragment: str) -> str:
    """Chatbot messages go through Markdown: no raw newlines may end the HTML block."""
    return fragment.replace("\r", "").replace("\n", "&#10;")


def user_message_html(question: str) -> str:
    """A user's question as inert text inside one HTML block."""
    return _one_line(f'<div class="fraga-text">{esc(question)}</div>')


def _citation_html(index: int, citation: Citation, section: Section | None) -> str:
    quote = f'<q class="kalla-citat">{esc(citation.quote)}</q>' if citation.quote else ""
    full = ""
    if section is not None:
        body = reflow(section.body)
        full = (
            '<details class="kalla-hela"><summary>Visa hela avsnittet</summary>'
            f'<div class="avsnitt-text">{highlight(body, [citation.quote])}</div>'
            f'<a class="kalla-lank" href="{esc(section_url(section.id, [citation.quote]))}" '
            'target="_blank" rel="noopener">Öppna avsnittet i fliken Avtalet ↗</a></details>'
        )
    return (
        f'<li class="kalla" data-avsnitt="{esc(citation.section_id)}">'
        f'<div class="kalla-meta"><span class="kalla-nr">{index}</span> '
        f"{esc(citation_label(citation))}</div>{quote}{full}</li>"
    )


def answer_html(answer: Answer, lookup: Callable[[str], Section | None]) -> str:
    """The assistant's chat message: answer text, then each citation with its section."""
    parts = [f'<div class="svar"><div class="svar-text">{esc(answer.answer)}</div>']
    if answer.citations:
        heading = "Närliggande avsnitt" if answer.abstained else "Källor"
        items = "".join(
            _citation_html(i, c, lookup(c.section_id) if c.section_id else None)
            for i, c in enumerate(answer.citations, start=1)
        )
        parts.append(f'<div class="kallor"><div class="kallor-rubrik">{heading}</div>')
        parts.append(f'<ol class="kallor-lista">{items}</ol></div>')
    parts.append("</div>")
    return _one_line("".join(parts))


def message_html(text: str, kind: str = "info") -> str:
    """A short notice (an error, a thank-you) for the status line; read out by screen readers."""
    role = "alert" if kind == "fel" else "status"
    return _one_line(
        f'<div class="meddelande meddelande-{esc(kind)}" role="{role}">{esc(text)}</div>'
    )


def _section_link(section: Section, label: str | None = None) -> str:
    text = label or _numbered(section.section, section.title)
    return (
        f'<a class="avsnitt-lank" href="{esc(section_url(section.id))}" '
        f'data-avsnitt="{esc(section.id)}">{esc(text)}</a>'
    )


def section_html(
    section: Section,
    quotes: Sequence[str] = (),
    children: Sequence[Section] = (),
    parent: Section | None = None,
) -> str:
    """The full text of one section (Avtalet tab), quotes highlighted."""
    where = _where(section.part, section.agreement, section.document_title)
    info = " · ".join(p for p in (where, _pages(section)) if p)
    body = reflow(section.body)
    text = (
        f'<div class="avsnitt-text">{highlight(body, quotes)}</div>'
        if body
        else '<p class="avsnitt-tom">Avsnittet har ingen egen text – se underavsnitten.</p>'
    )
    parts = [
        '<article class="avsnitt-vy">',
        f'<nav class="brodsmulor">{esc(section.heading_path)}</nav>',
        f"<h2>{esc(_numbered(section.section, section.title))}</h2>",
        f'<p class="avsnitt-info">{esc(info)}</p>',
        text,
    ]
    if section.references:
        refs = "".join(f"<li>{esc(ref)}</li>" for ref in section.references)
        parts.append(f'<div class="las-mer"><strong>Läs mer</strong><ul>{refs}</ul></div>')
    if children:
        links = "".join(f"<li>{_section_link(child)}</li>" for child in children)
        parts.append(
            f'<div class="underavsnitt"><strong>Underavsnitt</strong><ul>{links}</ul></div>'
        )
    if parent is not None:
        parts.append(f'<p class="overavsnitt">Överordnat: {_section_link(parent)}</p>')
    parts.append(
        f'<p class="avsnitt-url"><a href="{esc(section_url(section.id))}" target="_blank" '
        'rel="noopener">Länk till avsnittet (öppnas i ny flik)</a></p></article>'
    )
    return "".join(parts)


def section_missing_html(section_id: str) -> str:
    return (
        '<article class="avsnitt-vy"><p class="meddelande meddelande-fel">'
        f"Avsnittet ”{esc(section_id)}” finns inte. Välj ett avsnitt i listan.</p></article>"
    )


def tree_html(sections: Sequence[Section], selected: str | None = None) -> str:
    """Documents → parts → sections as nested lists; the branch holding `selected` is open."""
    children: dict[str | None, list[Section]] = {}
    by_id = {s.id: s for s in sections}
    for section in sections:
        parent = section.parent if section.parent in by_id else None
        children.setdefault(parent, []).append(section)
    open_ids: set[str] = set()
    current = by_id.get(selected) if selected else None
    while current is not None:
        open_ids.add(current.id)
        current = by_id.get(current.parent) if current.parent else None

    def branch(node: Section) -> str:
        kids = children.get(node.id, [])
        css = ' class="vald"' if node.id == selected else ""
        link = _section_link(node).replace("<a ", f"<a{css} ", 1)
        if not kids:
            return f"<li>{link}</li>"
        opened = " open" if node.id in open_ids else ""
        inner = "".join(branch(kid) for kid in kids)
        return f"<li><details{opened}><summary>{link}</summary><ul>{inner}</ul></details></li>"

    groups: dict[str, list[Section]] = {}
    titles: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for root in children.get(None, []):
        groups.setdefault(root.document, []).append(root)
        titles.setdefault(root.document, root.document_title)
        kinds.setdefault(root.document, root.kind)
    order = sorted(groups, key=lambda doc: _KIND_ORDER.get(kinds[doc], len(_KIND_ORDER)))
    parts = ['<nav class="avtal-trad" aria-label="Avtalets innehåll">']
    for document in order:
        roots = groups[document]
        opened = " open" if any(r.id in open_ids for r in roots) else ""
        inner = "".join(branch(root) for root in roots)
        parts.append(
            f'<details class="trad-dokument"{opened}><summary>{esc(titles[document])}</summary>'
            f"<ul>{inner}</ul></details>"
        )
    parts.append("</nav>")
    return "".join(parts)


def banner_html(text: str) -> str:
    """The validity banner; dates never wrap at their hyphens."""
    body = _DATE.sub(lambda m: f'<span class="datum">{m.group(0)}</span>', esc(text))
    return f'<div class="avtal-banner" role="note">{body}</div>'
