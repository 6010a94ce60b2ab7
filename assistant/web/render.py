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

from assistant.types import Section

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


def _pages(section: Section) -> str:
    first, last = section.page_start, section.page_end
    if first is None:
        return ""
    return f"s. {first}" if first == last or last is None else f"s. {first}–{last}"


def message_html(text: str, kind: str = "info") -> str:
    """A short notice (an error, a thank-you) for the status line; read out by screen readers."""
    role = "alert" if kind == "fel" else "status"
    return f'<div class="meddelande meddelande-{esc(kind)}" role="{role}">{esc(text)}</div>'


def _section_link(
    section: Section, label: str | None = None, rel: str = "", current: bool = False
) -> str:
    text = label or _numbered(section.section, section.title)
    extra = f' rel="{rel}"' if rel else ""
    css = "avsnitt-lank vald" if current else "avsnitt-lank"
    if current:
        extra += ' aria-current="page"'
    return (
        f'<a class="{css}" href="{esc(section_url(section.id))}"{extra} '
        f'data-avsnitt="{esc(section.id)}">{esc(text)}</a>'
    )


def ancestors(section: Section, lookup: Callable[[str], Section | None]) -> list[Section]:
    """The sections above `section`, outermost first."""
    chain: list[Section] = []
    seen = {section.id}
    current = lookup(section.parent) if section.parent else None
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = lookup(current.parent) if current.parent else None
    return chain[::-1]


def neighbours(
    section: Section, sections: Sequence[Section]
) -> tuple[Section | None, Section | None]:
    """The previous and next section of the same document, in reading order."""
    same = [s for s in sections if s.document == section.document]
    index = next((i for i, s in enumerate(same) if s.id == section.id), None)
    if index is None:
        return None, None
    before = same[index - 1] if index > 0 else None
    after = same[index + 1] if index + 1 < len(same) else None
    return before, after


def _breadcrumbs(section: Section, above: Sequence[Section]) -> str:
    items = [f'<li><span class="brodsmula-dokument">{esc(section.document_title)}</span></li>']
    items += [f"<li>{_section_link(s)}</li>" for s in above]
    items.append(
        f'<li aria-current="page">{esc(_numbered(section.section, section.title))}</li>'
    )
    return f'<nav class="brodsmulor" aria-label="Här är du"><ol>{"".join(items)}</ol></nav>'


def _paging(before: Section | None, after: Section | None) -> str:
    if before is None and after is None:
        return ""
    links = []
    if before is not None:
        label = "Föregående: " + _numbered(before.section, before.title)
        links.append(f'<li class="foregaende">{_section_link(before, label, "prev")}</li>')
    if after is not None:
        label = "Nästa: " + _numbered(after.section, after.title)
        links.append(f'<li class="nasta">{_section_link(after, label, "next")}</li>')
    return (
        f'<nav class="bladdra" aria-label="Bläddra mellan avsnitt"><ul>{"".join(links)}</ul></nav>'
    )


def section_html(
    section: Section,
    quotes: Sequence[str] = (),
    children: Sequence[Section] = (),
    parent: Section | None = None,
    above: Sequence[Section] = (),
    before: Section | None = None,
    after: Section | None = None,
    actions: str = "",
) -> str:
    """The full text of one section (Avtalet tab), quotes highlighted, with breadcrumbs
    that link up and links to the previous and next section; `actions` (HTML from
    `section_actions_html`) goes below the section's text."""
    where = _where(section.part, section.agreement, section.document_title)
    info = " · ".join(p for p in (where, _pages(section)) if p)
    body = reflow(section.body)
    text = (
        f'<div class="avsnitt-text">{highlight(body, quotes)}</div>'
        if body
        else '<p class="avsnitt-tom">Avsnittet har ingen egen text – se underavsnitten.</p>'
    )
    above = list(above) or ([parent] if parent is not None else [])
    parts = [
        f'<article class="avsnitt-vy" data-avsnitt="{esc(section.id)}">',
        '<button type="button" class="till-innehall">Till innehållet och sökrutan</button>',
        _breadcrumbs(section, above),
        f'<h2 tabindex="-1">{esc(_numbered(section.section, section.title))}</h2>',
        f'<p class="avsnitt-info">{esc(info)}</p>',
        text,
    ]
    if section.references:
        refs = "".join(f"<li>{esc(ref)}</li>" for ref in section.references)
        parts.append(f'<div class="las-mer"><h3>Läs mer</h3><ul>{refs}</ul></div>')
    if children:
        links = "".join(f"<li>{_section_link(child)}</li>" for child in children)
        parts.append(f'<div class="underavsnitt"><h3>Underavsnitt</h3><ul>{links}</ul></div>')
    parts.append(actions)
    parts.append(_paging(before, after))
    parts.append(
        f'<p class="avsnitt-url"><a href="{esc(section_url(section.id))}" target="_blank" '
        'rel="noopener">Länk till avsnittet <span class="sr-only">(öppnas i ny flik)</span>'
        '<span aria-hidden="true">↗</span></a></p></article>'
    )
    return "".join(parts)


EXPORT_FORMATS = (("pdf", "PDF"), ("docx", "Word"))


def section_actions_html(section: Section, compare: tuple[str, str] | None = None) -> str:
    """"Exportera" links (PDF, Word) for the section and for its part (or its document when
    it has no part), and "Jämför versioner" when `compare` names (older, newer) document ids."""
    from assistant.web.routes import compare_url, export_url

    targets = [(section.id, "avsnittet")]
    if section.part:
        targets.append((section.part, f"Del {section.part}"))
    elif section.document:
        targets.append((section.document, "hela dokumentet"))
    rows = []
    for what, label in targets:
        links = "".join(
            f'<a class="exportera" href="{esc(export_url(what, fmt))}" download>{name}'
            f'<span class="sr-only"> ({esc(label)})</span></a>'
            for fmt, name in EXPORT_FORMATS
        )
        rows.append(f'<li><span class="exportera-vad">Exportera {esc(label)}:</span> {links}</li>')
    if compare:
        rows.append(
            f'<li><a class="jamfor" href="{esc(compare_url(*compare))}" target="_blank" '
            'rel="noopener">Jämför versioner <span class="sr-only">(öppnas i ny flik)</span>'
            '<span aria-hidden="true">↗</span></a></li>'
        )
    return f'<ul class="avsnitt-atgarder" aria-label="Utskrift och versioner">{"".join(rows)}</ul>'


def section_missing_html(section_id: str) -> str:
    return (
        '<article class="avsnitt-vy"><p class="meddelande meddelande-fel" role="alert">'
        f"Avsnittet ”{esc(section_id)}” finns inte. Välj ett avsnitt i listan.</p></article>"
    )


def tree_html(sections: Sequence[Section], selected: str | None = None) -> str:
    """Documents → parts → sections as nested lists with a search box. A branch is a link
    (opens the section) beside a button (expands it): never one inside the other."""
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
    counter = iter(range(1_000_000))

    def toggle(label: str, opened: bool) -> tuple[str, str]:
        group = f"trad-grupp-{next(counter)}"
        state = "true" if opened else "false"
        button = (
            f'<button type="button" class="vaxla" aria-expanded="{state}" '
            f'aria-controls="{group}" aria-label="Visa eller dölj: {esc(label)}">'
            '<span aria-hidden="true"></span></button>'
        )
        return button, group

    def branch(node: Section) -> str:
        kids = children.get(node.id, [])
        link = _section_link(node, current=node.id == selected)
        if not kids:
            return f'<li><div class="gren">{link}</div></li>'
        opened = node.id in open_ids
        button, group = toggle(_numbered(node.section, node.title), opened)
        hidden = "" if opened else " hidden"
        inner = "".join(branch(kid) for kid in kids)
        return (
            f'<li><div class="gren">{button}{link}</div>'
            f'<ul id="{group}"{hidden}>{inner}</ul></li>'
        )

    groups: dict[str, list[Section]] = {}
    titles: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for root in children.get(None, []):
        groups.setdefault(root.document, []).append(root)
        titles.setdefault(root.document, root.document_title)
        kinds.setdefault(root.document, root.kind)
    order = sorted(groups, key=lambda doc: _KIND_ORDER.get(kinds[doc], len(_KIND_ORDER)))
    parts = [
        '<nav class="avtal-trad" aria-label="Avtalets innehåll">',
        '<h2 class="trad-rubrik">Innehåll</h2>',
        '<div class="trad-sok"><label for="trad-sokruta">Sök avsnitt</label>'
        '<input type="search" id="trad-sokruta" autocomplete="off" '
        'placeholder="t.ex. hjälpmedel, B.11"></div>',
        '<p class="trad-traffar" role="status"></p>',
        '<ul class="trad-rot">',
    ]
    for document in order:
        roots = groups[document]
        opened = any(r.id in open_ids for r in roots) or document == order[0]
        group = f"trad-grupp-{next(counter)}"
        hidden = "" if opened else " hidden"
        inner = "".join(branch(root) for root in roots)
        parts.append(
            '<li class="trad-dokument"><div class="gren">'
            f'<button type="button" class="vaxla dokument-titel" aria-controls="{group}" '
            f'aria-expanded="{"true" if opened else "false"}">{esc(titles[document])}</button>'
            f'</div><ul id="{group}"{hidden}>{inner}</ul></li>'
        )
    parts.append("</ul></nav>")
    return "".join(parts)


def banner_html(text: str) -> str:
    """The validity banner; dates never wrap at their hyphens."""
    body = _DATE.sub(lambda m: f'<span class="datum">{m.group(0)}</span>', esc(text))
    return f'<div class="avtal-banner" role="note">{body}</div>'
