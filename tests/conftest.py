"""Shared fixtures: one real index (real model, real Chroma) built once per test session."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from assistant.config import Settings, settings

ROOT = Path(__file__).resolve().parent.parent

# Fixtures that need the real model, the real index or a browser. A test that uses one,
# directly or through another fixture, is in the slow tier (and a browser test in the browser
# tier) whatever its own marks say, so `pytest -m "not slow and not browser"` never loads
# the model.
SLOW_FIXTURES = frozenset({"test_settings", "assistant", "sections", "browser"})
BROWSER_FIXTURES = frozenset({"browser"})


# Hypothesis: 200 examples per property in the full suite, 40 in the fast tier (the forms
# the strategies draw from are few; the full run still covers them well). HYPOTHESIS_PROFILE
# picks one explicitly.
HYPOTHESIS_EXAMPLES = {"full": 200, "fast": 40}


def pytest_configure(config) -> None:
    try:
        from hypothesis import settings as hypothesis_settings
    except ImportError:  # the test extra is not installed: no property tests run either
        return
    for name, examples in HYPOTHESIS_EXAMPLES.items():
        hypothesis_settings.register_profile(name, max_examples=examples, deadline=None)
    fast = "not slow" in (config.getoption("markexpr", "") or "")
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                                     or ("fast" if fast else "full"))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _passages_embedded_once(request):
    """Index builds in this test process embed each distinct passage once per session.

    Several slow fixtures build real indexes of corpora that share most of their text (the
    shipped agreement with a next version, with a presentation, dropped in without a manifest
    entry): the model embeds each text the first time, later builds reuse its vector (same
    model, same backend; the default fp32 backend gives a text the same vector in any batch).
    Texts the project's embedding store holds (passage_cache.py; warmed by the set-up's build
    with the same model export and backend) count as embedded, also for a build given an
    empty store of its own, so no test build embeds the shipped corpus again.
    Both the embed module and the passage cache (which imported the function by name, maybe
    before this fixture ran) call the memo. Builds in CLI subprocesses embed everything
    themselves. AVTAL_TEST_REEMBED=1 turns it off.
    """
    slow = any(item.get_closest_marker("slow") for item in request.session.items)
    if not slow or os.environ.get("AVTAL_TEST_REEMBED") == "1":
        yield
        return
    from assistant.index import embed, passage_cache

    memo = _PassageMemo(embed.embed_passages, settings())
    patched = [(module, module.embed_passages) for module in (embed, passage_cache)]
    for module, _ in patched:
        module.embed_passages = memo
    try:
        yield
    finally:
        for module, original in patched:
            module.embed_passages = original


class _PassageMemo:
    """embed_passages with a memory: per (backend, model folder), each text is embedded once;
    vectors of the project's embedding store count as embedded (same export, backend)."""

    def __init__(self, original, project: Settings) -> None:
        self.original = original
        self.project = project
        self.vectors: dict[tuple[str, str, str], object] = {}

    def __call__(self, texts, *args, model_dir=None, embedding=None, **kwargs):
        import numpy as np

        from assistant.index import embed, passage_cache

        texts = list(texts)
        if not texts:
            return self.original(texts, *args, model_dir=model_dir, embedding=embedding,
                                 **kwargs)
        embedding = embedding or embed.default_embedding()
        key = (embedding.name, str(model_dir))
        wanted = [t for t in dict.fromkeys(texts) if (*key, t) not in self.vectors]
        stored = self._project_vectors(embedding, model_dir, wanted)
        missing = []
        for text in wanted:
            vector = stored.get(passage_cache._digest(text))
            if vector is None:
                missing.append(text)
            else:
                self.vectors[(*key, text)] = vector
        if missing:
            vectors = self.original(missing, *args, model_dir=model_dir, embedding=embedding,
                                    **kwargs)
            self.vectors.update(((*key, t), v) for t, v in zip(missing, vectors, strict=True))
        return np.stack([self.vectors[(*key, t)] for t in texts])

    def _project_vectors(self, embedding, model_dir, texts: list[str]) -> dict:
        """The project's embedding store's vectors of these texts (digest -> vector)."""
        from assistant.index import passage_cache

        if not texts or (model_dir is not None and Path(model_dir) != self.project.model_dir):
            return {}
        store = passage_cache.open_store(self.project)
        if store is None:
            return {}
        try:
            return store.get(passage_cache._key(embedding, self.project.model_dir),
                             [passage_cache._digest(t) for t in texts])
        finally:
            store.close()


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory) -> Settings:
    """The shipped corpus, with index and data folders of this session's own.

    The index set-up built is copied when it is current (building costs minutes on two
    cores); otherwise the session builds its own. Either way it is a real Chroma store."""
    from assistant.index import store

    base = tmp_path_factory.mktemp("avtal")
    project = settings()
    if store.is_current(project):
        shutil.copytree(project.index_dir, base / "index")
    return dataclasses.replace(project, index_dir=base / "index", data_dir=base / "data")


@pytest.fixture(scope="session")
def assistant(test_settings):
    from assistant.service import Assistant

    return Assistant.load(test_settings)


@pytest.fixture(scope="session")
def sections(assistant):
    return assistant.sections


@pytest.fixture(scope="session")
def dropped_version(tmp_path_factory):
    """An assistant over the shipped agreement and its next version dropped in as bare text
    (tests/fixtures/next_version.py), built once for every module that asks it."""
    from assistant.service import Assistant
    from tests.fixtures import next_version

    base = tmp_path_factory.mktemp("dropped")
    return Assistant.load(dataclasses.replace(
        settings(), corpus_dir=next_version.dropped_corpus(base), index_dir=base / "index",
        data_dir=base / "data"))


@pytest.fixture(scope="session")
def browser():
    """One Chromium for every browser test module (Playwright's sync API allows one per
    thread): Debian's chromium driven by Playwright; screenshots go to tests/artifacts/."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_web_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
