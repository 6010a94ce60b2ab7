"""Red team: the web server's other ways in (recordings, multipart bodies, named endpoints)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from test_faults import server  # noqa: F401 - the fixture: `assistant serve` on loopback

PN = "19370619-4821"


class _Text:
    def api_info(self) -> dict:
        return {"type": "string"}


class _Choice:
    def api_info(self) -> dict:
        return {"type": "string", "enum": ["alla", "A"]}


class _State:
    def api_info(self) -> None:
        return None


def _guarded_app():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from assistant.web.security import Guard

    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    fns = {0: SimpleNamespace(api_name="fraga", inputs=[_Text(), _Choice(), _State()])}
    app = Starlette(routes=[Route("/gradio_api/{rest:path}", echo, methods=["POST"])],
                    middleware=[Middleware(Guard, max_body=10_000)])
    app.get_blocks = lambda: SimpleNamespace(fns=fns)  # what Gradio's App offers
    return app


def test_recordings_and_every_multipart_body_are_refused():
    from starlette.testclient import TestClient

    client = TestClient(_guarded_app())
    recording = {"video": ("inspelning.webm", b"\x1aE\xdf\xa3" + b"0" * 2000, "video/webm")}
    assert client.post("/gradio_api/process_recording", files=recording).status_code == 403
    assert client.post("/gradio_api/annan_vag", files=recording).status_code == 403
    assert client.post("/gradio_api/annan_vag", content=b"x").status_code == 200


def test_named_endpoint_calls_are_checked_like_queued_events():
    from starlette.testclient import TestClient

    client = TestClient(_guarded_app())
    good = {"data": ["Vem betalar?", "A", None]}
    for route in ("run", "call"):
        assert client.post(f"/gradio_api/{route}/fraga", json=good).status_code == 200
        for bad in ({"data": [PN]}, {"data": [5, "A", None]}, {"data": ["x", PN, None]},
                    {"data": [{"path": "/etc/passwd"}, "A", None]}):
            refused = client.post(f"/gradio_api/{route}/fraga", json=bad)
            assert refused.status_code == 422, (route, bad)
            assert PN not in refused.text
    assert client.post("/gradio_api/call/v2/finns_inte", json={"q": PN}).status_code == 404
    assert client.post("/gradio_api/call/v2/fraga", json={"question": "x"}).status_code == 200


@pytest.mark.slow
def test_served_app_stores_no_recording_and_answers_bad_calls_with_4xx(server):  # noqa: F811
    import httpx

    base, temp, log = server
    private = temp.parent / "tmp"  # the server's TMPDIR (test_faults.server)
    recording = {"video": ("inspelning.webm", b"\x1aE\xdf\xa3" + b"0" * 20_000, "video/webm")}
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.post("/gradio_api/process_recording", files=recording).status_code == 403
        for path, body in (("/gradio_api/run/fraga", {"data": [PN]}),
                           ("/gradio_api/run/fraga", {"data": [PN, {"x": 1}, 5]}),
                           ("/gradio_api/call/fraga", {"data": [7, "alla", None]}),
                           ("/gradio_api/call/v2/finns_inte", {"question": PN})):
            status = client.post(path, json=body).status_code
            assert 400 <= status < 500, (path, body, status)
    time.sleep(1)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "4821" not in text
    stored = [p for folder in (temp, private) if folder.exists() for p in folder.rglob("*")
              if p.is_file() and "avtal-index-" not in str(p) and p.name != ".ses"]
    assert not stored, stored
