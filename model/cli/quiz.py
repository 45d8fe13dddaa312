"""``exodds quiz``: answer the quiz in the terminal, then get the report.

Questions, choices and rules all come from the quiz definition and its validation: an invalid
answer is re-asked with the reason, questions that don't apply are skipped, and answers that
contradict each other are re-asked together at the end. Type ``back`` at a question to change the
previous answer. Prompts go to stderr, so stdout carries only the report (``exodds quiz > report.md``
works).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any, TextIO

from model.cli.report import add_output_arguments, as_of_option, emit, load
from model.odds.provenance import GUIDE_ONLY
from model.quiz.dates import ISO_DATE_SHAPE, parse_as_of
from model.quiz.definition import QUIZ, Question

MAX_ROUNDS = 20  # rounds of fixing contradictions before giving up (a person fixes one per round)


class QuizAborted(Exception):
    """The input ended before the quiz was complete."""


class _Back(Exception):
    """'back' typed at a question: go to the one before."""


BACK = ("back", "<")  # typed at any question: the previous question again


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "quiz",
        help="answer the quiz in the terminal and get the report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_output_arguments(p)
    p.set_defaults(func=run)


class TerminalQuiz:
    """Asks the questions on ``err``, reads answers from ``inp``; ``answers`` holds raw answers."""

    def __init__(self, as_of: Any, inp: TextIO | None = None, err: TextIO | None = None):
        self.as_of = parse_as_of(as_of)
        self.inp = inp if inp is not None else sys.stdin
        self.err = err if err is not None else sys.stderr
        self.answers: dict[str, Any] = {}
        self.asked: set[str] = set()
        self.basis = GUIDE_ONLY  # what the odds at the end rest on (the model's odds_basis)

    # -- output helpers ------------------------------------------------------------------------
    def say(self, text: str = "", indent: str = "") -> None:
        if not text:
            print(file=self.err)
            return
        for line in textwrap.wrap(text, 88, initial_indent=indent, subsequent_indent=indent) or [""]:
            print(line, file=self.err)

    def read(self, prompt: str = "> ") -> str:
        print(prompt, end="", file=self.err, flush=True)
        line = self.inp.readline()
        if line == "":
            print(file=self.err)
            raise QuizAborted("the input ended before the quiz was complete; no report written")
        if not self.inp.isatty():  # piped answers: show them, so the transcript reads like a dialogue
            print(line.strip(), file=self.err)
        return line.strip()

    # -- one question ----------------------------------------------------------------------------
    def show(self, q: Question, number: str) -> None:
        from model.quiz.presentation import answer_label, question_view

        view = question_view(q)
        self.say()
        self.say(f"Question {number} of {QUIZ.main_count}: {view['text']}")
        self.say(view["help"], "  ")
        for c in view["choices"]:
            print(f"    {c['number']}) {c['label']}", file=self.err)
        if q.is_numeric:
            hint = view["expected"]
            if q.date_alternative:
                hint += ", or a date as YYYY-MM-DD"
        else:
            hint = "type a number from the list, or the answer itself"
        if not q.required and q.default is not None:
            hint += f"; press Enter for '{answer_label(q.id, q.default)}'"
        current = self.current(q)
        if current is not None:
            hint += f"; you answered {current}: press Enter to keep it"
        self.say(f"({hint})", "  ")

    def current(self, q: Question) -> str | None:
        if q.date_alternative and self.answers.get(q.date_alternative) is not None:
            return str(self.answers[q.date_alternative])
        value = self.answers.get(q.id)
        return None if value is None or value == "" else str(value)

    def interpret(self, q: Question, text: str) -> dict[str, Any]:
        """The typed text as raw answer fields: a choice number becomes its value; a date its column."""
        if q.choices and text.isdigit() and 1 <= int(text) <= len(q.choices):
            return {q.id: q.choices[int(text) - 1].value}
        if q.date_alternative and ISO_DATE_SHAPE.match(text):
            return {q.date_alternative: text}
        if not text and not q.required:
            return {}  # the question's default applies
        if q.choices:
            from model.quiz.validation import choice_value

            # "Everywhere" or a choice's label is that choice: store its value, so the follow-up
            # questions that depend on it (5a after 5) are asked
            return {q.id: choice_value(q, text) or text}
        return {q.id: text}

    def ask(self, q: Question, number: str, can_go_back: bool = False, settling: bool = False) -> None:
        """Ask until the answer passes the question's own rules (``_Back`` when 'back' is typed and
        ``can_go_back``; ``settling``: re-asked at the end to settle a contradiction)."""
        from model.quiz.presentation import check_question

        self.show(q, number)
        kept = {k: self.answers[k] for k in (q.id, q.date_alternative) if k and k in self.answers}
        while True:
            text = self.read()
            if text.lower() in BACK:
                if can_go_back:
                    raise _Back()
                if settling:
                    self.say("Here you can only answer this question again (Enter keeps your answer).", "  ")
                else:
                    self.say("There is no question before this one to go back to.", "  ")
                continue
            fields = kept if not text and kept else self.interpret(q, text)
            self.forget(q)
            self.answers.update(fields)
            problems = check_question(q.id, self.answers, self.as_of)
            if not problems:
                return
            for p in problems:
                self.say(f"Not accepted: {QUIZ.in_words(p.reason)}. Please try again.", "  ")

    def forget(self, q: Question) -> None:
        self.answers.pop(q.id, None)
        if q.date_alternative:
            self.answers.pop(q.date_alternative, None)

    # -- the whole quiz -------------------------------------------------------------------------
    def number(self, q: Question) -> str:
        return QUIZ.numbers()[q.id]  # as on the web page: a follow-up is 5a, so no number is skipped

    def fill(self) -> None:
        """Ask every question that applies and is unanswered; drop answers that no longer apply.
        'back' asks the previous question again (its answer kept with Enter)."""
        questions = list(QUIZ)
        done: list[Question] = []
        i, again = 0, False
        while i < len(questions):
            q = questions[i]
            if not q.applies(self.answers):
                self.forget(q)
            else:
                if again or (self.current(q) is None and (q.required or q.id not in self.asked)):
                    self.asked.add(q.id)  # an optional question left blank is asked once
                    try:
                        self.ask(q, self.number(q), can_go_back=bool(done))
                    except _Back:
                        self.asked.discard(q.id)  # not answered: ask it again on the way forward
                        i, again = questions.index(done.pop()), True
                        continue
                done.append(q)  # (answered before, too: 'back' walks through every question shown)
            i, again = i + 1, False

    def run(self) -> dict[str, Any]:
        """Ask everything, settle contradictions, and return the raw answers (valid together)."""
        from model.quiz.presentation import involved_questions
        from model.quiz.validation import check_answers

        self.say("The exodds quiz. Answer each question and press Enter.")
        self.say(
            f"Your answers stay on this computer. The odds at the end express {self.basis}, not a measured "
            "chance. Type 'back' to change your previous answer."
        )
        self.fill()
        for _ in range(MAX_ROUNDS):
            _, problems = check_answers(self.answers, self.as_of)
            if not problems:
                return dict(self.answers)
            self.say()
            self.say("Some answers don't fit together:")
            for p in problems:
                qid = QUIZ.date_columns.get(p.column, p.column)
                blank = p.value is None or not str(p.value).strip()
                given = "no answer" if blank else f"the date {p.value}" if p.column != qid else f"{p.value}"
                self.say(f"- question {self.number(QUIZ[qid])} ({given}): {QUIZ.in_words(p.reason)}", "  ")
            involved = sorted({qid for p in problems for qid in involved_questions(p)}, key=QUIZ.ids.index)
            self.say("Please answer these again: " + ", ".join(str(self.number(QUIZ[i])) for i in involved) + ".")
            for qid in involved:
                q = QUIZ[qid]
                if q.applies(self.answers):
                    self.ask(q, self.number(q), settling=True)
            self.fill()
        raise QuizAborted("the answers still contradict each other; no report written")


def run(args: argparse.Namespace) -> int:
    from model.errors import AnswersError, exit_code
    from model.report.build import build_report

    as_of = as_of_option(args.as_of)
    from model.report.render import unknown_extension

    odd = unknown_extension(args.out) if args.out and not args.format else None
    if odd:  # before the questions, like the model: say so while nothing has been typed
        print(
            f"error: {args.out}: cannot write a {odd} report; name it .html, .md or .json, or give --format",
            file=sys.stderr,
        )
        return 2
    model = load(args)  # before the questions: never make someone answer for nothing (exit 1 if it cannot)
    try:
        from model.odds.provenance import odds_basis

        quiz = TerminalQuiz(as_of)
        quiz.basis = odds_basis(getattr(model, "card", None) or {})
        answers = quiz.run()
    except QuizAborted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report = build_report(answers, as_of, model)
    except AnswersError as exc:  # should not happen after the quiz's own checks; never write a partial file
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return exit_code(exc)
    return emit(report, args.format, args.out, fallback=True)
