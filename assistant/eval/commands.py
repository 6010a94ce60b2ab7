"""`assistant eval`: check a question file, or run it and write metrics and a report."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from assistant.config import ROOT, settings
from assistant.errors import UserError
from assistant.eval.matching import SectionTree, check_questions
from assistant.eval.metrics import threshold_failures
from assistant.eval.questions import Question, load_questions
from assistant.eval.report import pct, write_report
from assistant.eval.runner import Run, redacted, run, write_json, write_results
from assistant.types import Answer

DEFAULT_QUESTIONS = ROOT / "eval" / "questions.yaml"
REPORTS_DIR = ROOT / "eval" / "reports"
RETRIEVERS = ("hybrid", "dense", "bm25")
MODES = ("auto", "extractive", "generated", "both")
_THRESHOLD_KEYS = ("hit1", "hit3", "hit5", "mrr", "facts", "oos", "oos_abstain")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="utvärdera assistenten mot en frågemängd med guldkällor",
        description=(
            "Ställ frågorna i en frågefil till assistenten, poängsätt svaren och skriv "
            "metrics.json, results.jsonl, report.md och report.html."
        ),
    )
    parser.add_argument(
        "--check",
        metavar="FIL",
        type=Path,
        help="kontrollera bara frågefilen: guldkällor och nyckelfakta mot avsnittsträdet",
    )
    parser.add_argument(
        "--questions",
        metavar="FIL",
        type=Path,
        default=DEFAULT_QUESTIONS,
        help="frågefil (standard: eval/questions.yaml)",
    )
    parser.add_argument(
        "--out",
        metavar="MAPP",
        type=Path,
        help="mapp för resultaten (standard: eval/reports/<tidpunkt>, och eval/reports/latest)",
    )
    parser.add_argument("--retriever", choices=RETRIEVERS, default="hybrid", help="sökmetod")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="svarsläge: extractive (ordagranna citat), generated (språkmodellen i "
        "AVTAL_LLM_URL), both (båda sida vid sida); auto = som ask och serve",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="poängsätt också LangChains standardrecept på samma frågor",
    )
    parser.add_argument(
        "--keep-questions",
        action="store_true",
        help="skriv frågorna ordagrant i rapporterna (annars tas personnummer bort)",
    )
    parser.add_argument(
        "--chat-order",
        action="store_true",
        help=(
            "ställ också varje fråga efter filens tidigare frågor, som i ett och samma samtal, "
            "och jämför med frågorna ställda var för sig"
        ),
    )
    parser.add_argument(
        "--fail-under",
        metavar="KRAV",
        type=parse_thresholds,
        default={},
        help="avsluta med felkod om ett mått understiger kravet, t.ex. hit1=0.6,oos=0.8",
    )
    parser.set_defaults(func=main)


def parse_thresholds(text: str) -> dict[str, float]:
    """Parse "hit1=0.6,hit3=0.8,facts=0.7,oos=0.8"; shares are in [0, 1]."""
    levels: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in _THRESHOLD_KEYS:
            raise argparse.ArgumentTypeError(
                f'"{item}": ange mått=värde med mått bland {", ".join(_THRESHOLD_KEYS)}'
            )
        try:
            level = float(value)
        except ValueError:
            level = -1.0
        if not 0.0 <= level <= 1.0:
            raise argparse.ArgumentTypeError(f'"{item}": värdet ska vara ett tal mellan 0 och 1')
        levels[name] = level
    return levels


def main(args: argparse.Namespace) -> int:
    if args.check:
        return check(args.check)
    return evaluate(args)


def _load_assistant(retriever: str):
    from assistant.service import Assistant

    return Assistant.load(settings(), retriever=retriever, progress=sys.stderr.isatty())


def _document_files(assistant) -> dict[str, str]:
    """Document id → corpus file, for context golds that name their source file."""
    return {doc.id: doc.file for doc in assistant.documents}


def check(path: Path) -> int:
    """Validate a question file against the section tree built from the corpus; 0 if sound.

    Needs no index or model: the tree is built from corpus/ as `assistant index` builds it.
    """
    from assistant.ingest.structure import load_corpus

    questions = load_questions(path)
    documents, sections = load_corpus(settings().corpus_dir)
    tree = SectionTree(sections, {doc.id: doc.file for doc in documents})
    problems = check_questions(questions, tree)
    if problems:
        print(f"{path}: {len(problems)} problem:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    golds = sum(len(q.gold) for q in questions)
    facts = sum(len(q.key_facts) for q in questions)
    print(f"{path}: {len(questions)} frågor, {golds} guldkällor och {facts} nyckelfakta stämmer.")
    return 0


def _out_dir(out: Path | None) -> Path:
    if out is not None:
        return out
    return REPORTS_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")


def _point_latest(out_dir: Path) -> None:
    """eval/reports/latest → the newest default run (best effort: a convenience link)."""
    latest = REPORTS_DIR / "latest"
    try:
        if latest.is_symlink():
            latest.unlink()
        if not latest.exists():
            latest.symlink_to(out_dir.name, target_is_directory=True)
    except OSError:
        pass


def evaluate(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    assistant = _load_assistant(args.retriever)
    tree = SectionTree(assistant.sections, _document_files(assistant))
    for problem in check_questions(questions, tree):
        print(f"Varning: {problem}", file=sys.stderr)
    out_dir = _out_dir(args.out)
    mode = getattr(args, "mode", "auto")
    generator = getattr(assistant, "generator", None)
    if mode in ("generated", "both") and generator is None:
        raise UserError("Svarsläget kräver en språkmodell: sätt AVTAL_LLM_URL (och "
                        "AVTAL_LLM_MODEL).")
    if mode == "extractive":
        assistant.generator = None
    result = run("Assistenten", assistant, questions, tree)
    result.metrics["answer_modes"] = answer_modes(result.answers)
    if mode == "both":  # the same questions without the model, written beside
        assistant.generator = None
        extractive = run("Assistenten (ordagrant)", assistant, questions, tree)
        assistant.generator = generator
        _write(out_dir / "extractive", extractive, None, _about(args, questions))
        result.metrics["extractive"] = extractive.metrics
    if getattr(args, "chat_order", False):
        chat = run("I samtalsordning", assistant, questions, tree, chat_order=True)
        result.metrics["chat_order"] = chat_comparison(result.metrics, chat.metrics)
        write_results(chat if getattr(args, "keep_questions", False) else redacted(chat),
                      out_dir / "chat_order_results.jsonl")
    baseline = _run_baseline(questions, tree) if args.baseline else None
    if not getattr(args, "keep_questions", False):
        result, baseline = redacted(result), baseline and redacted(baseline)
    _write(out_dir, result, baseline, _about(args, questions))
    if args.out is None:
        _point_latest(out_dir)
    _print_summary(out_dir, result, baseline)
    if "extractive" in result.metrics:
        e, modes = result.metrics["extractive"], result.metrics["answer_modes"]
        print(f"Ordagranna svar: hit@1 {pct(e['hit1'])}, nyckelfakta {pct(e['facts'])}. "
              f"Genererade svar visade: {modes['generated']} av {modes['answered']} "
              f"(övriga föll tillbaka: {modes['fallback_reasons']}).")
    failures = threshold_failures(result.metrics, args.fail_under) if args.fail_under else []
    if failures:
        print("Kraven uppfylls inte:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    if result.metrics["unverified_quotes"]:
        print(
            f"Varning: {result.metrics['unverified_quotes']} citat finns inte ordagrant i "
            "korpusen (se rapporten).",
            file=sys.stderr,
        )
    return 0


def answer_modes(answers: list[Answer]) -> dict:
    """How many answers were generated, and why the others fell back (by reason code)."""
    answered = [a for a in answers if not a.abstained]
    reasons: dict[str, int] = {}
    for a in answered:
        if a.fallback_reason:
            code = a.fallback_reason.split(":", 1)[0]
            reasons[code] = reasons.get(code, 0) + 1
    return {"answered": len(answered),
            "generated": sum(a.answer_mode == "generated" for a in answered),
            "fallback_reasons": reasons}


def chat_comparison(alone: dict, chat: dict) -> dict:
    """The headline figures asked in chat order, beside the same questions asked alone."""
    keys = ("hit1", "hit3", "mrr", "facts", "oos_abstain", "false_abstain")
    return {key: {"alone": alone.get(key), "chat": chat.get(key),
                  "difference": None if alone.get(key) is None or chat.get(key) is None
                  else chat[key] - alone[key]}
            for key in keys}


def _run_baseline(questions: list[Question], tree: SectionTree) -> Run:
    from assistant.eval.baseline import LangChainBaseline

    try:
        system = LangChainBaseline.build(settings().corpus_dir, tree.sections, tree.files)
    except ImportError as error:
        raise UserError(f"baslinjen kräver paketet {error.name}; installera det först.") from None
    return run("Baslinje (LangChain)", system, questions, tree)


def _write(out_dir: Path, result: Run, baseline: Run | None, about: list[str]) -> None:
    """metrics.json (the baseline's under "baseline"), results.jsonl, the report."""
    metrics = dict(result.metrics)
    write_results(result, out_dir / "results.jsonl")
    if baseline:
        metrics["baseline"] = baseline.metrics
        write_results(baseline, out_dir / "baseline_results.jsonl")
    write_json(out_dir / "metrics.json", metrics)
    write_report(result, baseline, out_dir, about)


def _about(args: argparse.Namespace, questions: list[Question]) -> list[str]:
    return [
        f"Frågefil: {args.questions} ({len(questions)} frågor). Sökmetod: {args.retriever}. "
        f"Körd {datetime.now():%Y-%m-%d %H:%M}."
    ]


def _print_summary(out_dir: Path, result: Run, baseline: Run | None) -> None:
    m = result.metrics
    print(
        f"hit@1 {pct(m['hit1'])}, hit@3 {pct(m['hit3'])}, nyckelfakta {pct(m['facts'])} "
        f"(i första meningen {pct(m.get('short_facts'))}), avböjer OOS {pct(m['oos_abstain'])}, "
        f"avböjer fel {pct(m['false_abstain'])}, "
        f"overifierade citat {m['unverified_quotes']}."
    )
    if m.get("recall10") is not None:
        print(f"Sökningens recall@3 {pct(m['recall3'])}, recall@10 {pct(m['recall10'])}.")
    for turn, group in m.get("by_turn", {}).items():
        print(f"  {turn}: n={group['n']}, hit@1 {pct(group['hit1'])}, hit@3 {pct(group['hit3'])}, "
              f"avböjer OOS {pct(group['oos_abstain'])}")
    if "chat_order" in m:
        c = m["chat_order"]
        hit1, hit3 = c["hit1"], c["hit3"]
        print(f"I samtalsordning: hit@1 {pct(hit1['chat'])} (ensam {pct(hit1['alone'])}), "
              f"hit@3 {pct(hit3['chat'])} (ensam {pct(hit3['alone'])}).")
    if baseline:
        b = baseline.metrics
        print(f"Baslinje: hit@1 {pct(b['hit1'])}, hit@3 {pct(b['hit3'])}.")
    print(f"Rapport: {out_dir / 'report.html'}")
