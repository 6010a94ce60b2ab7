"""Index builds on a small corpus: real model and Chroma, atomic swap, change detection."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from assistant.config import settings
from assistant.index import store

pytestmark = pytest.mark.slow  # real builds: the model embeds a corpus file each time

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture()
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "002_5d4064b787776089.txt", corpus / "presentation.txt")
    return dataclasses.replace(settings(), corpus_dir=corpus, index_dir=tmp_path / "index")


@pytest.mark.smoke
def test_build_then_detect_a_changed_corpus(small):
    assert not store.is_current(small)
    first = store.build(small)
    assert store.is_current(small)
    index = store.open_index(small)
    assert index.collection.count() == len(index.chunks) > 0
    (small.corpus_dir / "ny.md").write_text("# Ny rutin\n\nEn rutin om hjälpmedel.\n")
    assert not store.is_current(small)
    second = store.build(small)
    assert second != first and not first.exists()
    assert any(s.title == "Ny rutin" for s in store.open_index(small).sections)


def test_failed_build_keeps_the_index_in_use(small, monkeypatch):
    store.build(small)
    before = store.current_build(small)
    (small.corpus_dir / "extra.txt").write_text("Extra text om avtalet.")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_write_bm25", broken)
    with pytest.raises(RuntimeError):
        store.build(small)
    assert store.current_build(small) == before
    assert store.open_index(small).collection.count() > 0
    assert len(list((small.index_dir / "builds").iterdir())) == 1


def test_broken_pdf_in_corpus_is_reported_and_skipped(small):
    (small.corpus_dir / "trasig.pdf").write_bytes(b"%PDF-1.4 garbage")
    path = store.build(small)
    manifest = (path / "manifest.json").read_text()
    assert "trasig.pdf" in manifest and "PDF-filen" in manifest
    assert store.open_index(small).collection.count() > 0
