"""Score setting variants side by side on question sets, loading the model and index once.

Every ranking and declining constant lives in `Settings` (assistant/config.py); this prints
the evaluation metrics for the current settings and for each variant given, so a change is
measured on the shipped set before it is written into config.py (and checked once on the
held-out set, never tuned on it).

    .venv/bin/python scripts/tune.py "lexical_weight=0.1" "rank_weight=0.03,max_sentences=4"
    .venv/bin/python scripts/tune.py --questions eval/holdout.yaml "extend_margin=0.08"

With `--folds 5` the variants (the current settings included) compete by k-fold
cross-validation over all the sets given: in each fold the variant that does best on the
other folds is scored on this fold, and the out-of-fold figures are printed (with how often
each variant was chosen) — the figure to report for a tuned constant.

    .venv/bin/python scripts/tune.py --folds 5 --questions eval/questions.yaml \
        --questions eval/conversations.yaml "citation_margin=0.03" "citation_margin=0.1"

`--by-set` also leaves each question set out in turn (scored with the variant best on the
other sets: how a set written apart fares), and `--choose facts` makes the folds choose by
key facts quoted instead of the right section first (for quote settings; `--choose short`:
the key facts in the short answer; `--choose hit3`:
a right section among the first three, for settings that move answers into the top three,
like the follow-ups' reading). Out-of-fold figures are printed for all sets together and
per set.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.eval.matching import SectionTree
from assistant.eval.metrics import Verdict, aggregate
from assistant.eval.questions import load_questions
from assistant.eval.runner import run, write_results
from assistant.service import Assistant

COLUMNS = ("hit1", "hit3", "mrr", "facts", "short_facts", "oos_abstain", "false_abstain",
           "citation_precision", "unverified_quotes")


def variant(text: str, base: dict) -> dict:
    """"name=value,name=value" as typed settings overrides."""
    overrides = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in base:
            raise SystemExit(f"unknown setting {name!r}")
        kind = type(base[name])
        overrides[name] = value.strip().lower() in ("1", "true", "ja") if kind is bool \
            else kind(value)
    return overrides


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", help='e.g. "lexical_weight=0.1,rank_weight=0.03"')
    parser.add_argument("--questions", action="append", type=Path)
    parser.add_argument("--out", type=Path, help="write each run's results.jsonl here")
    parser.add_argument("--chat-order", action="store_true",
                        help="ask a set without conversations in chat order (each question "
                             "after the ones before it)")
    parser.add_argument("--folds", type=int, default=0,
                        help="choose among the variants by k-fold cross-validation")
    parser.add_argument("--by-set", action="store_true",
                        help="also leave one question set out at a time "
                             "(each set scored with the variant best on the others: how a "
                             "set written apart, like the hidden check, fares)")
    parser.add_argument("--choose", choices=("hit1", "hit3", "facts", "short"), default="hit1",
                        help="what the folds choose by: the right section first (ranking "
                             "settings), the key facts quoted (quote settings) or held by "
                             "the short answer (its settings)")
    parser.add_argument("--adapter-folds", type=int, default=0,
                        help="answer each set with a question adapter fitted without it "
                             "(the sets split into this many folds of whole sets, as "
                             "scripts/fit_adapter.py does)")
    args = parser.parse_args()
    assistant = Assistant.load()
    base = dataclasses.asdict(assistant.settings)
    tree = SectionTree(assistant.sections, {d.id: d.file for d in assistant.documents})
    paths = args.questions or [Path("eval/questions.yaml")]
    sets = {p.name: load_questions(p) for p in paths}
    adapters = adapters_without(assistant, paths, args.adapter_folds) \
        if args.adapter_folds > 1 and assistant.adapter is not None else {}
    print(f"{'variant':40s} {'set':16s} " + " ".join(f"{c[:8]:>8s}" for c in COLUMNS))
    verdicts: dict[str, list[Verdict]] = {}
    labels: list[str] = []  # the question set of each verdict, in order
    for number, text in enumerate(["", *args.variants]):
        settings = dataclasses.replace(assistant.settings, **variant(text, base))
        candidate = Assistant(assistant.index, settings)
        for name, questions in sets.items():
            if adapters:
                candidate.adapter = adapters[name]
            chat = args.chat_order and not any(q.history for q in questions)
            result = run(text or "(current)", candidate, questions, tree, progress=False,
                         chat_order=chat)
            metrics = result.metrics
            if args.out:
                write_results(result, args.out / f"{number}-{Path(name).stem}.jsonl")
            cells = " ".join(f"{metrics.get(c) or 0:8.3f}" for c in COLUMNS)
            print(f"{text or '(current)':40s} {name:16s} {cells}", flush=True)
            verdicts.setdefault(text or "(current)", []).extend(result.verdicts)
            if number == 0:
                labels += [name] * len(result.verdicts)
    criterion = {"facts": facts_correct, "hit3": in_top3,
                 "short": short_correct}.get(args.choose, correct)
    if args.folds > 1:
        cross_validate(verdicts, args.folds, criterion, labels)
    if args.by_set:
        cross_validate(verdicts, args.folds, criterion, labels, by_set=True)
    return 0


def adapters_without(assistant: Assistant, paths: list[Path], folds: int) -> dict:
    """For each set (by file name), a question adapter fitted with the shipped penalty on
    the sets of the other folds (folds of whole sets, `paths[k::folds]`). The shipped adapter
    was fitted on these very questions: ranking settings chosen with it are chosen where the
    adapter already knows the answer, not where a new question stands."""
    from fit_adapter import fitted, sentence_matrix

    penalty = assistant.adapter.meta["penalty"]
    matrix = sentence_matrix(assistant)
    adapters = {}
    for k in range(folds):
        fold = paths[k::folds]
        found = fitted(assistant, [p for p in paths if p not in fold], penalty, matrix)
        adapters.update({p.name: found for p in fold})
    return adapters


def correct(verdict: Verdict, k: int = 1) -> float:
    """One question's score when choosing a variant: a right section among the first `k`
    citations (1: first) for an answerable question, a decline for one without gold."""
    return float(verdict.hit(k) if verdict.answerable else verdict.abstained)


def in_top3(verdict: Verdict) -> float:
    """`correct` by the top three (`--choose hit3`)."""
    return correct(verdict, 3)


def facts_correct(verdict: Verdict) -> float:
    """One question's score when choosing a quote setting: its key facts all quoted (a
    question without key facts scores as in `correct`)."""
    return correct(verdict) if verdict.facts_ok is None else float(verdict.facts_ok)


def short_correct(verdict: Verdict) -> float:
    """`facts_correct` for the one-sentence short answer (`--choose short`)."""
    return correct(verdict) if verdict.short_facts_ok is None \
        else float(verdict.short_facts_ok)


def cross_validate(verdicts: dict[str, list[Verdict]], folds: int,
                   score: Callable[[Verdict], float] = correct,
                   labels: list[str] | None = None, by_set: bool = False) -> None:
    """Out-of-fold figures: each fold scored with the variant best on the other folds (random
    folds, or each question set in `labels` left out in turn); with `labels`, also per set."""
    names = list(verdicts)
    scores = np.array([[score(v) for v in verdicts[name]] for name in names])
    n = scores.shape[1]
    order = np.random.default_rng(0).permutation(n)
    if by_set and labels:
        parts = [np.flatnonzero(np.array(labels) == name) for name in dict.fromkeys(labels)]
    else:
        parts = np.array_split(order, folds)
    chosen_at: dict[int, Verdict] = {}
    chosen: list[str] = []
    for fold in parts:
        train = np.setdiff1d(order, fold)
        best = int(np.argmax(scores[:, train].mean(axis=1)))
        chosen.append(names[best])
        chosen_at.update({int(i): verdicts[names[best]][i] for i in fold})
    scheme = "sets left out" if by_set and labels else f"{folds} folds"
    rows = [("all sets", list(chosen_at.values()))]
    if labels:
        rows += [(name, [chosen_at[i] for i in range(n) if labels[i] == name])
                 for name in dict.fromkeys(labels)]
    for name, chosen_verdicts in rows:
        metrics = aggregate(chosen_verdicts)
        cells = " ".join(f"{metrics.get(c) or 0:8.3f}" for c in COLUMNS)
        print(f"{f'out of fold ({scheme})':40s} {name:16s} {cells}")
    print("chosen per fold: " + "; ".join(chosen))

if __name__ == "__main__":
    sys.exit(main())
