"""Deterministic citation checks: every quote is in the corpus, inside the section it names."""

from __future__ import annotations

import re

from assistant.ingest.clean import collapse
from assistant.types import Citation, Section


def quote_in_section(quote: str, section: Section) -> bool:
    return bool(quote.strip()) and collapse(quote) in collapse(section.body)


def unverified(citations: list[Citation], sections: dict[str, Section]) -> list[Citation]:
    """Citations whose quote is not found verbatim in the section they cite."""
    bad = []
    for citation in citations:
        section = sections.get(citation.section_id)
        if section is None or not quote_in_section(citation.quote, section):
            bad.append(citation)
    return bad


# --- Checks of a generated answer (answer/generate.py) ------------------------------------
# A model's text is shown only when every check passes: its [n] markers name cited sources,
# every quoted string is verbatim in them, and every number it writes (digits or Swedish number
# words) occurs in them. Each failure is a (code, Swedish reason) pair.

MARKER = re.compile(r"\[(?:källa\s*)?(\d+(?:\s*[,;]\s*\d+)*)\]", re.IGNORECASE)
# Swedish ”…”, English “…”, straight "…", guillemets «…», German-style „…“, and single
# ’…’ / '…' around several words (one word between apostrophes is not a quote).
QUOTED = re.compile(r"”([^”\n]*)”|“([^”“\n]*)”|\"([^\"\n]*)\"|«([^»\n]*)»|„([^“”\n]*)[“”]"
                    r"|(?<!\w)’([^’\n]*\s[^’\n]*)’(?!\w)|(?<!\w)'([^'\n]*\s[^'\n]*)'(?!\w)")
QUOTE_MARKS = "”“\"«»„"
ELISION = re.compile(r"\s*(?:…|\.\.\.|\[\s*…\s*\]|\[\.\.\.\])\s*")
# Digits with thousands separated by a space ("1 500"), or digits joined by . , : / - –
# ("2023-01-01", "9.4.3", "12,5", "2017:30").
DIGITS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,:/\-–]\d+)*")
# Swedish number words and the parts of compounds ("tjugofem", "tvåhundra", "etthundra").
NUMBER_PARTS = {
    "noll": 0, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7,
    "åtta": 8, "nio": 9, "tio": 10, "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14,
    "femton": 15, "sexton": 16, "sjutton": 17, "arton": 18, "aderton": 18, "nitton": 19,
    "tjugo": 20, "trettio": 30, "fyrtio": 40, "femtio": 50, "sextio": 60, "sjuttio": 70,
    "åttio": 80, "nittio": 90, "hundra": 100, "tusen": 1000,
}
# Orders of magnitude written as words: must appear in the sources when the answer uses them.
SCALE_WORDS = ("miljon", "miljard")
WORD = re.compile(r"[a-zåäöéü]+", re.IGNORECASE)

Problem = tuple[str, str]


def markers(text: str) -> list[int]:
    """The source numbers an answer refers to, in order ("[1]", "[1, 2]", "[källa 3]")."""
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def quoted_strings(text: str) -> list[str]:
    """Every string the text puts within quotation marks."""
    return [next(g for g in groups if g is not None) for groups in QUOTED.findall(text)]


def _unquoted_marks(text: str) -> bool:
    """A quotation mark left over once the pairs are taken out: a quote that is not closed."""
    return any(mark in QUOTED.sub(" ", text) for mark in QUOTE_MARKS)


def quote_supported(quote: str, sources: list[str]) -> bool:
    """Is a quoted string verbatim in one of the sources? Elisions ("…") split it into pieces
    that must each be verbatim; edge punctuation and a lower-cased first letter are allowed."""
    pieces = [p.strip(" .,;:!?") for p in ELISION.split(quote)]
    pieces = [collapse(p) for p in pieces if p.strip(" .,;:!?")]
    if not pieces:
        return False
    texts = [collapse(s) for s in sources]
    return all(any(p in t or (p[:1].upper() + p[1:]) in t for t in texts) for p in pieces)


def number_word_value(word: str) -> int | None:
    """The value of a Swedish number word ("tolv" 12, "tjugofem" 25, "tvåhundra" 200); None
    for other words and for "en"/"ett" alone (articles far more often than numbers)."""
    word = word.lower()
    parts = _number_parts(word)
    if not parts or parts == [1]:
        return None
    total, current = 0, 0
    for value in parts:
        if value == 1000:
            total += max(current, 1) * 1000
            current = 0
        elif value == 100:
            current = max(current, 1) * 100
        else:
            current += value
    return total + current


def _number_parts(word: str) -> list[int] | None:
    if not word:
        return []
    for part in sorted(NUMBER_PARTS, key=len, reverse=True):
        if word.startswith(part):
            rest = _number_parts(word[len(part):])
            if rest is not None:
                return [NUMBER_PARTS[part], *rest]
    return None


def _digit_token(raw: str) -> str:
    token = re.sub(r"[ \u00a0\u202f]", "", raw).replace("–", "-")
    return token.replace(",", ".") if token.count(",") == 1 and "." not in token else token


def numbers_in(text: str) -> tuple[set[str], set[int]]:
    """The numbers a text writes: digit tokens as written ("2023-01-01", "9.4.3", "1500") and
    the integer values of their parts and of its number words."""
    tokens = {_digit_token(m) for m in DIGITS.findall(text)}
    values = {int(part) for token in tokens for part in re.findall(r"\d+", token)}
    values |= {int(t) for t in tokens if t.isdigit()}
    values |= {v for w in WORD.findall(text) if (v := number_word_value(w)) is not None}
    return tokens, values


def unsupported_numbers(text: str, sources: list[str]) -> list[str]:
    """Numbers in `text` (markers removed) that the sources do not hold: a plain number must
    equal a number of the sources (digits or words: "12" matches "tolv"); a compound one
    ("2023-01-01", "9.4.3", "12.5") must be written the same way there."""
    text = MARKER.sub(" ", text)
    source_text = " ".join(sources)
    tokens, values = numbers_in(source_text)
    missing = []
    for raw in DIGITS.findall(text):
        token = _digit_token(raw)
        ok = int(token) in values if token.isdigit() else token in tokens
        if not ok:
            missing.append(raw)
    for word in WORD.findall(text):
        value = number_word_value(word)
        if value is not None and value not in values:
            missing.append(word)
    lowered = source_text.lower()
    missing += [w for w in SCALE_WORDS if w in text.lower() and w not in lowered]
    return missing


def garbage(text: str, max_chars: int) -> Problem | None:
    """Empty, over-long, unreadable or repetitive output."""
    stripped = text.strip()
    if not stripped:
        return ("empty", "Språkmodellen gav inget svar.")
    if len(stripped) > max_chars:
        return ("too_long", "Språkmodellens svar var för långt.")
    visible = [c for c in stripped if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    words = WORD.findall(stripped)
    if ("\ufffd" in stripped or any(ord(c) < 32 and c not in "\n\t\r" for c in stripped)
            or letters < 0.5 * len(visible) or len(words) < 2
            or (len(words) >= 12 and len({w.lower() for w in words}) < 0.35 * len(words))):
        return ("garbage", "Språkmodellens svar gick inte att läsa.")
    return None


def generated_problems(text: str, sources: list[str], max_chars: int = 2500,
                       quotable: list[str] | None = None) -> list[Problem]:
    """Everything wrong with a generated answer whose numbered sources are `sources` ([1] is
    sources[0]); an empty list means it may be shown. Numbers must occur in `sources`; a quoted
    string may also come from `quotable` (e.g. the rest of a cited section)."""
    problem = garbage(text, max_chars)
    if problem:
        return [problem]
    problems: list[Problem] = []
    cited = markers(text)
    if not cited:
        problems.append(("no_marker", "Språkmodellens svar hänvisade inte till någon källa."))
    for n in sorted(set(cited)):
        if not 1 <= n <= len(sources):
            problems.append(("bad_marker", f"Språkmodellens svar hänvisade till källa [{n}], "
                                           "som inte finns bland källorna."))
    for quote in quoted_strings(text):
        if not quote_supported(quote, sources + (quotable or [])):
            shown = quote if len(quote) <= 80 else quote[:77] + "…"
            problems.append(("unverified_quote",
                             f"Citatet ”{shown}” står inte ordagrant i källorna."))
    if _unquoted_marks(text):
        problems.append(("unverified_quote", "Språkmodellens svar har ett citat som inte "
                                             "avslutas och inte kan kontrolleras."))
    for number in unsupported_numbers(text, sources):
        problems.append(("unsupported_number",
                         f"Uppgiften ”{number}” står inte i de citerade källorna."))
    return problems
