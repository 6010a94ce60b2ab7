"""CLI sub-commands of the trainers' workspace: export, collection, quiz, insights.

None of them loads the embedding model: sections come from the index's JSON files (or the
corpus), saved answers and the question log from the database (assistant/storage).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from assistant.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from assistant.trainers.printable import FORMATS

    export = subparsers.add_parser(
        "export", help="skriv ut ett avsnitt, en del, en överenskommelse eller ett dokument",
        description=("Gör ett utskriftsunderlag (A4, sidnummer) med dokumentets titel, version "
                     "och giltighet, avsnittens nummer och rubriker, sidor i källan där de är "
                     "kända och avsnittens text ordagrant. VAD är ett avsnitt (B.11, "
                     "”munhalsa 5.1”, Avtalstid), en del (B), en överenskommelse (munhalsa), "
                     "ett dokument-id eller en sparad samling."))
    export.add_argument("what", metavar="VAD")
    export.add_argument("--format", choices=FORMATS, default="md")
    export.add_argument("--out", type=Path, help="fil att skriva (md/html: standard skärmen)")
    export.set_defaults(func=export_command)

    collection = subparsers.add_parser("collection", help="sparade frågor och svar (samlingar)")
    actions = collection.add_subparsers(dest="collection_command", required=True)
    actions.add_parser("list", help="visa alla samlingar").set_defaults(func=collection_list)
    show = actions.add_parser("show", help="visa en samlings frågor och svar")
    show.add_argument("name", metavar="NAMN")
    show.set_defaults(func=collection_show)
    save = actions.add_parser("add", help="ställ en fråga och spara svaret i en samling")
    save.add_argument("name", metavar="NAMN")
    save.add_argument("question", metavar="FRÅGA")
    save.add_argument("--scope", default="alla")
    save.add_argument("--fact", action="append", default=[],
                      help="nyckelfakta (ordagrant ur det citerade avsnittet); kan upprepas")
    save.set_defaults(func=collection_add)
    cexport = actions.add_parser("export", help="skriv en samling som md, html, pdf, docx "
                                                "eller som frågefil för utvärdering (eval)")
    cexport.add_argument("name", metavar="NAMN")
    cexport.add_argument("--format", choices=(*FORMATS, "eval"), default="md",
                         help="eval: frågefil (gold = citerade avsnitt) för assistant eval")
    cexport.add_argument("--out", type=Path, help="fil att skriva (md/eval: standard skärmen)")
    cexport.set_defaults(func=collection_export)

    quiz = subparsers.add_parser(
        "quiz", help="gör ett quiz ur avtalets text",
        description=("Frågor ur texten själv: vem som ansvarar, luckor i nyckelfakta (åldrar, "
                     "tider, belopp, datum) och vilket avsnitt en mening står i – var och en "
                     "med rätt svar, felaktiga alternativ ur samma dokument och det ordagranna "
                     "citatet med avsnitt och sida. Samma --seed ger samma quiz."))
    quiz.add_argument("--scope", default="alla",
                      help="del, överenskommelse, avsnitt eller dokument-id (standard: avtalet)")
    quiz.add_argument("--count", type=int, default=10, help="antal frågor (10)")
    quiz.add_argument("--seed", type=int, default=1, help="frö: samma frö ger samma quiz (1)")
    quiz.add_argument("--format", choices=("json", *FORMATS), default="md")
    quiz.add_argument("--out", type=Path, help="fil att skriva (json/md: standard skärmen)")
    quiz.set_defaults(func=quiz_command)

    insights = subparsers.add_parser(
        "insights", help="vad personalen frågar: frågor per dag, avsnitt, luckor, 👎",
        description=("Rapport ur frågeloggen och återkopplingen: frågor per dag, de avsnitt "
                     "som oftast citeras, frågor som avböjdes eller besvarades med låg "
                     "säkerhet (innehållsluckor) och 👎 med kommentarer. Med --out skrivs "
                     "diagram (PNG) bredvid rapporten."))
    insights.add_argument("--since", type=date.fromisoformat, help="från datum (ÅÅÅÅ-MM-DD)")
    insights.add_argument("--format", choices=("md", "html"), default="md")
    insights.add_argument("--out", type=Path, help="rapportfil; diagrammen skrivs bredvid")
    insights.set_defaults(func=insights_command)


def _settings():
    from assistant.config import settings

    return settings()


def _emit(content: str | bytes, out: Path | None) -> None:
    from assistant.trainers.printable import write

    written = write(content, out, sys.stdout)
    if written is not None:
        print(f"Skrev {written}", file=sys.stderr)


def export_command(args: argparse.Namespace) -> int:
    from assistant.storage.collections import has_collection
    from assistant.trainers.collections import collection_printable
    from assistant.trainers.export import handout
    from assistant.trainers.printable import render
    from assistant.trainers.source import load_library, select

    settings = _settings()
    library = load_library(settings)
    try:
        document = handout(library, select(library, args.what))
    except UserError:
        if not has_collection(args.what, settings):
            raise
        document = collection_printable(library, args.what, settings)
    _emit(render(document, args.format), _out(args.out, args.what, args.format))
    return 0


def _out(out: Path | None, name: str, fmt: str) -> Path | None:
    """PDF and Word need a file: default to a name made from what was exported."""
    if out is not None or fmt not in ("pdf", "docx"):
        return out
    from assistant.ingest.manifest import slug

    return Path(f"{slug(name)}.{fmt}")


def collection_list(args: argparse.Namespace) -> int:
    from assistant.storage.collections import list_collections

    rows = list_collections(_settings())
    if not rows:
        print("Inga samlingar än. Spara ett svar med ”Spara” i chatten eller "
              "`assistant collection add NAMN \"fråga\"`.")
    for row in rows:
        print(f"{row.name}\t{row.items} svar\tskapad {row.created_at.date().isoformat()}")
    return 0


def collection_show(args: argparse.Namespace) -> int:
    from assistant.trainers.collections import collection_printable
    from assistant.trainers.printable import to_markdown
    from assistant.trainers.source import load_library

    settings = _settings()
    sys.stdout.write(to_markdown(collection_printable(load_library(settings), args.name,
                                                      settings)))
    return 0


def collection_add(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from assistant.storage.collections import save_answer

    settings = _settings()
    answer = Assistant.load(settings).ask(args.question, scope=args.scope)
    item = save_answer(args.name, args.question, answer.to_dict(), key_facts=args.fact,
                       settings=settings)
    print(f"Sparade svaret som nr {item} i samlingen ”{args.name}”.")
    return 0


def collection_export(args: argparse.Namespace) -> int:
    from assistant.trainers.collections import collection_printable, eval_yaml
    from assistant.trainers.printable import render
    from assistant.trainers.source import load_library

    settings = _settings()
    library = load_library(settings)
    if args.format == "eval":
        _emit(eval_yaml(library, args.name, settings), args.out)
        return 0
    document = collection_printable(library, args.name, settings)
    _emit(render(document, args.format), _out(args.out, args.name, args.format))
    return 0


def quiz_command(args: argparse.Namespace) -> int:
    from assistant.trainers.printable import render
    from assistant.trainers.quiz import make_quiz, quiz_printable
    from assistant.trainers.source import load_library

    if args.count < 1:
        raise UserError("--count ska vara minst 1.")
    library = load_library(_settings())
    items = make_quiz(library, args.scope, count=args.count, seed=args.seed)
    if args.format == "json":
        text = json.dumps([item.to_dict() for item in items], ensure_ascii=False, indent=2)
        _emit(text + "\n", args.out)
        return 0
    document = quiz_printable(items, library, args.scope, args.seed)
    _emit(render(document, args.format), _out(args.out, f"quiz-{args.scope}", args.format))
    return 0


def insights_command(args: argparse.Namespace) -> int:
    from assistant.trainers.insights import write_report

    settings = _settings()
    written = write_report(settings, since=args.since, fmt=args.format, out=args.out,
                           stdout=sys.stdout)
    for path in written:
        print(f"Skrev {path}", file=sys.stderr)
    return 0
