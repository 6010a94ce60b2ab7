"""The embedding store (assistant/index/passage_cache.py): every index folder on the machine
embeds only texts never embedded with this model export; bounded, shared by concurrent builds,
and a damaged or unwritable store costs time, never a crash or a wrong vector."""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import sqlite3
import zlib
from pathlib import Path

import numpy as np
import pytest

from assistant.config import settings
from assistant.index import passage_cache
from assistant.index.embed import DIMENSION, Embedding

FP32 = Embedding("onnx", "fp32")
TEXTS = ["Regionen betalar för hjälpmedlet.", "Kommunen ansvarar för hemsjukvården.",
         "Avtalet gäller i fyra år.", "Tvister löses i första hand lokalt."]


def _vector(text: str) -> np.ndarray:
    """The fake model's vector: a unit vector drawn from the text's CRC."""
    vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIMENSION)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def embedded(monkeypatch) -> list[list[str]]:
    """Every call to the (fake) model, with the texts it was given."""
    calls: list[list[str]] = []

    def fake(texts, show_progress=False, embedding=None, model_dir=None):
        calls.append(list(texts))
        return np.stack([_vector(t) for t in texts])

    monkeypatch.setattr(passage_cache, "embed_passages", fake)
    monkeypatch.setattr(passage_cache, "release_models", lambda: None)
    return calls


def _settings(tmp_path: Path, index: str = "index", store: str | None = "store", **more):
    """Settings with an index folder and a store of this test's own (None: the default,
    beside the model folder)."""
    return dataclasses.replace(
        settings(), index_dir=tmp_path / index, model_dir=tmp_path / "model",
        embed_cache=str(tmp_path / store) if store else None, **more)


def _build(texts: list[str], config) -> np.ndarray:
    return passage_cache.cached_passages(texts, FP32, config)


def test_two_index_folders_share_the_store_and_embed_each_text_once(tmp_path, embedded):
    first = _build(TEXTS[:3], _settings(tmp_path, "index-a"))
    stats: dict = {}
    second = passage_cache.cached_passages([TEXTS[2], TEXTS[0], TEXTS[2]], FP32,
                                           _settings(tmp_path, "index-b"), stats=stats)[:2]
    assert stats == {"texts": 2, "embedded": 0,
                     "store": str(tmp_path / "store" / passage_cache.FILE)}
    third = _build(TEXTS, _settings(tmp_path, "index-c"))
    assert embedded == [TEXTS[:3], [TEXTS[3]]]
    np.testing.assert_array_equal(second, first[[2, 0]])
    np.testing.assert_array_equal(third, np.stack([_vector(t) for t in TEXTS]))
    assert not (tmp_path / "index-a" / passage_cache.FOLDER).exists()  # only in the store


def test_by_default_the_store_lies_beside_the_model(tmp_path, embedded):
    _build(TEXTS, _settings(tmp_path, store=None))
    assert (tmp_path / "model" / passage_cache.FOLDER / passage_cache.FILE).is_file()
    _build(TEXTS, _settings(tmp_path, "other-index", store=None))
    assert len(embedded) == 1


def test_the_store_keeps_digests_and_vectors_never_texts(tmp_path, embedded):
    _build(TEXTS, _settings(tmp_path))
    raw = b"".join(p.read_bytes() for p in (tmp_path / "store").iterdir())
    assert not any(text.encode() in raw for text in TEXTS)
    assert not any(word.encode() in raw for word in ("hjälpmedlet", "Kommunen", "Avtalet"))


def test_the_least_recently_used_texts_are_evicted_beyond_the_bound(tmp_path, embedded):
    config = _settings(tmp_path, embed_cache_texts=3)
    a, b, c, d = TEXTS
    _build([a, b, c], config)
    _build([a, c], config)  # a and c are used again: b is now the least recently used
    _build([d], config)  # four texts, bound three: b goes
    store = passage_cache.open_store(config)
    assert store.count() == 3
    store.close()
    _build([a, c, d], config)
    _build([b], config)
    assert embedded == [[a, b, c], [d], [b]]


def test_another_backend_or_export_does_not_reuse_vectors(tmp_path, embedded):
    config = _settings(tmp_path)
    passage_cache.cached_passages(["Samma text."], FP32, config)
    passage_cache.cached_passages(["Samma text."], Embedding("onnx", "int8"), config)
    (tmp_path / "model" / "onnx").mkdir(parents=True)
    (tmp_path / "model" / "onnx" / ".exported").write_text('{"conversion": "ny"}')
    passage_cache.cached_passages(["Samma text."], FP32, config)
    passage_cache.cached_passages(["Samma text."], FP32, config)
    assert len(embedded) == 3


def test_a_damaged_store_file_is_replaced_with_a_log_line(tmp_path, embedded, caplog):
    config = _settings(tmp_path)
    _build(TEXTS, config)
    for name in os.listdir(tmp_path / "store"):
        (tmp_path / "store" / name).write_bytes(b"inte en databas " * 512)
    with caplog.at_level(logging.WARNING, logger=passage_cache.__name__):
        vectors = _build(TEXTS, config)
    assert "damaged" in caplog.text
    np.testing.assert_array_equal(vectors, np.stack([_vector(t) for t in TEXTS]))
    _build(TEXTS, config)  # the store was made anew and holds them again
    assert len(embedded) == 2


def test_a_damaged_vector_is_embedded_anew_never_returned(tmp_path, embedded, caplog):
    config = _settings(tmp_path)
    _build(TEXTS, config)
    with sqlite3.connect(tmp_path / "store" / passage_cache.FILE) as db:
        (one, vector), (two, _) = db.execute("SELECT digest, vector FROM vectors "
                                             "LIMIT 2").fetchall()
        flipped = bytes([vector[0] ^ 1]) + vector[1:]  # one bit
        db.execute("UPDATE vectors SET vector = ? WHERE digest = ?", (flipped, one))
        db.execute("UPDATE vectors SET vector = substr(vector, 1, 100) WHERE digest = ?",
                   (two,))
    with caplog.at_level(logging.WARNING, logger=passage_cache.__name__):
        vectors = _build(TEXTS, config)
    assert "damaged vectors" in caplog.text
    assert len(embedded) == 2 and len(embedded[1]) == 2
    np.testing.assert_array_equal(vectors, np.stack([_vector(t) for t in TEXTS]))


def test_an_unwritable_store_falls_back_to_the_index_folder_then_to_none(tmp_path, embedded,
                                                                         caplog):
    (tmp_path / "blocked").write_text("a file where the store's folder would be")
    config = _settings(tmp_path, store="blocked/store")
    with caplog.at_level(logging.WARNING, logger=passage_cache.__name__):
        first = _build(TEXTS, config)
    assert "blocked" in caplog.text
    assert (tmp_path / "index" / passage_cache.FOLDER / passage_cache.FILE).is_file()
    _build(TEXTS, config)
    assert len(embedded) == 1
    (tmp_path / "model").write_text("a read-only model folder stands in here")
    (tmp_path / "index2").write_text("and an index folder that cannot hold the store")
    nowhere = _settings(tmp_path, "index2", store=None)
    np.testing.assert_array_equal(_build(TEXTS, nowhere), first)
    assert len(embedded) == 2


def _read_only_store_goes_to_the_index_folder(base: Path, failures) -> None:
    """As a user who may not write the store's folder: a warm store there is not written,
    the build's vectors go to a store in the index folder, and they are the model's."""
    try:
        config = _settings(base)
        vectors = _build(TEXTS, config)
        if not np.array_equal(vectors, np.stack([_vector(t) for t in TEXTS])):
            failures.put("wrong vectors")
        if sorted(os.listdir(base / "store")) != [passage_cache.FILE]:
            failures.put(f"the read-only folder was written: {os.listdir(base / 'store')}")
        if not (base / "index" / passage_cache.FOLDER / passage_cache.FILE).is_file():
            failures.put("no store in the index folder")
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        failures.put(repr(error))


def test_a_read_only_store_folder_falls_back_to_the_index_folder(embedded):
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="ro-store-"))  # not under pytest's private tmp
    try:
        base.chmod(0o777)
        store = passage_cache.open_store(_settings(base))
        store.put("another key", {passage_cache._digest("x"): _vector("x")})
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.connection.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal/-shm
        store.close()
        (base / "store").chmod(0o555)
        (base / "store" / passage_cache.FILE).chmod(0o444)
        context = multiprocessing.get_context("fork")  # the child keeps the fake model
        failures = context.Queue()

        def unprivileged() -> None:
            if os.geteuid() == 0:  # root writes anywhere: become nobody first
                os.setgid(65534)
                os.setuid(65534)
            _read_only_store_goes_to_the_index_folder(base, failures)

        child = context.Process(target=unprivileged)
        child.start()
        child.join(60)
        assert child.exitcode == 0
        assert failures.empty(), failures.get()
    finally:
        (base / "store").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_disabled_store_embeds_everything_and_writes_nothing(tmp_path, embedded):
    config = dataclasses.replace(_settings(tmp_path), embed_cache="off")
    _build(TEXTS, config)
    _build(TEXTS, config)
    assert embedded == [TEXTS, TEXTS]
    assert not (tmp_path / "model").exists() and not (tmp_path / "index").exists()
    assert passage_cache.store_folders(dataclasses.replace(config, embed_cache="OFF")) == []


def test_stored_vectors_come_back_bit_identical(tmp_path):
    rng = np.random.default_rng(11)
    vectors = {passage_cache._digest(str(n)): rng.standard_normal(DIMENSION).astype(np.float32)
               for n in range(50)}
    vectors[passage_cache._digest("tiny")] = np.full(DIMENSION, 1e-45, np.float32)  # subnormal
    store = passage_cache.open_store(_settings(tmp_path))
    assert store.put("k", vectors)
    back = store.get("k", list(vectors))
    store.close()
    assert set(back) == set(vectors)
    for digest, vector in vectors.items():
        assert back[digest].dtype == np.float32
        assert back[digest].tobytes() == vector.tobytes()


def test_an_index_of_an_earlier_version_moves_its_cache_into_the_store(tmp_path, embedded):
    config = _settings(tmp_path)
    key = passage_cache._key(FP32, config.model_dir)
    legacy = config.index_dir / passage_cache.LEGACY
    legacy.mkdir(parents=True)
    np.savez(legacy / f"{key}.npz",
             digests=np.array([passage_cache._digest(t) for t in TEXTS[:2]], dtype=str),
             vectors=np.stack([_vector(t) for t in TEXTS[:2]]))
    _build(TEXTS, config)
    assert embedded == [TEXTS[2:]]
    assert not legacy.exists()
    _build(TEXTS, _settings(tmp_path, "another-index"))
    assert len(embedded) == 1


def _writer(store: str, index: str, start: int, failures) -> None:
    """One build process: overlapping texts, many times; every vector must be the model's."""
    config = dataclasses.replace(settings(), index_dir=Path(index),
                                 model_dir=Path(store) / "model", embed_cache=store)
    try:
        for round_ in range(6):
            texts = [f"Stycke {n} om ansvar och betalning." for n in
                     range(start + round_ * 20, start + round_ * 20 + 150)]
            vectors = passage_cache.cached_passages(texts, FP32, config)
            if not np.array_equal(vectors, np.stack([_vector(t) for t in texts])):
                failures.put(f"wrong vector in {index}")
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        failures.put(repr(error))


def test_two_builds_at_once_share_the_store_safely(tmp_path, embedded):
    context = multiprocessing.get_context("fork")  # children keep the fake model
    failures = context.Queue()
    workers = [context.Process(target=_writer,
                               args=(str(tmp_path / "store"), str(tmp_path / f"i{n}"), 50 * n,
                                     failures))
               for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert failures.empty(), failures.get()
    texts = [f"Stycke {n} om ansvar och betalning." for n in range(0, 300)]
    store = passage_cache.open_store(_settings(tmp_path))
    stored = store.get(passage_cache._key(FP32, tmp_path / "store" / "model"),
                       [passage_cache._digest(t) for t in texts])
    store.close()
    assert len(stored) == len(texts)  # every text one of them wrote, all intact
    for text in texts:
        digest = passage_cache._digest(text)
        if digest in stored:
            assert stored[digest].tobytes() == _vector(text).tobytes()


# --- the real model and real builds ---------------------------------------------------------

RUTIN = """# Rutin för samordnad utskrivning

## Ansvar

Slutenvården meddelar kommunen och primärvården när patienten skrivs in. Kommunen planerar
insatserna i hemmet innan patienten lämnar sjukhuset. Primärvården kallar till en
samordnad individuell plan inom tre dagar.

## Betalning

Kommunen betalar för vårddygn när patienten är utskrivningsklar och kommunen inte har tagit
emot patienten. Regionen betalar för läkemedel som ordinerats under vårdtiden.

## Uppföljning

Parterna följer upp rutinen varje år. Avvikelser rapporteras till den lokala
samverkansgruppen, som föreslår ändringar.
"""


@pytest.mark.slow
def test_a_build_from_the_store_has_the_vectors_of_a_build_without_it(tmp_path, monkeypatch):
    from assistant.index import store
    from assistant.index.vectors import VECTORS_FILE

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rutin.md").write_text(RUTIN, encoding="utf-8")
    # the real model, past the test session's memo (tests/conftest.py), counted
    model = getattr(passage_cache.embed_passages, "original", passage_cache.embed_passages)
    counted: list[int] = []

    def spy(texts, *args, **kwargs):
        counted.append(len(texts))
        return model(texts, *args, **kwargs)

    monkeypatch.setattr(passage_cache, "embed_passages", spy)
    base = dataclasses.replace(settings(), corpus_dir=corpus, embed_cache=str(tmp_path / "s"))
    builds = [store.build(dataclasses.replace(base, index_dir=tmp_path / name, **more))
              for name, more in (("a", {}), ("b", {}), ("c", {"embed_cache": "off"}))]
    assert len(counted) == 2 and counted[0] == counted[1] > 10  # b: none embedded
    recorded = [json.loads((b / "manifest.json").read_text())["embedded"] for b in builds]
    assert [r["new"] for r in recorded] == [counted[0], 0, counted[0]]
    assert {r["texts"] for r in recorded} == {counted[0]}
    for name in ("sentences.npy", VECTORS_FILE):
        first, warm, uncached = (np.load(build / name) for build in builds)
        assert first.tobytes() == warm.tobytes() == uncached.tobytes()


def test_a_current_index_of_an_earlier_version_hands_its_cache_to_the_store(tmp_path,
                                                                            embedded):
    config = _settings(tmp_path)
    key = passage_cache._key(FP32, config.model_dir)
    legacy = config.index_dir / passage_cache.LEGACY
    legacy.mkdir(parents=True)
    np.savez(legacy / f"{key}.npz",
             digests=np.array([passage_cache._digest(t) for t in TEXTS], dtype=str),
             vectors=np.stack([_vector(t) for t in TEXTS]))
    assert passage_cache.adopt_legacy(config, FP32) == len(TEXTS)
    assert not legacy.exists() and passage_cache.adopt_legacy(config, FP32) == 0
    vectors = _build(TEXTS, _settings(tmp_path, "scratch-index"))
    assert embedded == []
    np.testing.assert_array_equal(vectors, np.stack([_vector(t) for t in TEXTS]))


def test_an_old_cache_that_cannot_be_removed_is_left_in_place(tmp_path, embedded, monkeypatch):
    config = _settings(tmp_path)
    legacy = config.index_dir / passage_cache.LEGACY
    legacy.mkdir(parents=True)
    np.savez(legacy / f"{passage_cache._key(FP32, config.model_dir)}.npz",
             digests=np.array([passage_cache._digest(TEXTS[0])], dtype=str),
             vectors=_vector(TEXTS[0])[None])

    def refused(self, missing_ok=False):
        raise PermissionError("read-only index folder")

    with monkeypatch.context() as patched:
        patched.setattr(Path, "unlink", refused)
        assert passage_cache.adopt_legacy(config, FP32) == 1
    assert legacy.is_dir()
