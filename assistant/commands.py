"""Core sub-commands: `index`, `ask`, `sections`."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from assistant.config import settings
from assistant.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    index = sub.add_parser("index", help="bygg sökindex över corpus/")
    index.add_argument("--rebuild", action="store_true", help="bygg om även om inget ändrats")
    index.set_defaults(func=run_index)

    ask = sub.add_parser("ask", help="ställ en fråga")
    ask.add_argument("question", nargs="?", help="frågan (utelämna med --jsonl)")
    out = ask.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    out.add_argument("--jsonl", action="store_true",
                     help="läs en fråga per rad från stdin, skriv ett JSON-objekt per rad")
    ask.add_argument("--scope", default="alla", help="Alla, A, B, C, C:<nyckel> eller fardplan")
    ask.add_argument("--date", default=None,
                     help="svara ur den version av avtalet som gäller detta datum (ÅÅÅÅ-MM-DD)")
    ask.set_defaults(func=run_ask)

    sections = sub.add_parser("sections", help="visa avsnittsträdet")
    sections.add_argument("--jsonl", action="store_true", help="ett JSON-objekt per rad")
    sections.set_defaults(func=run_sections)


def _disk_problem(error: OSError, folder: Path) -> str:
    """A Swedish sentence for a failed write: a read-only folder, a full disk, or other."""
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"mappen {folder} går inte att skriva till (skrivskyddad)."
    if error.errno == errno.ENOSPC:
        return f"disken där {folder} ligger är full."
    return f"ett fel vid läsning eller skrivning av filer ({type(error).__name__})."


def run_index(args: argparse.Namespace) -> int:
    from assistant.index import store

    config = settings()
    if store.is_current(config) and not args.rebuild:
        if config.chroma_url:  # make sure the Chroma server holds the live build's vectors
            from assistant.index.vectors import open_collection

            open_collection(config.chroma_url, store.current_build(config))
        from assistant.index.passage_cache import adopt_legacy

        adopt_legacy(config)  # an index built before the embedding store: its vectors join it
        print(f"Indexet är aktuellt: {store.current_build(config)}")
        return 0
    try:
        path = store.build(config, progress=True, force=args.rebuild)
    except UserError as error:
        raise UserError(f"Indexet kunde inte byggas: {error}"
                        + _kept_note(store.current_build(config))) from None
    except OSError as error:  # a read-only or full disk: say so, not just the error's name
        raise UserError(f"Indexet kunde inte byggas: {_disk_problem(error, config.index_dir)}"
                        + _kept_note(store.current_build(config))) from None
    except Exception as error:  # noqa: BLE001 - recorded in index/FAILED.json; no traceback
        raise UserError(f"Indexet kunde inte byggas ({type(error).__name__}; kör med -v för "
                        "detaljer)." + _kept_note(store.current_build(config))) from None
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"Index byggt på {manifest['seconds']} s: {manifest['sections']} avsnitt, "
          f"{manifest['chunks']} textbitar, {manifest['sentences']} meningar → {path}")
    for problem in manifest.get("skipped", []):
        print(f"Hoppade över: {problem}", file=sys.stderr)
    return 0


def _kept_note(path) -> str:
    return " Det förra indexet används tills vidare." if path else ""


def run_ask(args: argparse.Namespace) -> int:
    """Questions are checked (empty, too long, unreadable) before the model is loaded."""
    from assistant.answer.guard import check_question

    config = settings()
    if not args.jsonl:
        if args.question is None or not args.question.strip():
            raise UserError("Frågan är tom. Skriv en fråga inom citattecken, till exempel: "
                            'assistant ask "Vem betalar hjälpmedel till barn?"')
        check_question(args.question, config.max_question_chars)
        assistant = _load_assistant(warm=False)  # one question: loading is part of its time
        answer = assistant.ask(args.question, scope=args.scope, date=args.date)
        if args.json:
            _emit(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            _emit(_readable(answer))
        return 0
    return _ask_lines(_lazy(_load_assistant), args.scope, args.date, config.max_question_chars)


def _load_assistant(warm: bool = True):
    from assistant.service import Assistant

    # A CLI process answers and exits: an exact search over the saved chunk vectors answers
    # without opening Chroma (seconds of start-up).
    assistant = Assistant.load(progress=sys.stderr.isatty(), background=True, in_memory=True,
                               warm=warm)
    if assistant.index_notice:  # once per run, never per question
        print(f"Obs: {assistant.index_notice}", file=sys.stderr, flush=True)
    return assistant


def _lazy(load):
    """`load()` on first call, the same object after: an all-invalid batch loads no model."""
    loaded = []

    def get():
        if not loaded:
            loaded.append(load())
        return loaded[0]
    return get


def _emit(text: str) -> None:
    """Print `text` as valid UTF-8 whatever it holds (lone surrogates become U+FFFD)."""
    sys.stdout.buffer.write(safe_text(text).encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def safe_text(text: str) -> str:
    """`text` without what cannot be written as UTF-8 or shown on a terminal: surrogates
    (undecodable bytes of an argument) become U+FFFD, control characters other than line
    breaks and tabs are removed."""
    return "".join(
        "\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch
        for ch in text if ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0)
    )


NOT_UTF8 = ("Raden är inte giltig UTF-8 och kunde inte läsas. Spara frågorna som UTF-8 "
            "(t.ex. ”Spara som … UTF-8” i textredigeraren).")


def _ask_lines(assistant, scope: str, date: str | None, max_chars: int) -> int:
    """One JSON object per input line, in order; a bad line gets an error object, not a stop.

    Lines are read as bytes and decoded one by one, so a line that is not UTF-8 is answered
    with a Swedish error and the batch goes on. A line is a plain question, or a JSON object
    {"question", "history"?, "scope"?, "date"?} (DESIGN.md): the answer the chat gives at that
    point of a conversation. `assistant` is called to get the Assistant when a line passes
    the checks (so the model loads only when needed)."""
    from assistant.answer.guard import check_history, check_question

    for raw in sys.stdin.buffer:
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        question = raw.decode("utf-8", errors="replace")
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise UserError(NOT_UTF8) from None
            request = parse_request(line, scope, date)
            question = request["question"]
            check_question(question, max_chars)
            check_history(request.get("history"), max_chars)
            row = assistant().ask(**request).to_dict()
        except UserError as error:
            row = {"question": question[:max_chars], "answer": str(error), "abstained": True,
                   "citations": [], "latency_ms": 0.0, "error": str(error)}
        _emit(json.dumps(row, ensure_ascii=False))
    return 0


def parse_request(line: str, scope: str = "alla", date: str | None = None) -> dict:
    """One `ask --jsonl` line as keyword arguments of `Assistant.ask`."""
    if not line.lstrip().startswith("{"):
        return {"question": line, "scope": scope, "date": date}
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise UserError("Raden är inte giltig JSON. Skriv en fråga per rad, eller ett "
                        'JSON-objekt som {"question": "…", "history": ["…"]}.') from None
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise UserError('JSON-raden saknar "question" (en text).')
    history = data.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise UserError('"history" ska vara en lista med tidigare frågor (texter).')
    for key in ("scope", "date"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise UserError(f'"{key}" ska vara en text.')
    return {"question": data["question"], "history": history,
            "scope": data.get("scope") or scope, "date": data.get("date") or date}


def _readable(answer) -> str:
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Källor:")
    for n, c in enumerate(answer.citations, 1):
        where = " › ".join(x for x in (
            f"Del {c.part}" if c.part else c.document_title,
            c.agreement, f"{c.section} {c.title}" if c.section else c.title) if x)
        page = f", s. {c.page}" if c.page else ""
        lines.append(f"  [{n}] {where}{page}")
        if c.quote not in answer.answer:  # the answer already quotes it once
            lines.append(f"      ”{c.quote}”")
    lines.append(f"({answer.latency_ms:.0f} ms)")
    return "\n".join(lines)


def run_sections(args: argparse.Namespace) -> int:
    from assistant.ingest.structure import load_corpus

    problems: list[str] = []
    _, sections = load_corpus(settings().corpus_dir, problems)
    for problem in problems:  # once, before the tree
        print(f"Hoppade över: {problem}", file=sys.stderr)
    for section in sections:
        row = section.summary()
        if args.jsonl:
            _emit(json.dumps(row, ensure_ascii=False))
        else:
            number = f"{row['section']} " if row["section"] else ""
            _emit(f"{'  ' * (row['level'] - 1)}{number}{row['title']}  ({row['chars']} tecken)")
    return 0
