"""Answer, answer with low confidence, or decline: a small calibrated model, not hand weights.

The evidence signals the search reports (retrieve/hybrid.py `signals`: best dense similarity,
share of the question's words the corpus uses, a topic word or a name the documents never
use, how much of the question the top sections hold, how much the best section stands out;
decision.json lists those the model reads) are combined by a
logistic regression fitted with k-fold cross-validation on the shipped question sets
(scripts/calibrate_threshold.py writes `decision.json` beside this file, with the
out-of-fold figures it was chosen on). The probability that the documents answer is then
read against two thresholds: below `decline_below` the assistant declines; below
`sure_above` it answers but says it is not sure ("låg").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("decision.json")
HIGH, LOW = "hög", "låg"


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

    def probability(self, signals: dict[str, float]) -> float:
        """Probability that the documents answer a question with these signals."""
        z = self.intercept + sum(
            c * (float(signals[name]) - m) / (s or 1.0)
            for name, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def confidence(self, probability: float) -> str | None:
        """"hög", "låg", or None (decline)."""
        if probability < self.decline_below:
            return None
        return HIGH if probability >= self.sure_above else LOW

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef),
                "intercept": self.intercept, "decline_below": self.decline_below,
                "sure_above": self.sure_above}

    @classmethod
    def from_dict(cls, data: dict) -> DecisionModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coef"]), float(data["intercept"]),
                   float(data["decline_below"]), float(data["sure_above"]))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> DecisionModel:
    """The fitted model shipped with the code (or another file, e.g. while calibrating)."""
    return DecisionModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
