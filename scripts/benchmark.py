"""Benchmark: latency per question through `assistant ask --jsonl`, index build time, memory.

Runs the real CLI as a user would, in a subprocess, with every question of the given YAML
files (default: the shipped and held-out sets, repeated until there are at least --min
questions), and prints numbers; it asserts nothing.

    .venv/bin/python scripts/benchmark.py [--build] [--min 100] [FILES...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]


def questions(files: list[Path], minimum: int) -> list[str]:
    texts = [item["question"] for f in files for item in yaml.safe_load(f.read_text())]
    texts = [" ".join(t.split()) for t in texts if t and t.strip()]
    while len(texts) < minimum:
        texts += texts
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_build() -> None:
    """A full index build into a fresh folder, with the peak memory of that process."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, AVTAL_INDEX_DIR=folder)
        started = time.perf_counter()
        subprocess.run(CLI + ["index"], env=env, check=True, capture_output=True)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"index build: {seconds:.1f} s (whole command, model load included); "
          f"peak RSS {peak:.0f} MiB")


def time_questions(texts: list[str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(CLI + ["ask", "--jsonl"], input="\n".join(texts) + "\n",
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    latencies = [row["latency_ms"] for row in rows]
    abstained = sum(row["abstained"] for row in rows)
    print(f"questions: {len(rows)} through ask --jsonl ({abstained} declined)")
    print(f"latency after load: median {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")
    print(f"whole run (load + answers): {wall:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of the ask process: {peak:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path,
                        default=[ROOT / "eval" / "questions.yaml", ROOT / "eval" / "holdout.yaml"])
    parser.add_argument("--min", type=int, default=100, help="at least this many questions")
    parser.add_argument("--build", action="store_true", help="also time a full index build")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    time_questions(questions(args.files, args.min))
    if args.build:
        time_build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
