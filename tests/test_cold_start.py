"""A one-shot `assistant ask` loads only what answering needs (issue 11, part 7): no feature
module for parsing, no Chroma, LangChain or torch, and its in-memory chunk search finds what
Chroma finds."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from assistant.config import ROOT

HEAVY = ("chromadb", "langchain", "langchain_core", "torch", "sentence_transformers",
         "transformers", "gradio", "httpx", "wordfreq", "bm25s", "scipy")
_REPORT = ("import sys\n"
           "print('LOADED:' + ','.join(m for m in {heavy!r} if m in sys.modules))\n")


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def _loaded(stdout: str) -> list[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


def test_parsing_a_core_command_imports_no_feature_module() -> None:
    code = ("from assistant.cli import _parser\n"
            "argv = ['-v', 'ask', 'Vad gäller?']\n"
            "args = _parser(argv).parse_args(argv)\n"
            "assert args.question == 'Vad gäller?'\n"
            "assert not [m for m in __import__('sys').modules if m.startswith(('assistant.web', "
            "'assistant.eval', 'assistant.compare', 'assistant.trainers'))]\n"
            + _REPORT.format(heavy=HEAVY))
    done = _python(code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _loaded(done.stdout) == []


def test_other_commands_are_still_registered() -> None:
    """Help and the feature commands still see every sub-command."""
    from assistant.cli import _command_of, _parser

    assert _command_of(["-v", "serve", "--port", "1"]) == "serve"
    assert _command_of(["--help"]) is None
    choices = _parser(["--help"])._subparsers._group_actions[0].choices
    assert {"ask", "index", "sections", "eval", "serve"} <= set(choices)


@pytest.mark.slow
def test_a_fresh_ask_process_loads_neither_chroma_nor_langchain_nor_torch(test_settings) -> None:
    code = ("from assistant.cli import main\n"
            "rc = main(['ask', 'Vem står för kostnaden för hjälpmedel i skolan?'])\n"
            "assert rc == 0, rc\n" + _REPORT.format(heavy=HEAVY))
    done = _python(code, {"AVTAL_INDEX_DIR": str(test_settings.index_dir),
                          "AVTAL_DATA_DIR": str(test_settings.data_dir)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"^\(\d+ ms\)$", done.stdout, re.M)  # an answer was printed
    assert _loaded(done.stdout) == []


@pytest.fixture(scope="module")
def searches(test_settings):
    """The same build searched in memory and through Chroma."""
    from assistant.index import store
    from assistant.retrieve.hybrid import HybridSearch

    in_memory = store.open_index(test_settings, in_memory=True)
    chroma = store.open_index(test_settings)
    assert in_memory.chunk_vectors is not None and chroma.chunk_vectors is None
    assert len(in_memory.chunk_vectors) == len(in_memory.chunks)
    return HybridSearch(in_memory, test_settings), HybridSearch(chroma, test_settings)


def _scopes(index) -> list:
    from assistant.retrieve.hybrid import Scope

    documents = sorted({s.document for s in index.sections})
    parts = sorted({s.part for s in index.sections if s.part})
    return [Scope(), Scope(part=parts[0]), Scope(document=documents[0]),
            Scope(excluded=frozenset(documents[:2])),
            Scope(part=parts[-1], excluded=frozenset(documents[-1:]))]


@pytest.mark.slow
def test_in_memory_vectors_and_scopes_are_chromas(searches) -> None:
    """chunk_vectors.npy holds the vectors Chroma holds, row by row, and a scope admits the
    chunks Chroma's metadata filter lets through."""
    memory, chroma = searches
    index = memory.index
    stored = chroma.index.collection.get(include=["embeddings"])
    rows = dict(zip(stored["ids"], np.asarray(stored["embeddings"]), strict=True))
    assert set(rows) == {c.id for c in index.chunks}
    np.testing.assert_allclose(index.chunk_vectors, [rows[c.id] for c in index.chunks],
                               atol=1e-6)
    sections = {s.id: s for s in index.sections}
    for scope in _scopes(index):
        admitted = {c.id for c in index.chunks if scope.admits(sections[c.section_id])}
        filtered = chroma.index.collection.get(where=scope.where(), include=[])["ids"]
        assert admitted == set(filtered) and admitted, scope


@pytest.mark.slow
def test_in_memory_search_finds_what_chroma_finds(searches) -> None:
    """The exact search ranks by the same cosine as Chroma. Chroma's index is approximate
    (HNSW: its deeper ranks can vary between openings), so its best five are compared."""
    from assistant.index.embed import embed_queries

    memory, chroma = searches
    questions = ["Vem står för kostnaden för sjukresor?", "Hur länge gäller avtalet?",
                 "Vad ska en samordnad individuell plan innehålla?", "Vem ansvarar för läkemedel "
                 "i hemmet?", "Får kommunen säga upp överenskommelsen?"]
    sections = {s.id: s for s in memory.index.sections}
    for vector in embed_queries(questions):
        for scope in _scopes(memory.index):
            mine = memory._dense(vector, scope)
            theirs = dict(chroma._dense(vector, scope)[:5])
            similarity = dict(mine)
            assert [s for _, s in mine] == sorted(similarity.values(), reverse=True)
            assert set(theirs) <= {c for c, _ in mine[:10]}, scope
            for chunk, value in theirs.items():
                assert abs(similarity[chunk] - value) < 1e-5
            assert all(scope.admits(sections[c.split("#")[0]]) for c, _ in mine)


@pytest.mark.slow
def test_in_memory_index_opens_chroma_only_when_asked(test_settings) -> None:
    from assistant.index import store

    index = store.open_index(test_settings, in_memory=True)
    assert isinstance(index.collection, store.LazyCollection)
    assert index.collection._opened is None
    assert index.collection.count() == len(index.chunks)  # opened on first use
