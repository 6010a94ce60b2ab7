"""One layout-agnostic tree builder: headings and their levels from the document's own evidence.

Used for every document whose manifest entry gives no layout hints (and for files without an
entry). The evidence, strongest first:
- printed numbers in the common Swedish styles (headings.parse_number): "1.", "1.1", "B.12",
  "§ 5", "IV."; containers ("Del A", "Bilaga 3", "Kapitel 2", "Överenskommelse om …") hold
  numbering that restarts inside them, and an unnumbered heading right before a restart at 1
  is such a container too (a number is unique only within its parent);
- for a PDF, the font: a line set larger than the body text, or bold where the body is not,
  is a heading, and bigger type sits higher in the tree;
- the table of contents and the PDF outline (titles that are headings);
- for text, a short line alone in its block (not repeated, not a "Label: value" line).
The table of contents itself is recognised and left out of the tree.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.ingest.clean import (
    HTML_TAG,
    LONE_BULLET,
    MARKDOWN_HEADING,
    READ_MORE,
    Line,
    body_font,
    collapse,
    is_bullet,
    join_broken,
    read_more_box,
    unmarked,
)
from assistant.ingest.headings import (
    AGREEMENT_WORD,
    ANY_NUMBERED,
    CONTAINERS,
    MAX_FIRST_LINE,
    MAX_INLINE_CHARS,
    NO_HEADING_END,
    Number,
    _next,
    _valid,
    after_finished,
    heading_at,
    parse_number,
)
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.toc import find_toc
from assistant.ingest.tree import Tree
from assistant.types import Section

# A line pointing elsewhere ("Se bilaga 3 …", "Se även rutin …") is a reference, not a heading.
REFERENCE = re.compile(r"^(?:Se|Läs)\s", re.IGNORECASE)
# A line at least this much larger than the body text (points) is set as a heading.
SIZE_STEP = 0.9
MAX_HEADING_CHARS = 160
MAX_HEADING_LINES = 3
MAX_STYLED_LINES = 5  # a long heading in large type wraps over more lines than in text
MAX_LINE_ALONE = 100  # a line alone in its block up to this long may be a heading (text)
MAX_RESTART_TITLE = 80  # "1 …" that restarts numbering is a heading, not a list's long item
MIN_STYLED_HEADINGS = 2
# Ranks: smaller sits higher. Parts above other containers above numbered headings.
PART_RANK, CONTAINER_RANK, HEADING_RANK, STEP = 0, 5, 10, 10
MIN_LISTED = 5  # numbered entries a table of contents needs to vouch for chapter numbers
MAX_COVER_GAP = 8  # lines between a part's cover heading and its numbered heading
MAX_NUMBER_JUMP = 3  # "7" may follow "4"; "45" after "4" is a number in the text


@dataclass
class Candidate:
    start: int
    end: int
    label: str  # the heading as printed (number and title)
    number: Number | None
    style: tuple[float, bool] | None = None
    markdown: int = 0
    container: bool = False
    part: str | None = None
    agreement: str | None = None
    rank: float | None = None  # None: one below the deepest open numbered heading (text)
    names: str | None = None  # the överenskommelse an "Överenskommelse om …" heading names
    opens_block: bool = False  # a blank line (or the document's start) right before it

    @property
    def title(self) -> str:
        if self.number is None or self.number.style == "part":
            return self.label
        return self.number.title or self.label

    @property
    def printed_number(self) -> str | None:
        if self.number is None or self.number.style == "part":
            return None
        return self.number.number


def fold(text: str) -> str:
    return collapse(text).casefold().strip(" .:")


def build_auto(doc: DocumentInfo, lines: list[Line], outline: list[str] | None = None,
               labels: dict[int, str] | None = None) -> list[Section]:
    """The section tree of one document from its lines (see the module docstring)."""
    lines = [Line(collapse(HTML_TAG.sub(" ", x.text)), x.page, x.lead, x.size, x.bold)
             for x in lines]
    toc_lines, entries = find_toc(lines)
    boxes = link_boxes(lines)
    not_text = toc_lines | {i for start, (_, end) in boxes.items() for i in range(start, end)}
    evidence = {fold(_without_number(t)) for t in [e.title for e in entries] + (outline or [])}
    body = body_style(lines)
    found = find_headings(lines, not_text, evidence, body)
    title_end = title_lines_end(lines, doc) if doc.origin == "text" else 0
    found = [c for c in found if not _front_matter(c, doc, toc_lines) and c.start >= title_end]
    found = check_numbering(found, toc_numbers(entries), evidence)
    found = merge_covers(found)
    assign_ranks(found, body is not None)
    return build_tree(doc, lines, found, not_text, labels, boxes)


def link_boxes(lines: list[Line]) -> dict[int, tuple[list[str], int]]:
    """"* L Ä S M E R" boxes (links to other documents): first line → (the documents they
    name, the index after the box). They are the section's references, not its text."""
    boxes: dict[int, tuple[list[str], int]] = {}
    i = 0
    while i < len(lines):
        if READ_MORE.match(lines[i].text):
            boxes[i] = read_more_box(lines, i)
            i = max(boxes[i][1], i + 1)
        else:
            i += 1
    return boxes


def _front_matter(candidate: Candidate, doc: DocumentInfo, toc_lines: set[int]) -> bool:
    """The document's own title, and lines of the title page before a table of contents,
    are the root's text, not sections."""
    if fold(candidate.label) == fold(doc.title):
        return True
    return bool(toc_lines) and candidate.start < min(toc_lines)


def title_lines_end(lines: list[Line], doc: DocumentInfo, within: int = 40) -> int:
    """For a document that named itself (no manifest entry): the index after the opening
    lines that print its title ("# RUTIN" / "Delegering"). What stands above and in them is
    the cover (issuer, document data), the root's text; 0 when the title is not printed."""
    title = fold(doc.title)
    for start in range(min(within, len(lines))):
        printed, end = "", start
        while end < len(lines) and lines[end].text:
            joined = fold(f"{printed} {unmarked(lines[end].text)}")
            if not title.startswith(joined):
                break
            printed, end = joined, end + 1
        if printed == title:
            return end
    return 0


def _without_number(text: str) -> str:
    number = parse_number(text)
    return number.title if number and number.style not in ("part",) and number.title else text


def body_style(lines: list[Line]) -> tuple[float, bool] | None:
    """The font of the body text (the most characters); None for text without fonts and for
    a PDF set in one font throughout (its headings are then read as in text)."""
    body = body_font(lines)
    if body is None:
        return None
    styled = sum(1 for x in lines if is_styled(x, body) and len(x.text) <= MAX_HEADING_CHARS)
    return body if styled >= MIN_STYLED_HEADINGS else None


def is_styled(line: Line, body: tuple[float, bool]) -> bool:
    if not line.size:
        return False
    return line.size >= body[0] + SIZE_STEP or (line.bold and not body[1]
                                                and line.size >= body[0] - 0.1)


def find_headings(lines: list[Line], toc_lines: set[int], evidence: set[str],
                  body: tuple[float, bool] | None) -> list[Candidate]:
    repeated = repeated_within_parts(lines)
    items = announced_items(lines) if body is None else set()
    found: list[Candidate] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if (i in toc_lines or line.blank or is_bullet(line.text) or i in items
                or READ_MORE.match(line.text) or _continues_line(lines, i)):
            i += 1
            continue
        candidate = (_styled_heading(lines, i, body, evidence)
                     if body is not None and not MARKDOWN_HEADING.match(line.text)
                     else _text_heading(lines, i, evidence, repeated))
        if candidate is None:
            i += 1
            continue
        if body is None:
            candidate = _with_name(lines, candidate)
        candidate.opens_block = i == 0 or lines[i - 1].blank
        _classify(candidate)
        if candidate.container and any(c.container and c.label == candidate.label
                                       for c in found):
            i = candidate.end  # a part's title repeated as a running header
            continue
        found.append(candidate)
        i = candidate.end
    return found


def announced_items(lines: list[Line]) -> set[int]:
    """Indexes of the short lines that a line ending in ":" announces ("… följande
    frågor:" / "Uppfylls målen?" / "Får individen insatserna?"): a list printed without
    bullet marks, one item a paragraph. The list ends at a long line, a line that goes on
    from the one above (a paragraph, not an item), a bullet, or a numbered or markdown line."""
    items: set[int] = set()
    listing = False
    for i, line in enumerate(lines):
        if line.blank:
            continue
        text = line.text
        if listing and (len(text) > MAX_LINE_ALONE or not lines[i - 1].blank or is_bullet(text)
                        or MARKDOWN_HEADING.match(text) or parse_number(text) is not None):
            listing = False
        if listing:
            items.add(i)
        else:
            listing = text.endswith(":")
    return items


def repeated_within_parts(lines: list[Line]) -> Counter:
    """How often each line recurs between two numbered lines ("Del A", "Bilaga 3", "6.2" …):
    a line printed again and again there is page furniture, while a heading such as "Syfte"
    or "Regionens ansvar" may recur once in every part or numbered section."""
    counts: Counter[tuple[int, str]] = Counter()
    part = 0
    for line in lines:
        if line.blank:
            continue
        if parse_number(line.text) is not None:
            part += 1
        counts[(part, line.text)] += 1
    repeated: Counter[str] = Counter()
    for (_, text), count in counts.items():
        repeated[text] = max(repeated[text], count)
    return repeated


def _with_name(lines: list[Line], candidate: Candidate) -> Candidate:
    """"Del C, Överenskommelse" whose name is printed on the next lines (text): the heading
    goes on over the short lines that follow, up to a blank line or a sentence."""
    number = candidate.number
    if number is None or number.style != "part":
        return candidate
    agreement = AGREEMENT_WORD.match(number.title)
    if agreement is None or agreement.group(1):
        return candidate
    end, label = candidate.end, candidate.label
    while (end < len(lines) and end - candidate.start < MAX_HEADING_LINES
           and not lines[end].blank and len(lines[end].text) <= MAX_FIRST_LINE
           and not lines[end].text.endswith(NO_HEADING_END)
           and parse_number(lines[end].text) is None):
        label = join_broken(label, lines[end].text)
        end += 1
    if end == candidate.end or (end < len(lines) and not lines[end].blank
                                and len(lines[end].text) <= MAX_FIRST_LINE):
        return candidate  # not a name cut by the line's end: short lines go on
    return Candidate(candidate.start, end, label, parse_number(label), candidate.style)


def _styled_heading(lines: list[Line], i: int, body: tuple[float, bool],
                    evidence: set[str]) -> Candidate | None:
    """A heading in a PDF: set in a heading font (or named by the table of contents)."""
    line = lines[i]
    known = fold(_without_number(line.text)) in evidence
    if not is_styled(line, body) and not known:
        return None
    end = i + 1
    # a heading the table of contents names ends there, unless its line goes on in lower
    # case ("6.3 Vård- och omsorgsboende" / "för personer med demenssjukdom")
    while (end < len(lines) and end - i < MAX_STYLED_LINES and not lines[end].blank
           and (lines[end].size, lines[end].bold) == (line.size, line.bold)
           and is_styled(lines[end], body) and parse_number(lines[end].text) is None
           and (not known or lines[end].text[:1].islower())):
        end += 1
    label = line.text
    for following in lines[i + 1:end]:
        label = join_broken(label, following.text)
    if len(label) > MAX_HEADING_CHARS or label.endswith(NO_HEADING_END):
        return None
    number = parse_number(label)
    title = number.title if number is not None and number.title else label
    # the table of contents may name the heading whole: "… åtar sig att se till att" ends
    # mid-phrase, as a sentence cut by the line's end would, but it is listed
    known = known or fold(_without_number(label)) in evidence
    if not known and not _valid(title, _next(lines, end)):  # "24. Hjälpmedel": no sentence
        return None
    return Candidate(i, end, label, number, style=(line.size or 0.0, line.bold))


def _text_heading(lines: list[Line], i: int, evidence: set[str],
                  repeated: Counter) -> Candidate | None:
    """A heading in text: markdown, numbered, or a short line alone in its block."""
    text = lines[i].text
    markdown = MARKDOWN_HEADING.match(text)
    if markdown:
        label = markdown.group(2).strip()
        return Candidate(i, i + 1, label, parse_number(label), markdown=len(markdown.group(1)))
    heading = heading_at(lines, i, pattern=ANY_NUMBERED, max_chars=MAX_LINE_ALONE, inline=True)
    if heading is None:
        if fold(_without_number(text)) in evidence and not text.endswith(NO_HEADING_END):
            return Candidate(i, i + 1, text, parse_number(text))
        return None
    if heading.number is not None and heading.title.startswith("§"):
        return None  # "7 § SoL": the rest of a law's citation ("… i 2 kap." / "7 § SoL")
    label = heading.label if heading.number is None else collapse(
        " ".join(unmarked(x.text) for x in lines[i:heading.end] if not x.blank))
    label = _joined(lines, i, heading.end) if heading.end > i + 1 else label
    number = parse_number(label)
    if (number is None and len(label) > MAX_FIRST_LINE and not _alone(lines, i, heading.end)
            and not _wrapped_subheading(lines, i, heading.end)):
        return None  # a long line is a heading only when blank lines set it apart
    if number is None:
        known = fold(label) in evidence
        listed = _introduces_list(lines, heading.end)
        if not known and (":" in label or repeated[text] > 1 or listed
                          or REFERENCE.match(label)):
            return None
    return Candidate(i, heading.end, label, number)


def _wrapped_subheading(lines: list[Line], start: int, end: int) -> bool:
    """A subheading inside running text wrapped once ("Hur vårdgivaren säkerställer
    spårbarhet av signaturer" / "samt signaturförtydligande"): two short lines, the second
    going on in lower case, right after a finished sentence."""
    return (end - start == 2 and after_finished(lines, start)
            and lines[start + 1].text[:1].islower()
            and len(lines[start + 1].text) <= MAX_INLINE_CHARS)


def _alone(lines: list[Line], start: int, end: int) -> bool:
    before = start == 0 or lines[start - 1].blank
    return before and (end >= len(lines) or lines[end].blank)


def _introduces_list(lines: list[Line], end: int) -> bool:
    """A short line right before bullets introduces them; it is not a heading. (A blank
    line between sets a heading apart from the list under it.)"""
    return end < len(lines) and is_bullet(lines[end].text)


def _continues_line(lines: list[Line], i: int) -> bool:
    """Line i goes on from the line right above it, whatever its markup: the item of a
    bullet printed alone on its line ("•" / "Avvikelser"), or the rest of a phrase cut after
    a comma ("Förfrågningsunderlag," / "## FFU" in a flattened table)."""
    if i == 0 or lines[i - 1].blank:
        return False
    above = lines[i - 1].text
    return bool(LONE_BULLET.match(above)) or above.endswith(",")


def _joined(lines: list[Line], start: int, end: int) -> str:
    texts = [x.text for x in lines[start:end] if not x.blank]
    label = texts[0]
    for text in texts[1:]:
        label = join_broken(label, unmarked(text))
    return label


def _classify(candidate: Candidate) -> None:
    """Containers: parts ("Del C, Överenskommelse …"), bilagor, kapitel, överenskommelser."""
    number = candidate.number
    if number is not None and number.style in CONTAINERS:
        candidate.container = True
        if number.style == "part":
            candidate.part = number.number
            agreement = AGREEMENT_WORD.match(number.title)
            if agreement and agreement.group(1):
                candidate.agreement = collapse(agreement.group(1))
        return
    agreement = AGREEMENT_WORD.match(candidate.label) if number is None else None
    if agreement and agreement.group(1) and len(candidate.label.split()) >= 3:
        candidate.names = collapse(agreement.group(1))  # a container if it ranks at the top


def merge_covers(found: list[Candidate]) -> list[Candidate]:
    """A cover heading that names the part starting a few lines later ("Samverkan vid in- och
    utskrivning …" above "Del C, Överenskommelse Samverkan vid in- och utskrivning …") opens
    that part: the part begins at its cover, not inside the part before."""
    merged: list[Candidate] = []
    skip: set[int] = set()
    for n, candidate in enumerate(found):
        if n in skip:
            continue
        following = found[n + 1] if n + 1 < len(found) else None
        if (following is not None and following.container and candidate.number is None
                and not candidate.container and following.start - candidate.end <= MAX_COVER_GAP
                and fold(candidate.label) in fold(following.label)):
            merged.append(Candidate(
                candidate.start, candidate.end, following.label, following.number,
                candidate.style, candidate.markdown, True, following.part, following.agreement,
                names=following.names))
            skip.add(n + 1)
            continue
        merged.append(candidate)
    return merged


def toc_numbers(entries) -> set[str]:
    """The numbers a table of contents lists ("1", "2.3", "B.4")."""
    numbers = (parse_number(e.title) for e in entries)
    return {n.number for n in numbers if n is not None and n.style in ("decimal", "letter")}


def check_numbering(found: list[Candidate], listed: set[str] = frozenset(),
                    evidence: set[str] = frozenset()) -> list[Candidate]:
    """Keep numbered headings whose numbers follow in their container; a restart at 1 right
    after an unnumbered heading makes that heading a container (in a PDF, or when it names an
överenskommelse); other strays are text. Where
    a table of contents lists the chapters, a chapter number it does not list is text too."""
    kept: list[Candidate] = []
    last: dict[str, tuple] = {}
    # the title of the last number kept in each family, and whether it was set apart
    titles: dict[str, tuple[str, bool]] = {}
    pending: Candidate | None = None
    for n, candidate in enumerate(found):
        number = candidate.number
        if candidate.container:
            last, pending = {}, None
            kept.append(candidate)
            continue
        if number is None:
            pending = candidate
            kept.append(candidate)
            continue
        family, key = number.family, number.key
        known = fold(number.title) in evidence
        if (len(listed) >= MIN_LISTED and number.style in ("decimal", "letter")
                and number.depth == 1 and number.number not in listed
                and candidate.style is None):
            continue
        if key in ((1,), (1, 1)) and pending is not None and pending.names:
            pending.container, pending.agreement = True, pending.names
            last = {}  # "Överenskommelse om …" and its numbering from 1
        previous = last.get(family)
        near = candidate.style is not None or key[0] <= previous[0] + MAX_NUMBER_JUMP \
            if previous is not None else True
        # the same number printed again over another title, both set apart as headings are
        # (a numbering slip): both are headings. A list's item runs on from the line above.
        title, apart = titles.get(family, (None, False))
        again = (key == previous and title not in (None, fold(number.title)) and apart
                 and (candidate.opens_block or candidate.style is not None))
        if previous is None or (key > previous and near) or (key == previous and known) or again:
            if (previous is None and key[0] > MAX_NUMBER_JUMP and number.style == "decimal"
                    and candidate.style is None and key[1:] != (1,)
                    and not _next_in_outline(found[n + 1:], number)):
                continue  # in text numbering starts low: "45 kommuner" is a sentence
            last[family] = key
            titles[family] = (fold(number.title), candidate.opens_block or bool(candidate.style))
        elif (key in ((1,), (1, 1)) and pending is not None
              and len(number.title) <= MAX_RESTART_TITLE
              and ((pending.style is not None and candidate.style is not None)
                   or outline_goes_on(found[n + 1:], number))):
            # A restart at 1 under an unnumbered heading: a new part. In a PDF the heading
            # set in type shows it; in text a list numbered from 1 is as likely, so there the
            # numbering must go on one level deeper ("1", then "1.1"), as a list's does not.
            pending.container, pending.agreement = True, pending.names
            last, titles = {family: key}, {family: (fold(number.title), True)}
        else:
            continue
        pending = None
        kept.append(candidate)
    return kept


def outline_goes_on(rest: list[Candidate], number: Number) -> bool:
    """Is the next number of the same family one level below `number` ("1" → "1.1",
    "1.1" → "1.1.1")? An outline restarting at 1 does that; a list numbered 1, 2, 3 does not."""
    following = next((c.number for c in rest
                      if c.number is not None and c.number.family == number.family), None)
    return following is not None and following.key == number.key + (1,)


def _next_in_outline(rest: list[Candidate], number: Number) -> bool:
    """Is the next number of the same family the one after `number` at its depth ("8.2.1" →
    "8.2.2")? Then a numbering that starts high ("8.2.1" where "1"–"8.2" lost their numbers)
    is an outline, not a figure at a line's start."""
    following = next((c.number for c in rest
                      if c.number is not None and c.number.family == number.family), None)
    key = number.key
    return (following is not None and len(key) >= 2
            and following.key == key[:-1] + (key[-1] + 1,))


def assign_ranks(found: list[Candidate], styled: bool) -> None:
    """Smaller rank = higher in the tree. In a PDF bigger type ranks higher; numbers deepen."""
    heading_styles = sorted({c.style for c in found if c.style and not c.container},
                            key=lambda s: (-s[0], not s[1]))
    order = {style: n for n, style in enumerate(heading_styles)}
    within_agreement = False  # inside a part that names its överenskommelse ("Del C, Ö… X")
    for candidate in found:
        if candidate.container and (candidate.part or candidate.agreement):
            within_agreement = bool(candidate.agreement)
        if candidate.names and order.get(candidate.style) == 0 and not within_agreement:
            # an "Överenskommelse om …" heading in the top type opens an agreement, but
            # agreements do not nest: inside one it is a heading ("… om kostnadsansvar")
            candidate.container, candidate.agreement = True, candidate.names
        number = candidate.number
        if candidate.container:
            candidate.rank = PART_RANK if candidate.part else CONTAINER_RANK
        elif candidate.markdown:
            candidate.rank = HEADING_RANK + STEP * (candidate.markdown - 1)
        elif styled and candidate.style in order:
            depth = number.depth if number else 1
            candidate.rank = HEADING_RANK + STEP * order[candidate.style] + (depth - 1)
        elif number is not None:
            candidate.rank = HEADING_RANK + STEP * (number.depth - 1)
        else:
            candidate.rank = None
    if not styled:
        for candidate in implied_chapters(found):
            candidate.rank = HEADING_RANK
    else:
        inside_numbered_chapters(found)


def inside_numbered_chapters(found: list[Candidate]) -> None:
    """In a PDF whose chapters are numbered, an unnumbered heading set like a chapter heading
    between chapter N and chapter N+1 is inside chapter N (the numbering says it is no
    chapter): it ranks just below the numbered heading before it."""
    chapter: Candidate | None = None
    latest: Candidate | None = None
    for n, candidate in enumerate(found):
        if candidate.container:
            chapter = latest = None
            continue
        number = candidate.number
        if number is not None and number.style in ("decimal", "letter"):
            latest = candidate
            if number.depth == 1:
                chapter = candidate
            continue
        if (number is not None or chapter is None or latest is None
                or candidate.style != chapter.style or candidate.markdown):
            continue
        if _chapter_follows(found[n + 1:], chapter):
            candidate.rank = latest.rank + 0.5


def _chapter_follows(rest: list[Candidate], chapter: Candidate) -> bool:
    """Does numbering go on with a later chapter of the same family before the part ends?"""
    for candidate in rest:
        if candidate.container:
            return False
        number = candidate.number
        if (number is not None and number.family == chapter.number.family
                and number.depth == 1 and number.key > chapter.number.key):
            return True
    return False


def implied_chapters(found: list[Candidate]) -> list[Candidate]:
    """Unnumbered headings that stand for chapter numbers the document never prints: in a
    part whose numbered headings all sit at depth 2 or deeper ("3.1", "5.2" under "Syfte",
    "Lagstiftning"), an unnumbered heading is a chapter when no numbered heading comes before
    it, when "N.1" follows it directly, or when the chapter numbers skipped between the
    numbered headings around it leave room for it; at the end of the part, when the document
    uses its title as a chapter elsewhere. Otherwise it is a subheading of the one before."""
    parts: list[list[Candidate]] = [[]]
    for candidate in found:
        if candidate.container:
            parts.append([])
        else:
            parts[-1].append(candidate)
    implied = [p for p in parts if _chapters_unnumbered(p)]
    top = {fold(c.label) for p in parts if p not in implied for c in p if c.number is None}
    chapters: list[Candidate] = []
    for part in implied:
        ends: list[Candidate] = []
        sub: set[str] = set()
        for run, before, after in _runs(part):
            if before is None:
                chapters.extend(run)
                continue
            if after is None:
                ends.extend(run)
                continue
            first = after.number.key[1:] == (1,)
            gap = after.number.key[0] - before.number.key[0] - 1
            if gap >= len(run) - first:
                chapters.extend(run)
            else:
                chapters.extend(run[-1:] if first else [])
                sub |= {fold(c.label) for c in (run[:-1] if first else run)}
        chapters.extend(c for c in ends if fold(c.label) in top and fold(c.label) not in sub)
    return chapters


def _chapters_unnumbered(part: list[Candidate]) -> bool:
    numbered = [c for c in part if c.number is not None and c.number.style == "decimal"]
    return bool(numbered) and all(c.number.depth >= 2 for c in numbered)


def _runs(part: list[Candidate]):
    """Runs of unnumbered headings with the decimal-numbered headings around them."""
    before: Candidate | None = None
    run: list[Candidate] = []
    for candidate in part:
        if candidate.number is None and not candidate.markdown:
            run.append(candidate)
        elif candidate.number is not None and candidate.number.style == "decimal":
            if run:
                yield run, before, candidate
            before, run = candidate, []
    if run:
        yield run, before, None


def build_tree(doc: DocumentInfo, lines: list[Line], found: list[Candidate],
               toc_lines: set[int], labels: dict[int, str] | None,
               boxes: dict[int, tuple[list[str], int]] | None = None) -> list[Section]:
    tree = Tree(doc)
    first_page = next((x.page for x in lines if x.page is not None), None)
    tree.open(1, None, doc.title, None, None, page=first_page)
    starts = {c.start: c for c in found}
    stack: list[Candidate] = []
    i = 0
    while i < len(lines):
        candidate = starts.get(i)
        if candidate is not None:
            rank = candidate.rank
            if rank is None:
                numbered = [c.rank for c in stack if c.number is not None and c.rank is not None]
                rank = (numbered[-1] if numbered else HEADING_RANK - 1) + 1
            while stack and stack[-1].rank >= rank:
                stack.pop()
            candidate.rank = rank
            part = next((c.part for c in reversed(stack) if c.part), None)
            agreement = next((c.agreement for c in reversed(stack) if c.agreement), None)
            tree.open(len(stack) + 2, candidate.printed_number, candidate.title,
                      candidate.part or part, candidate.agreement or agreement,
                      page=lines[i].page)
            stack.append(candidate)
            i = candidate.end
            continue
        if boxes and i in boxes:
            tree.current.section.references.extend(boxes[i][0])
        if i not in toc_lines and not _repeats_open_heading(lines[i], stack):
            tree.current.lines.append(lines[i])
        i += 1
    return tree.finish(labels)


def _repeats_open_heading(line: Line, stack: list[Candidate]) -> bool:
    """A running header repeating the heading of the part the page belongs to."""
    return bool(line.text) and any(line.text == c.label for c in stack)
