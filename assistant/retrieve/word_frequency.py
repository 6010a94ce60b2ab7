"""Swedish word frequencies on wordfreq's Zipf scale, read from a small table made at set-up.

Several question-side signals ask how common a word is in Swedish (spelling.py, the topic
words of a conversation turn). Importing wordfreq and reading its Swedish list costs about
0.9 s of CPU, a third of a cold `assistant ask`. The set-up step
`python -m assistant.retrieve.word_frequency` therefore writes, for every plain word of
wordfreq's Swedish list, exactly `wordfreq.zipf_frequency(word, "sv")` into an SQLite file
beside the converted model (`models/wordfreq-sv.sqlite3`, ~10 MB), where each lookup is one
indexed read. A plain word (letters a–z, å, ä, ö, é, ü) is one token to wordfreq, so a word
the list lacks has frequency 0 there too. Every other word — digits, punctuation, other
letters — and every word when the table is missing, unreadable or made by another wordfreq
version, goes to wordfreq itself: the answer is the same either way, only slower.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

LANGUAGE = "sv"
TABLE_NAME = f"wordfreq-{LANGUAGE}.sqlite3"
# Words the table answers for: one token to wordfreq's tokenizer (letters only, each its own
# lower case in Unicode's case folding, precomposed), so its frequency is the list's value.
PLAIN = re.compile(r"[A-Za-zÅÄÖÉÜåäöéü]+")


def zipf(word: str) -> float:
    """`wordfreq.zipf_frequency(word, "sv")`: 0 for unknown words, 7.4 for "och"."""
    table = default_table()
    if table is not None and PLAIN.fullmatch(word):
        return table.zipf(word)
    return _wordfreq_zipf(word)


def _wordfreq_zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, LANGUAGE)


class FrequencyTable:
    """A made table, opened read-only (it may sit on a read-only file system); thread-safe."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1",
                                   uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.version = self._meta("wordfreq")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def zipf(self, word: str) -> float:
        """The Zipf frequency of a plain word (see PLAIN); 0.0 when the list lacks it."""
        with self._lock:
            row = self._db.execute("SELECT zipf FROM zipf WHERE word = ?",
                                   (word.lower(),)).fetchone()
        return row[0] if row else 0.0

    def common(self, min_zipf: float) -> dict[str, float]:
        """Every plain word at least this common, with its frequency."""
        with self._lock:
            return dict(self._db.execute("SELECT word, zipf FROM zipf WHERE zipf >= ?",
                                         (min_zipf,)).fetchall())


@lru_cache(maxsize=2)
def common_words(min_zipf: float) -> dict[str, float]:
    """Swedish words at least `min_zipf` common (read once: ~0.1 s for the 30,000 words of
    Zipf 3); empty when the set-up's table is missing."""
    table = default_table()
    return table.common(min_zipf) if table is not None else {}


def table_path() -> Path:
    """Where set-up writes the table: beside the converted model's folder."""
    from assistant.config import Settings

    return Settings().model_dir.parent / TABLE_NAME


@lru_cache(maxsize=1)
def default_table() -> FrequencyTable | None:
    """The set-up's table, or None when it is missing, unreadable or was made from another
    version of wordfreq than the installed one (its values could differ)."""
    path = table_path()
    if not path.is_file():
        return None
    try:
        table = FrequencyTable(path)
    except sqlite3.Error:
        return None
    installed = installed_version()
    return table if installed is not None and table.version == installed else None


def installed_version() -> str | None:
    """The installed wordfreq's version, read from its dist-info folder's name (cheap: no
    import of wordfreq or importlib.metadata)."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    prefix = "wordfreq-"
    try:
        names = [n for n in os.listdir(site) if n.startswith(prefix) and n.endswith(".dist-info")]
    except OSError:
        return None
    return names[0][len(prefix):-len(".dist-info")] if len(names) == 1 else None


def make_table(path: Path, words: Iterable[str] | None = None) -> int:
    """Write the table of every plain word of wordfreq's Swedish list (or of `words`, for
    tests) atomically: a temporary file renamed into place. Returns how many words it holds."""
    from importlib.metadata import version

    from wordfreq import get_frequency_dict, zipf_frequency

    listed = get_frequency_dict(LANGUAGE) if words is None else words
    plain = sorted({w for w in listed if PLAIN.fullmatch(w) and w == w.lower()})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with sqlite3.connect(temporary) as db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE zipf (word TEXT PRIMARY KEY, zipf REAL NOT NULL) "
                       "WITHOUT ROWID")
            db.executemany("INSERT INTO zipf VALUES (?, ?)",
                           ((w, zipf_frequency(w, LANGUAGE)) for w in plain))
            db.execute("INSERT INTO meta VALUES ('wordfreq', ?)", (version("wordfreq"),))
        db.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    default_table.cache_clear()
    return len(plain)


def is_made(path: Path) -> bool:
    """Whether `path` holds a table made from the installed wordfreq."""
    if not path.is_file():
        return False
    try:
        return FrequencyTable(path).version == installed_version()
    except sqlite3.Error:
        return False


def main() -> None:
    path = table_path()
    if is_made(path):
        print(f"{path}: finns redan")
        return
    print(f"{path}: {make_table(path)} ord")


if __name__ == "__main__":
    main()
