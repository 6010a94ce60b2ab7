"""`assistant` command line: index, ask, sections, serve, eval, feedback.

Each feature module registers its own sub-command (`register(subparsers)`), so this file
only wires them together and turns expected errors into Swedish messages, never tracebacks.
"""

from __future__ import annotations

import argparse
import logging
import sys

from assistant.errors import UserError

# Sub-commands registered by assistant/commands.py: parsing them needs no feature module, so
# `assistant ask` does not import the web chat, the evaluation or LangChain (seconds at start).
CORE_COMMANDS = ("index", "ask", "sections")


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line; the feature modules are imported only when the command (the first
    argument that is not an option) is not a core one, or for help."""
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Avtalsassistenten: svar med källhänvisningar ur Hälso- och sjukvårdsavtalet.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="visa loggmeddelanden")
    sub = parser.add_subparsers(dest="command", required=True)
    from assistant import commands

    commands.register(sub)
    if _command_of(sys.argv[1:] if argv is None else argv) in CORE_COMMANDS:
        return parser
    for module in _optional_feature_modules():
        module.register(sub)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named on a command line (its first argument that is not an option)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


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
    parser = _parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # pypdf's English notes on broken files: the Swedish skip notice says it
        logging.getLogger("pypdf").setLevel(logging.ERROR)
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
