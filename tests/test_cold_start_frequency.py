"""Word frequencies read from the set-up's table are wordfreq's own (issue 11, part 7: a cold
`assistant ask` without importing wordfreq)."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from wordfreq import get_frequency_dict, zipf_frequency

from assistant.config import ROOT
from assistant.retrieve import word_frequency
from assistant.retrieve.word_frequency import FrequencyTable, make_table

ENDINGS = ("en", "et", "na", "er", "ar", "or", "erna", "arna", "s", "t", "e", "ade", "ande")
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéü"


@cache
def _listed(count: int, seed: int) -> list[str]:
    """`count` words of wordfreq's Swedish list, common and rare alike."""
    return random.Random(seed).sample(sorted(get_frequency_dict("sv")), count)


def _unknown(count: int, seed: int) -> list[str]:
    """Random strings of Swedish letters that wordfreq's list does not hold."""
    draw = random.Random(seed)
    listed = get_frequency_dict("sv")
    drawn = ("".join(draw.choice(LETTERS) for _ in range(draw.randint(1, 14)))
             for _ in range(count))
    return [w for w in drawn if w not in listed]


def _not_plain() -> list[str]:
    """Words wordfreq tokenizes or smashes: digits, punctuation, other letters, spaces."""
    return ["2023", "17", "b12", "1:a", "t.ex.", "hälso- och", "sjukvård och", "o'connor",
            "naïve", "straße", "ﬁnansiering", "vård\u0301", "kommun,", "", " ", "Ω",
            "İstanbul", "ÅÄÖ-regeln", "ärende-123"]


@pytest.fixture()
def small_table(tmp_path, monkeypatch) -> list[str]:
    """A table of 2,000 listed words, used by `zipf` in place of the set-up's."""
    words = list(_listed(2000, seed=7))
    path = tmp_path / "wordfreq-sv.sqlite3"
    assert make_table(path, words) == len({w for w in words
                                           if word_frequency.PLAIN.fullmatch(w)})
    monkeypatch.setattr(word_frequency, "table_path", lambda: path)
    word_frequency.default_table.cache_clear()
    yield words
    word_frequency.default_table.cache_clear()


def test_table_values_are_wordfreqs(small_table) -> None:
    table = word_frequency.default_table()
    assert table is not None
    words = [*small_table, *(w.upper() for w in small_table[:300]),
             *(w.capitalize() for w in small_table[300:600]), *_unknown(1500, seed=3),
             *_not_plain()]
    assert [word_frequency.zipf(w) for w in words] == [zipf_frequency(w, "sv") for w in words]
    assert any(word_frequency.zipf(w) > 4 for w in small_table)  # common words are in it


def test_plain_words_outside_the_list_are_zero_in_the_table(small_table) -> None:
    table = word_frequency.default_table()
    unknown = _unknown(500, seed=11)
    assert len(unknown) > 300 and {zipf_frequency(w, "sv") for w in unknown} == {0.0}
    assert {table.zipf(w) for w in unknown} == {0.0}


def test_a_table_from_another_wordfreq_version_is_not_used(small_table) -> None:
    path = word_frequency.table_path()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'wordfreq'")
    db.close()
    word_frequency.default_table.cache_clear()
    assert word_frequency.default_table() is None
    assert not word_frequency.is_made(path)
    assert word_frequency.zipf("hjälpmedel") == zipf_frequency("hjälpmedel", "sv") > 3


def test_missing_or_damaged_table_falls_back_to_wordfreq(tmp_path, monkeypatch) -> None:
    for content in (None, b"not a database" * 100):
        path = tmp_path / "wordfreq-sv.sqlite3"
        if content is not None:
            path.write_bytes(content)
        monkeypatch.setattr(word_frequency, "table_path", lambda p=path: p)
        word_frequency.default_table.cache_clear()
        assert word_frequency.default_table() is None
        assert word_frequency.zipf("kommunen") == zipf_frequency("kommunen", "sv") > 3
    word_frequency.default_table.cache_clear()


def test_speller_frequency_reads_the_table_without_importing_wordfreq(tmp_path) -> None:
    """A process with the table never imports wordfreq (the 0.9 s this saves)."""
    model_dir = tmp_path / "models" / "e5"
    make_table(model_dir.parent / word_frequency.TABLE_NAME, ["vård", "hjälpmedel", "och"])
    code = ("import sys\n"
            "from assistant.retrieve.spelling import frequency\n"
            "print(frequency('vård'), frequency('Hjälpmedel'), frequency('xqzv'))\n"
            "print('wordfreq' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), AVTAL_MODEL_DIR=str(model_dir))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    values, imported = done.stdout.splitlines()
    assert values.split() == [str(zipf_frequency(w, "sv")) for w in ("vård", "hjälpmedel", "xqzv")]
    assert imported == "False"


@pytest.mark.slow
def test_the_set_up_table_equals_wordfreq_on_listed_inflected_and_unknown_words(
        tmp_path_factory) -> None:
    """The whole table (the set-up's, or made here when set-up has not made it)."""
    path = word_frequency.table_path()
    if not word_frequency.is_made(path):
        path = Path(tmp_path_factory.mktemp("wordfreq")) / word_frequency.TABLE_NAME
        make_table(path)
    table = FrequencyTable(path)
    listed = _listed(3000, seed=5)
    plain = [w for w in listed if word_frequency.PLAIN.fullmatch(w)]
    inflected = [w + ending for w in plain[:1500] for ending in ENDINGS[:3]]
    words = [*plain, *inflected, *(w.upper() for w in plain[:500]), *_unknown(1000, seed=9)]
    assert [table.zipf(w) for w in words] == [zipf_frequency(w, "sv") for w in words]
    assert sum(table.zipf(w) > 0 for w in inflected) > 100  # inflections are listed too
