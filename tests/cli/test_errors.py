"""Every kind of error reaches the command line as what it is: its message on stderr, and the exit code of
its class (``model.errors.EXIT_CODES``), never a traceback and never an exit code guessed from a builtin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import errors
from model.cli import main

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "good.json"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_every_error_class_has_an_exit_code_and_one_root():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, errors.ExoddsError) for c in classes)
    for cls in classes:
        code = errors.exit_code(cls.__new__(cls))
        assert code in (1, 2), cls
    assert errors.exit_code(errors.ModelLoadError("x")) == 1 and errors.exit_code(errors.ConfigError("x")) == 1
    assert errors.exit_code(errors.MappingError("x")) == 2  # a child takes its parent's code (InputError)


def _bad_answers(tmp_path: Path) -> Path:
    answers = json.loads(GOOD.read_text())
    answers["blocked"] = "maybe"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(answers))
    return path


def _export(tmp_path: Path, text: str, name: str = "e.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "UsageError": (lambda t: ["report", GOOD, "--as-of", "soon"], 2, "--as-of"),
    "AnswersError": (lambda t: ["report", _bad_answers(t)], 2, "invalid answer"),
    "InputError": (lambda t: ["report", t / "missing.json"], 2, "no such file"),
    "MappingError": (
        lambda t: ["score", _export(t, "days_silent\n1\n"), "--mapping", _export(t, "{not json", "m.json")],
        2,
        "m.json",
    ),
    "MissingColumnsError": (lambda t: ["score", _export(t, "email\na@b\n"), "--quiet"], 2, "days_since_breakup"),
    "OutputError": (
        lambda t: ["score", REPO / "data/synthetic/sample.csv", "--out", "/dev/stdout"],
        2,
        "not a regular file",
    ),
    "ModelLoadError": (lambda t: ["report", GOOD, "--model", t / "no-model"], 1, "no model file"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_kind_of_error_exits_with_its_class_code(tmp_path, capsys, kind):
    argv, code, words = CASES[kind]
    got, err = run(capsys, *argv(tmp_path))
    assert got == code, err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_a_broken_rules_file_is_a_config_error_exit_1(monkeypatch, capsys):
    from model.plan import rules

    def broken():
        raise errors.ConfigError("advice rules: waits.ignored.value = -1: expected a number >= 0")

    monkeypatch.setattr(rules, "load_rules", broken)
    for module in ("model.plan.decide", "model.plan.words", "model.report.build"):
        mod = __import__(module, fromlist=["load_rules"])
        if hasattr(mod, "load_rules"):
            monkeypatch.setattr(mod, "load_rules", broken)
    code, err = run(capsys, "report", GOOD, "--as-of", "2026-11-26")
    assert code == 1 and "advice rules: waits.ignored.value = -1" in err


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
@pytest.mark.parametrize("command", ["report", "score"])
def test_an_as_of_date_far_outside_the_span_is_a_usage_error_not_a_crash(tmp_path, capsys, command, day):
    target = GOOD if command == "report" else REPO / "data/synthetic/sample.csv"
    out = ["--out", tmp_path / "o.csv"] if command == "score" else []
    code, err = run(capsys, command, target, "--as-of", day, *out)
    assert code == 2 and f"as-of date {day!r} is outside the dates exodds scores" in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_a_batch_timestamp_far_outside_the_span_rejects_its_row_with_the_reason(tmp_path, capsys):
    data = REPO / "tests/data/form_export.csv"
    lines = data.read_text().splitlines()
    lines[1] = lines[1].replace("3/14/2025 10:22:05", "1/1/0001 10:22:05", 1)
    lines[2] = lines[2].replace("3/15/2025 08:01:44", "12/31/9999 08:01:44", 1)
    export = _export(tmp_path, "\n".join(lines) + "\n")
    out = tmp_path / "scored.csv"
    code, _ = run(capsys, "score", export, "--mapping", REPO / "tests/data/form_export.mapping.json", "--out", out)
    assert code == 3
    import csv

    errors_rows = list(csv.DictReader((tmp_path / "scored.errors.csv").open()))
    far = [(r["row"], r["value"]) for r in errors_rows if "outside the dates exodds scores" in r["reason"]]
    assert far == [("1", "1/1/0001 10:22:05"), ("2", "12/31/9999 08:01:44")]
