"""``exodds questions``: print the quiz, for people or for machines."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap

from model.quiz.definition import QUIZ, Question, Quiz


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("questions", help="print the quiz questions", description=__doc__)
    p.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps(QUIZ.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(markdown_table(QUIZ))
    else:
        print(text_table(QUIZ))
    return 0


def _answer(q: Question) -> str:
    text = q.expected()
    if q.date_alternative:
        text += f"; or {q.date_alternative} (YYYY-MM-DD)"
    if q.ask_if:
        text += f" (only when {q.condition()})"
    if not q.required:
        text += f" (optional, default {q.default})"
    return text


def markdown_table(quiz: Quiz) -> str:
    rows = ["| id | question | answer | article line |", "|---|---|---|---|"]
    for q in quiz:
        line = str(q.source_line) if q.source_line else "ours"
        rows.append(f"| `{q.id}` | {q.text} | {_answer(q)} | {line} |")
    return "\n".join(rows)


def text_table(quiz: Quiz) -> str:
    # Between 60 and 110 columns: a tiny terminal (or COLUMNS=5) must not wrap one letter per line.
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 110))
    out = [f"The exodds quiz: {len(quiz)} questions (answers go under these ids)", ""]
    for i, q in enumerate(quiz, 1):
        out.append(f"{i:>2}. {q.id}")
        for label, text in (("", q.text), ("help: ", q.help), ("answer: ", _answer(q))):
            out.extend(textwrap.wrap(label + text, width, initial_indent="    ", subsequent_indent="      "))
        out.append("")
    return "\n".join(out).rstrip()
