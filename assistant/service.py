"""The one answering path: CLI, web chat and evaluation all call `Assistant.ask`."""

from __future__ import annotations

import datetime
import logging
import time

import torch

from assistant.answer.extractive import Answerer, Query
from assistant.answer.guard import check_question, instruction_topic, strip_instructions
from assistant.config import Settings
from assistant.config import settings as default_settings
from assistant.errors import UserError
from assistant.index import store
from assistant.ingest.manifest import DocumentInfo
from assistant.ingest.structure import AGREEMENT_KEYS
from assistant.retrieve.focus import without_agreement_name
from assistant.retrieve.hybrid import AgreementRetriever, HybridSearch, Scope
from assistant.types import Answer, Section

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


class Assistant:
    def __init__(self, index: store.Index, settings: Settings, retriever: str = "hybrid"):
        from assistant.index.embed import embed_query

        self.settings = settings
        self.index = index
        self.embed_query = embed_query
        self.search = HybridSearch(index, settings, retriever)
        self.answerer = Answerer(index, self.search, settings)
        self._sections = {s.id: s for s in index.sections}

    @classmethod
    def load(cls, settings: Settings | None = None, retriever: str = "hybrid",
             progress: bool = False) -> Assistant:
        """Open the index, building it first when it is missing or the corpus changed."""
        settings = settings or default_settings()
        if not store.is_current(settings):
            log.info("building index in %s", settings.index_dir)
            store.build(settings, progress=progress, force=False)
        # One thread per question: with the web chat's parallel questions (or anything else
        # on the machine) two threads each slow a 26 ms query to about a second.
        torch.set_num_threads(1)
        assistant = cls(store.open_index(settings), settings, retriever)
        assistant.ask("Vem betalar hjälpmedel?")  # load the model and word lists now, not later
        return assistant

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
        parse_date(date)
        text = check_question(question, self.settings.max_question_chars)
        query = self.query(text, history)
        if query is None:
            answer = Answer(text, NOT_A_QUESTION, abstained=True)
        else:
            answer = self.answerer.answer(text, query, self.parse_scope(scope))
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def query(self, text: str, history: list[str] | None = None) -> Query | None:
        """The question as searched: instructions stripped, read in its conversation (earlier
        turns only when it depends on them, retrieve/conversation.py), spelling repaired and
        abbreviations spelled out, with its embeddings (and those of its form without the
        agreement's name). None when nothing is left to ask."""
        asked = strip_instructions(text) or instruction_topic(text)
        if len(asked) < 2:
            return None
        earlier = [strip_instructions(h) for h in history or []]
        reading = self.search.read(asked, earlier)
        alone = self._embedded(asked)
        if not reading.follow_up:
            return alone
        combined = self._embedded(reading.text, follow_up=True)
        if reading.topic and self._stands_alone(alone, combined):
            return alone
        return combined

    def _embedded(self, text: str, follow_up: bool = False) -> Query:
        expanded = self.search.expand(text)
        focus = without_agreement_name(expanded)
        return Query(expanded, self.embed_query(expanded),
                     focus=self.embed_query(focus) if focus != expanded else None,
                     follow_up=follow_up)

    def _stands_alone(self, alone: Query, combined: Query) -> bool:
        """A question that leans on the turn before but names a topic of its own, and that
        the documents answer clearly on its own — more clearly than read with the earlier
        topic ("gäller det även diabetesartiklar?") — is searched alone. (Without the topic
        condition, "och om hen är 20 år då?" matches an unrelated age limit literally.)"""
        probability = {}
        for name, query in (("alone", alone), ("combined", combined)):
            hits = self.search.search(query.text, query.vector,
                                      limit=self.settings.sections_considered)
            probability[name] = self.answerer.evidence(query.text, hits)
        return (probability["alone"] >= self.answerer.decision.sure_above
                and probability["alone"] > probability["combined"])

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
        return AgreementRetriever(search_engine=self.search, embed_query=self.embed_query,
                                  scope=self.parse_scope(scope), k=k)

    def scopes(self) -> list[tuple[str, str]]:
        """Filter choices for the web chat: (value, Swedish label)."""
        choices = [("alla", "Alla"), ("A", "Del A"), ("B", "Del B"),
                   ("C", "Del C – alla överenskommelser")]
        choices += [(f"C:{key}", f"Del C – {title}") for key, title in AGREEMENT_KEYS.items()]
        choices.append(("fardplan", "Färdplan"))
        return choices

    def parse_scope(self, scope: str | None) -> Scope:
        value = (scope or "alla").strip()
        if value.lower() == "alla":
            return Scope()
        if value in ("A", "B", "C"):
            return Scope(part=value)
        if value.startswith("C:") and value[2:] in AGREEMENT_KEYS:
            return Scope(part="C", agreement=AGREEMENT_KEYS[value[2:]])
        if value.lower() == "fardplan":
            return Scope(document=next((d.id for d in self.documents if d.kind == "strategi"),
                                       "fardplan-2022"))
        raise UserError(f"Okänt urval: {scope!r}. Välj Alla, A, B, C, C:<överenskommelse> "
                        "eller fardplan.")

    def banner(self) -> str:
        """Which agreement answers come from, and what is planned next (from the manifest)."""
        agreement = next((d for d in self.documents if d.kind == "avtal"), None)
        upcoming = next((d for d in self.documents if d.is_context and d.valid_from), None)
        if agreement is None:
            return "Svaren bygger på dokumenten i corpus/."
        text = (f"Svaren bygger på {agreement.title}, som gäller "
                f"{agreement.valid_from} – {agreement.valid_to}.")
        if upcoming and upcoming.note:
            text += f" {upcoming.note}"
        return text
