"""Hybrid retrieval: dense (e5 in Chroma) and lexical (BM25) ranks fused per section.

Each retriever misses different questions (DESIGN.md: e5 MRR 0.77, BM25 0.65), so their
ranks are fused with reciprocal rank fusion; the best dense similarity is kept as the
evidence strength the answerer uses to decline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from assistant.index.store import Index
from assistant.retrieve.glossary import build_glossary, expand
from assistant.retrieve.lexical import correct, tokens
from assistant.types import Section

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Hit:
    """One retrieved section with its fused score and its best dense similarity."""

    section: Section
    score: float
    similarity: float
    chunk_id: str


@dataclass(frozen=True)
class Scope:
    """Which sections a question may be answered from (the web chat's filter)."""

    part: str | None = None
    agreement: str | None = None
    document: str | None = None

    def where(self) -> dict | None:
        clauses = [{k: v} for k, v in (("part", self.part), ("agreement", self.agreement),
                                        ("document", self.document)) if v]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, section: Section) -> bool:
        return ((not self.part or section.part == self.part)
                and (not self.agreement or section.agreement == self.agreement)
                and (not self.document or section.document == self.document))


class HybridSearch:
    """Searches one opened index; cheap to call, everything heavy is loaded once."""

    def __init__(self, index: Index, settings: Settings, mode: str = "hybrid"):
        if mode not in MODES:
            raise ValueError(f"unknown retriever {mode!r}")
        self.index, self.settings, self.mode = index, settings, mode
        self.sections = {s.id: s for s in index.sections}
        self.chunk_sections = [c.section_id for c in index.chunks]
        self.chunk_ids = [c.id for c in index.chunks]
        self.glossary = build_glossary(s.body for s in index.sections)
        self.vocabulary = set(index.bm25.vocab_dict)

    def expand(self, question: str) -> str:
        return expand(question, self.glossary)

    def search(self, query: str, query_vector: np.ndarray, scope: Scope = Scope(),
               limit: int = 10) -> list[Hit]:
        ranked: dict[str, float] = defaultdict(float)
        similarity: dict[str, float] = {}
        best_chunk: dict[str, str] = {}
        if self.mode in ("hybrid", "dense"):
            for rank, (chunk_id, sim) in enumerate(self._dense(query_vector, scope)):
                section_id = chunk_id.split("#")[0]
                if section_id not in similarity:
                    ranked[section_id] += 1.0 / (self.settings.rrf_k + len(similarity) + 1)
                    similarity[section_id] = sim
                    best_chunk[section_id] = chunk_id
        if self.mode in ("hybrid", "bm25"):
            seen: set[str] = set()
            for chunk_index in self._lexical(query, scope):
                section_id = self.chunk_sections[chunk_index]
                if section_id not in seen:
                    ranked[section_id] += 1.0 / (self.settings.rrf_k + len(seen) + 1)
                    seen.add(section_id)
                    best_chunk.setdefault(section_id, self.chunk_ids[chunk_index])
        order = sorted(ranked, key=lambda s: ranked[s], reverse=True)[:limit]
        return [Hit(self.sections[s], ranked[s], similarity.get(s, 0.0), best_chunk[s])
                for s in order]

    def _dense(self, vector: np.ndarray, scope: Scope) -> list[tuple[str, float]]:
        result = self.index.collection.query(
            query_embeddings=[vector.tolist()], n_results=self.settings.candidates,
            where=scope.where(), include=["distances"],
        )
        return [(cid, 1.0 - dist) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    def _lexical(self, query: str, scope: Scope) -> list[int]:
        query_tokens = [t for t in correct(tokens(query), self.vocabulary) if t in self.vocabulary]
        if not query_tokens:
            return []
        scores = self.index.bm25.get_scores(query_tokens)
        order = np.argsort(-scores)
        picked = []
        for i in order:
            if scores[i] <= 0 or len(picked) >= self.settings.candidates:
                break
            if scope.admits(self.sections[self.chunk_sections[i]]):
                picked.append(int(i))
        return picked


class AgreementRetriever(BaseRetriever):
    """LangChain face of the hybrid search: `Document`s carrying citation metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search_engine: HybridSearch
    embed_query: object
    scope: Scope = Scope()
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        expanded = self.search_engine.expand(query)
        hits = self.search_engine.search(expanded, self.embed_query(expanded), self.scope, self.k)
        return [_document(hit) for hit in hits]


def _document(hit: Hit) -> Document:
    s = hit.section
    return Document(
        page_content=s.body,
        id=s.id,
        metadata={
            "section_id": s.id, "document": s.document, "document_title": s.document_title,
            "part": s.part, "agreement": s.agreement, "section": s.section, "title": s.title,
            "page": s.page_start, "heading_path": s.heading_path, "score": hit.score,
            "similarity": hit.similarity,
        },
    )
