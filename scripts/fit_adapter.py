"""Fit the question adapter (assistant/retrieve/adapter.py) with cross-validation over sets.

Pairs: every answerable first-turn question of the sets that has a key fact, with the
index's sentences holding its first key fact (as ranked: each sentence mixed with its
window, retrieve/hubness `ranking_vectors`). The L2 penalty is chosen by cross-validation
with the sets split into folds (a fold is whole sets, so a set's wording never trains the
adapter it is scored with): for each penalty and fold the adapter is fitted on the other
folds and the fold's questions are answered end to end with it (whether to answer is read
from the question as embedded, so declining does not change with the adapter). Each fold is
then scored with the penalty best on the other folds (scripts/tune.py
`cross_validate`), and the out-of-fold figures are printed and stored in the file, which is
fitted on all the sets with the penalty chosen most often.

    .venv/bin/python scripts/fit_adapter.py            # the sets calibrate_threshold fits on
    .venv/bin/python scripts/fit_adapter.py --report eval/holdout9.yaml

Sets given with --report are answered with the final adapter (and without one) only.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from assistant.config import settings
from assistant.eval.matching import SectionTree
from assistant.eval.metrics import Verdict, aggregate
from assistant.eval.questions import load_questions
from assistant.eval.runner import run
from assistant.index.embed import MODEL_NAME
from assistant.index.hubness import ranking_vectors
from assistant.ingest.clean import collapse
from assistant.retrieve import adapter
from assistant.service import Assistant
from assistant.versions import series_in

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate_threshold import FITTING_SETS  # noqa: E402
from tune import COLUMNS, correct, cross_validate  # noqa: E402

PENALTIES = (0.003, 0.01, 0.03, 0.1)
FOLDS = 5


def sentence_matrix(assistant: Assistant) -> np.ndarray:
    """The index's sentences as the answerer ranks them, unit length."""
    index = assistant.index
    vectors = ranking_vectors(index.sentence_vectors, index.window_vectors,
                              assistant.settings.window_weight)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def pairs(assistant: Assistant, paths: list[Path]) -> tuple[list[str], list[list[int]]]:
    """(questions, the sentences holding each one's first key fact) over the sets."""
    texts = [collapse(s.text).lower() for s in assistant.index.sentences]
    questions, positives = [], []
    for path in paths:
        for question in load_questions(path):
            if question.history or not question.answerable or not question.key_facts:
                continue
            fact = collapse(question.key_facts[0]).lower()
            found = [i for i, text in enumerate(texts) if fact in text]
            if found:
                questions.append(" ".join(question.question.split()))
                positives.append(found)
    return questions, positives


def fitted(assistant: Assistant, paths: list[Path], penalty: float,
           matrix: np.ndarray) -> adapter.QueryAdapter:
    """An adapter fitted on these sets' pairs (question vectors without any adapter)."""
    questions, positives = pairs(assistant, paths)
    vectors = np.array([assistant.embed_query(q) for q in questions])
    delta = adapter.fit(vectors, positives, matrix, penalty)
    meta = {"model": MODEL_NAME, "series": sorted(series_in(assistant.documents)),
            "penalty": penalty, "pairs": len(questions),
            "fitted_on": [str(p) for p in paths], "steps": adapter.STEPS,
            "learning_rate": adapter.LEARNING_RATE, "temperature": adapter.TEMPERATURE}
    return adapter.QueryAdapter(delta, meta)


def answered(assistant: Assistant, found: adapter.QueryAdapter | None, paths: list[Path],
             tree: SectionTree) -> list[Verdict]:
    """The sets answered with the adapter (None: without), single sets in chat order."""
    candidate = Assistant(assistant.index, assistant.settings)
    candidate.adapter = found
    verdicts = []
    for path in paths:
        questions = load_questions(path)
        chat = not any(q.history for q in questions)
        verdicts += run(path.stem, candidate, questions, tree, progress=False,
                        chat_order=chat).verdicts
    return verdicts


def row(name: str, verdicts: list[Verdict]) -> str:
    metrics = aggregate(verdicts)
    return f"{name:40s} " + " ".join(f"{metrics.get(c) or 0:8.3f}" for c in COLUMNS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=FITTING_SETS)
    parser.add_argument("--report", action="append", type=Path, default=[])
    parser.add_argument("--out", type=Path, default=adapter.ADAPTER_FILE)
    args = parser.parse_args()
    return choose(Assistant.load(dataclasses.replace(settings(), query_adapter="off")), args)


def choose(assistant: Assistant, args: argparse.Namespace) -> int:
    tree = SectionTree(assistant.sections, {d.id: d.file for d in assistant.documents})
    matrix = sentence_matrix(assistant)
    folds = [args.sets[k::FOLDS] for k in range(FOLDS)]
    variants: dict[str, list[Verdict]] = {"none": []}
    labels: list[str] = []
    for k, fold in enumerate(folds):
        found = answered(assistant, None, fold, tree)
        variants["none"] += found
        labels += [f"fold {k}"] * len(found)
        train = [p for p in args.sets if p not in fold]
        for penalty in PENALTIES:
            variants.setdefault(f"penalty={penalty}", []).extend(
                answered(assistant, fitted(assistant, train, penalty, matrix), fold, tree))
        print(f"fold {k} ({', '.join(p.stem for p in fold)}) done", flush=True)
    print(f"{'variant (each fold without its adapter)':40s} " + " ".join(
        f"{c[:8]:>8s}" for c in COLUMNS))
    for name, verdicts in variants.items():
        print(row(name, verdicts))
    cross_validate(variants, FOLDS, correct, labels, by_set=True)
    scores = {name: np.mean([correct(v) for v in verdicts]) for name, verdicts in variants.items()}
    best = max((n for n in variants if n != "none"), key=scores.__getitem__)
    penalty = float(best.partition("=")[2])
    final = fitted(assistant, list(args.sets), penalty, matrix)
    final.meta["out_of_fold"] = {name: {c: aggregate(v).get(c) for c in COLUMNS}
                                 for name, v in variants.items()}
    final.meta["folds"] = [[str(p) for p in fold] for fold in folds]
    for path in args.report:
        for name, found in (("none", None), ("adapter", final)):
            print(row(f"{path.stem} {name}", answered(assistant, found, [path], tree)))
    final.save(args.out)
    print(f"penalty {penalty} ({len(labels)} questions out of fold); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
