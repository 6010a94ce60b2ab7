"""Server-level protections for the web chat, as one ASGI middleware in front of Gradio.

- No uploads: the chat has no file field, so every upload route answers 403 and nothing is
  written to the temp folder.
- Bounded requests: a body over `Settings.max_request_bytes` gets 413 before Gradio reads it.
- Malformed API calls (invalid JSON, wrong shapes, too few inputs for the event) get 4xx with
  a short Swedish message, and Gradio's own error printing is reduced to one line without the
  request's inputs (it prints them, personnummer included, in "Received inputs: [...]").
- Served beyond loopback, each client gets a token bucket (`rate_per_minute`, `rate_burst`)
  for everything that does work (every method but GET/HEAD/OPTIONS, and the answer stream).

`app_kwargs(host)` is what `launch` passes to Gradio (FastAPI's `middleware=`), so the
protection is in place before the server takes its first request.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from assistant.config import Settings, settings
from assistant.privacy import redact_personnummer

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Routes that take files: uploads, and recordings (stored in the temp folder even when the
# request is then refused). Any multipart body is refused too: the app takes none.
UPLOAD_SUFFIXES = ("/upload", "/upload_progress", "/process_recording")
# Gradio routes that start work with a JSON body {"data": [...], "fn_index": n, …}, and the
# named-endpoint routes that do the same with the event's api_name in the path.
EVENT_SUFFIXES = ("/queue/join",)
# (/call/v2 takes the inputs by name, not as "data": only its name is checked.)
NAMED_EVENT = re.compile(r"/gradio_api/(run|call|call/v2|api)/([^/]+)$")
WORK_STREAMS = ("/queue/data",)

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class TokenBucket:
    """Per-client token buckets: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > 10_000:  # forget idle clients rather than grow unbounded
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
            return allowed


class Guard:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app, max_body: int, limiter: TokenBucket | None = None):
        self.app = app
        self.max_body = max_body
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        method = scope.get("method", "GET")
        if path.endswith(UPLOAD_SUFFIXES) or _content_type(scope).startswith("multipart/"):
            await _reply(send, 403, "Uppladdning av filer är avstängd i Avtalsassistenten.")
            return
        if self.limiter and (method not in ("GET", "HEAD", "OPTIONS")
                             or path.endswith(WORK_STREAMS)):
            client = (scope.get("client") or ("okänd", 0))[0]
            if not self.limiter.allow(client):
                await _reply(send, 429, "För många förfrågningar. Vänta en stund och försök "
                                        "igen.", [(b"retry-after", b"10")])
                return
        if method in ("GET", "HEAD", "OPTIONS"):
            await _answered(self.app, scope, receive, send)
            return
        body = await bounded_body(scope, receive, send, self.max_body)
        if body is None:
            return
        named = NAMED_EVENT.search(path)
        if named and _named_fn(scope.get("app"), named.group(2)) is None:
            await _reply(send, 404, "Okänd funktion i API:t.")
            return
        if path.endswith(EVENT_SUFFIXES) or (named and named.group(1) != "call/v2"):
            problem = _event_problem(body, scope.get("app"), named.group(2) if named else None)
            if problem:
                await _reply(send, 422, problem)
                return
        await _answered(self.app, scope, _replay(body, receive), send)


async def _answered(app, scope: Scope, receive: Receive, send: Send) -> None:
    """Run the app; an error escaping it (a call to an API name that does not exist, a
    malformed payload Gradio cannot read) becomes a Swedish 4xx/500 reply and one log line,
    not a traceback that may quote the request."""
    started = False

    async def tracked(message: dict) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, tracked)
    except Exception as error:  # noqa: BLE001 - every escaping error is answered the same way
        log.warning("en förfrågan kunde inte behandlas (%s)", type(error).__name__)
        if not started:
            from gradio.route_utils import FnIndexInferError

            unknown = isinstance(error, FnIndexInferError)
            await _reply(send, 404 if unknown else 500, "Okänd funktion i API:t." if unknown
                         else "Förfrågan kunde inte behandlas.")


class BodyLimit:
    """ASGI middleware that only bounds request bodies (the API's; Guard does it for the
    chat)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await bounded_body(scope, receive, send, self.max_bytes)
        if body is not None:
            await self.app(scope, _replay(body, receive), send)


async def bounded_body(scope: Scope, receive: Receive, send: Send, limit: int) -> bytes | None:
    """The request body, or None after answering 413 when it is over `limit` bytes (by
    Content-Length, or while reading)."""
    if _declared_length(scope) <= limit:
        body, more = await _read_body(receive, limit)
        if not more:
            return body
    await _reply(send, 413, f"Förfrågan är för stor (högst {limit // 1024} kB).")
    return None


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return sys.maxsize
    return 0


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, up to `limit` bytes; True as second value when there was more."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").strip().lower()
    return ""


def _event_problem(body: bytes, app, api_name: str | None = None) -> str | None:
    """Why a Gradio event call is malformed (Swedish), or None when it may go through: not
    JSON, no "data" list, an unknown event, too few values, or a value of another type than
    its input declares (a number for a text field, a choice that is not offered)."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return "Förfrågan är inte giltig JSON."
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return 'Förfrågan saknar "data" (en lista).'
    fn_index = data.get("fn_index")
    if fn_index is None and api_name is None:
        return None
    if fn_index is not None and (not isinstance(fn_index, int) or isinstance(fn_index, bool)):
        return '"fn_index" ska vara ett heltal.'
    fns = _fns(app)
    if fns is None:
        return None
    fn = fns.get(fn_index) if fn_index is not None else _named_fn(app, api_name)
    if fn is None:
        return "Okänd händelse."
    if len(data["data"]) < len(fn.inputs):
        return "Förfrågan har för få värden för händelsen."
    for value, component in zip(data["data"], fn.inputs, strict=False):
        if not _fits(value, _schema(component)):
            return "Förfrågan har ett värde av fel typ för händelsen."
    return None


def _fns(app) -> dict | None:
    """The Gradio app's event functions by fn_index (None when `app` is not Gradio's)."""
    return getattr(getattr(app, "get_blocks", lambda: None)(), "fns", None)


_ANY = object()  # stands for an event function where the app's functions cannot be seen


def _named_fn(app, api_name: str | None):
    """The event function a named-endpoint route calls, None when there is none."""
    fns = _fns(app)
    if fns is None:
        return _ANY
    return next((f for f in fns.values() if getattr(f, "api_name", None) == api_name), None)


def _schema(component) -> dict:
    """The JSON schema an input component declares for its value ({} for state)."""
    try:
        schema = component.api_info()
    except Exception:  # noqa: BLE001 - a component without a schema takes any value
        return {}
    return schema if isinstance(schema, dict) else {}


def _fits(value, schema: dict) -> bool:
    """Does a value sent for an input match the simple schemas text inputs declare (type
    string, optionally an enum)? Other schemas are left to the component."""
    if value is None or schema.get("type") != "string":
        return True
    return isinstance(value, str) and ("enum" not in schema or value in schema["enum"])


async def _reply(send: Send, status: int, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def middleware(config: Settings, public: bool) -> list:
    """Starlette middleware entries for the Gradio app (rate limit only when `public`)."""
    from starlette.middleware import Middleware

    limiter = TokenBucket(config.rate_per_minute, config.rate_burst) if public else None
    return [Middleware(Guard, max_body=config.max_request_bytes, limiter=limiter)]


def app_kwargs(host: str, config: Settings | None = None) -> dict:
    """What `launch` passes as Gradio's `app_kwargs`; also quiets Gradio's error printing."""
    quiet_gradio_tracebacks()
    return {"middleware": middleware(config or settings(), public=host not in LOOPBACK)}


def _quiet_print_exc(*_args, **_kwargs) -> None:
    """One redacted line instead of a traceback that may quote the request's inputs."""
    kind = sys.exc_info()[0]
    log.warning("en förfrågan kunde inte behandlas (%s)",
                redact_personnummer(kind.__name__ if kind else "okänt fel"))


def quiet_gradio_tracebacks() -> None:
    """Gradio prints every event error with `traceback.print_exc()` straight to stderr,
    inputs included. Give its modules a `traceback` whose print_exc logs one line instead."""
    import gradio.queueing
    import gradio.routes
    import gradio.utils

    shim = SimpleNamespace(**{name: getattr(traceback, name) for name in dir(traceback)
                              if not name.startswith("__")})
    shim.print_exc = _quiet_print_exc
    for module in (gradio.queueing, gradio.routes, gradio.utils):
        module.traceback = shim
