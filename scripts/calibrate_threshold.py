"""Calibrate the one global abstention rule (Settings.abstain_below, coverage_weight).

For every question it records the evidence the assistant would see (best dense similarity
and the share of the question's words found in the corpus); it then prints, for a grid of
weights and thresholds, the share of questions without gold that are declined and of
answerable ones wrongly declined. Choose one setting from these numbers on the shipped set,
check it on the held-out set, and write it into config.py; never tune per question.

    .venv/bin/python scripts/calibrate_threshold.py eval/questions.yaml [eval/holdout.yaml]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from assistant.answer.guard import strip_instructions
from assistant.eval.questions import load_questions
from assistant.retrieve.lexical import tokens
from assistant.service import Assistant

WEIGHTS = (0.0, 0.05, 0.08)
THRESHOLDS = np.arange(0.88, 0.95, 0.0025)


def signals(assistant: Assistant, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(answerable?, evidence without the coverage term, coverage) per question."""
    answerable, base, coverage = [], [], []
    search = assistant.search
    for question in load_questions(path):
        asked = strip_instructions(" ".join(question.question.split()))
        query = search.expand(asked)
        hits = search.search(query, assistant.embed_query(query), limit=6) if asked else []
        share = search.vocabulary.coverage(tokens(query))
        answerable.append(bool(question.gold))
        base.append(search.evidence(query, hits) - assistant.settings.coverage_weight * share
                    if hits else 0.0)
        coverage.append(share)
    return np.array(answerable), np.array(base), np.array(coverage)


def main() -> int:
    paths = [Path(p) for p in sys.argv[1:]] or [Path("eval/questions.yaml")]
    assistant = Assistant.load()
    sets = {path.name: signals(assistant, path) for path in paths}
    header = "  ".join(f"{name}: declined no-gold / answerable" for name in sets)
    print(f"now: coverage_weight={assistant.settings.coverage_weight}, "
          f"abstain_below={assistant.settings.abstain_below}")
    print(f"weight threshold  {header}")
    for weight in WEIGHTS:
        for threshold in THRESHOLDS:
            cells = []
            for answerable, base, coverage in sets.values():
                evidence = base + weight * coverage
                declined = evidence < threshold
                no_gold, answered = declined[~answerable].mean(), declined[answerable].mean()
                cells.append(f"{no_gold:.2f} / {answered:.2f}")
            print(f"{weight:6.2f} {threshold:9.3f}  " + "          ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
