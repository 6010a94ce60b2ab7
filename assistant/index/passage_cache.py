"""Passage vectors kept from the last build, so a rebuild embeds only texts it has not seen.

Embedding is nearly all of a build's time (docs/speed.md). When a document is added to the
corpus, or the code that reads it changes a few sections, most chunk and sentence texts are
the same as in the last build: their vectors are taken from this cache (keyed by a hash of the
text, for one model export and backend) and only the rest is embedded. The cache holds the
texts of the latest build only, so it never grows beyond one index; it lives in the index
folder and goes with it. A cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from assistant.index.embed import DIMENSION, Embedding, embed_passages, release_models

log = logging.getLogger(__name__)

FOLDER = "passage-cache"


def cached_passages(texts: list[str], embedding: Embedding, index_dir: Path,
                    model_dir: Path, progress: bool = False) -> np.ndarray:
    """(n, DIMENSION) passage vectors for `texts`, embedding only those the cache lacks."""
    path = index_dir / FOLDER / f"{_key(embedding, model_dir)}.npz"
    known = _read(path)
    digests = [_digest(text) for text in texts]
    missing = {d: text for d, text in zip(digests, texts, strict=True) if d not in known}
    if missing:
        vectors = embed_passages(list(missing.values()), show_progress=progress,
                                 embedding=embedding)
        release_models()  # the build's many-thread session; answering loads its own
        known.update(zip(missing, vectors, strict=True))
    kept = {d: known[d] for d in dict.fromkeys(digests)}
    _write(path, kept)
    return np.stack([kept[d] for d in digests]) if digests else np.zeros((0, DIMENSION), np.float32)


def _key(embedding: Embedding, model_dir: Path) -> str:
    """The embedding's name and its export's marker: a model exported anew is a new key."""
    marker = model_dir / "onnx" / ".exported"
    export = marker.read_bytes() if embedding.backend == "onnx" and marker.exists() else b""
    return hashlib.sha256(embedding.name.encode() + export).hexdigest()[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as stored:
            return dict(zip(stored["digests"].tolist(), stored["vectors"], strict=True))
    except FileNotFoundError:
        return {}
    except Exception as error:  # noqa: BLE001 - a damaged cache is rebuilt, never trusted
        log.warning("passage cache not used: %s", type(error).__name__)
        return {}


def _write(path: Path, vectors: dict[str, np.ndarray]) -> None:
    """Replace the cache in one step (a crash leaves the old file or the new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, digests=np.array(list(vectors), dtype=str),
                 vectors=np.array(list(vectors.values()), dtype=np.float32).reshape(-1, DIMENSION))
        os.replace(partial, path)
        for other in path.parent.glob("*.npz"):  # another export's or backend's vectors
            if other != path:
                other.unlink(missing_ok=True)
    except OSError as error:
        log.warning("passage cache not written: %s", type(error).__name__)
