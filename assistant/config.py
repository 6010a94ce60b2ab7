"""All settings in one place. Paths can be moved with environment variables (AVTAL_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Privacy: no telemetry or hub calls from any library we load.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _env(var: str) -> str | None:
    """An environment variable's value, None when unset or blank."""
    value = os.environ.get(var, "").strip()
    return value or None


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: _path("AVTAL_CORPUS_DIR", ROOT / "corpus"))
    index_dir: Path = field(default_factory=lambda: _path("AVTAL_INDEX_DIR", ROOT / "index"))
    model_dir: Path = field(
        default_factory=lambda: _path("AVTAL_MODEL_DIR", ROOT / "models" / "multilingual-e5-small")
    )
    data_dir: Path = field(default_factory=lambda: _path("AVTAL_DATA_DIR", ROOT / "data"))

    # Questions longer than this are refused (a question, not a document).
    max_question_chars: int = 1000
    # Bounded work: a corpus file over `max_file_mb` on disk or `max_file_chars` of text is
    # skipped with a Swedish message naming it; a build whose readable text passes
    # `max_corpus_chars` fails (and the last good index keeps answering). The shipped corpus
    # is about 170 000 characters; a million characters take minutes to embed on two cores.
    max_file_mb: int = 50
    max_file_chars: int = 1_000_000
    max_corpus_chars: int = 3_000_000
    # The web chat: request bodies over this are refused (413); beyond loopback each client
    # may send `rate_per_minute` requests a minute (a burst of `rate_burst`).
    max_request_bytes: int = 64 * 1024
    rate_per_minute: int = 120
    rate_burst: int = 30
    # The embedding store (index/passage_cache.py): passage vectors by text digest, shared
    # by every index folder built with this model export, so a build embeds only texts never
    # embedded on this machine. Default `<model_dir>/passage-vectors/` (the index folder's
    # `passage-vectors/` when the model folder cannot be written); AVTAL_EMBED_CACHE moves it,
    # "off" disables it. At most `embed_cache_texts` vectors (about 1.7 kB each: 60,000 ≈
    # 100 MB, one corpus of `max_corpus_chars` or some twenty of the shipped one's size); the
    # least recently used are evicted.
    embed_cache: str | None = field(default_factory=lambda: _env("AVTAL_EMBED_CACHE"))
    embed_cache_texts: int = 60_000
    # Chunking: target size of a chunk's own text, in characters.
    chunk_chars: int = 700
    # Retrieval: candidates taken from each retriever before fusion, and the RRF constant.
    candidates: int = 30
    rrf_k: int = 60
    # Answering: how many citations at most, and sentences quoted per citation.
    max_citations: int = 3
    max_sentences: int = 5
    # A further section is cited only if its best sentence scores within this of the best.
    citation_margin: float = 0.06
    # Sentence ranking (answer/extractive.py): sections whose sentences are scored; a
    # neighbouring sentence is quoted too when it scores within `extend_margin` of the best;
    # a sentence's score = cosine + lexical_weight × IDF-weighted share of the question's words
    # it holds + rank_weight / (retrieval rank + 1); then a section's standing: minus
    # front_matter_penalty for a document's or part's front matter (it only describes what
    # follows), minus secondary_penalty for texts that only report on the agreement (memo,
    # protocols, context; plus, when the question asks what changed), plus general_weight
    # for Del A and B, plus cue_weight for a part the question names (cues.py).
    sections_considered: int = 15
    extend_margin: float = 0.08
    # Both margins are read this much wider for a question ranked through the query adapter
    # (retrieve/adapter.py): the adapter removes what all questions share, so its cosines
    # spread wider than plain ones. Out of fold (5 folds of whole sets, 1,449 questions,
    # docs/answer-quality.md): 1 → 2 moves hit@3 0.856 → 0.874 and facts 0.756 → 0.797.
    adapted_margin_scale: float = 2.0
    # The short answer (answer/extractive.py `_short_answer`): the sentence of the first quote
    # scoring best as for quoting plus `short_own_weight` × the IDF-weighted share of the
    # question's own words the sentence itself holds (not its headings, which all its
    # neighbours share). scripts/tune.py --folds 5 --by-set --choose short over the nineteen
    # sets (0 / 0.05 / 0.1 / 0.2): 0.05 chosen in 5 of 5 folds and for 19 of 19 sets left out;
    # key facts in the short answer 0.620 → 0.625 (docs/answer-quality.md, session 14).
    short_own_weight: float = 0.05
    # A quote ending in "…:" also takes the list items that follow; no quote grows past
    # `quote_chars` (a few lines on a phone).
    quote_chars: int = 600
    lexical_weight: float = 0.05
    # The cosine that ranks sentences is read this much from the sentence embedded with its
    # neighbours (index/store.py `window_texts`) and the rest from the sentence itself
    # (0: off). scripts/tune.py --folds 5 --by-set --chat-order over the fifteen sets chose
    # 0.5 in 3 of 5 folds and 0.3 in 2 (0 never), the two within one item of hit@1; on the
    # seven fixture documents (not tuned on) 0.5 loses 2 hit@1 and 1 hit@3 against 0.3, so
    # 0.3 (docs/answer-quality.md, session 10).
    window_weight: float = 0.3
    # A sentence near everything is near every question: its cosine is lowered by this much
    # of its hubness (index/hubness.py: mean cosine to its `hub_k` nearest sentences of
    # other sections, centred; CSLS's k = 10, not tuned; stored by the index build for the
    # build's window_weight and hub_k, computed at load for others). 0.25 chosen in 5 of
    # 5 folds and for 15 of 15 sets left out by scripts/tune.py --folds 5 --by-set
    # --chat-order (0 / 0.25 / 0.5); docs/answer-quality.md, session 10.
    hub_weight: float = 0.25
    hub_k: int = 10
    rank_weight: float = 0.02
    secondary_penalty: float = 0.02
    front_matter_penalty: float = 0.06
    general_weight: float = 0.005
    cue_weight: float = 0.02
    # A subsection scoring within this of its parent, the best section, is cited first (the
    # lowest heading that holds the evidence; 0: off). Chosen by scripts/tune.py --folds 5.
    specific_margin: float = 0.03
    # A section's score also gains this × the IDF-weighted share of the question's own words
    # (as asked, without earlier turns) that the whole section uses (0: off).
    section_lexical_weight: float = 0.05
    # … and this × the IDF-weighted share of the question's words (with a follow-up's
    # earlier topic) that its heading path holds: a heading names what its section is about.
    # Chosen with every set answered by a question adapter fitted without it (the shipped
    # adapter knows the fitting questions' answers; a new question's cosines are not so
    # sure): scripts/tune.py --adapter-folds 5 --folds 5 --by-set --chat-order over the 23
    # sets (0 / 0.02 / 0.04 / 0.08): 0.08 chosen in 5 of 5 folds and for 23 of 23 sets left
    # out; hit@1 0.742 -> 0.752, hit@3 0.885 -> 0.881, facts 0.816 -> 0.815 (1,524
    # answerable; docs/answer-quality.md, session 22).
    heading_weight: float = 0.08
    # Whether a follow-up's own words count too ("och vi sjuksköterskor då?": its topic lies
    # in the earlier turns, what it asks of it in its own words). Session 21, scripts/tune.py
    # --folds 5 over the eleven conversation sets (603 answerable turns): chosen in 5 of 5
    # folds; out of fold hit@1 0.799 -> 0.806, hit@3 0.906 -> 0.905.
    section_words_in_follow_ups: bool = True
    # Declining: the search's evidence signals (retrieve/hybrid.py `signals`) are combined
    # by a logistic regression fitted with k-fold cross-validation on the question sets
    # (scripts/calibrate_threshold.py writes assistant/answer/decision_series.json, used with
    # the documents it was fitted on, else decision.json: coefficients and the two thresholds,
    # decline / low confidence). Another file can be given here (then used everywhere).
    decision_file: Path | None = None
    # Question vectors are moved by the adapter fitted on the question sets
    # (retrieve/adapter.py, scripts/fit_adapter.py): None = the shipped file, "off" = none,
    # or a file's path (AVTAL_QUERY_ADAPTER).
    query_adapter: str | None = field(default_factory=lambda: _env("AVTAL_QUERY_ADAPTER"))
    # Everyday care words get the agreement's concept added (retrieve/vocabulary.yaml).
    domain_vocabulary: bool = True
    # Question words also searched in their Hunspell dictionary form ("läkemedlen" →
    # "läkemedel"; retrieve/morphology.py), where that reaches a corpus word.
    morphology: bool = True
    # Whether an everyday word the documents use themselves also gets its concept added.
    concepts_for_corpus_words: bool = False
    # … and a compound ending in such a word ("blodtrycksmedicinerna" → läkemedel).
    compound_heads: bool = True
    # Conversations (retrieve/conversation.py): a word names a topic when fewer than this
    # share of the sections use it ("hjälpmedel", "korttidsboende"; not "kommunen").
    topic_share_max: float = 0.1
    # A question of this many words or more is searched alone, as it stands (0: no limit).
    standalone_words: int = 12
    # A pronoun in a later clause than a word rarer than this (wordfreq Zipf; 0: than a topic
    # word) points to that word, not back in the conversation.
    antecedent_zipf: float = 5.0
    # How much the ranking of a question asked after others leans on the question read
    # after its context (0: the question alone, 1: with its context only; in between the
    # two embeddings are mixed): for a follow-up without a topic word of its own, for a
    # follow-up that names one ("och om hen flyttar till korttids?"), and for a question
    # read alone. Chosen by 5-fold cross-validation over the seven question sets.
    follow_up_weight: float = 1.0
    topic_weight: float = 0.5
    alone_weight: float = 0.0
    # … and for a question read alone (12 words or more, or naming topics of its own) that
    # still says it continues: an opening "och/men …", a closing "då?" (conversation.cued).
    # 0.5 chosen in every fold by `scripts/tune.py --folds 5 --by-set --chat-order --choose
    # hit3` over the thirteen sets (0.3 / 0.5 / 0.7 / 1.0; docs/answer-quality.md, session 9).
    cued_weight: float = 0.5
    # Whether such a question is declined only when neither reading shows evidence.
    cued_evidence: bool = True
    # … and for a question read alone only for its length that names at most one topic word
    # of its own and opens with a pronoun before any word it could point to
    # (conversation.pointing; 0: alone). 1.0 chosen in 4 of 5 folds and for 14 of 15 sets
    # left out by `scripts/tune.py --folds 5 --by-set --chat-order --choose hit3` over the
    # fifteen sets (0 / 0.5 / 1.0; docs/answer-quality.md, session 10).
    pointing_weight: float = 1.0
    # A question naming a party ("vi och vc bråkar om …": the parties are read from the
    # headings, "Kommunens ansvar", hybrid.py `parties`) is ranked by its embedding mixed with
    # this much of the embedding of its words without the party (0: off), so that naming the
    # other party does not draw the section named after it. scripts/tune.py --folds 5
    # --by-set --chat-order over the fifteen sets (0 / 0.2 / 0.35 / 0.5 / 0.65 / 0.8): 0.5
    # chosen in 3 of 5 folds (0.35 in 2) and for 12 of 15 sets left out (0 never); out of
    # fold hit@1 0.692 → 0.700, hit@3 0.834 → 0.837. Applied to a follow-up's reading after
    # its context too (chosen in 4 of 5 folds): 1,054 answerable, hit@1 728 → 741, hit@3
    # 880 → 884 against 0 (docs/answer-quality.md, session 11).
    party_weight: float = 0.5
    # Whether a follow-up is answered when its own words, searched alone, show evidence
    # enough (the larger of the two evidences decides whether to decline).
    alone_evidence: bool = True
    # The top sections whose evidence decides whether to decline (as calibrated).
    evidence_hits: int = 6
    # quantity_missing looks for the quantity in the top sections' sentences holding a
    # topical word of the question; with this, also a compound's known parts, and the
    # rarest words when none is rare enough (a small corpus: every word in a fifth of it).
    topical_parts: bool = True

    # Serving a region (issue 13). Generated answers: an OpenAI-compatible server's base URL
    # (".../v1"), model name and optional key; unset = extractive answers only. A generated
    # answer is shown only when answer/verify.py's checks pass; on any failure, timeout
    # (seconds) or server error the extractive answer is given instead.
    llm_url: str | None = field(default_factory=lambda: _env("AVTAL_LLM_URL"))
    llm_model: str = field(default_factory=lambda: _env("AVTAL_LLM_MODEL") or "default")
    llm_key: str | None = field(default_factory=lambda: _env("AVTAL_LLM_KEY"), repr=False)
    llm_timeout: float = field(
        default_factory=lambda: float(_env("AVTAL_LLM_TIMEOUT") or 20.0))
    llm_max_tokens: int = 400
    # A generated answer longer than this many characters is refused as garbage.
    llm_max_chars: int = 2500
    # Vectors on a Chroma server (`chroma run`, http://host:port) instead of embedded files.
    chroma_url: str | None = field(default_factory=lambda: _env("AVTAL_CHROMA_URL"))
    # HTTP API: largest request body accepted, in bytes; questions answered at once (one per
    # core); recent answers kept per process (0 = none; a new build or day is a new key).
    api_max_body: int = 64 * 1024
    api_concurrency: int = 2
    api_cache_size: int = field(
        default_factory=lambda: int(_env("AVTAL_API_CACHE") or 2048))


def settings() -> Settings:
    return Settings()
