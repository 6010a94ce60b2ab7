"""Answering reads BM25 scores without bm25s (issue 11, part 7): the same scores as bm25s
for any query, and tokenizing a question does not import bm25s or scipy."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant.config import ROOT
from assistant.index.bm25_scores import SavedBM25
from assistant.retrieve.lexical import STOPWORDS_SWEDISH, tokens

TEXTS = [
    "Kommunen ansvarar för hemsjukvård i ordinärt boende efter överenskommelse med vårdcentralen.",
    "Regionen står för kostnaden för personligt förskrivna hjälpmedel till barn och ungdomar.",
    "Läkemedel i dosdispensering beställs av den som har förskrivningsrätt.",
    "Tvister mellan parterna hanteras först lokalt, därefter i samrådsorganisationen.",
    "Hjälpmedel för vård och behandling följer hälso- och sjukvårdsansvaret.",
    "Utskrivningsklar patient ska tas hem inom tre dagar; kommunen betalar annars.",
    "Samverkan kring barn med psykisk ohälsa sker i gemensam plan, SIP.",
    "Avgiften för korttidsboende regleras av kommunen, inte av regionen.",
]


def _queries(vocabulary: list[str], count: int, seed: int) -> list[list[str]]:
    """Single tokens, random multi-token queries with repeats, unknown tokens mixed in."""
    draw = random.Random(seed)
    queries = [[token] for token in vocabulary]
    for _ in range(count):
        query = draw.choices(vocabulary, k=draw.randint(1, 15))
        if draw.random() < 0.3:
            query.insert(draw.randrange(len(query) + 1), "okändtokenxyz")
        queries.append(query)
    return queries


def _assert_same_scores(saved: SavedBM25, reference, queries: list[list[str]]) -> None:
    for query in queries:
        ours, theirs = saved.get_scores(query), reference.get_scores(query)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), query


def _tokens_whole_text(text: str) -> list[str]:
    """`tokens` as it was before stemming went word by word (one stemWords call a text)."""
    from assistant.retrieve.lexical import FOLD, STOPWORDS, WORD, stemmer

    parts: list[str] = []
    for word in (w.lower() for w in WORD.findall(text)):
        parts.extend(p for p in word.split("-") if p) if "-" in word else parts.append(word)
    folded = (s.translate(FOLD) for s in stemmer().stemWords(parts))
    return [t for t in folded if t not in STOPWORDS and len(t) > 1]


def test_word_by_word_tokens_are_the_whole_texts_tokens() -> None:
    corpus = sorted((ROOT / "corpus").glob("*.txt"))
    texts = [*TEXTS, "Hälso- och sjukvårds-avtalet, HSL-ansvar -- 12-åring; B.11 och 1.2.3",
             "ÅTTA Åtgärder, Vård-- -vård--tid; éü-test", ""]
    texts += [line for path in corpus[:20] for line in path.read_text(encoding="utf-8").split("\n")]
    assert len(texts) > 500
    for text in texts:
        assert tokens(text) == _tokens_whole_text(text), text


def test_stopwords_are_bm25s_swedish_list() -> None:
    from bm25s.stopwords import STOPWORDS_SWEDISH as bm25s_list

    assert STOPWORDS_SWEDISH == tuple(bm25s_list)


@pytest.mark.parametrize("method", ["lucene", "robertson", "atire", "bm25l", "bm25+"])
def test_saved_scores_are_bm25s_scores(tmp_path: Path, method: str) -> None:
    retriever = bm25s.BM25(method=method)
    retriever.index([tokens(t) for t in TEXTS * 3], show_progress=False)
    retriever.save(str(tmp_path / "bm25"), show_progress=False)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), show_progress=False)
    saved = SavedBM25(tmp_path / "bm25")
    assert saved.vocab_dict == reference.vocab_dict
    vocabulary = sorted(t for t in saved.vocab_dict if t)
    _assert_same_scores(saved, reference, _queries(vocabulary, 300, seed=1))
    if method not in ("bm25l", "bm25+"):  # these add a score for every absent query token
        assert not saved.get_scores(["okändtokenxyz"]).any()


def test_tokenizing_imports_neither_bm25s_nor_scipy() -> None:
    code = ("import sys\n"
            "from assistant.retrieve.lexical import tokens\n"
            "from assistant.index.bm25_scores import SavedBM25\n"
            "assert tokens('Vem betalar hjälpmedlen?') == ['betal', 'hjalpmedl']\n"
            "print([m for m in ('bm25s', 'scipy') if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_shipped_index_scores_as_bm25s_does(test_settings) -> None:
    from assistant.index import store

    index = store.open_index(test_settings, in_memory=True)
    assert isinstance(index.bm25, SavedBM25)
    folder = index.path / "bm25"
    reference = bm25s.BM25.load(str(folder), show_progress=False)
    assert index.bm25.vocab_dict == reference.vocab_dict
    vocabulary = sorted(t for t in reference.vocab_dict if t)
    _assert_same_scores(index.bm25, reference, _queries(vocabulary, 2000, seed=2))
