"""The quiz definition, loaded once from ``quiz.json``.

Every other part of exodds (prompts, web form, CSV columns, validation, docs)
reads the questions from here, so the list is written exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["QUIZ", "Choice", "Question", "Quiz", "load_quiz"]


# A column name in a message: any name with an underscore, or a one-word name where the message
# gives its answer ("blocked is 'no'"); one-word ids are ordinary words elsewhere.
_NAMED = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\b(?= is )")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str
    type: str  # "integer", "choice" or "boolean"
    required: bool
    source_line: int | None
    source_quote: str
    min: int | None = None
    max: int | None = None
    unit: str | None = None
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    date_alternative: str | None = None
    ask_if: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    @property
    def is_numeric(self) -> bool:
        return self.type == "integer"

    def applies(self, answers: dict[str, Any]) -> bool:
        """Whether the question is asked, given the answers so far."""
        return all(answers.get(k) in allowed for k, allowed in self.ask_if.items())

    def condition(self) -> str:
        """When the question is asked, in words ("blocked is some or everywhere"; "" if always)."""
        return "; ".join(f"{k} is {' or '.join(v)}" for k, v in self.ask_if.items())

    def expected(self) -> str:
        """What a valid answer looks like, in words for error messages and docs."""
        if self.is_numeric:
            return f"a whole number from {self.min} to {self.max}"
        return "one of " + ", ".join(self.values)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "help": self.help,
            "type": self.type,
            "required": self.required,
            "source": {"line": self.source_line, "quote": self.source_quote},
        }
        if self.is_numeric:
            d.update(min=self.min, max=self.max, unit=self.unit)
        else:
            d["choices"] = [{"value": c.value, "label": c.label} for c in self.choices]
        if self.default is not None:
            d["default"] = self.default
        if self.date_alternative:
            d["date_alternative"] = self.date_alternative
        if self.ask_if:
            d["ask_if"] = {k: list(v) for k, v in self.ask_if.items()}
        return d


@dataclass(frozen=True)
class Quiz:
    version: int
    source_file: str
    questions: tuple[Question, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    @property
    def date_columns(self) -> dict[str, str]:
        """Date alternative column -> the question id it answers."""
        return {q.date_alternative: q.id for q in self.questions if q.date_alternative}

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column an answer file may carry: the ids, then the date alternatives."""
        return self.ids + tuple(self.date_columns)

    def numbers(self) -> dict[str, str]:
        """Question id -> the number it is shown with: 1, 2, ...; a follow-up (``ask_if``) takes its
        lead's number and a letter, 5a, so skipping it leaves no gap (the web page and the terminal)."""
        out: dict[str, str] = {}
        number, sub = 0, 0
        for q in self.questions:
            if q.ask_if:
                sub += 1
                out[q.id] = f"{number}{chr(ord('a') + sub - 1)}"
            else:
                number, sub = number + 1, 0
                out[q.id] = str(number)
        return out

    def in_words(self, text: str) -> str:
        """A message with its column names as a person sees the quiz: days_since_breakup becomes
        'question 1', breakup_date 'the date in question 1' (the web page and the terminal alike).
        One-word ids (blocked, anger) are words too: they are replaced only where a message gives
        their answer ("blocked is 'no'", "when blocked is some")."""
        numbers = self.numbers()
        names = {qid: f"question {n}" for qid, n in numbers.items()}
        names |= {alt: f"the date in question {numbers[qid]}" for alt, qid in self.date_columns.items()}
        return _NAMED.sub(lambda m: names.get(m.group(0), m.group(0)), text)

    def named_in(self, text: str) -> set[str]:
        """Question ids a message names (a date column names its question), by ``in_words``'s rule."""
        return {self.date_columns.get(m, m) for m in _NAMED.findall(text)} & set(self.ids)

    @property
    def main_count(self) -> int:
        """Questions that are not follow-ups: the "of N" of the numbering."""
        return sum(1 for q in self.questions if not q.ask_if)

    def __getitem__(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "source_file": self.source_file,
            "questions": [q.to_dict() for q in self.questions],
        }


def _question(raw: dict[str, Any]) -> Question:
    src = raw.get("source") or {}
    return Question(
        id=raw["id"],
        text=raw["text"],
        help=raw["help"],
        type=raw["type"],
        required=bool(raw["required"]),
        source_line=src.get("line"),
        source_quote=src.get("quote", ""),
        min=raw.get("min"),
        max=raw.get("max"),
        unit=raw.get("unit"),
        choices=tuple(Choice(c["value"], c["label"]) for c in raw.get("choices", ())),
        default=raw.get("default"),
        date_alternative=raw.get("date_alternative"),
        ask_if={k: tuple(v) for k, v in raw.get("ask_if", {}).items()},
    )


@cache
def load_quiz() -> Quiz:
    text = resources.files("model.quiz").joinpath("quiz.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return Quiz(
        version=raw["version"],
        source_file=raw["source_file"],
        questions=tuple(_question(q) for q in raw["questions"]),
    )


QUIZ = load_quiz()
