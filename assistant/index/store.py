"""Build, swap and open the index: Chroma (dense), bm25s (lexical), sentence vectors.

A build is written to its own folder under `index/builds/` and made live by replacing the
one-line `index/CURRENT` file (an atomic rename), so a failed or interrupted build never
touches the index in use. The manifest records content hashes of the corpus, so a changed
corpus is detected at start.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.errors import UserError
from assistant.index import hubness
from assistant.index import vectors as stores
from assistant.index.chunking import Sentence, chunk_section, sentences
from assistant.index.embed import Embedding, default_embedding
from assistant.ingest.manifest import DocumentInfo, corpus_file, load_manifest
from assistant.ingest.pages import read_pages, thousands
from assistant.ingest.structure import load_corpus
from assistant.types import Chunk, Section

log = logging.getLogger(__name__)

INDEX_VERSION = "7"  # 7: exact Chroma search (vectors.collection_configuration)
POINTER = "CURRENT"
FAILED = "FAILED.json"
LOCK = ".build.lock"


@dataclass
class Index:
    """Everything the retriever and the answerer read, opened once."""

    path: Path
    documents: list[DocumentInfo]
    sections: list[Section]
    chunks: list[Chunk]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    bm25: object
    collection: object
    # The chunk vectors in the order of `chunks`, when the index was opened for an exact
    # in-memory search (`open_index(..., in_memory=True)`); None: the search asks Chroma.
    chunk_vectors: np.ndarray | None = None
    # Each sentence embedded with its neighbours in its section, under its headings
    # (`window_texts`); None for a build without them.
    window_vectors: np.ndarray | None = None
    # Each sentence's hubness (index/hubness.py), when stored for the current settings.
    hubness: np.ndarray | None = None


# Code whose output is stored in the index: a change to it makes the index stale.
INDEXED_CODE = ("ingest", "index/chunking.py", "index/hubness.py", "retrieve/lexical.py")
# How sentence vectors are made (`_sentence_vectors`); with the embedding backend's name it is
# part of the fingerprint, so a change to either rebuilds the index.
SENTENCE_VECTORS = "mean-of-plain-and-headed-1+window-1"


def fingerprint(settings: Settings) -> str:
    """Hash of every corpus file and of the code that reads it: changes when a rebuild is due."""
    digest = hashlib.sha256(INDEX_VERSION.encode())
    digest.update(str(settings.chunk_chars).encode())
    digest.update(f"{default_embedding().name}|{SENTENCE_VECTORS}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in INDEXED_CODE:
        for source in sorted((package / name).rglob("*.py")) if (package / name).is_dir() \
                else [package / name]:
            digest.update(source.read_bytes())
    for file in sorted(settings.corpus_dir.iterdir()):
        if file.is_file() and not file.name.startswith("."):
            digest.update(file.name.encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def current_build(settings: Settings) -> Path | None:
    pointer = settings.index_dir / POINTER
    if not pointer.exists():
        return None
    path = settings.index_dir / "builds" / pointer.read_text().strip()
    return path if (path / "manifest.json").exists() else None


def is_current(settings: Settings) -> bool:
    build = current_build(settings)
    if build is None:
        return False
    manifest = json.loads((build / "manifest.json").read_text())
    return manifest.get("fingerprint") == fingerprint(settings)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _build_lock(settings: Settings, notify: Callable[[str], None] = _say):
    """One build at a time per index folder (the chat, CLI and tests may start together).

    Yields True when another build held the lock and this one waited for it."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / LOCK, "w") as handle:
        waited = False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            notify("Ett annat bygge av indexet pågår; väntar tills det är klart …")
            fcntl.flock(handle, fcntl.LOCK_EX)
            waited = True
        try:
            yield waited
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def building(settings: Settings) -> bool:
    """Whether a build holds the index folder's lock right now (never waits, never writes)."""
    try:
        with open(settings.index_dir / LOCK) as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def build(settings: Settings, progress: bool = False, force: bool = True,
          notify: Callable[[str], None] = _say) -> Path:
    """Build a new index aside and make it current; returns its folder.

    With `force=False` an index that became current while waiting for the lock is kept; so is
    one that another build made current while this one waited (no build repeats another).
    A failed build leaves the index in use untouched and records why (`failure`)."""
    with _build_lock(settings, notify) as waited:
        if (waited or not force) and is_current(settings):
            if waited:
                notify("Det andra bygget gjorde indexet aktuellt; inget nytt bygge behövs.")
            return current_build(settings)
        try:
            path = _build(settings, progress)
        except Exception as error:
            _record_failure(settings, error)
            raise
        (settings.index_dir / FAILED).unlink(missing_ok=True)
        return path


def _record_failure(settings: Settings, error: Exception) -> None:
    from assistant.privacy import redact_personnummer

    reason = str(error) if isinstance(error, UserError) else \
        f"{type(error).__name__}: {str(error)[:300]}"
    try:
        _write_json(settings.index_dir / FAILED, {
            "fingerprint": fingerprint(settings), "reason": redact_personnummer(reason),
            "at": time.strftime("%Y-%m-%d %H:%M"),
        })
    except OSError:
        log.warning("could not record the failed build")


def failure(settings: Settings) -> dict | None:
    """The last failed build's record ({"fingerprint", "reason", "at"}), if any."""
    try:
        return json.loads((settings.index_dir / FAILED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check_corpus_size(sections: list[Section], settings: Settings) -> None:
    """A Swedish UserError naming the largest documents when the corpus passes its limit."""
    sizes: dict[str, int] = {}
    for section in sections:
        sizes[section.document] = sizes.get(section.document, 0) + len(section.body)
    total = sum(sizes.values())
    if total > settings.max_corpus_chars:
        largest = ", ".join(f"{doc} ({thousands(chars)} tecken)" for doc, chars in
                            sorted(sizes.items(), key=lambda item: -item[1])[:3])
        raise UserError(f"Korpusen är för stor: {thousands(total)} tecken, högst "
                        f"{thousands(settings.max_corpus_chars)} (Settings.max_corpus_chars). "
                        f"Störst: {largest}.")


_BUILD_NUMBERS = itertools.count(1)  # two builds in one second get two folders


def _build(settings: Settings, progress: bool) -> Path:
    started = time.perf_counter()
    _prefetch_writers()
    problems: list[str] = []
    documents, all_sections = load_corpus(settings.corpus_dir, problems)
    check_corpus_size(all_sections, settings)
    chunks = [c for s in all_sections for c in chunk_section(s, settings.chunk_chars)]
    quotable = [x for s in all_sections for x in sentences(s)]
    by_id = {s.id: s for s in all_sections}
    texts = [c.indexed_text(by_id[c.section_id].heading_path) for c in chunks]

    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_BUILD_NUMBERS)}"
    target = settings.index_dir / "builds" / name
    target.mkdir(parents=True)
    embedding = default_embedding()
    phases = {"read": time.perf_counter() - started}
    embedded: dict = {}
    try:
        vectors, sentence_vectors, window_vectors = _embed(texts, quotable, by_id, embedding,
                                                           settings, progress, embedded)
        phases["embed"] = time.perf_counter() - started - sum(phases.values())
        _write_chroma(target, chunks, by_id, texts, vectors, settings)
        _write_bm25(target, texts)
        np.save(target / "sentences.npy", sentence_vectors.astype(np.float32))
        np.save(target / "windows.npy", window_vectors.astype(np.float32))
        hubness.write(target, sentence_vectors, window_vectors,
                      [x.section_id for x in quotable], settings)
        _write_json(target / "sentences.json", [asdict(x) for x in quotable])
        _write_json(target / "sections.json", [asdict(s) for s in all_sections])
        _write_json(target / "chunks.json", [asdict(c) for c in chunks])
        _write_json(target / "documents.json", [asdict(d) for d in documents])
        phases["write"] = time.perf_counter() - started - sum(phases.values())
        _write_json(target / "manifest.json", {
            "fingerprint": fingerprint(settings), "version": INDEX_VERSION,
            "sections": len(all_sections), "chunks": len(chunks), "sentences": len(quotable),
            "seconds": round(time.perf_counter() - started, 1), "skipped": problems,
            "embedding": embedding.as_dict(), "hubness": hubness.computed_for(settings),
            "phases": {name: round(seconds, 1) for name, seconds in phases.items()},
            # distinct texts, how many the model embedded (the rest: the embedding store)
            "embedded": {"texts": embedded.get("texts", 0), "new": embedded.get("embedded", 0)},
        })
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _swap(settings, name)
    return target


def _prefetch_writers() -> None:
    """Import the writers' libraries (chromadb: 2-3 s of one core, bm25s) in a thread while
    the corpus is read and embedded, instead of after; an import that fails there fails
    again, with its traceback, where the build uses it."""
    def load() -> None:
        try:
            import bm25s  # noqa: F401
            import chromadb  # noqa: F401
        except Exception:  # noqa: BLE001, S110 - reported by the build's own import
            pass

    threading.Thread(target=load, name="prefetch-writers", daemon=True).start()


def _embed(texts: list[str], quotable: list[Sentence], by_id: dict[str, Section],
           embedding: Embedding, settings: Settings, progress: bool,
           stats: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunk vectors, sentence vectors and window vectors, every text embedded once and all
    in one call, so that batching by length spans all of them; texts the embedding store
    holds are reused."""
    from assistant.index.passage_cache import cached_passages

    plain, headed = passage_texts(quotable, by_id)
    windows = window_texts(quotable, by_id)
    every = cached_passages(texts + plain + headed + windows, embedding, settings, progress,
                            stats)
    n, m = len(texts), len(quotable)
    return (every[:n], _sentence_vectors(every[n:n + m], every[n + m:n + 2 * m]),
            every[n + 2 * m:])


def passage_texts(quotable: list[Sentence], by_id: dict[str, Section]
                  ) -> tuple[list[str], list[str]]:
    """The texts embedded per sentence: the sentence alone, and under its heading path."""
    plain = [x.text for x in quotable]
    return plain, [f"{by_id[x.section_id].heading_path}\n{x.text}" for x in quotable]


def window_texts(quotable: list[Sentence], by_id: dict[str, Section]) -> list[str]:
    """Each sentence with the sentence before and after it in its section, under its heading
    path: what it is about when it only says "Detta gäller även …" or lists one item."""
    windows = []
    for i, sentence in enumerate(quotable):
        around = [quotable[j].text for j in (i - 1, i, i + 1)
                  if 0 <= j < len(quotable) and quotable[j].section_id == sentence.section_id]
        windows.append(f"{by_id[sentence.section_id].heading_path}\n{' '.join(around)}")
    return windows


def _sentence_vectors(plain: np.ndarray, headed: np.ndarray) -> np.ndarray:
    """Mean of a sentence's own embedding and of it under its headings, so its score is the
    mean of both cosines: the words match, and so does the heading ("Syfte" for "syftet").

    Both are needed: mixing the sentence's vector with its heading path's by token counts
    (one pass fewer) lost 2 points of hit@1 on eval/questions.yaml."""
    return (plain + headed) / 2


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _write_chroma(target: Path, chunks: list[Chunk], by_id: dict[str, Section],
                  texts: list[str], vectors: np.ndarray, settings: Settings) -> None:
    """The chunk vectors, kept with the build, written to the build's own Chroma files or,
    with AVTAL_CHROMA_URL, to the Chroma server (vectors.py)."""
    stores.write_build(settings.chroma_url, target, [c.id for c in chunks], vectors, texts,
                       [_chunk_metadata(by_id[c.section_id]) for c in chunks],
                       live=current_build(settings))


def _chunk_metadata(section: Section) -> dict:
    """Filterable fields: the web chat's part filter runs inside Chroma."""
    return {
        "section_id": section.id,
        "document": section.document,
        "part": section.part or "",
        "agreement": section.agreement or "",
        "kind": section.kind,
    }


def _write_bm25(target: Path, texts: list[str]) -> None:
    import bm25s

    from assistant.retrieve.lexical import tokens

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
    retriever = bm25s.BM25()
    retriever.index([tokens(t) or ["∅"] for t in texts], show_progress=False)
    retriever.save(str(target / "bm25"), show_progress=False)


def _swap(settings: Settings, name: str) -> None:
    pointer = settings.index_dir / POINTER
    temporary = settings.index_dir / f".{POINTER}.{os.getpid()}"
    temporary.write_text(name)
    os.replace(temporary, pointer)
    for old in (settings.index_dir / "builds").iterdir():
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class IndexState:
    """What the answering side should tell users about the index it answers from."""

    built: str | None  # "2026-11-30 09:12", from the build folder's name
    current: bool  # built from the corpus as it is now
    skipped: list[str]  # Swedish messages of files the build could not read
    building: bool = False  # a new build runs in the background
    failed: str | None = None  # why the last build for this corpus failed
    read_only: bool = False  # the index folder cannot be written: no rebuild
    unreadable: list[str] = field(default_factory=list)  # in the changed corpus

    def notice(self) -> str:
        """Swedish text to show once (stderr, web banner); empty when all is well."""
        lines = []
        if self.skipped:
            lines.append("Filer som inte kunde läsas och inte finns i indexet: "
                         + "; ".join(self.skipped))
        fresh = [x for x in self.unreadable if x not in self.skipped
                 and x not in (self.failed or "")]
        if not self.current and fresh:
            lines.append("Filer i korpusen som inte kan läsas och hoppas över: "
                         + "; ".join(fresh))
        if not self.current:
            since = f"indexet från {self.built}" if self.built else "det förra indexet"
            if self.failed:
                lines.append(f"Det senaste bygget av indexet misslyckades ({self.failed}). "
                             f"Svaren kommer från {since}.")
            elif self.building:
                lines.append("Korpusen har ändrats: ett nytt index byggs i bakgrunden. "
                             f"Tills det är klart kommer svaren från {since}.")
            elif self.read_only:
                lines.append("Korpusen har ändrats men indexmappen är skrivskyddad, så "
                             f"indexet kan inte byggas om. Svaren kommer från {since}.")
            else:
                lines.append(f"Korpusen har ändrats sedan {since} byggdes; kör "
                             "”assistant index” för att bygga om det.")
        elif self.skipped and self.built:
            lines.append(f"Indexet byggdes {self.built}.")
        return "\n".join(lines)


def _built_at(path: Path) -> str | None:
    stamp = path.name.split("-")
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.strptime("-".join(stamp[:2]),
                                                             "%Y%m%d-%H%M%S"))
    except ValueError:
        return None


def state(settings: Settings) -> IndexState | None:
    """The state of the current build (None when there is none); never writes."""
    path = current_build(settings)
    if path is None:
        return None
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    now = fingerprint(settings)
    failed = failure(settings)
    current = manifest.get("fingerprint") == now
    return IndexState(
        built=_built_at(path), current=current,
        skipped=list(manifest.get("skipped", [])), building=building(settings),
        failed=failed["reason"] if failed and failed.get("fingerprint") == now else None,
        read_only=not os.access(settings.index_dir, os.W_OK),
        unreadable=[] if current else unreadable_files(settings),
    )


def unreadable_files(settings: Settings) -> list[str]:
    """Swedish messages for the corpus files a build would skip (reads them; writes nothing)."""
    problems = []
    try:
        documents = load_manifest(settings.corpus_dir)
    except UserError as error:
        return [str(error)]
    for file in dict.fromkeys(doc.file for doc in documents):
        try:
            read_pages(corpus_file(settings.corpus_dir, file))
        except UserError as error:
            problems.append(str(error))
    return problems


def ensure(settings: Settings, progress: bool = False, background: bool = True) -> IndexState:
    """An index to answer from, and what to tell users about it.

    No index yet: build one now (a Swedish UserError if that fails). An index for an older
    corpus: with `background`, keep answering from it while a separate process builds the new
    one (unless one already runs, the last attempt for this very corpus failed, or the folder
    is read-only); without, build now and fall back to the old index if the build fails."""
    found = state(settings)
    if found is None:
        _say("Inget index finns ännu: bygger det nu ur korpusen (det kan ta några minuter) …")
        try:
            build(settings, progress=progress, force=False)
        except UserError as error:
            raise UserError(f"Indexet kunde inte byggas: {error}") from None
        except Exception as error:  # noqa: BLE001 - the reason is recorded; say it in Swedish
            raise UserError(f"Indexet kunde inte byggas ({type(error).__name__}). Kör "
                            "”assistant -v index” för detaljer.") from None
        return state(settings)
    if found.current or found.failed or found.read_only or found.building:
        return found
    if background:
        start_background_build(settings)
        found.building = True
        return found
    try:
        build(settings, progress=progress, force=False)
    except Exception:  # noqa: BLE001 - recorded by build(); the last good index answers
        log.warning("index build failed; answering from the last good index")
    return state(settings)


def start_background_build(settings: Settings) -> subprocess.Popen:
    """`assistant index` in its own process (and session), its output in index/build.log."""
    env = dict(os.environ, AVTAL_CORPUS_DIR=str(settings.corpus_dir),
               AVTAL_INDEX_DIR=str(settings.index_dir), AVTAL_MODEL_DIR=str(settings.model_dir),
               AVTAL_DATA_DIR=str(settings.data_dir))
    with open(settings.index_dir / "build.log", "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "assistant.cli", "index"], env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)


def embedding_of(build: Path) -> Embedding:
    """The embedding backend a build's vectors were made with (its questions use the same)."""
    return Embedding.from_manifest(_read_json(build / "manifest.json"))


def open_index(settings: Settings, in_memory: bool = False) -> Index:
    """Open the current build (the caller makes sure one exists). Nothing is written to the
    index folder: Chroma, which rewrites its files on open, gets a private copy.

    `in_memory` (a one-shot `assistant ask`): the chunk vectors are read from the build's
    chunk_vectors.npy for an exact search in memory, and Chroma is opened only if something
    uses `collection` (opening it costs about two seconds; the web chat and the Chroma server
    keep using it). The lexical scores are read without bm25s (bm25_scores.py)."""
    from assistant.index.bm25_scores import SavedBM25

    path = current_build(settings)
    if path is None:
        raise FileNotFoundError("no index")
    sections = [_section(row) for row in _read_json(path / "sections.json")]
    chunks = [Chunk(**row) for row in _read_json(path / "chunks.json")]
    vectors = _chunk_vectors(path, len(chunks)) if in_memory else None
    quotable = [Sentence(**row) for row in _read_json(path / "sentences.json")]
    return Index(
        path=path,
        documents=[DocumentInfo(**row) for row in _read_json(path / "documents.json")],
        sections=sections,
        chunks=chunks,
        sentences=quotable,
        sentence_vectors=np.load(path / "sentences.npy"),
        window_vectors=np.load(path / "windows.npy") if (path / "windows.npy").exists() else None,
        hubness=hubness.read(path, _read_json(path / "manifest.json"), settings, len(quotable)),
        bm25=SavedBM25(path / "bm25"),
        collection=(LazyCollection(lambda: _open_collection(settings, path)) if vectors is not None
                    else _open_collection(settings, path)),
        chunk_vectors=vectors,
    )


def _chunk_vectors(path: Path, count: int) -> np.ndarray | None:
    """The build's saved chunk vectors (vectors.write_build), None when it has none (older
    builds) or they do not match its chunks."""
    from assistant.index.vectors import VECTORS_FILE

    try:
        vectors = np.load(path / VECTORS_FILE)
    except (OSError, ValueError):
        return None
    return vectors if vectors.ndim == 2 and len(vectors) == count else None


class LazyCollection:
    """A Chroma collection opened on first use, then the same one (thread-safe)."""

    def __init__(self, opener: Callable[[], object]) -> None:
        self._opener = opener
        self._opened: object | None = None
        self._lock = threading.Lock()

    def opened(self) -> object:
        with self._lock:
            if self._opened is None:
                self._opened = self._opener()
            return self._opened

    def __getattr__(self, name: str):
        return getattr(self.opened(), name)


def _open_collection(settings: Settings, path: Path):
    """The build's chunk collection: on the Chroma server when AVTAL_CHROMA_URL is set, else
    from a private copy of the build's embedded store (answering never writes to the index
    folder, which may be read-only)."""
    if settings.chroma_url:
        return stores.open_collection(settings.chroma_url, path)
    return stores.EmbeddedChroma(_private_copy(path)).open(stores.EMBEDDED_COLLECTION)


def _private_copy(path: Path) -> Path:
    """A temporary copy of the build's Chroma folder, removed when the process ends."""
    copy = Path(tempfile.mkdtemp(prefix="avtal-index-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    shutil.copytree(path / "chroma", copy / "chroma")
    return copy


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _section(row: dict) -> Section:
    row["spans"] = [tuple(span) for span in row["spans"]]
    return Section(**row)
