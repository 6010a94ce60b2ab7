"""Answer, answer with low confidence, or decline: a small calibrated model, not hand weights.

The evidence signals (decision.json lists those the model reads) are combined by a logistic
regression fitted with k-fold cross-validation on the question sets
(scripts/calibrate_threshold.py writes the model beside this file, with the out-of-fold and
sets-held-out-whole figures it was chosen on: `decision_series.json`, used only when the
documents whose questions it was fitted on are indexed, `model_for`; `decision.json` for any
other index). The probability that the
documents answer is then read against two thresholds: below `decline_below` the assistant
declines; below `sure_above` it answers but says it is not sure ("låg").

The signals: from the search (retrieve/hybrid.py `signals`) how much the best section stands
out, the share of the question's words the corpus uses, a topic word or a name the documents
never use (and whether that word is rare in Swedish in every form, or a common one), a topic
word they do use; from here, `sentence_evidence` (the best cosine to one sentence, and the
question's own level: its median cosine to all of them) and `quantity_missing`, set when the
question asks for an amount, a duration or span, a count (of the thing it names: cues.py
`counted`), how often or an age and no sentence of the top sections that shares a topical word
with the question gives one ("Vad kostar …" answered by a section on who pays).

A question in another language than Swedish is judged without the signals that read its
words (WORD_SIGNALS: they would call every English word unknown): the model reads them as
their mean, i.e. as no evidence either way. Its dense similarity is read at the Swedish
level: across languages e5's cosines are lower everywhere (an English question's median
cosine to the sentences lies some 0.05 below a Swedish one's), so its similarities are
shifted by the difference between the Swedish questions' mean level (`baseline`, measured
when fitting) and its own. It is answered at most with "låg".
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answer.cues import asked_in_turn, counted, gives_quantity, in_english

MODEL_FILE = Path(__file__).with_name("decision.json")
# A model refitted on the questions about particular documents (scripts/calibrate_threshold.py
# records their series): used only when the index holds one of them, like the question adapter.
SERIES_MODEL_FILE = Path(__file__).with_name("decision_series.json")
HIGH, LOW = "hög", "låg"
# quantity_missing looks for the quantity in sentences sharing a topical word with the question:
# one that fewer than this share of the sections use (0.2 / 0.35 / 0.5 compared: 0.2 best).
TOPICAL_SHARE = 0.2
# Signals read from the question's words (the corpus's vocabulary, Swedish phrasing): not
# evidence for a question in another language.
WORD_SIGNALS = frozenset({"coverage", "unknown", "unknown_rare", "matched", "unknown_name",
                          "known_topic", "quantity_missing"})
# Dense similarities: read at the Swedish level for a question in another language.
DENSE_SIGNALS = frozenset({"similarity", "sentence_similarity"})


@dataclass(frozen=True)
class DecisionModel:
    """Standardised logistic regression over named signals, with its two thresholds."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    decline_below: float
    sure_above: float
    # the fitting questions' mean median cosine to the corpus's sentences (Swedish questions)
    baseline: float | None = None
    # the document series whose questions it was fitted on; None: any documents
    series: tuple[str, ...] | None = None

    def probability(self, signals: dict[str, float]) -> float:
        """Probability that the documents answer a question with these signals; a signal
        left out counts as its mean (no evidence either way)."""
        z = self.intercept + sum(
            c * (float(signals[name]) - m) / (s or 1.0)
            for name, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
            if name in signals
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def confidence(self, probability: float, swedish: bool = True) -> str | None:
        """"hög", "låg", or None (decline). A question not in Swedish is answered at most
        with "låg": the sentences are chosen by the question's words too, and an English
        question's words are not the text's (on our own English questions the best section
        was the right one for 4 of 8)."""
        if probability < self.decline_below:
            return None
        return HIGH if probability >= self.sure_above and swedish else LOW

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef),
                "intercept": self.intercept, "decline_below": self.decline_below,
                "sure_above": self.sure_above, "baseline": self.baseline,
                **({"series": list(self.series)} if self.series is not None else {})}

    @classmethod
    def from_dict(cls, data: dict) -> DecisionModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coef"]), float(data["intercept"]),
                   float(data["decline_below"]), float(data["sure_above"]),
                   data.get("baseline"),
                   tuple(data["series"]) if data.get("series") is not None else None)


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> DecisionModel:
    """The fitted model shipped with the code (or another file, e.g. while calibrating)."""
    return DecisionModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def model_for(series: Collection[str], general: Path = MODEL_FILE,
              fitted: Path = SERIES_MODEL_FILE) -> DecisionModel:
    """The model refitted on questions about these documents (`fitted`) when the index holds
    one of the series it was fitted on, else the `general` one. A model fitted on one corpus's
    questions sets its threshold where that corpus's questions lie: on the seven fixture
    documents the refit on the 23 sets declined 16 answerable questions of 162 against 9
    (docs/answer-quality.md, session 20)."""
    if fitted.exists():
        model = load_model(fitted)
        if model.series is not None and set(model.series) & set(series):
            return model
    return load_model(general)


def quantity_missing(question: str, sentences: Iterable[str], own: str | None = None) -> float:
    """1.0 when the question asks for a kind of quantity (an amount, a duration, a count, how
    often, an age, a way to reach someone; a follow-up's: cues.asked_in_turn) and none of
    `sentences` (the top sections' sentences on its topic) gives one of that kind, else 0.0."""
    kinds = asked_in_turn(question, own)
    if not kinds:
        return 0.0
    thing = ((own and counted(own)) or counted(question)) if "count" in kinds else None
    return 0.0 if any(gives_quantity(sentence, kinds, thing) for sentence in sentences) else 1.0


def sentence_evidence(sentence_vectors: np.ndarray, vector: np.ndarray,
                      admitted: np.ndarray | None = None) -> dict[str, float]:
    """The question's dense evidence sentence by sentence: its best cosine to a sentence (of
    the `admitted` ones: the scope's) and its median cosine to all of them, its own level
    (a question in another language, or one about nothing in particular, lies lower
    everywhere)."""
    # einsum, not @: a product this size makes OpenBLAS start its threads, which then spin
    # beside the next question's ONNX run on a small machine (measured: twice the latency)
    similarity = np.einsum("ij,j->i", sentence_vectors,
                           np.asarray(vector, dtype=sentence_vectors.dtype))
    if not len(similarity):
        return {"sentence_similarity": 0.0, "level": 0.0}
    best = similarity[admitted] if admitted is not None else similarity
    return {"sentence_similarity": float(best.max()) if len(best) else 0.0,
            "level": float(np.median(similarity))}


def decision_signals(question: str, found: dict[str, float], sentences: Iterable[str],
                     baseline: float | None = None, own: str | None = None) -> dict[str, float]:
    """The signals the model reads for a question: `found` (the search's and
    sentence_evidence) and quantity_missing over `sentences`. For a question not in Swedish:
    without WORD_SIGNALS, and with its dense similarities read at the Swedish questions'
    level (`baseline`) instead of its own, when given."""
    signals = {**found, "quantity_missing": quantity_missing(question, sentences, own)}
    if not in_english(question):
        return signals
    kept = {name: value for name, value in signals.items() if name not in WORD_SIGNALS}
    return at_level(kept, baseline) if baseline is not None and "level" in kept else kept


def at_level(signals: dict[str, float], baseline: float) -> dict[str, float]:
    """The signals with the dense similarities read at `baseline` instead of the question's
    own `level` (across languages e5's cosines lie lower everywhere)."""
    shift = baseline - signals["level"]
    shifted = {name: value + shift if name in DENSE_SIGNALS else value
               for name, value in signals.items()}
    shifted["level"] = baseline
    return shifted
