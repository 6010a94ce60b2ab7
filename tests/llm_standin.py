"""An OpenAI-compatible stand-in model server for tests (the real one is outside the project).

`ModelServer(behaviour)` listens on a free 127.0.0.1 port and answers `POST
/chat/completions`. Behaviours: "faithful" copies the first sentence of source [1] verbatim
within ”…” and marks it [1]; "invent_amount" adds an amount no source holds; "invent_quote"
quotes a sentence no source holds; "missing_source" cites [7]; "timeout" answers too late;
"http_500" fails; "garbage_json" returns a body that is not the API's JSON; "refuse" writes
no marker; "number_word" writes a number as a word no source holds. Streaming (`"stream":
true`) sends the same text as server-sent events. Every request body is kept in `requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOURCE = re.compile(r"^\[(\d+)\] [^\n]*?: ”(.*)”$", re.MULTILINE)


def first_sentence(quote: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", quote)
    return match.group(1) if match else quote


def reply_text(behaviour: str, prompt: str) -> str:
    sources = {int(n): q for n, q in SOURCE.findall(prompt)}
    quote = first_sentence(sources.get(1, ""))
    faithful = f"Så här står det i avtalet: ”{quote}” [1]"
    return {
        "faithful": faithful,
        "invent_amount": f"{faithful} Kommunen betalar dessutom 4 750 kronor per dygn [1].",
        "invent_quote": "Avtalet säger: ”Regionen betalar alltid hela kostnaden för alla "
                        "patienter.” [1]",
        "missing_source": f"{faithful} Mer finns i bilagan [7].",
        "refuse": "Källorna besvarar inte frågan.",
        "number_word": f"{faithful} Det gäller i sjuttiotre dagar [1].",
    }.get(behaviour, faithful)


class ModelServer:
    """Start with `with ModelServer("faithful") as server:`; `server.url` is the base URL."""

    def __init__(self, behaviour: str = "faithful", delay: float = 3.0):
        self.behaviour, self.delay = behaviour, delay
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                if owner.behaviour == "timeout":
                    time.sleep(owner.delay)
                if owner.behaviour == "http_500":
                    self._send(500, b'{"error": "internal"}')
                    return
                if owner.behaviour == "garbage_json":
                    self._send(200, b'{"choices": [{"text": nope')
                    return
                text = reply_text(owner.behaviour, body["messages"][-1]["content"])
                if body.get("stream"):
                    self._stream(text)
                else:
                    self._send(200, json.dumps({
                        "id": "x", "object": "chat.completion", "model": body.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}],
                    }).encode())

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in re.findall(r"\S+\s*", text):
                    event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
