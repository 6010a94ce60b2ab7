"""BM25 scores from the index's saved bm25s folder, read with numpy alone.

A build writes the lexical index with bm25s (store._write_bm25): per token, the BM25 score
of every chunk using it, as a sparse column matrix (data, indices, indptr) beside the
vocabulary and parameters. Answering only needs those scores summed over a question's
tokens. Importing bm25s for that costs about 0.4 s of a cold `assistant ask` (it imports
scipy.sparse, which imports much of numpy, tqdm, ...), so the saved arrays are read here and
summed exactly as `bm25s.BM25.get_scores` sums them: the same arrays, the same float32
additions in the same order, hence the same scores (tested against bm25s on every token of
the shipped index).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PARAMS = "params.index.json"
VOCABULARY = "vocab.index.json"
ARRAYS = ("data", "indices", "indptr")  # <name>.csc.index.npy
NONOCCURRENCE = "nonoccurrence_array.index.npy"
# bm25s's variants that add a score for each query token a chunk does not use.
NONOCCURRENCE_METHODS = ("bm25l", "bm25+")


class SavedBM25:
    """The part of `bm25s.BM25` answering uses: `vocab_dict` and `get_scores`."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        self.vocab_dict: dict[str, int] = json.loads(
            (folder / VOCABULARY).read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.int_dtype = np.dtype(params.get("int_dtype", "int32"))
        self.data, self.indices, self.indptr = (np.load(folder / f"{name}.csc.index.npy")
                                                for name in ARRAYS)
        self.nonoccurrence = (np.load(folder / NONOCCURRENCE)
                              if params.get("method") in NONOCCURRENCE_METHODS else None)

    def get_scores(self, query_tokens: list[str]) -> np.ndarray:
        """Each chunk's BM25 score for the tokens (tokens the index lacks count nothing)."""
        ids = np.asarray([self.vocab_dict[t] for t in query_tokens if t in self.vocab_dict],
                         dtype=self.int_dtype)
        if int(ids.max(initial=0)) >= len(self.indptr) - 1:  # bm25s's empty token ""
            raise ValueError("a query token has no column in the BM25 index")
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        for start, end in zip(self.indptr[ids], self.indptr[ids + 1], strict=True):
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores
