"""Vectors on a real Chroma server (`chroma run` on loopback): answers come from it, a rebuild
writes a new collection and switches atomically, old collections are removed."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time

import pytest
from chroma_server import ChromaProcess

from assistant.index import store, vectors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    with ChromaProcess(tmp_path_factory.mktemp("chroma-data")) as server:
        yield server


def server_names(chroma) -> set[str]:
    return vectors.ChromaServer(chroma.url).names()


def test_assistant_answers_from_the_chroma_server(chroma, test_settings, assistant, tmp_path):
    """An index built embedded is published to the server on first open, then searched there:
    the same question gets the same citations as from the embedded files."""
    from assistant.service import Assistant

    shutil.copytree(test_settings.index_dir, tmp_path / "index")
    remote = dataclasses.replace(test_settings, index_dir=tmp_path / "index",
                                 chroma_url=chroma.url)
    served = Assistant.load(remote)
    name = f"avtal-{store.current_build(remote).name}"
    assert name in server_names(chroma)
    assert served.index.collection.name == name  # embedded builds name theirs "chunks"
    assert served.index.collection.count() == len(served.index.chunks)
    question = "Vem ansvarar för hjälpmedel till barn under 18 år?"
    got, want = served.ask(question), assistant.ask(question)
    assert not got.abstained
    assert [c.section_id for c in got.citations] == [c.section_id for c in want.citations]


def write_corpus(folder, words: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "rutin.txt").write_text(
        "Rutin för provtagning\n\n1 Ansvar\n\nSjuksköterskan i kommunen tar prover i hemmet "
        f"och skickar dem till vårdcentralen. {words}\n\n2 Svar\n\nVårdcentralen meddelar "
        "provsvaret till den som beställde provet inom två arbetsdagar.\n", encoding="utf-8")


def test_rebuild_switches_collections_without_errors(chroma, test_settings, tmp_path):
    from assistant.service import Assistant

    corpus = tmp_path / "corpus"
    write_corpus(corpus, "Transporten sker med taxi.")
    config = dataclasses.replace(test_settings, corpus_dir=corpus, index_dir=tmp_path / "idx",
                                 chroma_url=chroma.url)
    first = store.build(config)
    served = Assistant.load(config)
    assert served.index.collection.name == f"avtal-{first.name}"

    errors: list[Exception] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                served.ask("Vem tar proverna i hemmet?")
            except Exception as error:  # noqa: BLE001 - any error fails the test
                errors.append(error)
            time.sleep(0.05)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        write_corpus(corpus, "Transporten sker med budbil.")
        second = store.build(config)
        names = server_names(chroma)
        assert {f"avtal-{first.name}", f"avtal-{second.name}"} <= names  # old one kept live
        time.sleep(2.5)  # the serving process looks for a new build every 2 s
        assert served.index.path == second
        assert served.index.collection.name == f"avtal-{second.name}"
        documents = served.index.collection.get(include=["documents"])["documents"]
        assert any("budbil" in d for d in documents)
        assert not any("taxi" in d for d in documents)

        write_corpus(corpus, "Transporten sker med cykelbud.")
        third = store.build(config)
        time.sleep(2.5)
    finally:
        stop.set()
        asker.join()
    names = server_names(chroma)
    assert f"avtal-{first.name}" not in names  # removed once two newer builds exist
    assert {f"avtal-{second.name}", f"avtal-{third.name}"} <= names
    assert errors == []
    assert served.index.collection.name == f"avtal-{third.name}"
