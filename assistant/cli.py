"""`assistant` command line: index, ask, sections, serve, eval, feedback.

Each feature module registers its own sub-command (`register(subparsers)`), so this file
only wires them together and turns expected errors into Swedish messages, never tracebacks.
"""

from __future__ import annotations

import argparse
import logging
import sys

from assistant.errors import UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Avtalsassistenten: svar med källhänvisningar ur Hälso- och sjukvårdsavtalet.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="visa loggmeddelanden")
    sub = parser.add_subparsers(dest="command", required=True)
    from assistant import commands

    commands.register(sub)
    for module in _optional_feature_modules():
        module.register(sub)
    return parser


def _optional_feature_modules() -> list:
    """Features that live in their own packages (web chat, evaluation, feedback)."""
    import importlib

    modules = []
    for name in ("assistant.web.commands", "assistant.eval.commands", "assistant.compare",
                 "assistant.trainers.commands"):
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return modules


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Avbrutet.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
