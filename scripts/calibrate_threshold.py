"""Calibrate the one global abstention rule (Settings.abstain_below, unknown_penalty).

For every question it records the evidence the assistant would see (best dense similarity,
share of the question's words found in the corpus, the retrievers' agreement) and whether the
question holds a word the documents never use; it then prints, for a grid of penalties and
thresholds, the share of questions without gold that are declined and of answerable ones
wrongly declined. Choose one setting from these numbers on the shipped set, check it on the
held-out set, and write it into config.py; never tune per question.

    .venv/bin/python scripts/calibrate_threshold.py eval/questions.yaml [eval/holdout.yaml]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from assistant.eval.questions import load_questions
from assistant.service import Assistant

PENALTIES = (0.0, 0.02, 0.03, 0.04)
THRESHOLDS = np.arange(0.895, 0.94, 0.0025)


def signals(assistant: Assistant, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(answerable?, evidence without the unknown-word penalty, has an unknown word?)."""
    answerable, base, unknown = [], [], []
    search, settings = assistant.search, assistant.settings
    for question in load_questions(path):
        query = assistant.query(" ".join(question.question.split()))  # as `ask` sees it
        hits = (search.search(query.text, query.vector, limit=settings.evidence_hits)
                if query else [])
        flag = bool(query and search.unknown_topics(query.text))
        answerable.append(bool(question.gold))
        base.append(search.evidence(query.text, hits) + settings.unknown_penalty * flag
                    if hits else 0.0)
        unknown.append(flag)
    return np.array(answerable), np.array(base), np.array(unknown)


def main() -> int:
    paths = [Path(p) for p in sys.argv[1:]] or [Path("eval/questions.yaml")]
    assistant = Assistant.load()
    sets = {path.name: signals(assistant, path) for path in paths}
    header = "  ".join(f"{name}: declined no-gold / answerable" for name in sets)
    print(f"now: unknown_penalty={assistant.settings.unknown_penalty}, "
          f"abstain_below={assistant.settings.abstain_below}")
    print(f"penalty threshold  {header}")
    for penalty in PENALTIES:
        for threshold in THRESHOLDS:
            cells = []
            for answerable, base, unknown in sets.values():
                declined = base - penalty * unknown < threshold
                no_gold, answered = declined[~answerable].mean(), declined[answerable].mean()
                cells.append(f"{no_gold:.2f} / {answered:.2f}")
            print(f"{penalty:7.2f} {threshold:9.4f}  " + "          ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
