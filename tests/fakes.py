"""Stand-ins for the model and the index in fast unit tests of the ranking.

`HashEmbedder` is a deterministic bag-of-words "model" (the way simonw/llm tests with mock
models): each stemmed token adds to one dimension chosen by a stable hash, and to the
dimension of its concept where a small table gives one (a stand-in for what a real model
knows: a "rullstol" is a "hjälpmedel"). `memory_index` makes the retriever's and the
answerer's `Index` from a few hand-written sections with the real chunking, the real BM25
and the real sentence splitting; only Chroma is replaced, by `MemoryCollection` (exact
cosine in memory with Chroma's `where` filters). No model is loaded and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from assistant.answer.decide import DecisionModel
from assistant.index.chunking import chunk_section, sentences
from assistant.index.store import Index, window_texts
from assistant.ingest.manifest import DocumentInfo
from assistant.retrieve.lexical import tokens
from assistant.types import Section

DIMENSIONS = 2048


class HashEmbedder:
    """text → unit float32 vector of its stemmed words (and their concepts)."""

    def __init__(self, concepts: Mapping[str, str] | None = None, dimensions: int = DIMENSIONS):
        # Keys and values are words as typed; both are compared as stemmed tokens.
        self.concepts = {_stem(k): _stem(v) for k, v in (concepts or {}).items()}
        self.dimensions = dimensions
        self.calls = 0

    def __call__(self, text: str) -> np.ndarray:
        self.calls += 1
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for token in tokens(text):
            vector[self._slot(token)] += 1.0
            if token in self.concepts:
                vector[self._slot(self.concepts[token])] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def many(self, texts: Iterable[str]) -> np.ndarray:
        rows = [self(t) for t in texts]
        return np.stack(rows) if rows else np.zeros((0, self.dimensions), dtype=np.float32)

    def _slot(self, token: str) -> int:
        # hashlib, not hash(): str hashes change between processes.
        return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(),
                              "big") % self.dimensions


def _stem(word: str) -> str:
    found = tokens(word)
    return found[0] if found else word.lower()


class MemoryCollection:
    """What HybridSearch reads of a Chroma collection: `query` and `count`."""

    def __init__(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]):
        self.ids, self.vectors, self.metadatas = ids, vectors, metadatas

    def count(self) -> int:
        return len(self.ids)

    def query(self, query_embeddings, n_results: int = 10, where: dict | None = None,
              include=("distances",)) -> dict:
        query = np.asarray(query_embeddings[0], dtype=np.float32)
        similarity = self.vectors @ query
        admitted = [i for i, meta in enumerate(self.metadatas) if _matches(meta, where)]
        best = sorted(admitted, key=lambda i: -similarity[i])[:n_results]
        return {"ids": [[self.ids[i] for i in best]],
                "distances": [[1.0 - float(similarity[i]) for i in best]]}


def _matches(meta: dict, where: dict | None) -> bool:
    """Chroma's metadata filter, as much of it as Scope.where writes."""
    if not where:
        return True
    if "$and" in where:
        return all(_matches(meta, clause) for clause in where["$and"])
    (key, condition), = where.items()
    if isinstance(condition, dict):
        if "$nin" in condition:
            return meta.get(key) not in condition["$nin"]
        if "$in" in condition:
            return meta.get(key) in condition["$in"]
        if "$eq" in condition:
            return meta.get(key) == condition["$eq"]
        raise ValueError(f"filter not supported by the fake: {condition}")
    return meta.get(key) == condition


def section(id: str, body: str, *, document: str = "avtal", title: str | None = None,
            kind: str = "avtal", part: str | None = None, level: int = 2,
            number: str | None = None, path: list[str] | None = None) -> Section:
    """A hand-written section: one page, its heading path from the title."""
    title = title or id
    return Section(id=id, document=document, document_title=document.capitalize(),
                   kind=kind, part=part, agreement=None, section=number, title=title,
                   level=level, path=path or [document.capitalize(), title], body=body,
                   spans=[(0, 1)])


def documents_of(sections: Iterable[Section]) -> list[DocumentInfo]:
    seen: dict[str, DocumentInfo] = {}
    for s in sections:
        seen.setdefault(s.document, DocumentInfo(id=s.document, file=f"{s.document}.txt",
                                                 title=s.document_title, kind=s.kind))
    return list(seen.values())


def memory_index(sections_: list[Section], embed: HashEmbedder, chunk_chars: int = 700,
                 path: Path = Path("memory-index")) -> Index:
    """The Index the retriever and the answerer read, built in memory the way store.py
    builds it on disk: chunks carry their heading path; sentence vectors are the mean of the
    plain and the headed sentence; window vectors embed each sentence with its neighbours."""
    import bm25s

    by_id = {s.id: s for s in sections_}
    chunks = [c for s in sections_ for c in chunk_section(s, chunk_chars)]
    texts = [c.indexed_text(by_id[c.section_id].heading_path) for c in chunks]
    quotable = [x for s in sections_ for x in sentences(s)]
    plain = embed.many(x.text for x in quotable)
    headed = embed.many(f"{by_id[x.section_id].heading_path}\n{x.text}" for x in quotable)
    mean = plain + headed
    sentence_vectors = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-9)
    window_vectors = embed.many(window_texts(quotable, by_id))
    bm25 = bm25s.BM25()
    bm25.index([tokens(t) or ["∅"] for t in texts], show_progress=False)
    metadatas = [{"document": by_id[c.section_id].document,
                  "part": by_id[c.section_id].part or "",
                  "agreement": by_id[c.section_id].agreement or "",
                  "kind": by_id[c.section_id].kind} for c in chunks]
    return Index(path=path, documents=documents_of(sections_), sections=list(sections_),
                 chunks=chunks, sentences=quotable,
                 sentence_vectors=sentence_vectors.astype(np.float32), bm25=bm25,
                 window_vectors=window_vectors.astype(np.float32),
                 collection=MemoryCollection([c.id for c in chunks], embed.many(texts),
                                             metadatas))


def decision_file(folder: Path, *, decline_below: float = 0.5,
                  sure_above: float = 0.8) -> Path:
    """A decision model on the fake's scale (bag-of-words cosines are far below e5's): the
    same signals as the shipped one, centred where the fake's answerable and off-topic
    questions part. The shipped decision.json is fitted to e5 and would decline them all."""
    model = DecisionModel(features=("similarity", "coverage", "unknown"),
                          mean=(0.3, 0.6, 0.5), scale=(0.1, 0.2, 0.5),
                          coef=(2.0, 1.0, -1.5), intercept=0.0,
                          decline_below=decline_below, sure_above=sure_above)
    file = folder / "decision.json"
    file.write_text(json.dumps(model.to_dict()), encoding="utf-8")
    return file
