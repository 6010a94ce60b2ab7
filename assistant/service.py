"""The one answering path: CLI, web chat and evaluation all call `Assistant.ask`."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from assistant import versions
from assistant.answer.compose import missing_version_note
from assistant.answer.extractive import Answerer, Query
from assistant.answer.guard import (
    asked_part,
    check_history,
    check_question,
    strip_instructions,
)
from assistant.config import Settings
from assistant.config import settings as default_settings
from assistant.errors import UserError
from assistant.index import store
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.scopes import agreement_keys, scope_choices
from assistant.privacy import redact_personnummer
from assistant.retrieve.adapter import QueryAdapter, usable
from assistant.retrieve.conversation import mixed
from assistant.retrieve.focus import without_agreement_name
from assistant.retrieve.hybrid import HybridSearch, Scope
from assistant.types import Answer, Section

if TYPE_CHECKING:  # imported only when used: the model server's client, LangChain
    import numpy as np

    from assistant.answer.generate import Generator
    from assistant.retrieve.langchain_retriever import AgreementRetriever

log = logging.getLogger(__name__)

NOT_A_QUESTION = ("Jag svarar bara på frågor om Hälso- och sjukvårdsavtalet och dokumenten "
                  "runt det. Skriv din fråga om avtalet.")


def parse_date(value: str | None) -> datetime.date:
    """A YYYY-MM-DD date (today when None); a Swedish UserError otherwise."""
    if value is None or not str(value).strip():
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError(f"Ogiltigt datum: {value!r}. Skriv det som ÅÅÅÅ-MM-DD, till exempel "
                        "2027-03-01.") from None


def _generator(settings: Settings) -> Generator | None:
    """The model server's rewriter, None without AVTAL_LLM_URL (its HTTP client is imported
    only then: a fifth of a second at start)."""
    if not settings.llm_url:
        return None
    from assistant.answer.generate import Generator

    return Generator.from_settings(settings)


class Assistant:
    def __init__(self, index: store.Index, settings: Settings, retriever: str = "hybrid",
                 embed_query: Callable[[str], np.ndarray] | None = None):
        from assistant.index.embed import query_embedder

        self.settings = settings
        self.index = index
        # Questions are embedded by the backend that made the index's vectors (ONNX: no torch);
        # unit tests pass a fake embedder with an in-memory index (tests/fakes.py).
        self.embed_query = embed_query or query_embedder(store.embedding_of(index.path),
                                                         settings.model_dir)
        # What to cite is ranked with the question moved by the adapter fitted on the question
        # sets (retrieve/adapter.py); whether to answer is read from it as embedded.
        # (a fake embedder's vectors are not e5's: no adapter then)
        self._adapts = embed_query is None
        series = versions.series_in(index.documents)
        self.adapter = self._adapter_for(series)
        self.search = HybridSearch(index, settings, retriever)
        self.answerer = Answerer(index, self.search, settings, series)
        self._sections = {s.id: s for s in index.sections}
        self.retriever_name = retriever
        self.index_state: store.IndexState | None = None
        self._swap_lock = threading.Lock()
        self._checked = time.monotonic()
        # A model server (AVTAL_LLM_URL) rewrites answered questions; None = extractive only.
        self.generator = _generator(settings)

    def _adapter_for(self, series: set[str]) -> QueryAdapter | None:
        """The question adapter fitted for these document series, if any (adapter.usable)."""
        from assistant.index.embed import DIMENSION, MODEL_NAME

        return usable(self.settings.query_adapter, MODEL_NAME, DIMENSION, series) \
            if self._adapts else None

    @classmethod
    def load(cls, settings: Settings | None = None, retriever: str = "hybrid",
             progress: bool = False, background: bool = False, *, in_memory: bool = False,
             warm: bool = True) -> Assistant:
        """Open the index, building it first when there is none. When the corpus changed, a
        new one is built now, and the last good one answers if that fails; with `background`
        (the CLI and the chat) the last good one answers at once while a new one is built in
        another process. `index_notice` says what users should know about it.

        `in_memory` searches the chunk vectors in memory instead of opening Chroma, and
        `warm=False` skips answering a first question at load (both for a one-shot `ask`,
        whose start-up time is its answer time)."""
        settings = settings or default_settings()
        index_state = store.ensure(settings, progress=progress, background=background)
        # Questions are embedded on one thread each (embed.embed_queries): with the web chat's
        # parallel questions, two threads each would slow a query many times over.
        assistant = cls(store.open_index(settings, in_memory=in_memory), settings, retriever)
        assistant.index_state = index_state
        if warm:
            assistant._extractive("Vem betalar hjälpmedel?", "alla", None, None)  # model, words
        return assistant

    @property
    def index_notice(self) -> str:
        """Swedish notice about skipped files and an old or rebuilding index ('' if none)."""
        state = getattr(self, "index_state", None)
        return state.notice() if state else ""

    def refresh(self, every: float = 0.0) -> bool:
        """Swap in a build that became current since this one was opened (a background build
        finished, or another process rebuilt the shared index), looking at most every `every`
        seconds; True when it did. Questions in flight finish on the old one."""
        now = time.monotonic()
        if now - self._checked < every:
            return False
        self._checked = now
        path = store.current_build(self.settings)
        if path is None or path == self.index.path:
            return False
        with self._swap_lock:
            if store.current_build(self.settings) == self.index.path:
                return False
            index = store.open_index(self.settings,
                                     in_memory=self.index.chunk_vectors is not None)
            search = HybridSearch(index, self.settings, self.retriever_name)
            # the new documents choose the decline model and the adapter anew
            series = versions.series_in(index.documents)
            answerer = Answerer(index, search, self.settings, series)
            self.index, self.search, self.answerer = index, search, answerer
            self.adapter = self._adapter_for(series)
            self._sections = {s.id: s for s in index.sections}
            self.index_state = store.state(self.settings)
        log.info("answering from the new index %s", path.name)
        return True

    @property
    def sections(self) -> list[Section]:
        return self.index.sections

    @property
    def documents(self) -> list[DocumentInfo]:
        return self.index.documents

    def section(self, section_id: str) -> Section | None:
        return self._sections.get(section_id)

    def ask(self, question: str, scope: str = "alla", history: list[str] | None = None,
            date: str | None = None) -> Answer:
        """Answer one question as the chat would at this point of a conversation: `history`
        holds the earlier questions, oldest first; `date` (YYYY-MM-DD) picks the version of
        the documents in force that day (today when None)."""
        started = time.perf_counter()
        answer = self._extractive(question, scope, history, date)
        if self.generator is not None:
            answer = self.generator.rewrite(answer, self._sections, self.answerer.documents)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def ask_stream(self, question: str, scope: str = "alla", history: list[str] | None = None,
                   date: str | None = None) -> Iterator[str | Answer]:
        """Like `ask`, for a chat that streams: yields the model's text as it is written
        (unchecked: show it as provisional, or not at all), and always ends with the checked
        Answer (generated, or extractive with `fallback_reason`)."""
        started = time.perf_counter()
        answer = self._extractive(question, scope, history, date)
        items = ([answer] if self.generator is None else
                 self.generator.rewrite_stream(answer, self._sections, self.answerer.documents))
        for item in items:
            if isinstance(item, Answer):
                item.latency_ms = (time.perf_counter() - started) * 1000
            yield item

    def _extractive(self, question: str, scope: str, history: list[str] | None,
                    date: str | None) -> Answer:
        self.refresh(every=2.0)  # another process (or a background build) may have rebuilt
        day = parse_date(date)
        text = check_question(question, self.settings.max_question_chars)
        asked = versions.asked_day(text, self.documents, day)
        searched = text
        if asked is not None and versions.newer_version_indexed(self.documents, day):
            searched = versions.without_version_words(text)  # the version is chosen now
        query = self.query(searched, history)
        if query is None:
            return Answer(text, NOT_A_QUESTION, abstained=True)
        day = asked or day
        answer = self.answerer.answer(text, query,
                                      self.versioned_scope(self.parse_scope(scope), day))
        self._note_missing_versions(answer, day)
        return answer

    def versioned_scope(self, scope: Scope, day: datetime.date) -> Scope:
        """`scope` without the versions of a document that are not the one for `day`."""
        return dataclasses.replace(scope, excluded=versions.superseded(self.documents, day))

    def _note_missing_versions(self, answer: Answer, day: datetime.date) -> None:
        """Say plainly when the day asked about needs a version the corpus does not hold yet:
        when the question asks about a new version, or the answer quotes the older one."""
        cited = {versions.series_of(d) for d in self.documents
                 if any(c.document == d.id for c in answer.citations)}
        asks_new = bool(versions.NEW_VERSION.search(answer.question))
        for missing in versions.missing_versions(self.documents, day):
            if asks_new or versions.series_of(missing.answered_by) in cited:
                answer.answer += "\n\n" + missing_version_note(missing.answered_by, day)

    def query(self, text: str, history: list[str] | None = None) -> Query | None:
        """The question as searched: instructions stripped, read in its conversation (earlier
        turns only when it depends on them, retrieve/conversation.py), spelling repaired and
        abbreviations spelled out, with its embeddings (and those of its form without the
        agreement's name). None when nothing is left to ask."""
        text = " ".join(redact_personnummer(text, replacement=" ").split())
        asked = asked_part(text)
        if len(asked) < 2:
            return None
        earlier = [strip_instructions(h) for h in
                   check_history(history, self.settings.max_question_chars)]
        reading = self.search.read(asked, earlier)
        query = self._embedded(reading.text, asked=asked if reading.follow_up else None,
                               without_parties=True)
        soft = reading.context is not None and reading.weight != float(reading.follow_up)
        alone = query
        if reading.follow_up and (soft or self.settings.alone_evidence):
            alone = self._embedded(asked)
            if self.settings.alone_evidence:
                query = dataclasses.replace(query, alone=alone)
        if not soft:
            return query  # ranked as read: alone, or with its context only
        with_context = query if reading.follow_up else self._embedded(reading.context)
        ranking = mixed(alone.ranking_vector, with_context.ranking_vector, reading.weight)
        query = dataclasses.replace(query, focus=ranking)
        if (not reading.follow_up and reading.weight > 0 and self.settings.cued_evidence
                and self.search.conversation.cued(asked)):
            # read alone, yet leaning on the conversation: declined only when neither reading
            # shows evidence, as a follow-up is (`Query.alone` holds the other reading)
            query = dataclasses.replace(query, alone=with_context)
        return query

    def _embedded(self, text: str, asked: str | None = None,
                  without_parties: bool = False) -> Query:
        """`asked`: a follow-up's own words (`text` also holds the earlier turns').
        `without_parties`: ranked also by the text without the parties it names, mixed by
        `party_weight` (a party named is the other side of the question, not its topic)."""
        expanded = self.search.expand(text)
        dense = self.search.expand(text, dense=True)
        focus = without_agreement_name(dense)
        vector = self.embed_query(dense)
        ranking = self.embed_query(focus) if focus != dense else vector
        neutral = self.search.without_parties(dense) \
            if without_parties and self.settings.party_weight else dense
        if neutral != dense and neutral.strip():
            ranking = mixed(ranking, self.embed_query(neutral), self.settings.party_weight)
        if self.adapter is not None:
            ranking = self.adapter.apply(ranking)
        return Query(expanded, vector, focus=ranking if ranking is not vector else None,
                     adapted=self.adapter is not None, follow_up=asked is not None,
                     asked=self.search.expand(asked) if asked is not None else None)

    def ranking_vector(self, text: str) -> np.ndarray:
        """The question's vector for ranking (through the adapter, when there is one)."""
        vector = self.embed_query(text)
        return vector if self.adapter is None else self.adapter.apply(vector)

    def retrieved(self, question: str, scope: str = "alla", history: list[str] | None = None,
                  k: int = 10) -> list[str]:
        """Ids of the sections the search ranks first for a question in its conversation,
        before the answerer decides what to cite (evaluation: retrieval recall@k)."""
        query = self.query(check_question(question, self.settings.max_question_chars), history)
        if query is None:
            return []
        hits = self.search.search(query.text, query.ranking_vector, self.parse_scope(scope), k)
        return [hit.section.id for hit in hits]

    def retriever(self, scope: str = "alla", k: int = 5) -> AgreementRetriever:
        """The same search as a LangChain retriever, for chains and notebooks."""
        from assistant.retrieve.langchain_retriever import AgreementRetriever

        return AgreementRetriever(search_engine=self.search, embed_query=self.ranking_vector,
                                  scope=self.parse_scope(scope), k=k)

    def scopes(self) -> list[tuple[str, str]]:
        """Filter choices for the web chat, (value, Swedish label): the parts, överenskommelser
        and binding documents of the documents in the index."""
        return scope_choices(self.documents, self.sections)

    def parse_scope(self, scope: str | None) -> Scope:
        value = (scope or "alla").strip()
        if value.lower() == "alla":
            return Scope()
        parts = {s.part for s in self.sections if s.part}
        if value in parts:
            return Scope(part=value)
        part, _, key = value.partition(":")
        keys = agreement_keys(self.documents, self.sections)
        if key and part in parts and key in keys:
            return Scope(part=part, agreement=keys[key])
        for choice, _label in self.scopes():
            if choice.lower() == value.lower() and choice not in parts:
                document = self._scope_document(choice)
                if document:
                    return Scope(document=document)
        if any(d.id == value for d in self.documents):
            return Scope(document=value)
        allowed = ", ".join(choice for choice, _ in self.scopes())
        raise UserError(f"Okänt urval: {scope!r}. Välj ett av: {allowed}.")

    def _scope_document(self, choice: str) -> str | None:
        if choice == "fardplan":
            return next((d.id for d in self.documents if d.kind == "strategi"), None)
        return choice if any(d.id == choice for d in self.documents) else None

    def banner(self, day: datetime.date | None = None) -> str:
        """Which agreement answers come from on `day` (today), and what comes next; it
        switches by itself when a newer version's validity starts (from the manifest)."""
        day = day or datetime.date.today()
        agreements = {v.id: v for d in self.documents if d.kind == "avtal"
                      for v in versions.versions_of(d, self.documents)}
        if not agreements:
            return " ".join(x for x in ("Svaren bygger på dokumenten i corpus/.",
                                        self.index_notice) if x)
        current = versions.version_on(sorted(agreements.values(), key=versions.start_of), day)
        period = (f"{current.valid_from} – {current.valid_to}" if current.valid_to
                  else f"från {current.valid_from}")
        ended = not versions.in_force(current, day)
        text = f"Svaren bygger på {current.title}, som {'gällde' if ended else 'gäller'} {period}."
        newer = [d for d in versions.versions_of(current, self.documents)
                 if versions.start_of(d) > day]
        if newer:
            nxt = min(newer, key=versions.start_of)
            text += (f" Från {nxt.valid_from} gäller en ny version, som också finns bland "
                     "dokumenten; välj datum för att få svar ur den.")
            return text
        planned = versions.planned_start(self.documents, versions.start_of(current))
        if ended and planned is not None and planned <= day:
            text += (f" Det avtal som gäller från {planned.isoformat()} finns ännu inte bland "
                     "dokumenten.")
        elif planned is not None:
            upcoming = next((d for d in self.documents if d.is_context and d.valid_from
                             and versions.start_of(d) == planned), None)
            if upcoming and upcoming.note:
                text += f" {upcoming.note}"
        if self.index_notice:
            text += f" {self.index_notice}"
        return text
