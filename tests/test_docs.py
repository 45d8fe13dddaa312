"""The README's tables are generated from the definitions: keep them equal, so docs never drift."""

from __future__ import annotations

from pathlib import Path

from model.cli.questions import markdown_table
from model.quiz.definition import QUIZ
from model.training.variables import features_markdown

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_lists_the_quiz_as_defined():
    assert markdown_table(QUIZ) in README, "run `exodds questions --format markdown` and paste it into the README"


def test_readme_lists_the_plans_numbers_as_defined():
    from model.plan.rules import rules_markdown

    hint = "paste the output of model.plan.rules.rules_markdown() into the README"
    assert rules_markdown() in README, hint


def test_readme_lists_the_variables_as_defined():
    assert features_markdown() in README


def test_readme_test_command_is_what_ci_runs():
    assert "bash .ci/run" in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "pip install" in ci
