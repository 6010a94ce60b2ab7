"""Load test for a running `assistant serve`: N simultaneous users asking for T seconds.

Each simulated user asks questions one after another through the same queued endpoint the
web chat uses (`/fraga`, via gradio_client), or with `--api` through the HTTP API
(`POST /api/ask`). Several `--url`s (e.g. the processes of `serve --workers 2`) share the
users round-robin. Prints request count, errors and latency percentiles; exits 1 if any
request failed. Bounded in users, time and total requests, and it refuses any server that is
not on this machine (loopback only), so it cannot be pointed at someone else's service by
mistake.

    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860 --users 20 --duration 30
    .venv/bin/python scripts/load_test.py --api --users 50 --duration 60 \
        --url http://127.0.0.1:7860 --url http://127.0.0.1:7861
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_USERS, MAX_DURATION, MAX_REQUESTS = 100, 600, 20_000
QUESTIONS = [
    ("Vem betalar hjälpmedel till en 15-åring?", "alla"),
    ("Hur lång uppsägningstid har avtalet?", "A"),
    ("Vem ansvarar för läkemedel i kommunal hälso- och sjukvård?", "B"),
    ("Vad gäller vid utskrivning från sluten hälso- och sjukvård?", "C"),
    ("Vad är syftet med färdplanen?", "fardplan"),
    ("Vem ansvarar för uppsökande munhälsobedömning?", "C:munhalsa"),
]


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if error:
                self.errors.append(error)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.latencies)


def loopback_url(url: str) -> str:
    """The URL if its host is this machine; otherwise SystemExit."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK:
        raise SystemExit(
            f"Vägrar: {url!r} är inte en lokal adress. Lasttestet körs bara mot "
            "127.0.0.1, localhost eller ::1."
        )
    return url


def _check(output: object) -> str | None:
    """None if the endpoint returned an answer message, else what went wrong."""
    try:
        _, messages, status = output  # type: ignore[misc]
    except (TypeError, ValueError):
        return f"oväntat svar: {output!r:.200}"
    if not messages or messages[-1].get("role") != "assistant":
        return f"inget svar i chatten (status: {status!r:.200})"
    return None


def user(url: str, deadline: float, budget: threading.Semaphore, results: Results, n: int):
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    except Exception as error:  # the server is not reachable: one error per user
        results.add(0.0, f"anslutning: {error}")
        return
    i = n
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        question, scope = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        started = time.perf_counter()
        try:
            error = _check(client.predict(question, scope, [], api_name="/fraga"))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        results.add(time.perf_counter() - started, error)
    client.close()


def api_user(url: str, deadline: float, budget: threading.Semaphore, results: Results,
             n: int, think: float = 0.0, unique: bool = False) -> None:
    """One user asking through `POST /api/ask` (the contract JSON), pausing `think` seconds
    (±50 %) between questions; `unique` makes every question text new (no cache hits)."""
    import random

    import httpx

    i = n
    pause = random.Random(n)
    with httpx.Client(base_url=url.rstrip("/"), timeout=60, trust_env=False) as client:
        while time.monotonic() < deadline and budget.acquire(blocking=False):
            question, scope = QUESTIONS[i % len(QUESTIONS)]
            if unique:
                question = f"{question} (fråga {n}-{i})"
            i += 1
            started = time.perf_counter()
            try:
                response = client.post("/api/ask", json={"question": question, "scope": scope})
                data = response.json()
                error = (None if response.status_code == 200 and "citations" in data
                         else f"HTTP {response.status_code}: {response.text[:200]}")
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.add(time.perf_counter() - started, error)
            if think > 0:
                time.sleep(min(think * pause.uniform(0.5, 1.5), max(0.0, deadline -
                                                                   time.monotonic())))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append",
                        help="server (flera gånger för flera processer; http://127.0.0.1:7860/)")
    parser.add_argument("--api", action="store_true", help="fråga via POST /api/ask")
    parser.add_argument("--think", type=float, default=0.0,
                        help="sekunders paus mellan en användares frågor (±50 %%; --api)")
    parser.add_argument("--unique", action="store_true",
                        help="varje fråga med ny text, så inget svar kommer ur cachen (--api)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="sekunder")
    parser.add_argument("--max-requests", type=int, default=5000)
    args = parser.parse_args(argv)
    urls = [loopback_url(u) for u in (args.url or ["http://127.0.0.1:7860/"])]
    target = api_user if args.api else user
    users = max(1, min(args.users, MAX_USERS))
    duration = max(1.0, min(args.duration, MAX_DURATION))
    budget = threading.Semaphore(max(1, min(args.max_requests, MAX_REQUESTS)))

    results = Results()
    deadline = time.monotonic() + duration
    started = time.perf_counter()
    threads = [
        threading.Thread(target=target, args=(urls[n % len(urls)], deadline, budget, results, n,
                                              *((args.think, args.unique) if args.api else ())),
                         daemon=True)
        for n in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    elapsed = time.perf_counter() - started

    ok = [t for t in results.latencies if t > 0]
    print(f"server:      {', '.join(urls)}{' (API)' if args.api else ''}")
    if args.api:
        print(f"paus:        {args.think} s, unika frågor: {'ja' if args.unique else 'nej'}")
    print(f"användare:   {users}, tid: {elapsed:.1f} s")
    print(f"förfrågningar: {results.count} ({results.count / elapsed:.1f}/s)")
    print(f"fel:         {len(results.errors)}")
    for error in results.errors[:5]:
        print(f"  - {error}")
    print(f"latens p50:  {percentile(ok, 50) * 1000:.0f} ms")
    print(f"latens p95:  {percentile(ok, 95) * 1000:.0f} ms")
    print(f"latens max:  {max(ok, default=float('nan')) * 1000:.0f} ms")
    return 1 if results.errors or not results.count else 0


if __name__ == "__main__":
    sys.exit(main())
