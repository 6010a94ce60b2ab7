"""Benchmark: cold start of `assistant ask`, index build, memory, latency per question.

Runs the real CLI as a user would, in subprocesses, and prints each figure beside the one
measured before the torch-free query path (issue 11, a quiet 2-core machine) and, for the cold
start, beside the one before the question-side work (round 2: 8.2 s, 1.0 GB) and the target.
CPU time (user + sys) is printed too: on a shared machine it moves much less than wall time.
It asserts nothing.

    .venv/bin/python scripts/benchmark.py [--cold 3] [--build | --build-only] [--min 100] [FILES...]

`AVTAL_EMBEDDING=torch` (or onnx-int8) benchmarks another backend; `--index-dir` uses an
index folder of its own (built first when not current).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]
COLD_QUESTION = "Vem betalar hjälpmedel till en 12-åring?"
# Before the cold-start work on the question path (issue 11 part 7, round 2), quiet 2-core
# machine (load 1.3): onnx-fp32, 470 MB graph, full tokenizer, Chroma opened, warm-up answer.
BEFORE_COLD = {
    "cold_wall": "8.2 s (cpu 8.3 s)",
    "cold_rss": "1.0 GB",
}
# Targets of issue 11 part 7 (cold start) and its brief (CPU, RSS).
TARGET = {
    "cold_wall": "<= 3 s (cpu <= 2.5 s)",
    "cold_rss": "<= 500 MB (450 MiB)",
}
# Before the torch-free query path (issue 11), measured on a quiet 2-core machine.
BEFORE = {
    "cold_wall": "12.6 s",
    "cold_rss": "1.0 GB",
    "build_wall": "80.4 s",
    "build_rss": "1.5 GB",
    # The build before issue 11 part 7 (one two-thread session, every text once per use),
    # profiled under load average 4-8: 98 % of it embedding 2,895 texts (162k tokens).
    "build_phases": "embedding 98 %",
    # From nothing after the build-speed work (docs/build-speed.md, lead, load < 1).
    "build_nothing": "71.2 s (cpu 122 s)",
    "answer_rss": "1.1 GB",
    "median": "33.5 ms",
    "p95": "46.5 ms",
}


@dataclass
class Run:
    """One finished subprocess: wall and CPU seconds, peak RSS (MiB), its output."""

    wall: float
    cpu: float
    rss_mib: float
    stdout: str
    returncode: int


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> Run:
    """Run a command and reap it ourselves (os.wait4), so the resource usage read is its own,
    not that of all children so far."""
    started = time.perf_counter()
    read_out, write_out = os.pipe()
    read_in, write_in = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.dup2(read_in, 0)
        os.dup2(write_out, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        for fd in (read_out, write_out, read_in, write_in, devnull):
            os.close(fd)
        os.execvpe(args[0], args, env)
    os.close(read_in)
    os.close(write_out)
    with os.fdopen(write_in, "w", encoding="utf-8") as pipe_in:
        pipe_in.write(stdin or "")
    with os.fdopen(read_out, encoding="utf-8") as pipe_out:
        stdout = pipe_out.read()
    _, status, usage = os.wait4(pid, 0)
    return Run(time.perf_counter() - started, usage.ru_utime + usage.ru_stime,
               usage.ru_maxrss / 1024, stdout, os.waitstatus_to_exitcode(status))


def questions(files: list[Path], minimum: int) -> list[str]:
    texts = [item["question"] for f in files for item in yaml.safe_load(f.read_text())]
    texts = [" ".join(t.split()) for t in texts if t and t.strip()]
    while texts and len(texts) < minimum:
        texts += texts
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _line(label: str, now: str, before: str, *earlier: str) -> None:
    """One figure beside the ones before it (oldest first) and, last, the target."""
    print(f"  {label:<34} {now:<30} (before: {' | '.join((before, *earlier))})")


def ensure_index(env: dict[str, str]) -> None:
    done = run(CLI + ["index"], env)
    if done.returncode:
        sys.exit(f"assistant index failed (rc {done.returncode})")


def cold_start(env: dict[str, str], repeats: int) -> None:
    """`assistant ask "…"` from a new process to its printed answer, index already built."""
    runs = [run(CLI + ["ask", COLD_QUESTION], env) for _ in range(repeats)]
    if any(r.returncode for r in runs):
        sys.exit("assistant ask failed")
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = max(r.rss_mib for r in runs)
    print(f"cold start of `assistant ask` ({repeats} runs, median; before: torch path | "
          "round 2 start, quiet machine | target):")
    _line("wall", f"{wall:.2f} s (cpu {cpu:.2f} s)", BEFORE["cold_wall"],
          BEFORE_COLD["cold_wall"], TARGET["cold_wall"])
    _line("peak RSS", f"{rss:.0f} MiB", BEFORE["cold_rss"], BEFORE_COLD["cold_rss"],
          TARGET["cold_rss"])


def build(env: dict[str, str]) -> None:
    """Full builds of the shipped corpus into fresh index folders: from nothing (the embedding
    store off: every text embedded), then with the store as the set-up leaves it (warm: no
    text embedded; a cold store is warmed by a first build, reported, and timed again)."""
    load = os.getloadavg()[0]
    done, phases, _ = timed_build(dict(env, AVTAL_EMBED_CACHE="off"))
    print("full index build from nothing (whole command; embedding store off):")
    _line("wall", f"{done.wall:.1f} s (cpu {done.cpu:.1f} s)", BEFORE["build_wall"],
          BEFORE["build_nothing"])
    _line("peak RSS", f"{done.rss_mib:.0f} MiB", BEFORE["build_rss"])
    _line("phases (read, embed, write)", phases, BEFORE["build_phases"])
    _line("load average (start, end)", f"{load:.1f}, {os.getloadavg()[0]:.1f}", "quiet")
    load = os.getloadavg()[0]
    done, phases, embedded = timed_build(env)
    if embedded.get("new"):
        print(f"  (the embedding store was cold: that build embedded {embedded['new']} of "
              f"{embedded['texts']} texts into it; timed again)")
        load = os.getloadavg()[0]
        done, phases, embedded = timed_build(env)
    print("full index build, embedding store warm (whole command; a fresh index folder):")
    _line("wall", f"{done.wall:.1f} s (cpu {done.cpu:.1f} s)", BEFORE["build_wall"],
          BEFORE["build_nothing"], "<= 30 s")
    _line("peak RSS", f"{done.rss_mib:.0f} MiB", BEFORE["build_rss"])
    _line("phases (read, embed, write)", phases, BEFORE["build_phases"])
    if embedded:
        _line("texts embedded / from the store",
              f"{embedded['new']} / {embedded['texts'] - embedded['new']}", "every text")
    _line("load average (start, end)", f"{load:.1f}, {os.getloadavg()[0]:.1f}", "quiet")


def timed_build(env: dict[str, str]) -> tuple[Run, str, dict]:
    """`assistant index` into a fresh folder: the run, its phases, its "embedded" counts."""
    with tempfile.TemporaryDirectory() as folder:
        done = run(CLI + ["index"], dict(env, AVTAL_INDEX_DIR=folder))
        phases = build_phases(Path(folder))
        embedded = build_manifest(Path(folder)).get("embedded", {})
    if done.returncode:
        sys.exit("assistant index failed")
    return done, phases, embedded


def build_manifest(folder: Path) -> dict:
    """The current build's manifest in an index folder ({} when there is none)."""
    try:
        name = (folder / "CURRENT").read_text().strip()
        return json.loads((folder / "builds" / name / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def build_phases(folder: Path) -> str:
    """The seconds of each phase a build recorded in its manifest ("phases"), e.g.
    "read 0.9 s, embed 71.2 s, write 2.3 s"; the rest of the wall time is start-up."""
    return ", ".join(f"{phase} {seconds:.1f} s"
                     for phase, seconds in build_manifest(folder).get("phases", {}).items()) or "-"


def latency(env: dict[str, str], texts: list[str]) -> None:
    done = run(CLI + ["ask", "--jsonl"], env, "\n".join(texts) + "\n")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode or not rows:
        sys.exit("assistant ask --jsonl failed")
    values = [row["latency_ms"] for row in rows if not row.get("error")]
    print(f"answering {len(rows)} questions through ask --jsonl "
          f"({sum(r['abstained'] for r in rows)} declined), after load:")
    _line("median latency", f"{statistics.median(values):.1f} ms", BEFORE["median"])
    _line("p95 latency", f"{percentile(values, 0.95):.1f} ms", BEFORE["p95"])
    _line("peak RSS of the process", f"{done.rss_mib:.0f} MiB", BEFORE["answer_rss"])
    _line("whole run (load + answers)", f"{done.wall:.1f} s", "-")


# The web chat's answering path (Assistant.load as `serve` calls it: Chroma opened, warmed
# up), timed in one process over the same questions: ask --jsonl searches in memory instead.
SERVE_CODE = """
import json, sys, time
from assistant.service import Assistant
assistant = Assistant.load(background=True)
for line in sys.stdin:
    started = time.perf_counter()
    assistant.ask(line.strip())
    print(json.dumps((time.perf_counter() - started) * 1000))
"""


def serve_latency(env: dict[str, str], texts: list[str]) -> None:
    done = run([sys.executable, "-c", SERVE_CODE], env, "\n".join(texts) + "\n")
    values = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode or not values:
        sys.exit("the serve answering path failed")
    print(f"answering {len(values)} questions as `serve` does (Chroma), after load:")
    _line("median latency", f"{statistics.median(values):.1f} ms", BEFORE["median"], "<= 50 ms")
    _line("p95 latency", f"{percentile(values, 0.95):.1f} ms", BEFORE["p95"], "<= 120 ms")
    _line("peak RSS of the process", f"{done.rss_mib:.0f} MiB", BEFORE["answer_rss"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        default=[ROOT / "eval" / "questions.yaml", ROOT / "eval" / "holdout.yaml"])
    parser.add_argument("--min", type=int, default=100, help="at least this many questions")
    parser.add_argument("--cold", type=int, default=3, help="cold starts to time (median)")
    parser.add_argument("--build", action="store_true",
                        help="also time full index builds (from nothing, embedding store warm)")
    parser.add_argument("--build-only", action="store_true",
                        help="only time the index builds (no cold start, no latency)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: the project's)")
    args = parser.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.index_dir:
        env["AVTAL_INDEX_DIR"] = str(args.index_dir.resolve())
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"embedding {env.get('AVTAL_EMBEDDING') or 'onnx-fp32 (default)'}")
    ensure_index(env)
    if not args.build_only:
        cold_start(env, args.cold)
        latency(env, questions(args.files, args.min))
        serve_latency(env, questions(args.files, args.min))
    if args.build or args.build_only:
        build(env)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
