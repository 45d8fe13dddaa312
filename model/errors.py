"""Every error exodds raises on bad input, a bad file or a model it cannot use, in one tree.

Why one tree: a caller catches ``ExoddsError`` (or one precise child) and the command line maps an
exit code from the class, never from ``ValueError`` against ``RuntimeError``. Each child also keeps
the built-in base it always had, so code written against the old names keeps catching them.

    ExoddsError
    ├── UsageError            an option or argument that cannot be used (--as-of soon)        exit 2
    ├── AnswersError          answers that break the quiz's rules; carries every problem     exit 2
    ├── InputError            an input file or table that cannot be used at all               exit 2
    │   ├── MappingError      a form-export mapping that cannot be used                       exit 2
    │   └── MissingColumnsError  quiz columns absent from a table (names every one)           exit 2
    ├── OutputError           an output that cannot be written (a folder, a pipe)             exit 2
    ├── ConfigError           a rules or assumptions file that breaks its own checks          exit 1
    └── ModelLoadError        a model directory that cannot be loaded or trusted              exit 1

A batch run that scores some rows and rejects others is not an error: it exits 3 by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "EXIT_CODES",
    "AnswersError",
    "ConfigError",
    "ExoddsError",
    "InputError",
    "MappingError",
    "MissingColumnsError",
    "ModelLoadError",
    "OutputError",
    "UsageError",
    "exit_code",
]


class ExoddsError(Exception):
    """The root: anything exodds refuses on purpose, with a message that says what and why."""


class UsageError(ExoddsError, ValueError):
    """An option or argument that cannot be used (a date that is no date, a count that is no count)."""


class AnswersError(ExoddsError, ValueError):
    """Invalid answers; carries every problem, not just the first.

    ``total`` is the number of problems when ``problems`` is only the first few of a large frame;
    the message then says how many were left out.
    """

    def __init__(self, problems: Iterable[Any], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else int(total)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        if self.total > len(self.problems):
            lines += f"\n  ... and {self.total - len(self.problems)} more"
        super().__init__(f"{self.total} invalid answer(s):\n{lines}")

    def __reduce__(self) -> tuple[type[AnswersError], tuple[list[Any], int]]:
        return (type(self), (self.problems, self.total))  # survive pickling (joblib workers) intact


class InputError(ExoddsError, ValueError):
    """An input file or table that cannot be used at all (unreadable, wrong shape, empty)."""


class MappingError(InputError):
    """A mapping file that cannot be used (bad JSON, unknown ids, invalid answers)."""


class MissingColumnsError(InputError):
    """Required quiz columns absent from the input; ``missing`` names every one."""

    def __init__(self, missing: Iterable[str], message: str) -> None:
        self.missing = list(missing)
        super().__init__(message)

    def __reduce__(self) -> tuple[type[MissingColumnsError], tuple[list[str], str]]:
        return (type(self), (self.missing, str(self)))


class OutputError(ExoddsError, OSError):
    """An output that cannot be written: a folder on its way that is a file, a pipe, no room."""


class ConfigError(ExoddsError, ValueError):
    """One of the reviewed files (advice rules, assumptions, quiz) breaks its own checks."""


class ModelLoadError(ExoddsError, RuntimeError):
    """A model directory that cannot be loaded or trusted (missing, tampered, another version)."""


#: Exit code of the command line for each kind of error; the most precise class listed wins.
EXIT_CODES: dict[type[ExoddsError], int] = {
    UsageError: 2,
    AnswersError: 2,
    InputError: 2,
    OutputError: 2,
    ConfigError: 1,
    ModelLoadError: 1,
    ExoddsError: 1,
}


def exit_code(error: ExoddsError) -> int:
    """The exit code for ``error``: its own class's, else its nearest listed ancestor's."""
    codes: dict[type, int] = dict(EXIT_CODES)
    for cls in type(error).__mro__:
        if cls in codes:
            return codes[cls]
    return 1
