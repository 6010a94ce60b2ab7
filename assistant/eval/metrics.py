"""Judge one answer against its question (a Verdict), and aggregate verdicts into metrics.

Definitions (every share is in [0, 1]; None when no question qualifies):
- hit@k: answerable questions (with gold) where a gold is hit among the first k citations
  (type multi: all golds, see matching.hit_rank). An abstained answer is a miss: the user
  got no answer, even if the nearest sections it pointed to were right.
- mrr: mean of 1/rank over answerable questions (0 for a miss).
- facts: answerable questions with key facts whose answer text or quotes hold every key fact
  (case-insensitive, whitespace collapsed); a declined answer holds none. Questions without
  key facts are left out.
- oos_abstain: gold-less questions (out_of_scope, gold-less adversarial) that were declined.
- false_abstain: answerable questions that were declined.
- unverified_quotes: citation quotes (all questions) not verbatim in their cited section's body.
- recall@k: answerable questions where a gold section is among the first k sections the
  search ranked before the answerer chose what to cite (whether or not it then declined).
- by_turn: the same figures for first turns, follow-ups and topic switches (questions.TURNS).
- ci: a 95 % Wilson interval for every share above.
- risk_coverage: answers ordered by the assistant's own evidence (most sure first); at each
  coverage (share answered) the risk is the share of those answers that are wrong (an
  answerable question whose first citation misses, or a question without gold answered).
- citation_precision: of all citations given to answerable questions that were answered, the
  share naming a gold section (or a subheading inside one). A lower bound: a "see also" that
  is related but not gold counts against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.eval.matching import (
    SectionTree,
    hit_rank,
    hits_gold,
    missing_facts,
    quote_problem,
    resolve_golds,
    section_rank,
)
from assistant.eval.questions import GoldRef, Question
from assistant.types import Answer, Citation

K_VALUES = (1, 3, 5)
RECALL_KS = (1, 3, 5, 10)
Z95 = 1.959964
# Aliases accepted by --fail-under for metric keys.
THRESHOLD_ALIASES = {"oos": "oos_abstain"}
NO_GOLD = "Utan guld"
SEVERAL = "Flera"


@dataclass
class Verdict:
    """How one answer scored, with enough detail for a person to see why."""

    id: str
    question: str
    type: str
    answerable: bool
    abstained: bool
    rank: int | None
    gold: list[str]
    cited: list[str]
    facts_missing: list[str] | None
    # the key facts the one-sentence short answer does not hold (None: no key facts)
    short_facts_missing: list[str] | None = None
    unverified: list[dict] = field(default_factory=list)
    unresolved_gold: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    part: str = NO_GOLD
    agreement: str | None = None
    cited_gold: int = 0  # how many of the citations name a gold section
    turn: str = "first"
    searched: bool = False  # the sections retrieved before answering are known
    retrieved_rank: int | None = None  # gold's rank among them (None: not among them)
    evidence: float | None = None  # the assistant's own evidence that it can answer

    def hit(self, k: int) -> bool:
        return self.answerable and not self.abstained and self.rank is not None and self.rank <= k

    @property
    def facts_ok(self) -> bool | None:
        return None if self.facts_missing is None else not self.facts_missing

    @property
    def short_facts_ok(self) -> bool | None:
        return None if self.short_facts_missing is None else not self.short_facts_missing

    def to_dict(self) -> dict:
        row = asdict(self)
        row.update({f"hit{k}": self.hit(k) for k in K_VALUES})
        return row


def citation_label(citation: Citation) -> str:
    """Short Swedish label of a citation for reports: "Del B › B.9 Läkemedel"."""
    where = f"Del {citation.part}" if citation.part else citation.document
    if citation.agreement:
        where += f" › {citation.agreement}"
    heading = " ".join(x for x in (citation.section, citation.title) if x)
    return f"{where} › {heading}"


def part_group(gold: Sequence[GoldRef]) -> str:
    """The report's "by part" group: Del A/B/C, Färdplan, Tjänsteskrivelse, Kontext."""
    labels = {
        (f"Del {g.part}" if g.part else "Avtalet")
        if g.document == "agreement"
        else {"fardplan": "Färdplan", "memo": "Tjänsteskrivelse"}.get(g.document, "Kontext")
        for g in gold
    }
    if not labels:
        return NO_GOLD
    return labels.pop() if len(labels) == 1 else SEVERAL


def agreement_group(gold: Sequence[GoldRef]) -> str | None:
    """The report's "by överenskommelse" group (Del C questions only)."""
    keys = {g.agreement for g in gold if g.agreement}
    if not keys:
        return None
    return keys.pop() if len(keys) == 1 else SEVERAL


def judge(
    question: Question,
    answer: Answer,
    tree: SectionTree,
    retrieved: Sequence[str] | None = None,
) -> Verdict:
    """Score one answer: rank of the gold hit, missing facts, unverified quotes; and, when
    the section ids retrieved before answering are given, the gold's rank among them."""
    golds = resolve_golds(question, tree)
    multi = question.type == "multi"
    rank = hit_rank(answer.citations, golds, tree, multi=multi)
    retrieved_rank = None
    if retrieved is not None:
        located = [tree.by_id.get(section_id) for section_id in retrieved]
        retrieved_rank = section_rank(located, golds, tree, multi=multi)
    facts_missing = short_facts_missing = None
    if question.answerable and question.key_facts:
        texts = [answer.answer] + [c.quote for c in answer.citations]
        # A declined answer states nothing, whatever its pointers quote.
        facts_missing = (
            list(question.key_facts)
            if answer.abstained
            else missing_facts(question.key_facts, texts)
        )
        short_facts_missing = (
            list(question.key_facts)
            if answer.abstained or not answer.short_answer
            else missing_facts(question.key_facts, [answer.short_answer])
        )
    cited_gold = sum(
        any(hits_gold(tree.locate(c), g, tree) for g in golds) for c in answer.citations
    )
    unverified = []
    for index, citation in enumerate(answer.citations, start=1):
        problem = quote_problem(citation, tree)
        if problem:
            unverified.append(
                {
                    "citation": index,
                    "label": citation_label(citation),
                    "reason": problem,
                    "quote": citation.quote,
                }
            )
    return Verdict(
        id=question.id,
        question=question.question,
        type=question.type,
        answerable=question.answerable,
        abstained=answer.abstained,
        rank=rank,
        gold=[g.label() for g in question.gold],
        cited=[citation_label(c) for c in answer.citations],
        facts_missing=facts_missing,
        short_facts_missing=short_facts_missing,
        unverified=unverified,
        unresolved_gold=[g.ref.label() for g in golds if not g.section_ids],
        latency_ms=answer.latency_ms,
        part=part_group(question.gold),
        agreement=agreement_group(question.gold),
        cited_gold=cited_gold,
        turn=question.turn,
        searched=retrieved is not None,
        retrieved_rank=retrieved_rank,
        evidence=getattr(answer, "evidence", None),
    )


def _share(values: Sequence[bool]) -> float | None:
    return float(np.mean(values)) if values else None


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """95 % Wilson score interval of a share (sound for small n and shares near 0 or 1)."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def core_metrics(verdicts: Sequence[Verdict]) -> dict:
    """The scores that make sense for any group of verdicts, each share with its 95 %
    Wilson interval under "ci"."""
    answerable = [v for v in verdicts if v.answerable]
    goldless = [v for v in verdicts if not v.answerable]
    with_facts = [v for v in answerable if v.facts_ok is not None]
    shares: dict[str, list[bool]] = {}
    for k in K_VALUES:
        shares[f"hit{k}"] = [v.hit(k) for v in answerable]
    shares["facts"] = [bool(v.facts_ok) for v in with_facts]
    # the key facts in the one sentence the answer opens with (issue 9.5)
    shares["short_facts"] = [bool(v.short_facts_ok) for v in with_facts]
    shares["oos_abstain"] = [v.abstained for v in goldless]
    shares["false_abstain"] = [v.abstained for v in answerable]
    if any(v.searched for v in answerable):
        for k in RECALL_KS:
            shares[f"recall{k}"] = [bool(v.retrieved_rank and v.retrieved_rank <= k)
                                    for v in answerable]
    out: dict = {"n": len(verdicts), "n_answerable": len(answerable), "n_oos": len(goldless)}
    out.update({name: _share(values) for name, values in shares.items()})
    out["mrr"] = (
        float(np.mean([1.0 / v.rank if v.rank and not v.abstained else 0.0 for v in answerable]))
        if answerable
        else None
    )
    out["n_facts"] = len(with_facts)
    answered = [v for v in answerable if not v.abstained]
    cited = sum(len(v.cited) for v in answered)
    out["citation_precision"] = sum(v.cited_gold for v in answered) / cited if cited else None
    out["ci"] = {name: wilson(sum(values), len(values)) for name, values in shares.items()}
    return out


def risk_coverage(verdicts: Sequence[Verdict]) -> list[tuple[float, float]]:
    """(coverage, risk) points: answers taken most-evidence first, declined ones included,
    so the curve shows what every threshold would give. An answer is wrong when its question
    has no gold or its first citation misses; a declined answer is judged by the section the
    search ranked first (what it would have cited first)."""
    scored = [v for v in verdicts if v.evidence is not None]
    if not scored:
        return []
    scored.sort(key=lambda v: v.evidence, reverse=True)
    points, wrong = [], 0
    for taken, verdict in enumerate(scored, start=1):
        first = verdict.retrieved_rank if verdict.abstained else verdict.rank
        wrong += (not verdict.answerable) or first != 1
        points.append((taken / len(scored), wrong / taken))
    return points


def _grouped(verdicts: Sequence[Verdict], key: Callable[[Verdict], str | None]) -> dict:
    groups: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        label = key(verdict)
        if label is not None:
            groups.setdefault(label, []).append(verdict)
    return {label: core_metrics(vs) for label, vs in sorted(groups.items())}


def aggregate(verdicts: Sequence[Verdict]) -> dict:
    """All metrics of one run (metrics.json): headline figures plus breakdowns."""
    metrics = core_metrics(verdicts)
    latencies = [v.latency_ms for v in verdicts]
    metrics["unverified_quotes"] = sum(len(v.unverified) for v in verdicts)
    metrics["unresolved_gold"] = sum(len(v.unresolved_gold) for v in verdicts)
    metrics["latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else None
    metrics["latency_p95_ms"] = float(np.percentile(latencies, 95)) if latencies else None
    metrics["by_type"] = _grouped(verdicts, lambda v: v.type)
    metrics["by_part"] = _grouped(verdicts, lambda v: v.part)
    metrics["by_agreement"] = _grouped(verdicts, lambda v: v.agreement)
    metrics["by_turn"] = _grouped(verdicts, lambda v: v.turn)
    metrics["risk_coverage"] = [
        [round(c, 4), round(r, 4)] for c, r in risk_coverage(verdicts)
    ]
    return metrics


def threshold_failures(metrics: dict, thresholds: dict[str, float]) -> list[str]:
    """Swedish lines for every --fail-under level missed; unverified quotes always fail."""
    failures = []
    for name, level in thresholds.items():
        key = THRESHOLD_ALIASES.get(name, name)
        value = metrics.get(key)
        if value is None or value < level:
            shown = "saknas" if value is None else f"{value:.3f}"
            failures.append(f"{name} = {shown} understiger kravet {level:.3f}")
    if metrics.get("unverified_quotes", 0):
        failures.append(
            f"{metrics['unverified_quotes']} citat finns inte ordagrant i korpusen (ska vara 0)"
        )
    return failures
