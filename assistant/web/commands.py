"""CLI sub-commands of the web feature: `assistant serve` and `assistant feedback export`.

Heavy imports (Gradio, the model) happen inside the handlers so `assistant --help` and the
export stay fast.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

from assistant.errors import UserError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="starta webbchatten",
        description=(
            "Startar webbchatten. Som standard nås den bara från den här datorn "
            "(127.0.0.1); använd --host 0.0.0.0 för att dela den i avdelningens nätverk."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="adress att lyssna på (127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port (7860)")
    serve.add_argument(
        "--concurrency", type=int, default=2, help="antal frågor som besvaras samtidigt (2)"
    )
    serve.add_argument(
        "--workers", type=int, default=1,
        help="antal processer (1); process i lyssnar på port+i. Dela index på en Chroma-server "
             "(AVTAL_CHROMA_URL) och återkoppling i en databas (AVTAL_DATABASE_URL)",
    )
    serve.set_defaults(func=serve_command)

    feedback = subparsers.add_parser("feedback", help="hantera återkoppling (👍/👎)")
    actions = feedback.add_subparsers(dest="feedback_command", required=True)
    export = actions.add_parser("export", help="skriv all återkoppling som CSV")
    export.add_argument("--out", type=Path, help="fil att skriva (standard: skärmen)")
    export.set_defaults(func=export_command)


def serve_command(args: argparse.Namespace) -> int:
    from assistant.api.app import create_api
    from assistant.config import settings
    from assistant.privacy import install_log_redaction
    from assistant.service import Assistant
    from assistant.storage import questions
    from assistant.storage.feedback import open_feedback
    from assistant.web.app import build_app, launch
    from assistant.web.routes import server_routes

    store = open_feedback(settings())

    install_log_redaction()  # questions may hold a personnummer: never in a log line
    start_workers(args)  # processes 2…N on the following ports, stopped when this one exits
    print("Läser in modell och index …", file=sys.stderr, flush=True)
    assistant = Assistant.load(settings(), background=True)
    for notice in (assistant.index_notice, store.notice):  # once, at start
        if notice:
            print(f"Obs: {notice}", file=sys.stderr, flush=True)
    _purge_question_log(questions.purge)
    demo = build_app(assistant, store=store)
    _follow_index(assistant)
    url = launch(demo, args.host, args.port, concurrency=max(1, args.concurrency),
                 routes=server_routes(settings(), args.host, assistant),
                 api=create_api(assistant, feedback=store))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # configured by launch
        install_log_redaction(logging.getLogger(name))
    print(f"Avtalsassistenten körs på {url}", flush=True)
    if args.host not in LOOPBACK:
        print(
            f"Obs: appen lyssnar på {args.host} och nås från andra datorer i nätverket "
            f"(http://<datorns-adress>:{args.port}/).",
            flush=True,
        )
    print("Avsluta med Ctrl+C.", flush=True)
    # SIGTERM (systemd, `kill`) ends like Ctrl+C, so temporary index copies are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        demo.block_thread()
    finally:
        demo.close()
    return 0


def _purge_question_log(purge) -> None:
    """Forget logged questions past retention; a read-only data folder only warns."""
    try:
        purge()
    except Exception as error:  # noqa: BLE001 - the chat works without the question log
        print(f"Obs: frågeloggen kunde inte rensas ({type(error).__name__}).", file=sys.stderr,
              flush=True)


def _follow_index(assistant, every: float = 5.0) -> None:
    """Swap in a new index when a background build makes one current (a daemon thread)."""
    import threading

    def follow() -> None:
        reported = None
        while True:
            time.sleep(every)
            try:
                if assistant.refresh():
                    print("Nytt index inläst; svaren kommer nu från det.", file=sys.stderr,
                          flush=True)
            except Exception as error:  # noqa: BLE001 - keep answering from the index in use
                if type(error) is not reported:  # say it once, not every few seconds
                    reported = type(error)
                    print(f"Det nya indexet kunde inte läsas in ({reported.__name__}); "
                          "svaren kommer från det förra.", file=sys.stderr, flush=True)

    threading.Thread(target=follow, name="follow-index", daemon=True).start()


def start_workers(args: argparse.Namespace) -> list:
    """With --workers N > 1, N-1 more `assistant serve` processes on port+1 … port+N-1 (each
    with its own model, all sharing the index, Chroma server and database)."""
    import atexit
    import signal
    import subprocess

    children: list = []
    if args.workers > 16:
        raise UserError("Högst 16 processer (--workers).")
    for i in range(1, max(1, args.workers)):
        command = [sys.executable, "-m", "assistant.cli", "serve", "--host", args.host,
                   "--port", str(args.port + i), "--concurrency", str(args.concurrency)]
        children.append(subprocess.Popen(command))
    if children:
        atexit.register(stop_workers, children)
        # SIGTERM (systemd, kill) ends this process through atexit too, children included.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return children


def stop_workers(children: list) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=20)
        except Exception:  # noqa: BLE001 - a child that will not stop is killed
            child.kill()


def export_command(args: argparse.Namespace) -> int:
    from assistant.config import settings
    from assistant.storage.feedback import open_feedback

    store = open_feedback(settings(), read_only=True)
    if args.out is None:
        store.export_csv(sys.stdout)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: spreadsheet programs then read å, ä, ö correctly.
    with args.out.open("w", encoding="utf-8-sig", newline="") as out:
        count = store.export_csv(out)
    print(f"{count} svar med återkoppling skrivna till {args.out}", file=sys.stderr)
    return 0
