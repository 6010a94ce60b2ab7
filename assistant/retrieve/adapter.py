"""A learned linear map on question vectors: how staff ask, moved towards how the texts say it.

e5-small places a question near sentences that share its wording; staff write "kortis",
"vem står för notan", "pat blir kvar på avd", the agreement "korttidsboende", "kostnadsansvar",
"utskrivningsklar". The adapter is one matrix D (dimension × dimension) applied to every
question vector q before any search: q' = (q + qD) / |q + qD|. Passages are untouched, so an
index needs no rebuild and a document added later is searched with the same map.

D is fitted (`fit`) on question → sentence pairs from the question sets (scripts/fit_adapter.py:
each answerable first-turn question with a key fact, and the index's sentences that hold the
fact), with a softmax over all sentences of the corpus (the question should be nearer its
sentences than every other one) and an L2 penalty pulling D towards 0 (no change). The file
records the embedding and the document series it was fitted for, the sets, the penalty and
the out-of-fold figures it was chosen on. It is used only for the same model and when one of
those series is indexed (a new version of the agreement is the same series): on documents it
never saw it moved questions away from their answers.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ADAPTER_FILE = Path(__file__).with_name("query_adapter.npz")
# the fit: full-batch Adam over the pairs; a temperature that makes e5's narrow cosine range
# (most lie within 0.75–0.9) a usable softmax
STEPS, LEARNING_RATE, TEMPERATURE = 300, 1e-3, 50.0


@dataclass(frozen=True)
class QueryAdapter:
    """The residual map D and what it was fitted for (`meta`: model, sets, penalty, figures)."""

    delta: np.ndarray
    meta: dict

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The question vector mapped and normalised (float32, like the embedder's)."""
        moved = vector + vector @ self.delta
        norm = float(np.linalg.norm(moved))
        return (moved / norm).astype(np.float32) if norm else vector

    def fits(self, model: str, dimension: int, series: Collection[str]) -> bool:
        """Whether it was fitted on vectors of this model (it means nothing on others) and on
        one of these document series (what it learnt is how questions reach their text: on
        other documents it cost more than it gained, docs/answer-quality.md session 13)."""
        fitted_on = self.meta.get("series")
        return (self.meta.get("model") == model and self.delta.shape == (dimension, dimension)
                and (fitted_on is None or bool(set(fitted_on) & set(series))))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, delta=self.delta.astype(np.float16),
                            meta=np.array(json.dumps(self.meta, ensure_ascii=False)))


@lru_cache(maxsize=4)
def load(path: Path) -> QueryAdapter | None:
    """The adapter stored at `path`; None when there is none."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        return QueryAdapter(data["delta"].astype(np.float32), json.loads(str(data["meta"])))


def fit(questions: np.ndarray, positives: list[list[int]], sentences: np.ndarray,
        penalty: float, seed: int = 0) -> np.ndarray:
    """D for question vectors (n × d) whose right sentences (rows of `sentences`, unit
    vectors) are `positives[i]`: minimises the softmax loss of the right sentences among all
    of them plus `penalty` × |D|². Deterministic for a seed (CPU, full batch)."""
    import torch  # only fitting needs it; answering applies D with numpy

    torch.manual_seed(seed)
    x = torch.tensor(questions, dtype=torch.float32)
    s = torch.tensor(sentences, dtype=torch.float32)
    right = torch.zeros(len(positives), len(sentences), dtype=torch.bool)
    for row, found in enumerate(positives):
        right[row, found] = True
    delta = torch.zeros(x.shape[1], x.shape[1], requires_grad=True)
    optimiser = torch.optim.Adam([delta], lr=LEARNING_RATE)
    for _ in range(STEPS):
        moved = x + x @ delta
        logits = TEMPERATURE * (moved / moved.norm(dim=1, keepdim=True)) @ s.T
        loss = (torch.logsumexp(logits, 1)
                - torch.logsumexp(logits.masked_fill(~right, -1e9), 1)).mean()
        loss = loss + penalty * (delta ** 2).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return delta.detach().numpy().copy()


def chosen(choice: str | None) -> QueryAdapter | None:
    """The adapter a setting names: None = the shipped file, "off" = none, else a path."""
    if (choice or "").lower() == "off":
        return None
    return load(Path(choice).expanduser() if choice else ADAPTER_FILE)


def usable(choice: str | None, model: str, dimension: int,
           series: Collection[str]) -> QueryAdapter | None:
    """The adapter `choice` names, when there is one fitted for this model and one of the
    document series indexed."""
    found = chosen(choice)
    return found if found is not None and found.fits(model, dimension, series) else None
