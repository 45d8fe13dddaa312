"""The ``exodds`` command line: one module per subcommand in this folder.

Each module defines ``register(subparsers)``; adding a command is adding a
file, so parallel work never collides here. A command lets an ``ExoddsError`` go: ``main`` prints it
and exits with the code of its class (``model.errors.EXIT_CODES``), so no command decides an exit
code from ``ValueError`` against ``RuntimeError``. Commands import what they need when they run,
so ``exodds --help`` starts as fast as Python does (``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import signal
import sys
from collections.abc import Sequence
from typing import Any

from model import __version__
from model.errors import AnswersError, ExoddsError, exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exodds",
        description=(
            "Odds that a breakup is reversed, as one breakup guide's assumptions see them. "
            "The built-in model is trained on synthetic data, not on measured outcomes; `update` and "
            "`train --data` make models that learn from outcomes you collect."
        ),
    )
    parser.add_argument("--version", action="version", version=f"exodds {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{info.name}").register(sub)
    for command in sub.choices.values():  # the modules' docstrings serve as help: drop their markup
        if command.description:
            command.description = command.description.replace("``", "")
    return parser


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser


class Terminated(BaseException):
    """SIGTERM (``kill``, ``timeout``, a scheduler stopping a job), raised like Ctrl-C's
    KeyboardInterrupt so that temporary files are removed and no output is left half-written."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def report_error(exc: ExoddsError, where: str | None = None) -> None:
    """An error on stderr as every command says it: ``error: ...``; invalid answers one per line."""
    if isinstance(exc, AnswersError):
        head = f"{where}: " if where else ""
        print(f"error: {head}{len(exc.problems)} invalid answer(s); nothing written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # say so with the command's own usage (which lists the options it does take) when
        # they came after the command; with the top-level usage when they came before it
        words = list(sys.argv[1:] if argv is None else argv)
        command = getattr(args, "command", None)
        after = command in words and all(e in words[words.index(command) + 1 :] for e in extras)
        (_command_parser(parser, command) if after else parser).error("unrecognized arguments: " + " ".join(extras))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous, installed = None, False
    with contextlib.suppress(ValueError):  # (only the main thread may set a handler)
        previous = signal.signal(signal.SIGTERM, _terminate)
        installed = True
    try:
        return int(args.func(args) or 0)
    except ExoddsError as exc:  # anything refused on purpose: its message, and the exit code of its class
        report_error(exc)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 0
    finally:
        if installed:  # (a handler set outside Python reads as None: the default then)
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


if __name__ == "__main__":
    sys.exit(main())
