"""Where the chunk vectors live: embedded Chroma files (default) or a Chroma server.

`store_for(settings, build)` picks the backend: with `AVTAL_CHROMA_URL=http://host:port`
(`chroma run --path DIR --host 127.0.0.1 --port P`) every build writes its own collection
("avtal-<build name>") to the server, so the build's CURRENT pointer names the collection and
switching builds switches collections atomically. A build also keeps its chunk vectors
(chunk_vectors.npy), so an index built embedded, copied, or meant for a fresh server is
published to the server the first time it is opened. Old collections are removed when the
next build is written: the one that was live until the switch stays, so processes still
serving it see no error before they reopen.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from assistant.errors import UserError

log = logging.getLogger(__name__)

EMBEDDED_COLLECTION = "chunks"
PREFIX = "avtal-"
VECTORS_FILE = "chunk_vectors.npy"
ROWS_FILE = "vectors.json"
STEP = 1000
# HNSW search is approximate, and Chroma writes a collection's graph to disk only from
# `sync_threshold` (1000) vectors on: below it every process that opens the collection inserts
# the vectors anew on several threads, so two processes could find different nearest chunks
# for one question (measured on the shipped corpus, 328 chunks: 2 of 5 processes differed, and
# with them the cited section). Searching with ef_search of at least the collection's size
# visits every chunk: exact, hence the same in every process. Up to EXACT_UP_TO vectors; a
# larger collection's graph is on disk, the same for every process.
DEFAULT_EF = 100
EXACT_UP_TO = 5000


def collection_configuration(count: int) -> dict:
    """Chroma's configuration for a collection of `count` chunk vectors (cosine)."""
    return {"hnsw": {"space": "cosine",
                     "ef_search": max(DEFAULT_EF, min(count, EXACT_UP_TO))}}


class VectorStore(Protocol):
    """One place chunk collections are written to and opened from."""

    def exists(self, name: str) -> bool: ...
    def write(self, name: str, ids: list[str], vectors: np.ndarray, documents: list[str],
              metadatas: list[dict]) -> None: ...
    def open(self, name: str) -> Any: ...
    def prune(self, keep: set[str]) -> list[str]: ...


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class EmbeddedChroma:
    """Chroma files inside one build folder (one process reads them; the default)."""

    def __init__(self, build: Path):
        import chromadb

        self.client = chromadb.PersistentClient(path=str(build / "chroma"),
                                                settings=_chroma_settings())

    def exists(self, name: str) -> bool:
        return name in {c if isinstance(c, str) else c.name
                        for c in self.client.list_collections()}

    def write(self, name: str, ids: list[str], vectors: np.ndarray, documents: list[str],
              metadatas: list[dict]) -> None:
        _add(self.client.create_collection(
                 name, embedding_function=None,
                 configuration=collection_configuration(len(ids))),
             ids, vectors, documents, metadatas)

    def open(self, name: str) -> Any:
        return self.client.get_collection(name, embedding_function=None)

    def prune(self, keep: set[str]) -> list[str]:
        return []  # each build has its own folder; old folders are removed with the build


class ChromaServer:
    """Collections on a Chroma server shared by every serving process."""

    def __init__(self, url: str):
        import chromadb

        parts = urlparse(url if "://" in url else f"http://{url}")
        self.url = url
        self.client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1",
                                          port=parts.port or 8000,
                                          ssl=parts.scheme == "https",
                                          settings=_chroma_settings())

    def names(self) -> set[str]:
        return {c if isinstance(c, str) else c.name for c in self.client.list_collections()}

    def exists(self, name: str) -> bool:
        return name in self.names()

    def write(self, name: str, ids: list[str], vectors: np.ndarray, documents: list[str],
              metadatas: list[dict]) -> None:
        # get_or_create + upsert: two processes publishing the same build do no harm.
        _add(self.client.get_or_create_collection(
                 name, embedding_function=None,
                 configuration=collection_configuration(len(ids))),
             ids, vectors, documents, metadatas, upsert=True)

    def open(self, name: str) -> Any:
        return self.client.get_collection(name, embedding_function=None)

    def prune(self, keep: set[str]) -> list[str]:
        """Delete this project's collections that are not in `keep`."""
        removed = []
        for name in sorted(self.names()):
            if name.startswith(PREFIX) and name not in keep:
                self.client.delete_collection(name)
                removed.append(name)
        return removed


def _add(collection: Any, ids: list[str], vectors: np.ndarray, documents: list[str],
         metadatas: list[dict], upsert: bool = False) -> None:
    add = collection.upsert if upsert else collection.add
    for i in range(0, len(ids), STEP):
        add(ids=ids[i:i + STEP], embeddings=vectors[i:i + STEP].tolist(),
            documents=documents[i:i + STEP], metadatas=metadatas[i:i + STEP])


def collection_name(chroma_url: str | None, build: Path) -> str:
    """The collection a build's vectors live in: one per build on a server."""
    return f"{PREFIX}{build.name}" if chroma_url else EMBEDDED_COLLECTION


def store_for(chroma_url: str | None, build: Path) -> VectorStore:
    return ChromaServer(chroma_url) if chroma_url else EmbeddedChroma(build)


def write_build(chroma_url: str | None, build: Path, ids: list[str], vectors: np.ndarray,
                documents: list[str], metadatas: list[dict],
                live: Path | None = None, embedded: bool = True) -> str:
    """Save a build's chunk vectors in its folder and write them to its store (`embedded`:
    also when that is the embedded one); on a server remove older collections except the live
    one. Returns the collection name."""
    np.save(build / VECTORS_FILE, vectors.astype(np.float32))
    (build / ROWS_FILE).write_text(json.dumps(
        {"ids": ids, "documents": documents, "metadatas": metadatas}, ensure_ascii=False),
        encoding="utf-8")
    if not chroma_url and not embedded:
        return EMBEDDED_COLLECTION
    store = store_for(chroma_url, build)
    name = collection_name(chroma_url, build)
    keep = {name} | ({collection_name(chroma_url, live)} if live else set())
    removed = store.prune(keep)
    if removed:
        log.info("removed old collections: %s", ", ".join(removed))
    store.write(name, ids, vectors, documents, metadatas)
    return name


def open_collection(chroma_url: str | None, build: Path) -> Any:
    """The build's collection, published to the server first when the server lacks it."""
    if not chroma_url:
        return EmbeddedChroma(build).open(EMBEDDED_COLLECTION)
    try:
        store = ChromaServer(chroma_url)
        name = collection_name(chroma_url, build)
        if not store.exists(name):
            log.info("publishing %s to %s", name, chroma_url)
            store.write(name, *_saved_rows(build))
        return store.open(name)
    except Exception as error:
        if "connect" not in f"{type(error).__name__} {error}".lower():
            raise
        raise UserError(f"Chroma-servern {chroma_url} svarar inte. Starta den (chroma run "
                        "--path MAPP --host 127.0.0.1 --port PORT) eller ta bort "
                        "AVTAL_CHROMA_URL.") from None


def _saved_rows(build: Path) -> tuple[list[str], np.ndarray, list[str], list[dict]]:
    """A build's chunk rows: from its saved vectors, or from its embedded Chroma files."""
    if (build / VECTORS_FILE).exists() and (build / ROWS_FILE).exists():
        rows = json.loads((build / ROWS_FILE).read_text(encoding="utf-8"))
        return (rows["ids"], np.load(build / VECTORS_FILE), rows["documents"],
                rows["metadatas"])
    got = EmbeddedChroma(build).open(EMBEDDED_COLLECTION).get(
        include=["embeddings", "documents", "metadatas"])
    return (list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32),
            list(got["documents"]), list(got["metadatas"]))
