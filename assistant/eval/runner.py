"""Ask every question of a system (the Assistant or the baseline), judge and save the answers.

Latency is wall-clock time around `ask`, measured here the same way for every system.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from assistant.errors import UserError
from assistant.eval.matching import SectionTree
from assistant.eval.metrics import Verdict, aggregate, judge
from assistant.eval.questions import Question
from assistant.privacy import redact_personnummer
from assistant.types import Answer


class Answerer(Protocol):
    """What is evaluated: anything with the Assistant's `ask`."""

    def ask(
        self, question: str, scope: str = "alla", history: list[str] | None = None
    ) -> Answer: ...


@dataclass
class Run:
    """One system's answers to a question set, judged."""

    name: str
    questions: list[Question]
    answers: list[Answer]
    verdicts: list[Verdict]
    metrics: dict


def conversation(questions: Sequence[Question], index: int, chat_order: bool) -> list[str]:
    """The earlier questions a question is asked after: its own history, or in chat order
    every question of the file before it (as if one person asked them all in one chat)."""
    if chat_order:
        return [q.question for q in questions[:index]]
    return list(questions[index].history)


def run(
    name: str,
    system: Answerer,
    questions: Sequence[Question],
    tree: SectionTree,
    progress: bool = True,
    chat_order: bool = False,
) -> Run:
    """Ask each question in order (with its conversation), with a progress bar on a
    terminal. Systems that can say which sections they retrieved before answering
    (`retrieved`) are also scored on retrieval recall."""
    answers, verdicts = [], []
    retrieved = getattr(system, "retrieved", None)
    for index, question in enumerate(
        tqdm(questions, desc=name, unit="fråga", disable=None if progress else True)
    ):
        history = conversation(questions, index, chat_order)
        started = time.perf_counter()
        try:
            answer = system.ask(question.question, history=history or None)
        except UserError as error:  # a refused question is a declined answer, not a crash
            answer = Answer(question.question, str(error), abstained=True)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        answers.append(answer)
        sections = None
        if retrieved is not None:
            try:
                sections = retrieved(question.question, history=history or None)
            except UserError:
                sections = []
        verdicts.append(judge(question, answer, tree, sections))
    return Run(name, list(questions), answers, verdicts, aggregate(verdicts))


def redacted(result: Run) -> Run:
    """The run with personnummer removed from every question and answer text, as written to
    reports and results.jsonl unless `assistant eval --keep-questions` asks for them verbatim."""
    return replace(
        result,
        questions=[replace(q, question=redact_personnummer(q.question)) for q in result.questions],
        answers=[replace(a, question=redact_personnummer(a.question),
                         answer=redact_personnummer(a.answer)) for a in result.answers],
        verdicts=[replace(v, question=redact_personnummer(v.question)) for v in result.verdicts],
    )


def result_rows(result: Run) -> list[dict]:
    """One row a question: question, answer contract, gold, key facts and the verdict."""
    rows = []
    for question, answer, verdict in zip(
        result.questions, result.answers, result.verdicts, strict=True
    ):
        row = {"id": question.id, "type": question.type}
        row.update(answer.to_dict())
        row["gold"] = [asdict(g) for g in question.gold]
        row["key_facts"] = list(question.key_facts)
        verdict_row = verdict.to_dict()
        for key in ("id", "question", "type"):
            verdict_row.pop(key)
        row["verdict"] = verdict_row
        rows.append(row)
    return rows


def write_results(result: Run, path: Path) -> None:
    """One JSON row a question (results.jsonl)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in result_rows(result):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
