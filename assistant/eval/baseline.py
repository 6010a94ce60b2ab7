"""The default LangChain recipe, scored on the same questions to show what our pipeline adds.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the raw corpus files
(whole files, PDF debris included), our own e5 embeddings in an in-memory Chroma collection
(never Chroma's default embedding function: it downloads), top-k chunks as citations, the top
chunk as the answer, never declining. Each chunk is labelled with the section where it starts,
found by its first normalised characters in the section texts (headings and bodies).
"""

from __future__ import annotations

import bisect
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.types import Answer, Citation, Section

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5
_PROBE_CHARS = (80, 40)
_MIN_PROBE = 20
_NON_WORD = re.compile(r"[\W_]+")
_SOURCE_SUFFIXES = {".txt", ".md", ".pdf"}


class Embeddings(Protocol):
    """The LangChain Embeddings interface (E5Embeddings implements it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def _key(text: str) -> str:
    """Letters and digits only, case-folded: line breaks, hyphenation and spacing vanish."""
    return _NON_WORD.sub("", text.casefold())


class SectionLocator:
    """Find the section a piece of raw text starts in, by matching normalised text."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self._sections = list(sections)
        pieces: list[str] = []
        self._starts: list[int] = []
        position = 0
        for section in self._sections:
            piece = _key(f"{section.section or ''} {section.title}") + _key(section.body)
            self._starts.append(position)
            pieces.append(piece)
            position += len(piece)
        self._text = "".join(pieces)

    def locate(self, text: str, after: int = 0) -> tuple[Section | None, int]:
        """The section holding the text's first normalised characters, and where they are.

        Later lines are tried when a page marker or running header breaks the match. The
        search starts at `after` (the previous chunk of the same file) so repeated
        boilerplate maps to the right occurrence, then falls back to the whole corpus.
        """
        lines = text.splitlines()
        for size in _PROBE_CHARS:
            for start in range(len(lines)):
                probe = _key("\n".join(lines[start:]))[:size]
                if len(probe) < min(size, _MIN_PROBE) or (len(probe) < size and start > 0):
                    break
                found = self._text.find(probe, after)
                if found < 0:
                    found = self._text.find(probe)
                if found >= 0:
                    return self._sections[bisect.bisect_right(self._starts, found) - 1], found
        return None, after


@dataclass(frozen=True)
class BaselineChunk:
    text: str
    source: str
    start: int
    section: Section | None


def raw_corpus(corpus_dir: Path) -> dict[str, str]:
    """Whole raw text of every corpus file, as a naive pipeline would load it."""
    from assistant.ingest.pages import read_pages

    texts = {}
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix.lower() not in _SOURCE_SUFFIXES:
            continue
        if path.suffix.lower() == ".pdf":
            texts[path.name] = "\n".join(page.text for page in read_pages(path))
        else:
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def split_corpus(
    texts: dict[str, str], sections: Sequence[Section], files: dict[str, str] | None = None
) -> list[BaselineChunk]:
    """LangChain's default splitter over whole files; each chunk labelled with its section.

    `files` (document id → file name) restricts the search to the chunk's own file, so a
    context document quoting the agreement is not mistaken for it.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    everywhere = SectionLocator(sections)
    chunks = []
    for name, text in texts.items():
        own = [s for s in sections if files and files.get(s.document) == name]
        locator = SectionLocator(own) if own else everywhere
        position, previous = 0, None
        for doc in splitter.create_documents([text], metadatas=[{"source": name}]):
            section, position = locator.locate(doc.page_content, position)
            # A chunk too short or too garbled to find continues the previous one's section.
            section = previous = section or previous
            start = int(doc.metadata.get("start_index", -1))
            chunks.append(BaselineChunk(doc.page_content, name, start, section))
    return chunks


def _citation(chunk: BaselineChunk) -> Citation:
    section = chunk.section
    if section is None:
        return Citation(chunk.source, chunk.source, None, None, None, "", None, chunk.text)
    return Citation(
        document=section.document,
        document_title=section.document_title,
        part=section.part,
        agreement=section.agreement,
        section=section.section,
        title=section.title,
        page=section.page_start,
        quote=chunk.text,
        section_id=section.id,
    )


class LangChainBaseline:
    """Answers like the default recipe; `ask` has the Assistant's signature."""

    def __init__(
        self, chunks: Sequence[BaselineChunk], embeddings: Embeddings, top_k: int = TOP_K
    ) -> None:
        import chromadb
        from chromadb.config import Settings

        self.chunks = list(chunks)
        self.top_k = top_k
        self._embeddings = embeddings
        client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        self._collection = client.create_collection(
            f"baseline-{uuid.uuid4().hex}",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        vectors = embeddings.embed_documents([c.text for c in self.chunks])
        self._collection.add(
            ids=[str(i) for i in range(len(self.chunks))],
            embeddings=vectors,
            documents=[c.text for c in self.chunks],
        )

    @classmethod
    def build(
        cls,
        corpus_dir: Path,
        sections: Sequence[Section],
        files: dict[str, str] | None = None,
        embeddings: Embeddings | None = None,
    ) -> LangChainBaseline:
        if embeddings is None:
            from assistant.index.embed import E5Embeddings

            embeddings = E5Embeddings()
        return cls(split_corpus(raw_corpus(corpus_dir), sections, files), embeddings)

    def ask(self, question: str, scope: str = "alla", history: list[str] | None = None) -> Answer:
        started = time.perf_counter()
        result = self._collection.query(
            query_embeddings=[self._embeddings.embed_query(question)],
            n_results=min(self.top_k, len(self.chunks)),
        )
        hits = [self.chunks[int(i)] for i in result["ids"][0]]
        return Answer(
            question=question,
            answer=hits[0].text if hits else "",
            abstained=False,
            citations=[_citation(c) for c in hits],
            latency_ms=(time.perf_counter() - started) * 1000,
        )
