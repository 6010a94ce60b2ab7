"""What a document says about itself: its title, its kind and the period it is valid for.

Used for files without a manifest entry (the manifest only overrides). Validity is read from
phrases such as "gäller från och med 1 januari 2023 till och med 31 december 2026", "under
perioden 2023-01-01 – 2026-12-31" or "gäller 2023–2026".
"""

from __future__ import annotations

import re

from assistant.ingest.clean import MARKDOWN_HEADING, Line, body_font, collapse, unmarked

MONTHS = {name: n for n, name in enumerate(
    ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
     "oktober", "november", "december"), start=1)}
ISO = r"(?:19|20)\d\d-[01]\d-[0-3]\d"
WRITTEN = r"\d{1,2}\s+(?:" + "|".join(MONTHS) + r")\s+(?:19|20)\d\d"
DATE = f"(?:{ISO}|{WRITTEN})"
YEAR = r"(?:19|20)\d\d"
DASH = r"\s*(?:[-–—]|till\s+och\s+med|t\.\s?o\.\s?m\.?|till)\s*"
VALID_CUE = r"(?:gäller|giltig\w*|giltighetstid|period\w*|avtalstid\w*|avtalsperiod\w*)"
# Cue, then at most a few words, then a range of dates or of years.
DATE_RANGE = re.compile(
    VALID_CUE + r"[^.\n]{0,60}?(?:från\s+och\s+med\s+|fr\.\s?o\.\s?m\.?\s+)?(" + DATE + ")"
    + DASH + "(" + DATE + ")", re.IGNORECASE)
YEAR_RANGE = re.compile(VALID_CUE + r"[^.\n]{0,40}?\b(" + YEAR + r")\s*[-–—]\s*(" + YEAR
                        + r")\b", re.IGNORECASE)
FROM_ONLY = re.compile(VALID_CUE + r"[^.\n]{0,40}?från\s+och\s+med\s+(" + DATE + ")",
                       re.IGNORECASE)
# Kinds by the words a document's title or opening uses, most specific first.
KINDS = (
    ("överenskommelse", "överenskommelse"), ("avtal", "avtal"), ("riktlinje", "riktlinje"),
    ("rutin", "rutin"), ("strategi", "strategi"), ("färdplan", "strategi"),
    ("policy", "policy"), ("protokoll", "protokoll"), ("tjänsteskrivelse", "tjänsteskrivelse"),
    ("minnesanteckning", "minnesanteckning"), ("presentation", "presentation"),
)
OPENING_CHARS = 3000
MAX_TITLE_CHARS = 160
MAX_TITLE_LINES = 5  # a title wraps over at most this many lines of a cover page
# A word printed with its letters spaced out ("A V T A L") is cover decoration, not a title.
LETTER_SPACED = re.compile(r"\w(?: \w){2,}")
# Nor is an identifier (one token holding a digit: a diary number "KSL/12/0177", a page label
# "1(7)"), a line of document data ("Dokumentet är beslutat av: …") or a rule ("---").
IDENTIFIER = re.compile(r"^\S*\d\S*$")
DATA_LINE = re.compile(r"^[^:]{1,40}:(?:\s|$)|^-{3,}$")
OPENING_LINES = 15  # a text file's title stands among its first lines
TITLE_STEP = 0.9  # points above the body's size that set a line apart as a title
FILE_NAME = re.compile(r"\.(?:docx?|odt|pdf|rtf|txt)$", re.IGNORECASE)


def iso_date(text: str) -> str:
    """A date as YYYY-MM-DD, from ISO or written Swedish form ("1 januari 2023")."""
    text = collapse(text).lower()
    if re.fullmatch(ISO, text):
        return text
    day, month, year = text.split()
    return f"{year}-{MONTHS[month]:02d}-{int(day):02d}"


def validity(text: str) -> tuple[str | None, str | None]:
    """(valid_from, valid_to) as YYYY-MM-DD, from the first phrase that states them."""
    text = collapse(text)
    match = DATE_RANGE.search(text)
    if match:
        return iso_date(match.group(1)), iso_date(match.group(2))
    match = YEAR_RANGE.search(text)
    if match and match.group(1) <= match.group(2):
        return f"{match.group(1)}-01-01", f"{match.group(2)}-12-31"
    match = FROM_ONLY.search(text)
    if match:
        return iso_date(match.group(1)), None
    return None, None


def kind_of(title: str, opening: str) -> str:
    """The document's kind from its title, else from its opening text."""
    for text in (title, opening[:OPENING_CHARS]):
        folded = text.casefold()
        found = [(folded.find(word), kind) for word, kind in KINDS if word in folded]
        if found:
            return min(found)[1]
    return "övrigt"


def without_blank(title: str) -> str:
    """A title without the blank a template leaves to fill in, and the "och" before it
    ("… Familjeläkarna i Saltsjöbaden och ______")."""
    if not re.search(r"_{3,}\s*$", title):
        return title
    return re.sub(r"(?:\s+(?:och|samt))?[\s_.]*$", "", title)


def complete_title(title: str, lines: list[Line]) -> str:
    """A title cut after a word that cannot end it ("… läkarinsatser mellan"), as a PDF's
    metadata or its first line may give it, goes on with the document's next line (without
    the blank to fill in: "och ______")."""
    from assistant.ingest.headings import DANGLING

    title = without_blank(title)
    words = title.split()
    if not words or words[-1].casefold() not in DANGLING:
        return title
    texts = [collapse(x.text) for x in lines if x.text.strip()][:40]
    for n, text in enumerate(texts[:-1]):
        if text == collapse(title):
            rest = re.sub(r"[\s_.]*$", "", texts[n + 1])
            rest = re.sub(r"\s+\S+$", "", rest) if rest.endswith(("och", "samt")) else rest
            joined = collapse(f"{title} {rest}")
            return joined if rest and len(joined) <= MAX_TITLE_CHARS else title
    return title


def title_from_lines(lines: list[Line]) -> str | None:
    """The first page's most prominent line (largest font; for text the first line that may
    be a title, see `_text_title_line`), with the lines of the same font right after it."""
    first = [x for x in lines if x.text and not LETTER_SPACED.fullmatch(collapse(x.text))][:40]
    if not first:
        return None
    page = first[0].page
    first = [x for x in first if x.page == page] or first
    sized = [x for x in first if x.size and not IDENTIFIER.match(collapse(x.text))]
    body = (body_font(lines) or (0.0, False))[0]
    if sized and max(x.size for x in sized) < body + TITLE_STEP:
        sized = []  # a cover set in the body's type: its title is found as in text
    if sized:
        top = max(sized, key=lambda x: x.size)
        start = lines.index(top)
        parts = [top.text]
        for line in lines[start + 1:start + 4]:
            if not line.text or (line.size, line.bold) != (top.size, top.bold):
                break
            parts.append(line.text)
        title = collapse(" ".join(parts))
    else:  # a text file: its first line, or the first line a converter marked "# "
        start = lines.index(_text_title_line(first))
        title = _named_after_kind(unmarked(lines[start].text), lines, start)
        title = _wrapped_on(title, lines, start)
    return title if len(title) <= MAX_TITLE_CHARS else None


def plausible_title(title: str) -> bool:
    """Can a title a PDF's metadata gives name the document? Not a letter-spaced cover word
    ("A V T A L"), an identifier ("KSL/12/0177") or a file name ("Microsoft Word - x.docx")."""
    text = collapse(title)
    return bool(text) and not (LETTER_SPACED.fullmatch(text) or IDENTIFIER.match(text)
                               or FILE_NAME.search(text))


def _text_title_line(first: list[Line]) -> Line:
    """The line of a text file that holds its title: among the opening lines that may be a
    title, the first one a converter marked as a top heading ("# RUTIN"), else the first."""
    opening = [x for x in first[:OPENING_LINES] if _may_be_title(x.text)]
    marked = next((x for x in opening if (m := MARKDOWN_HEADING.match(x.text))
                   and len(m.group(1)) == 1), None)
    return marked or (opening[0] if opening else first[0])


def _may_be_title(text: str) -> bool:
    text = unmarked(collapse(text))
    return bool(text) and not IDENTIFIER.match(text) and not DATA_LINE.match(text)


def _is_kind_word(title: str) -> bool:
    return collapse(title).casefold() in {word for word, _ in KINDS}


def _named_after_kind(title: str, lines: list[Line], start: int) -> str:
    """A title that is only the document's kind ("RUTIN", "Riktlinje") goes on with the name
    printed below it ("RUTIN" / "Delegering")."""
    if not _is_kind_word(title):
        return title
    following = next((x for x in lines[start + 1:start + MAX_TITLE_LINES] if x.text), None)
    if following is None or not _may_be_title(following.text):
        return title
    name = unmarked(collapse(following.text))
    return f"{title} {name}" if len(name) <= MAX_TITLE_CHARS // 2 else title


def _wrapped_on(title: str, lines: list[Line], start: int) -> str:
    """A title set over several lines of a cover ("Sammanhållen" / "överenskommelse om" /
    "vård och omsorg för" / "äldre"): the lines right below it that begin in lower case
    continue it, and so does a line after one that ends mid-phrase ("… mellan" /
    "Stockholmsläns landsting och" / "kommunerna i Stockholms län"), without the blank to
    fill in ("Familjeläkarna i Saltsjöbaden och ______" ends the title before "och")."""
    from assistant.ingest.headings import DANGLING

    texts = [collapse(x.text) for x in lines[start + 1:start + MAX_TITLE_LINES]]
    for n, text in enumerate(texts):
        cut = title.split()[-1].casefold() in DANGLING
        if not text or not (text[:1].islower() or (cut and text[:1].isupper())):
            break
        text = re.sub(r"[\s_.]*$", "", text) if cut else text
        if not text or len(title) + len(text) >= MAX_TITLE_CHARS:
            break
        title = f"{title} {text}"
        following = texts[n + 1] if n + 1 < len(texts) else ""
        if title.endswith((" och", " samt")) and not following[:1].islower():
            return title.rsplit(" ", 1)[0]
    return title
