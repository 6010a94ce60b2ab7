"""Where follow-up turns miss: each answerable follow-up of the conversation sets, as asked,
alone, and with the turn it continues forced in (weight 1 and half), classified.

    .venv/bin/python scripts/followups.py eval/conversations*.yaml [--misses] [--out F.jsonl]

Classes of a follow-up not right among the first three citations as asked:
- first: the earlier turn it continues misses the top three too, and no reading of the
  follow-up (alone, with the turn before at weight 1 or ½) reaches its gold;
- reading: read alone, or with a context other than the turn before, where the reading
  with the turn before reaches the gold or the earlier turn was right;
- ranking: read with the right context, ranked wrong ("pulled": the first citation is a gold
  section of the earlier turn, i.e. the earlier answer's section);
- declined: answered nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

from assistant.eval.matching import SectionTree
from assistant.eval.metrics import judge
from assistant.eval.questions import Question, load_questions
from assistant.retrieve.conversation import Reading
from assistant.service import Assistant


def with_reading(assistant: Assistant, question: Question, reading: Reading | None):
    """The answer to `question` in its conversation, its reading replaced by `reading`."""
    original = assistant.search.read
    if reading is not None:
        assistant.search.read = lambda asked, earlier: reading
    try:
        return assistant.ask(question.question, history=list(question.history) or None)
    finally:
        assistant.search.read = original


def continued(assistant: Assistant, history: list[str]) -> int:
    """Index in `history` of the last earlier turn read alone (what a follow-up continues)."""
    conversation = assistant.search.conversation
    for index in range(len(history) - 1, -1, -1):
        if not conversation.depends(history[index]):
            return index
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="print each miss")
    parser.add_argument("--out", type=Path, help="one JSON row per follow-up turn")
    args = parser.parse_args()
    assistant = Assistant.load()
    tree = SectionTree(assistant.sections, {d.id: d.file for d in assistant.documents})
    rows = []
    for path in args.files:
        questions = load_questions(path)
        by_text = {(q.question, q.history): q for q in questions}
        verdict_of = {}
        for q in questions:
            verdict_of[q.id] = judge(q, assistant.ask(q.question, history=list(q.history)
                                                      or None), tree)
        for q in questions:
            if q.turn != "follow_up" or not q.answerable:
                continue
            history = list(q.history)
            reading = assistant.search.read(q.question, history)
            start = continued(assistant, history)
            earlier = by_text.get((history[start], tuple(history[:start])))
            previous = by_text.get((history[-1], tuple(history[:-1])))
            alone = judge(q, with_reading(assistant, dataclasses.replace(q, history=()), None),
                          tree)
            context = " ".join([history[-1], q.question])
            forced = {w: judge(q, with_reading(assistant, q, Reading(context, True, (),
                                                                     context, w)), tree)
                      for w in (1.0, 0.5)}
            verdict = verdict_of[q.id]
            earlier_verdict = verdict_of.get(earlier.id) if earlier else None
            row = {
                "set": path.stem, "id": q.id, "question": q.question,
                "rank": verdict.rank if not verdict.abstained else None,
                "abstained": verdict.abstained, "follow_up": reading.follow_up,
                "weight": reading.weight, "searched": reading.text,
                "earlier": earlier.id if earlier else None,
                "earlier_hit3": bool(earlier_verdict and earlier_verdict.hit(3)),
                "previous_hit3": bool(previous and verdict_of[previous.id].hit(3)),
                "context_is_previous": start == len(history) - 1 or not reading.follow_up,
                "same_gold": bool(earlier and set(earlier_verdict.gold) & set(verdict.gold)),
                "pulled": bool(earlier_verdict and verdict.cited
                               and verdict.cited[0] in earlier_verdict.gold),
                "alone_rank": alone.rank if not alone.abstained else None,
                "forced1_rank": forced[1.0].rank if not forced[1.0].abstained else None,
                "forced05_rank": forced[0.5].rank if not forced[0.5].abstained else None,
                "gold": verdict.gold, "cited": verdict.cited[:3],
            }
            row["hit3"] = verdict.hit(3)
            row["class"] = classify(row)
            rows.append(row)
    report(rows, args.misses)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                            encoding="utf-8")
    return 0


def classify(row: dict) -> str:
    """The class of a follow-up (docs/answer-quality.md, session 9, helper "followup3"): a
    right answer among the first three, or why not."""
    def top3(key: str) -> bool:
        return row[key] is not None and row[key] <= 3

    if row["hit3"]:
        return "hit"
    if row["abstained"]:
        return "declined"
    forced = top3("forced1_rank") or top3("forced05_rank")
    earlier_right = row["earlier_hit3"] or row["previous_hit3"]
    if not earlier_right and not forced and not top3("alone_rank"):
        return "first"
    if not row["follow_up"] or not row["context_is_previous"]:
        return "reading" if forced or earlier_right else "first"
    return "ranking-pulled" if row["pulled"] else "ranking"


def report(rows: list[dict], misses: bool) -> None:
    def within(r, key, k):
        return r[key] is not None and r[key] <= k

    for name in [*dict.fromkeys(r["set"] for r in rows), "all"]:
        group = [r for r in rows if name in ("all", r["set"])]
        n = len(group)
        hit1 = sum(within(r, "rank", 1) for r in group) / n
        hit3 = sum(r["hit3"] for r in group) / n
        classes = Counter(r["class"] for r in group)
        oracle = sum(any(within(r, k, 3) for k in ("rank", "alone_rank", "forced1_rank",
                                                   "forced05_rank")) for r in group) / n
        print(f"{name:16s} n={n:3d} hit@1 {hit1:.3f} hit@3 {hit3:.3f} best-of-readings@3 "
              f"{oracle:.3f} | " + ", ".join(f"{c} {classes[c]}" for c in sorted(classes)))
    if misses:
        for r in rows:
            if not r["hit3"]:
                print(json.dumps({k: r[k] for k in ("id", "class", "question", "rank",
                                                   "alone_rank", "forced1_rank",
                                                   "forced05_rank", "follow_up", "weight",
                                                   "gold", "cited")}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
