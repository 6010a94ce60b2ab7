"""Core sub-commands: `index`, `ask`, `sections`."""

from __future__ import annotations

import argparse
import json
import sys

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


def run_index(args: argparse.Namespace) -> int:
    from assistant.index import store

    config = settings()
    if store.is_current(config) and not args.rebuild:
        print(f"Indexet är aktuellt: {store.current_build(config)}")
        return 0
    path = store.build(config, progress=True)
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"Index byggt på {manifest['seconds']} s: {manifest['sections']} avsnitt, "
          f"{manifest['chunks']} textbitar, {manifest['sentences']} meningar → {path}")
    for problem in manifest.get("skipped", []):
        print(f"Hoppade över: {problem}", file=sys.stderr)
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from assistant.service import Assistant

    if not args.jsonl:
        if args.question is None or not args.question.strip():
            raise UserError("Frågan är tom. Skriv en fråga inom citattecken, till exempel: "
                            'assistant ask "Vem betalar hjälpmedel till barn?"')
    assistant = Assistant.load(progress=sys.stderr.isatty())
    if args.jsonl:
        return _ask_lines(assistant, args.scope, args.date)
    answer = assistant.ask(args.question, scope=args.scope, date=args.date)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print(_readable(answer))
    return 0


def _ask_lines(assistant, scope: str, date: str | None) -> int:
    """One JSON object per input line, in order; a bad line gets an error object, not a stop.

    A line is a plain question, or a JSON object {"question", "history"?, "scope"?, "date"?}
    (DESIGN.md): the answer the chat gives at that point of a conversation."""
    for line in sys.stdin:
        question = line.rstrip("\n")
        try:
            request = parse_request(question, scope, date)
            question = request["question"]
            row = assistant.ask(**request).to_dict()
        except UserError as error:
            row = {"question": question, "answer": str(error), "abstained": True,
                   "citations": [], "latency_ms": 0.0, "error": str(error)}
        print(json.dumps(row, ensure_ascii=False), flush=True)
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

    _, sections = load_corpus(settings().corpus_dir)
    for section in sections:
        row = section.summary()
        if args.jsonl:
            print(json.dumps(row, ensure_ascii=False))
        else:
            number = f"{row['section']} " if row["section"] else ""
            print(f"{'  ' * (row['level'] - 1)}{number}{row['title']}  ({row['chars']} tecken)")
    return 0
