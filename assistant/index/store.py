"""Build, swap and open the index: Chroma (dense), bm25s (lexical), sentence vectors.

A build is written to its own folder under `index/builds/` and made live by replacing the
one-line `index/CURRENT` file (an atomic rename), so a failed or interrupted build never
touches the index in use. The manifest records content hashes of the corpus, so a changed
corpus is detected at start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.index.chunking import Sentence, chunk_section, sentences
from assistant.index.embed import Embedding, default_embedding
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.structure import load_corpus
from assistant.types import Chunk, Section

log = logging.getLogger(__name__)

INDEX_VERSION = "6"
COLLECTION = "chunks"
POINTER = "CURRENT"


@dataclass
class Index:
    """Everything the retriever and the answerer read, opened once."""

    path: Path
    documents: list[DocumentInfo]
    sections: list[Section]
    chunks: list[Chunk]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    bm25: object
    collection: object


# Code whose output is stored in the index: a change to it makes the index stale.
INDEXED_CODE = ("ingest", "index/chunking.py", "retrieve/lexical.py")
# How sentence vectors are made (`_sentence_vectors`); with the embedding backend's name it is
# part of the fingerprint, so a change to either rebuilds the index.
SENTENCE_VECTORS = "mean-of-plain-and-headed-1"


def fingerprint(settings: Settings) -> str:
    """Hash of every corpus file and of the code that reads it: changes when a rebuild is due."""
    digest = hashlib.sha256(INDEX_VERSION.encode())
    digest.update(str(settings.chunk_chars).encode())
    digest.update(f"{default_embedding().name}|{SENTENCE_VECTORS}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in INDEXED_CODE:
        for source in sorted((package / name).rglob("*.py")) if (package / name).is_dir() \
                else [package / name]:
            digest.update(source.read_bytes())
    for file in sorted(settings.corpus_dir.iterdir()):
        if file.is_file() and not file.name.startswith("."):
            digest.update(file.name.encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def current_build(settings: Settings) -> Path | None:
    pointer = settings.index_dir / POINTER
    if not pointer.exists():
        return None
    path = settings.index_dir / "builds" / pointer.read_text().strip()
    return path if (path / "manifest.json").exists() else None


def is_current(settings: Settings) -> bool:
    build = current_build(settings)
    if build is None:
        return False
    manifest = json.loads((build / "manifest.json").read_text())
    return manifest.get("fingerprint") == fingerprint(settings)


@contextmanager
def _build_lock(settings: Settings):
    """One build at a time per index folder (the chat, CLI and tests may start together)."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(settings: Settings, progress: bool = False, force: bool = True) -> Path:
    """Build a new index aside and make it current; returns its folder.

    With `force=False` an index that became current while waiting for the lock is kept."""
    with _build_lock(settings):
        if not force and is_current(settings):
            return current_build(settings)
        return _build(settings, progress)


def _build(settings: Settings, progress: bool) -> Path:
    started = time.perf_counter()
    problems: list[str] = []
    documents, all_sections = load_corpus(settings.corpus_dir, problems)
    chunks = [c for s in all_sections for c in chunk_section(s, settings.chunk_chars)]
    quotable = [x for s in all_sections for x in sentences(s)]
    by_id = {s.id: s for s in all_sections}
    texts = [c.indexed_text(by_id[c.section_id].heading_path) for c in chunks]

    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    target = settings.index_dir / "builds" / name
    target.mkdir(parents=True)
    embedding = default_embedding()
    try:
        vectors, sentence_vectors = _embed(texts, quotable, by_id, embedding, progress)
        _write_chroma(target, chunks, by_id, texts, vectors)
        _write_bm25(target, texts)
        np.save(target / "sentences.npy", sentence_vectors.astype(np.float32))
        _write_json(target / "sentences.json", [asdict(x) for x in quotable])
        _write_json(target / "sections.json", [asdict(s) for s in all_sections])
        _write_json(target / "chunks.json", [asdict(c) for c in chunks])
        _write_json(target / "documents.json", [asdict(d) for d in documents])
        _write_json(target / "manifest.json", {
            "fingerprint": fingerprint(settings), "version": INDEX_VERSION,
            "sections": len(all_sections), "chunks": len(chunks), "sentences": len(quotable),
            "seconds": round(time.perf_counter() - started, 1), "skipped": problems,
            "embedding": embedding.as_dict(),
        })
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _swap(settings, name)
    return target


def _embed(texts: list[str], quotable: list[Sentence], by_id: dict[str, Section],
           embedding: Embedding, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Chunk vectors and sentence vectors, every text embedded once and all in one call, so
    that batching by length spans all of them."""
    from assistant.index.embed import embed_passages, release_models

    plain = [x.text for x in quotable]
    headed = [f"{by_id[x.section_id].heading_path}\n{x.text}" for x in quotable]
    every = embed_passages(texts + plain + headed, show_progress=progress, embedding=embedding)
    release_models()  # the build's many-thread session; answering loads its own
    n, m = len(texts), len(quotable)
    return every[:n], _sentence_vectors(every[n:n + m], every[n + m:])


def _sentence_vectors(plain: np.ndarray, headed: np.ndarray) -> np.ndarray:
    """Mean of a sentence's own embedding and of it under its headings, so its score is the
    mean of both cosines: the words match, and so does the heading ("Syfte" for "syftet").

    Both are needed: mixing the sentence's vector with its heading path's by token counts
    (one pass fewer) lost 2 points of hit@1 on eval/questions.yaml."""
    return (plain + headed) / 2


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _chroma_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def _write_chroma(target: Path, chunks: list[Chunk], by_id: dict[str, Section],
                  texts: list[str], vectors: np.ndarray) -> None:
    collection = _chroma_client(target).create_collection(
        COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    metadatas = [_chunk_metadata(by_id[c.section_id]) for c in chunks]
    step = 1000
    for i in range(0, len(chunks), step):
        collection.add(
            ids=[c.id for c in chunks[i:i + step]],
            embeddings=vectors[i:i + step].tolist(),
            documents=texts[i:i + step],
            metadatas=metadatas[i:i + step],
        )


def _chunk_metadata(section: Section) -> dict:
    """Filterable fields: the web chat's part filter runs inside Chroma."""
    return {
        "section_id": section.id,
        "document": section.document,
        "part": section.part or "",
        "agreement": section.agreement or "",
        "kind": section.kind,
    }


def _write_bm25(target: Path, texts: list[str]) -> None:
    import bm25s

    from assistant.retrieve.lexical import tokens

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
    retriever = bm25s.BM25()
    retriever.index([tokens(t) or ["∅"] for t in texts], show_progress=False)
    retriever.save(str(target / "bm25"), show_progress=False)


def _swap(settings: Settings, name: str) -> None:
    pointer = settings.index_dir / POINTER
    temporary = settings.index_dir / f".{POINTER}.{os.getpid()}"
    temporary.write_text(name)
    os.replace(temporary, pointer)
    for old in (settings.index_dir / "builds").iterdir():
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def embedding_of(build: Path) -> Embedding:
    """The embedding backend a build's vectors were made with (its questions use the same)."""
    return Embedding.from_manifest(_read_json(build / "manifest.json"))


def open_index(settings: Settings) -> Index:
    """Open the current build (the caller makes sure one exists)."""
    import bm25s

    path = current_build(settings)
    if path is None:
        raise FileNotFoundError("no index")
    sections = [_section(row) for row in _read_json(path / "sections.json")]
    return Index(
        path=path,
        documents=[DocumentInfo(**row) for row in _read_json(path / "documents.json")],
        sections=sections,
        chunks=[Chunk(**row) for row in _read_json(path / "chunks.json")],
        sentences=[Sentence(**row) for row in _read_json(path / "sentences.json")],
        sentence_vectors=np.load(path / "sentences.npy"),
        bm25=bm25s.BM25.load(str(path / "bm25"), show_progress=False),
        collection=_chroma_client(path).get_collection(COLLECTION, embedding_function=None),
    )


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _section(row: dict) -> Section:
    row["spans"] = [tuple(span) for span in row["spans"]]
    return Section(**row)
