"""A region's set-up end to end: `assistant serve --workers 2` (two processes on two ports)
sharing a real Chroma server and a real PostgreSQL, with a stand-in model server in front.
Both processes answer from the Chroma server; feedback given to one is seen by the other."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from chroma_server import ChromaProcess, free_port
from llm_standin import ModelServer
from postgres_server import PostgresProcess, binaries

from assistant.index import vectors

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(binaries() is None, reason="Debian postgresql not installed")]


def two_free_ports() -> int:
    """A port whose next port is free too (`--workers 2` takes both)."""
    while True:
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 420) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited"
        try:
            if httpx.get(f"{url}/api/sections", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not start")


def test_two_processes_share_chroma_server_and_database(test_settings, tmp_path):
    with ChromaProcess(tmp_path / "chroma") as chroma, PostgresProcess() as pg, \
            ModelServer("faithful") as model:
        shutil.copytree(test_settings.index_dir, tmp_path / "index")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
               "AVTAL_INDEX_DIR": str(tmp_path / "index"), "AVTAL_DATA_DIR": str(tmp_path),
               "AVTAL_CHROMA_URL": chroma.url, "AVTAL_DATABASE_URL": pg.url,
               "AVTAL_LLM_URL": model.url, "AVTAL_LLM_MODEL": "stand-in"}
        port = two_free_ports()
        serve = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port),
             "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        urls = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
        try:
            for url in urls:
                wait_until_up(url, serve)
            assert any(n.startswith(vectors.PREFIX)
                       for n in vectors.ChromaServer(chroma.url).names())
            answers = [httpx.post(f"{url}/api/ask", timeout=120, trust_env=False, json={
                "question": "Vilket kostnadsansvar har VGR för hjälpmedel till barn?"}).json()
                for url in urls]
            for answer in answers:
                assert answer["abstained"] is False and answer["citations"]
                assert answer["answer_mode"] == "generated", answer.get("fallback_reason")
            assert len(model.requests) == 2

            rating = {"session": "delat-samtal", "turn": 1, "question": "Vem betalar?",
                      "answer": answers[0]["answer"], "citations": answers[0]["citations"]}
            first = httpx.post(f"{urls[0]}/api/feedback", json={**rating, "rating": "up"},
                               trust_env=False, timeout=30).json()["id"]
            second = httpx.post(f"{urls[1]}/api/feedback", json={**rating, "rating": "down"},
                                trust_env=False, timeout=30).json()["id"]
            assert first == second  # the other process found the row the first one wrote

            export = subprocess.run([sys.executable, "-m", "assistant.cli", "feedback",
                                     "export"], env=env, capture_output=True, text=True,
                                    timeout=120, check=True)
            rows = list(csv.DictReader(io.StringIO(export.stdout)))
            assert len(rows) == 1 and rows[0]["betyg"] == "👎"
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
        time.sleep(1)
        with pytest.raises(httpx.HTTPError):  # the second process stopped with the first
            httpx.get(f"{urls[1]}/api/sections", timeout=5, trust_env=False)
