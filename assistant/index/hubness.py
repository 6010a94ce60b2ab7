"""Sentence hubness: how near each sentence stands to the rest of the corpus. The answerer
lowers a sentence's cosine by it (answer/extractive.py); it is quadratic in the number of
sentences (about 2 s at 20,000 on two cores), so a build computes it once and stores it
beside the sentence vectors, with the settings it was computed for."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.config import Settings

FILE = "hubness.npy"


def ranking_vectors(sentence_vectors: np.ndarray, window_vectors: np.ndarray | None,
                    window_weight: float) -> np.ndarray:
    """The sentence vectors the answerer ranks by: each sentence's own vector mixed with its
    window's (`window_weight` of it). Declining reads the sentences' own vectors."""
    if window_vectors is None or not window_weight:
        return sentence_vectors
    return ((1 - window_weight) * sentence_vectors
            + window_weight * window_vectors).astype(np.float32)


def hubness(vectors: np.ndarray, sections: list[str], k: int, block: int = 1024) -> np.ndarray:
    """How near each sentence stands to the rest of the corpus: the mean cosine to its `k`
    nearest sentences of other sections, less the corpus's mean of that (the local scaling
    of CSLS, Conneau et al. 2018): a sentence near everything is near every question too.
    Computed in blocks of rows, so memory stays at `block` × n."""
    n = len(vectors)
    if n <= k:
        return np.zeros(n, dtype=np.float32)
    ids = np.unique(np.asarray(sections), return_inverse=True)[1]
    nearest = np.empty(n, dtype=np.float32)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        similarity = vectors[rows] @ vectors.T
        similarity[ids[rows, None] == ids[None, :]] = -1.0
        nearest[rows] = np.partition(similarity, n - k, axis=1)[:, -k:].mean(axis=1)
    return nearest - nearest.mean()


def computed_for(settings: Settings) -> dict:
    """The settings stored hubness depends on (recorded in the build's manifest)."""
    return {"window_weight": settings.window_weight, "hub_k": settings.hub_k}


def write(target: Path, sentence_vectors: np.ndarray, window_vectors: np.ndarray,
          sections: list[str], settings: Settings) -> None:
    vectors = ranking_vectors(sentence_vectors, window_vectors, settings.window_weight)
    np.save(target / FILE, hubness(vectors, sections, settings.hub_k))


def read(build: Path, manifest: dict, settings: Settings, count: int) -> np.ndarray | None:
    """The build's stored hubness, None when it has none, was computed for other settings,
    or does not match its sentences (the answerer then computes it)."""
    if manifest.get("hubness") != computed_for(settings) or not (build / FILE).exists():
        return None
    stored = np.load(build / FILE)
    return stored if len(stored) == count else None
