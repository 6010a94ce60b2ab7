"""A machine-wide store of passage vectors, so that a build embeds only texts never embedded.

Embedding is nearly all of a build's time (docs/build-speed.md). Every index folder on the
machine (the shipped index, a scratch `AVTAL_INDEX_DIR`, the next version of the agreement,
the tests' scratch corpora) shares most of its texts, so their vectors are kept once, beside
the converted model: `<model_dir>/passage-vectors/vectors.sqlite3` (Settings.embed_cache or
`AVTAL_EMBED_CACHE` moves it; "off" disables it). This is LangChain's CacheBackedEmbeddings
idea, on SQLite (stdlib) so that the texts still go to the model in one length-batched call.

- Content-addressed: a row is (key, sha256 of the text) → the float32 vector, where the key is
  the embedding's name and the ONNX export's marker (a model exported anew is a new key). Only
  digests are stored, never texts (and only corpus texts are ever embedded here, no questions).
- Bounded: at most Settings.embed_cache_texts vectors (60,000 ≈ 100 MB); a build marks the
  vectors it used, and the least recently used ones are evicted beyond the bound.
- Safe with builds at once: SQLite transactions (WAL), so a reader never sees half a vector.
- Never a wrong vector: each row carries a checksum over key, digest and vector bytes; a row
  of the wrong size or checksum is embedded anew. A damaged store file is replaced by an empty
  one, a store that cannot be written falls back to the index folder, else to no store: each
  with one log line, never a crash. The vectors are bit-identical to an uncached build's.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.index.embed import (
    DIMENSION,
    Embedding,
    default_embedding,
    embed_passages,
    release_models,
)

log = logging.getLogger(__name__)

FOLDER = "passage-vectors"  # beside the model (default), or in the index folder (fallback)
FILE = "vectors.sqlite3"
OFF = "off"
LEGACY = "passage-cache"  # the per-index cache of earlier versions: moved into the store once
VECTOR_BYTES = DIMENSION * 4
_CHUNK = 500  # digests per SELECT (SQLite's bound on host parameters is far above)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    key TEXT NOT NULL, digest BLOB NOT NULL, vector BLOB NOT NULL, checksum BLOB NOT NULL,
    used INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS vectors_text ON vectors (key, digest);
CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used);
"""


def cached_passages(texts: list[str], embedding: Embedding, settings: Settings,
                    progress: bool = False, stats: dict | None = None) -> np.ndarray:
    """(n, DIMENSION) passage vectors for `texts`, embedding only those the store lacks.

    `stats`, when given, gets how many distinct texts there were, how many of them were
    embedded now and the store's file (None: no store)."""
    if not texts:
        return np.zeros((0, DIMENSION), np.float32)
    key = _key(embedding, settings.model_dir)
    digests = [_digest(text) for text in texts]
    store = open_store(settings)
    if stats is not None:
        stats["store"] = str(store.path) if store else None
    known = store.get(key, digests) if store else {}
    if store:
        known.update(_legacy(settings.index_dir, key, set(digests) - set(known)))
    missing = {d: text for d, text in zip(digests, texts, strict=True) if d not in known}
    if stats is not None:
        stats.update(texts=len(set(digests)), embedded=len(missing))
    if missing:
        vectors = embed_passages(list(missing.values()), show_progress=progress,
                                 embedding=embedding, model_dir=settings.model_dir)
        release_models()  # the build's many-thread session; answering loads its own
        known.update(zip(missing, vectors, strict=True))
    if store:
        if store.put(key, {d: known[d] for d in dict.fromkeys(digests)}):
            _drop_legacy(settings.index_dir)
        store.close()
    return np.stack([known[d] for d in digests]).astype(np.float32, copy=False)


def adopt_legacy(settings: Settings, embedding: Embedding | None = None) -> int:
    """Move the index folder's cache of earlier versions into the store, without a build (an
    index that is current after an upgrade); returns the number of vectors moved."""
    embedding = embedding or default_embedding()
    key = _key(embedding, settings.model_dir)
    path = settings.index_dir / LEGACY / f"{key}.npz"
    if not path.is_file():
        return 0
    vectors = _legacy(settings.index_dir, key, None)
    store = open_store(settings)
    if store is None or not vectors:
        return 0
    try:
        if store.put(key, vectors, fresh=False):
            _drop_legacy(settings.index_dir)
            return len(vectors)
        return 0
    finally:
        store.close()


def store_folders(settings: Settings) -> list[Path]:
    """Where the store may live, in order of preference: none when it is turned off."""
    chosen = (settings.embed_cache or "").strip()
    if chosen.lower() == OFF:
        return []
    first = Path(chosen).expanduser().resolve() if chosen else settings.model_dir / FOLDER
    return list(dict.fromkeys([first, settings.index_dir / FOLDER]))


def open_store(settings: Settings) -> Store | None:
    """The first store folder that can be written, or None (with a log line)."""
    for folder in store_folders(settings):
        store = Store.open(folder / FILE, settings.embed_cache_texts)
        if store is not None:
            return store
    return None


class Store:
    """One SQLite file of vectors; every failure is logged and makes it a no-op."""

    def __init__(self, path: Path, connection: sqlite3.Connection, limit: int) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = connection
        self.limit = limit

    @classmethod
    def open(cls, path: Path, limit: int) -> Store | None:
        try:
            return cls(path, _connect(path), limit)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError):
                log.warning("embedding store %s not used: %s", path, error)
                return None
            log.warning("embedding store %s damaged (%s): replaced by an empty one",
                        path, error)
            try:
                _remove(path)
                return cls(path, _connect(path), limit)
            except (sqlite3.Error, OSError) as again:
                log.warning("embedding store %s not used: %s", path, again)
                return None
        except OSError as error:
            log.warning("embedding store %s not used: %s", path, error)
            return None

    def get(self, key: str, digests: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these digests whose size and checksum hold."""
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(digests))
        bad = 0
        try:
            for i in range(0, len(wanted), _CHUNK):
                part = [bytes.fromhex(d) for d in wanted[i:i + _CHUNK]]
                rows = self._sql(
                    f"SELECT digest, vector, checksum FROM vectors WHERE key = ? AND digest IN "
                    f"({','.join('?' * len(part))})", (key, *part)).fetchall()
                for digest, vector, checksum in rows:
                    if len(vector) == VECTOR_BYTES and checksum == _checksum(key, digest, vector):
                        found[digest.hex()] = np.frombuffer(vector, dtype="<f4").copy()
                    else:
                        bad += 1
        except sqlite3.Error as error:
            self._fail(error)
            return {}
        if bad:
            log.warning("embedding store %s: %d damaged vectors embedded anew", self.path, bad)
        return found

    def put(self, key: str, vectors: dict[str, np.ndarray], fresh: bool = True) -> bool:
        """Store these vectors (new ones added, all marked as just used; with `fresh=False` as
        used long ago), then evict the least recently used beyond the bound; one transaction.
        True when it was written."""
        now = time.time_ns() if fresh else 0
        rows = []
        for digest, vector in vectors.items():
            data = np.ascontiguousarray(vector, dtype="<f4").tobytes()
            if len(data) != VECTOR_BYTES:
                continue
            raw = bytes.fromhex(digest)
            rows.append((key, raw, data, _checksum(key, raw, data), now))
        try:
            with self.connection:  # type: ignore[union-attr]  # BEGIN … COMMIT / ROLLBACK
                self.connection.executemany(  # type: ignore[union-attr]
                    "INSERT INTO vectors (key, digest, vector, checksum, used) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key, digest) DO UPDATE SET "
                    "vector = excluded.vector, checksum = excluded.checksum, "
                    "used = max(vectors.used, excluded.used)", rows)
                over = self._sql("SELECT count(*) FROM vectors").fetchone()[0] - self.limit
                if over > 0:
                    self._sql("DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors "
                              "ORDER BY used LIMIT ?)", (over,))
            return True
        except sqlite3.Error as error:
            self._fail(error)
            return False

    def count(self) -> int:
        try:
            return self._sql("SELECT count(*) FROM vectors").fetchone()[0]
        except sqlite3.Error as error:
            self._fail(error)
            return 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _sql(self, query: str, parameters: tuple = ()) -> sqlite3.Cursor:
        if self.connection is None:
            raise sqlite3.OperationalError("store closed after an earlier error")
        return self.connection.execute(query, parameters)

    def _fail(self, error: sqlite3.Error) -> None:
        log.warning("embedding store %s not used: %s", self.path, error)
        self.close()
        if not isinstance(error, sqlite3.OperationalError):  # damaged: start afresh next time
            try:
                _remove(self.path)
            except OSError:
                pass

    def __bool__(self) -> bool:
        return self.connection is not None


def _connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the store and check that it can be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("PRAGMA page_size=8192")  # a new file: 1.7 kB a vector, not 2.1
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(_SCHEMA)
        connection.execute("BEGIN IMMEDIATE")  # takes the write lock: fails when read-only
        connection.execute("ROLLBACK")
    except BaseException:
        connection.close()
        raise
    connection.isolation_level = "DEFERRED"  # `with connection:` is one transaction
    return connection


def _remove(path: Path) -> None:
    """Delete a damaged store file with its write-ahead log (never applied to a new file)."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        (path.parent / name).unlink(missing_ok=True)


def _key(embedding: Embedding, model_dir: Path) -> str:
    """The embedding's name and its export's marker: a model exported anew is a new key."""
    marker = model_dir / "onnx" / ".exported"
    export = marker.read_bytes() if embedding.backend == "onnx" and marker.exists() else b""
    return hashlib.sha256(embedding.name.encode() + export).hexdigest()[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _checksum(key: str, digest: bytes, vector: bytes) -> bytes:
    return hashlib.blake2b(key.encode() + digest + vector, digest_size=8).digest()


def _legacy(index_dir: Path, key: str, wanted: set[str] | None) -> dict[str, np.ndarray]:
    """Vectors of the index folder's own cache of earlier versions (`passage-cache/<key>.npz`),
    so an index built before the store does not embed its corpus again (None: all of them)."""
    path = index_dir / LEGACY / f"{key}.npz"
    if wanted is not None and not wanted or not path.is_file():
        return {}
    try:
        with np.load(path) as stored:
            digests, vectors = stored["digests"].tolist(), stored["vectors"]
            if vectors.dtype != np.float32 or vectors.shape != (len(digests), DIMENSION):
                raise ValueError(f"shape {vectors.shape}, {vectors.dtype}")
            return {d: vectors[i].copy() for i, d in enumerate(digests)
                    if wanted is None or d in wanted}
    except Exception as error:  # noqa: BLE001 - a damaged cache is never trusted
        log.warning("old passage cache %s not used: %s", path, error)
        return {}


def _drop_legacy(index_dir: Path) -> None:
    """Remove the old per-index cache once the store holds it (left alone when read-only)."""
    folder = index_dir / LEGACY
    try:
        if folder.is_dir():
            for old in folder.glob("*"):
                old.unlink(missing_ok=True)
            folder.rmdir()
    except OSError as error:
        log.info("old passage cache %s kept: %s", folder, error)
