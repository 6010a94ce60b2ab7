"""LangChain face of the hybrid search (`Assistant.retriever`), kept apart from hybrid.py so
that answering a question never imports LangChain (about a second of start-up)."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieve.focus import without_agreement_name
from assistant.retrieve.hybrid import Hit, HybridSearch, Scope


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
        dense = self.search_engine.expand(query, dense=True)
        vector = self.embed_query(without_agreement_name(dense))
        hits = self.search_engine.search(expanded, vector, self.scope, self.k)
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
