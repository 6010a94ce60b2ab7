"""Load and validate question files (format in docs/DESIGN.md) into typed records.

Every problem is reported in Swedish with the item and field it concerns, all at once, so a
person fixing a file of a hundred questions sees every mistake in one run, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import UserError

QUESTION_TYPES = (
    "numeric",
    "responsibility",
    "definition",
    "procedure",
    "multi",
    "strategy",
    "context",
    "out_of_scope",
    "adversarial",
)
# Types that may (out_of_scope: must) have no gold: the right behaviour is to decline.
GOLDLESS_TYPES = ("out_of_scope", "adversarial")
DOCUMENTS = ("agreement", "fardplan", "memo", "context")
PARTS = ("A", "B", "C")
# The question-file keys of the four överenskommelser of the shipped agreement (their titles
# live in corpus/manifest.yaml). Any other document id, part or key may be named too: it is
# resolved against the index (assistant.ingest.scopes), not against these constants.
AGREEMENT_KEYS = ("lakarmedverkan", "in_utskrivning", "psykisk_missbruk", "munhalsa")
_ID_SHAPE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_PART_SHAPE = re.compile(r"^[A-ZÅÄÖ0-9]{1,3}$")

_QUESTION_FIELDS = {"id", "question", "type", "gold", "key_facts", "note", "history", "turn"}
# Where a question stands in its conversation: asked first, continuing the turn before it,
# or changing the topic. Derived when not given: no history → first, else follow_up.
TURNS = ("first", "follow_up", "topic_switch")
_GOLD_FIELDS = {"document", "part", "agreement", "section", "title", "source"}
_MAX_PROBLEMS_SHOWN = 25


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps numbers like 9.10 as text: section numbers are printed labels."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class QuestionFileError(UserError):
    """A question file that cannot be used; the message lists every problem found."""


@dataclass(frozen=True)
class GoldRef:
    """One acceptable citation for a question, as written in the question file."""

    document: str
    part: str | None = None
    agreement: str | None = None
    section: str | None = None
    title: str | None = None
    source: str | None = None

    def label(self) -> str:
        """Short Swedish label for reports: "Del B › B.9 Läkemedel"."""
        where = {
            "agreement": f"Del {self.part}" if self.part else "Avtalet",
            "fardplan": "Färdplan",
            "memo": "Tjänsteskrivelse",
            "context": f"Kontext ({self.source})" if self.source else "Kontext",
        }.get(self.document, self.document)  # any other document: its id
        if self.agreement:
            where += f" › {self.agreement}"
        heading = " ".join(x for x in (self.section, self.title) if x)
        return f"{where} › {heading}" if heading else where


@dataclass(frozen=True)
class Question:
    """One evaluation question with its gold citations and the facts a right answer states."""

    id: str
    question: str
    type: str
    gold: tuple[GoldRef, ...] = ()
    key_facts: tuple[str, ...] = ()
    note: str = ""
    history: tuple[str, ...] = ()  # earlier questions of its conversation, oldest first
    turn: str = "first"

    @property
    def answerable(self) -> bool:
        """Questions with gold are scored on citations and facts; the rest on declining."""
        return bool(self.gold)


def load_questions(path: Path) -> list[Question]:
    """Read and validate a question file; raise QuestionFileError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionFileError(f"frågefilen {path} finns inte.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(f"kan inte läsa frågefilen {path}: {error}") from None
    return parse_questions(text, source=str(path))


def parse_questions(text: str, source: str = "frågefilen",
                    documents: Collection[str] | None = None) -> list[Question]:
    """Parse YAML text of a question file (see load_questions). A gold `document` may be one
    of DOCUMENTS or any id in `documents` (default: the documents of the project's corpus)."""
    known = set(documents) if documents is not None else corpus_documents()
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (rad {mark.line + 1}, kolumn {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "ogiltig YAML"
        raise QuestionFileError(f"{source}: felaktig YAML{where}: {problem}.") from None
    if not isinstance(data, list) or not data:
        raise QuestionFileError(
            f"{source}: filen ska vara en YAML-lista med minst en fråga (- id: …, question: …)."
        )
    problems: list[str] = []
    questions: list[Question] = []
    seen: set[str] = set()
    for number, item in enumerate(data, start=1):
        question = _parse_item(item, number, problems, known)
        if question is None:
            continue
        if question.id in seen:
            problems.append(f'fråga {number} ({question.id}), fält "id": id:t finns redan.')
        seen.add(question.id)
        questions.append(question)
    if problems:
        raise QuestionFileError(_problem_message(source, problems))
    return questions


def _problem_message(source: str, problems: list[str]) -> str:
    shown = problems[:_MAX_PROBLEMS_SHOWN]
    lines = [f"{source}: {len(problems)} fel i frågefilen:"] + [f"  - {p}" for p in shown]
    if len(problems) > len(shown):
        lines.append(f"  … och {len(problems) - len(shown)} till.")
    return "\n".join(lines)


def _parse_item(item: Any, number: int, problems: list[str],
                known: set[str] = frozenset()) -> Question | None:
    if not isinstance(item, dict):
        problems.append(f"fråga {number}: ska vara en mappning (id, question, type, gold).")
        return None
    raw_id = item.get("id")
    name = f"fråga {number} ({raw_id})" if raw_id is not None else f"fråga {number}"
    before = len(problems)

    def bad(field_name: str, message: str) -> None:
        problems.append(f'{name}, fält "{field_name}": {message}')

    for unknown in sorted(set(item) - _QUESTION_FIELDS, key=str):
        bad(str(unknown), f"okänt fält (tillåtna: {', '.join(sorted(_QUESTION_FIELDS))}).")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    for required in ("id", "question", "type"):
        value = raw_id if required == "id" else item.get(required)
        if not _nonempty_str(value):
            bad(required, "saknas eller är tomt (ska vara text).")
    qtype = item.get("type")
    if _nonempty_str(qtype) and qtype not in QUESTION_TYPES:
        bad("type", f'okänd frågetyp "{qtype}" (tillåtna: {", ".join(QUESTION_TYPES)}).')

    known_type = qtype in QUESTION_TYPES
    gold_raw = item.get("gold")
    if gold_raw is None and known_type and qtype not in GOLDLESS_TYPES:
        bad("gold", "saknas (en lista med godtagbara källhänvisningar).")
    gold: list[GoldRef] = []
    if gold_raw is not None and not isinstance(gold_raw, list):
        bad("gold", "ska vara en lista.")
    elif gold_raw:
        for index, entry in enumerate(gold_raw, start=1):
            ref = _parse_gold(entry, lambda f, m, i=index: bad(f"gold[{i}].{f}", m), known)
            if ref is not None:
                gold.append(ref)
    if qtype == "out_of_scope" and gold_raw:
        bad("gold", "ska vara tom ([]) för out_of_scope.")
    elif known_type and qtype not in GOLDLESS_TYPES and gold_raw == []:
        bad("gold", "är tom; bara out_of_scope och adversarial får sakna guldkälla.")
    if qtype == "multi" and isinstance(gold_raw, list) and len(gold_raw) < 2:
        bad("gold", "multi-frågor ska ha minst två guldkällor (alla behövs).")

    facts_raw = item.get("key_facts", [])
    if facts_raw is None:
        facts_raw = []
    if not isinstance(facts_raw, list) or not all(_nonempty_str(f) for f in facts_raw):
        bad("key_facts", "ska vara en lista med icke-tomma texter.")
        facts_raw = []
    if facts_raw and not gold_raw:
        bad("key_facts", "nyckelfakta kräver en guldkälla att hämtas ur.")
    note = item.get("note") or ""
    if not isinstance(note, str):
        bad("note", "ska vara text.")
        note = ""

    history = item.get("history") or []
    if not isinstance(history, list) or not all(_nonempty_str(h) for h in history):
        bad("history", "ska vara en lista med tidigare frågor (texter), äldst först.")
        history = []
    turn = item.get("turn") or ("follow_up" if history else "first")
    if turn not in TURNS:
        bad("turn", f'okänt läge "{turn}" (tillåtna: {", ".join(TURNS)}).')
    elif history and turn == "first" or not history and turn != "first":
        bad("turn", "first gäller frågor utan history; follow_up och topic_switch kräver history.")

    if len(problems) > before:
        return None
    return Question(
        id=raw_id.strip(),
        question=item["question"].strip(),
        type=qtype,
        gold=tuple(gold),
        key_facts=tuple(f.strip() for f in facts_raw),
        note=note.strip(),
        history=tuple(" ".join(h.split()) for h in history),
        turn=turn,
    )


def corpus_documents() -> set[str]:
    """Ids of the documents in the project's corpus (manifest entries and unlisted files)."""
    from assistant.config import settings
    from assistant.ingest.manifest import load_manifest

    try:
        return {doc.id for doc in load_manifest(settings().corpus_dir)}
    except (UserError, OSError):
        return set()


def _parse_gold(entry: Any, bad, known: set[str] = frozenset()) -> GoldRef | None:
    if not isinstance(entry, dict):
        bad("", "ska vara en mappning {document: …, part: …, section: …, title: …}.")
        return None
    count = 0

    def fail(field_name: str, message: str) -> None:
        nonlocal count
        count += 1
        bad(field_name, message)

    for unknown in sorted(set(entry) - _GOLD_FIELDS, key=str):
        fail(str(unknown), f"okänt fält (tillåtna: {', '.join(sorted(_GOLD_FIELDS))}).")
    for key in ("part", "agreement", "section", "title", "source"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str | int | float):
            fail(key, "ska vara text eller null.")
    document = entry.get("document")
    part = _text(entry.get("part"))
    agreement = _text(entry.get("agreement"))
    section = _text(entry.get("section"))
    title = _text(entry.get("title"))
    source = _text(entry.get("source"))
    named = isinstance(document, str) and document not in DOCUMENTS and document in known
    if document not in DOCUMENTS and not named:
        fail("document", f'okänt dokument "{document}" (tillåtna: {", ".join(DOCUMENTS)} '
             "eller ett dokument-id i indexet).")
    if part is not None and not (part in PARTS or (named and _PART_SHAPE.match(part))):
        fail("part", f'okänd del "{part}" (tillåtna: A, B, C eller null).')
    if part is not None and document not in ("agreement",) and not named:
        fail("part", "del (A/B/C) finns bara för document: agreement.")
    if agreement is not None and agreement not in AGREEMENT_KEYS and not (
            named and _ID_SHAPE.match(agreement.lower())):
        fail(
            "agreement",
            f'okänd överenskommelse "{agreement}" (tillåtna: {", ".join(AGREEMENT_KEYS)}).',
        )
    if agreement is not None and part != "C" and not named:
        fail("agreement", "överenskommelse anges bara för part: C.")
    if part == "C" and agreement is None and not named:
        fail("agreement", f"saknas för del C (en av {', '.join(AGREEMENT_KEYS)}).")
    if section is None and title is None:
        fail("title", "ange section eller title (eller båda).")
    if source is not None and document != "context" and not named:
        fail("source", "källfil anges bara för document: context.")
    if count:
        return None
    return GoldRef(document, part, agreement, section, title, source)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
