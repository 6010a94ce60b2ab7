"""A region on one machine, all on loopback, for the figures in docs/region.md:
a Chroma server, a fresh PostgreSQL, the tests' stand-in OpenAI-compatible model server and
`assistant serve --workers 2`; asks both processes, rates one answer on each, and optionally
runs the load test against both. Everything it starts is stopped at the end.

    .venv/bin/python scripts/region_demo.py [faithful|invent_amount|…] [USERS]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from chroma_server import ChromaProcess  # noqa: E402
from llm_standin import ModelServer  # noqa: E402
from postgres_server import PostgresProcess  # noqa: E402

QUESTION = "Vem ansvarar för hjälpmedel till barn under 18 år?"


def wait(url: str, seconds: int = 600) -> None:
    for _ in range(seconds):
        try:
            if httpx.get(f"{url}/api/sections", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"{url} startade inte")


def main() -> None:
    behaviour = sys.argv[1] if len(sys.argv) > 1 else "faithful"
    base = Path(tempfile.mkdtemp(prefix="region-demo-"))
    shutil.copytree(ROOT / "index", base / "index")
    with ChromaProcess(base / "chroma") as chroma, PostgresProcess() as pg, \
            ModelServer(behaviour) as model:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
               "AVTAL_INDEX_DIR": str(base / "index"), "AVTAL_DATA_DIR": str(base / "data"),
               "AVTAL_CHROMA_URL": chroma.url, "AVTAL_DATABASE_URL": pg.url,
               "AVTAL_LLM_URL": model.url, "AVTAL_LLM_MODEL": "stand-in"}
        print(f"chroma {chroma.url}  postgres {pg.url}  modell {model.url}", flush=True)
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "index"], env=env,
                              capture_output=True, text=True)
        print("index:", done.stdout.strip(), flush=True)
        serve = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port",
                                  "7921", "--workers", "2"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            urls = ["http://127.0.0.1:7921", "http://127.0.0.1:7922"]
            for url in urls:
                wait(url)
            for url in urls:
                answer = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=120,
                                    trust_env=False).json()
                print(url, json.dumps({k: answer.get(k) for k in (
                    "answer_mode", "fallback_reason", "answer", "latency_ms")},
                    ensure_ascii=False), flush=True)
            rating = {"session": "demo", "turn": 1, "question": QUESTION, "answer": "…"}
            ids = [httpx.post(f"{url}/api/feedback", json={**rating, "rating": r},
                              trust_env=False).json() for url, r in zip(urls, ("up", "down"),
                                                                          strict=True)]
            print("återkoppling (samma rad i PostgreSQL):", ids, flush=True)
            if len(sys.argv) > 2:
                subprocess.run([sys.executable, str(ROOT / "scripts" / "load_test.py"), "--api",
                                "--users", sys.argv[2], "--duration", "60", "--max-requests",
                                "20000", "--url", urls[0], "--url", urls[1]], env=env)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
