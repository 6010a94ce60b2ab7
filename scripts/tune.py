"""Score setting variants side by side on question sets, loading the model and index once.

Every ranking and declining constant lives in `Settings` (assistant/config.py); this prints
the evaluation metrics for the current settings and for each variant given, so a change is
measured on the shipped set before it is written into config.py (and checked once on the
held-out set, never tuned on it).

    .venv/bin/python scripts/tune.py "lexical_weight=0.1" "rank_weight=0.03,max_sentences=4"
    .venv/bin/python scripts/tune.py --questions eval/holdout.yaml "extend_margin=0.08"
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from assistant.eval.matching import SectionTree
from assistant.eval.questions import load_questions
from assistant.eval.runner import run, write_results
from assistant.service import Assistant

COLUMNS = ("hit1", "hit3", "mrr", "facts", "oos_abstain", "false_abstain", "citation_precision",
           "unverified_quotes")


def variant(text: str, base: dict) -> dict:
    """"name=value,name=value" as typed settings overrides."""
    overrides = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in base:
            raise SystemExit(f"unknown setting {name!r}")
        overrides[name] = type(base[name])(value)
    return overrides


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", help='e.g. "lexical_weight=0.1,rank_weight=0.03"')
    parser.add_argument("--questions", action="append", type=Path)
    parser.add_argument("--out", type=Path, help="write each run's results.jsonl here")
    args = parser.parse_args()
    assistant = Assistant.load()
    base = dataclasses.asdict(assistant.settings)
    tree = SectionTree(assistant.sections, {d.id: d.file for d in assistant.documents})
    sets = {p.name: load_questions(p) for p in args.questions or [Path("eval/questions.yaml")]}
    print(f"{'variant':40s} {'set':16s} " + " ".join(f"{c[:8]:>8s}" for c in COLUMNS))
    for number, text in enumerate(["", *args.variants]):
        settings = dataclasses.replace(assistant.settings, **variant(text, base))
        candidate = Assistant(assistant.index, settings)
        for name, questions in sets.items():
            result = run(text or "(current)", candidate, questions, tree, progress=False)
            metrics = result.metrics
            if args.out:
                write_results(result, args.out / f"{number}-{Path(name).stem}.jsonl")
            cells = " ".join(f"{metrics.get(c, 0):8.3f}" for c in COLUMNS)
            print(f"{text or '(current)':40s} {name:16s} {cells}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
