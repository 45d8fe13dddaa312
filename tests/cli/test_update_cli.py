"""``exodds update`` end to end: an outcomes file in; the decision, every test and what the sample supports
printed; rejected rows in an errors file; a pickle-free model directory out that load_model, report,
score, serve and evaluate take, every report saying it was updated; and real-outcome evaluation."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import assert_runs_without_scikit_learn

from model import load_model
from model.cli import main
from model.errors import ModelLoadError
from model.report.build import SCHEMA_VERSION
from model.report.schema import report_schema
from tests.worlds import world

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "good.json"
SCHEMA = report_schema()
WORDS = "the guide's assumptions, updated with 897 real outcomes collected between 4 January 2027 and 24 March 2027"


def _file(path: Path, name: str, rows: int, seed: int, start: str, bad: bool = False, truth: bool = False) -> Path:
    d = world(name, rows, seed)
    if not truth:
        d = d.drop(columns=["p_true"])
    d["answered_on"] = (np.datetime64(start) + (np.arange(rows) % 80)).astype(str)
    d = d.astype(str)
    if bad:
        d.loc[2, "reconciled"] = "maybe"
        d.loc[5, "anger"] = "livid"
        d.loc[7, "answered_on"] = ""
    d.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    """One `exodds update` run on 900 outcomes of a world unlike the guide, 3 of them unusable."""
    tmp = tmp_path_factory.mktemp("update")
    outcomes = _file(tmp / "follow-up.csv", "issue", 900, 21, "2027-01-04", bad=True)
    out = tmp / "updated"
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            [
                "update",
                "--outcomes",
                str(outcomes),
                "--as-of-column",
                "answered_on",
                "--horizon-days",
                "180",
                "--out",
                str(out),
            ]
        )
    return {
        "code": code,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "out": out,
        "tmp": tmp,
        "outcomes": outcomes,
    }


def test_update_prints_the_decision_every_test_and_what_the_sample_supports(updated):
    assert updated["code"] == 3, updated["stderr"]  # written, with rejected rows
    text = updated["stdout"]
    assert "read 900 rows of follow-up.csv against model exodds-" in text
    assert "outcomes: 897 accepted (3 rejected: see the errors file), collected 2027-01-04 to 2027-03-24" in text
    assert "what they support (Riley et al. 2021" in text and "observed/expected ratio" in text
    assert "closed test (Vergouwe et al. 2017), alpha 0.01 against keeping the model, 0.05 between updates:" in text
    card = load_model(updated["out"]).card
    for t in card["update"]["tests"]:
        assert f"{t['compared']:<26} LR = {t['statistic']:8.2f}  df = {t['df']:3.0f}" in text
    assert f"decision: {card['update']['method']}: " in text
    assert f'reports made with this model say: "{WORDS}"' in text
    assert f"wrote {updated['out']}/" in text


def test_rejected_rows_go_to_the_errors_file_with_where_and_why(updated):
    errors = pd.read_csv(updated["tmp"] / "follow-up.errors.csv", dtype=str, keep_default_na=False)
    assert errors.values.tolist() == [
        ["3", "reconciled", "maybe", "not an outcome: expected yes/no, 1/0 or true/false"],
        ["6", "anger", "livid", "not one of the choices: expected one of none, annoyed, angry, furious"],
        ["8", "answered_on", "", "missing: the response timestamp dates the answers"],
    ]


def test_the_model_directory_is_pickle_free_and_records_its_provenance(updated):
    out = updated["out"]
    assert sorted(p.name for p in out.iterdir()) == ["model_card.json", "weights.npz"]
    code = (
        f"import sys\nfrom model import load_model\nm = load_model({str(out)!r})\n"
        "import pandas as pd, json\nm.predict(pd.DataFrame([json.load(open('examples/good.json'))]), "
        "as_of='2026-11-26')\nassert 'joblib' not in sys.modules, 'joblib was imported'"
    )
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        assert_runs_without_scikit_learn(code)
    finally:
        os.chdir(cwd)
    card = load_model(out).card
    shipped = load_model()
    assert card["source"] == "update" and card["format_version"] == 2 and "artifact_sha256" not in card
    assert card["updated_from"]["version"] == shipped.version
    assert card["outcomes"]["file"] == "follow-up.csv" and len(card["outcomes"]["file_sha256"]) == 64
    assert (card["outcomes"]["rows"], card["outcomes"]["read"], card["outcomes"]["rejected"]) == (897, 900, 3)
    assert card["outcomes"]["events"] + card["outcomes"]["non_events"] == 897
    assert card["command"].startswith("exodds update --outcomes ") and "--as-of-column answered_on" in card["command"]


def test_a_changed_weights_file_is_refused(updated, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(updated["out"], copy)
    data = bytearray((copy / "weights.npz").read_bytes())
    data[len(data) // 2] ^= 1
    (copy / "weights.npz").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match its model card"):
        load_model(copy)


def test_every_report_format_says_the_model_was_updated(updated, tmp_path, capsys):
    model = str(updated["out"])
    for fmt in ("md", "html", "json"):
        target = tmp_path / f"r.{fmt}"
        assert main(["report", str(GOOD), "--as-of", "2026-11-26", "--model", model, "--out", str(target)]) == 0
        text = target.read_text(encoding="utf-8")
        if fmt == "json":
            report = json.loads(text)
            jsonschema.validate(report, SCHEMA)
            assert report["schema_version"] == SCHEMA_VERSION and report["model"]["odds_basis"] == WORDS
            assert report["model"]["updated_with"]["outcomes"] == 897
            assert report["model"]["outcome_days"] == 180 and report["model"]["trained_on"] == "update"
            assert WORDS in report["how_to_read"][0] and WORDS in report["disclaimer"]
        else:
            shown = text.replace("&#39;", "'")
            # next to the odds, in the line that says what they are
            assert f"within 180 days, as {WORDS}, see them: not a measured chance" in shown
    capsys.readouterr()


def test_score_takes_the_updated_model(updated, tmp_path):
    answers = json.loads(GOOD.read_text())
    pd.DataFrame([answers] * 3).to_csv(tmp_path / "in.csv", index=False)
    assert (
        main(
            [
                "score",
                str(tmp_path / "in.csv"),
                "--as-of",
                "2026-11-26",
                "--model",
                str(updated["out"]),
                "--out",
                str(tmp_path / "s.csv"),
                "--quiet",
            ]
        )
        == 0
    )
    scored = pd.read_csv(tmp_path / "s.csv")
    model = load_model(updated["out"])
    assert set(scored["model_version"]) == {model.version}
    expected = model.predict(pd.DataFrame([answers]), as_of="2026-11-26")["reversal_odds"].iloc[0]
    assert scored["reversal_odds"].iloc[0] == pytest.approx(expected, abs=1e-6)


def test_serve_takes_the_updated_model(updated, monkeypatch, capsys):
    from fastapi.testclient import TestClient

    from model.cli import build_parser
    from model.web.server import ENV, ServeSettings, app_from_env

    class FakeUvicorn:
        @staticmethod
        def run(app, **kwargs):
            pass

    monkeypatch.setitem(sys.modules, "uvicorn", FakeUvicorn)
    monkeypatch.setenv(ENV, "")
    args = build_parser().parse_args(["serve", "--model", str(updated["out"]), "--workers", "1"])
    assert args.func(args) == 0
    assert load_model(updated["out"]).version in capsys.readouterr().err
    assert ServeSettings.from_env().model_dir == str(updated["out"].resolve())
    client = TestClient(app_from_env())
    r = client.post("/api/score?as_of=2026-11-26", json=json.loads(GOOD.read_text()), headers={"host": "localhost"})
    assert r.status_code == 200 and r.json()["model"]["odds_basis"] == WORDS
    args = build_parser().parse_args(["serve", "--model", str(updated["tmp"] / "nowhere")])
    with pytest.raises(ModelLoadError):
        args.func(args)


def test_evaluate_on_real_outcomes_compares_before_and_after_without_retraining(updated, tmp_path, capsys):
    follow = _file(tmp_path / "later.csv", "issue", 400, 22, "2027-05-01", truth=True)
    out = tmp_path / "eval"
    code = (
        f"import sys\nfrom model.cli import main\nsys.exit(main(['evaluate', '--data', {str(follow)!r}, "
        f"'--model', {str(updated['out'])!r}, '--as-of-column', 'answered_on', '--bootstrap', '20', "
        f"'--out', {str(out)!r}]))"
    )
    assert_runs_without_scikit_learn(code)  # nothing is trained: scikit-learn is never even imported
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert list(metrics["models"]) == ["before update", "after update"]
    m = metrics["metrics"]
    assert m["outcomes"] == 400 and m["events"] < 100 and "fewer than 100" in m["warning"]
    assert m["auc_difference"]["of"] == "after update - before update"
    after = m["models"]["after update"]
    for key in (
        "calibration_in_the_large",
        "calibration_slope",
        "calibration_curve",
        "smooth_ece",
        "binned_ece",
        "brier",
        "auc",
    ):
        assert key in after
    assert len(after["calibration_slope"]["ci"]) == 2 and after["binned_ece"]["bins"].startswith("15 equal-width")
    mae = metrics["setup"]["mae_p_true"]  # a simulated follow-up knows the truth: the update comes closer
    assert mae["after update"] < mae["before update"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Warning." in page and "events</strong>" in page and "data:image/png;base64," in page
    assert {p.name for p in out.iterdir()} == {"metrics.json", "calibration.png", "reliability.png", "index.html"}


def test_evaluate_warns_on_the_outcomes_the_model_was_updated_with(updated, tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--data",
            str(updated["outcomes"]),
            "--model",
            str(updated["out"]),
            "--compare",
            str(REPO / "model" / "artifacts"),
            "--as-of-column",
            "answered_on",
            "--bootstrap",
            "10",
            "--errors",
            str(tmp_path / "e.csv"),
            "--out",
            str(tmp_path / "ev"),
        ]
    )
    assert code == 3  # (its three bad rows)
    text = capsys.readouterr().out
    assert "holds the very outcomes" in text and "optimistic" in text
    assert "before update" in text and "after update" in text


def test_update_refuses_what_it_cannot_use(updated, tmp_path, capsys):
    out = str(tmp_path / "m")
    code = main(
        ["update", "--outcomes", str(updated["outcomes"]), "--model", str(updated["out"]), "--out", str(updated["out"])]
    )
    assert code == 2 and "that is the model being updated" in capsys.readouterr().err
    empty = tmp_path / "bad.csv"
    frame = pd.read_csv(updated["outcomes"], dtype=str, keep_default_na=False).head(4).assign(reconciled="perhaps")
    frame.to_csv(empty, index=False)
    assert main(["update", "--outcomes", str(empty), "--out", out]) == 2
    assert "no row could be used" in capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "bad.errors.csv")) == 4 and not Path(out).exists()
    frame.drop(columns=["reconciled"]).to_csv(empty, index=False)
    assert main(["update", "--outcomes", str(empty), "--out", out]) == 2
    assert "no 'reconciled' column" in capsys.readouterr().err
    assert main(["update", "--outcomes", str(updated["outcomes"]), "--model", str(tmp_path), "--out", out]) == 1
    assert main(["update", "--outcomes", str(updated["outcomes"]), "--horizon-days", "0", "--out", out]) == 2
    capsys.readouterr()
    for levels, words in (
        (["--alpha-keep", "0.1"], "--alpha-keep 0.1 is above --alpha 0.05"),
        (["--alpha", "1.5"], "--alpha 1.5: expected a level between 0 and 1"),
    ):
        assert main(["update", "--outcomes", str(updated["outcomes"]), *levels, "--out", out]) == 2
        assert words in capsys.readouterr().err and not Path(out).exists()


def test_the_quiz_page_and_the_terminal_quiz_say_what_an_updated_models_odds_rest_on(updated):
    import io

    from fastapi.testclient import TestClient

    from model.cli.quiz import QuizAborted, TerminalQuiz
    from model.odds.artifacts import load_model
    from model.odds.provenance import odds_basis
    from model.web.app import create_app

    model = load_model(updated["out"])
    basis = odds_basis(model.card)
    assert "real outcome" in basis
    page = TestClient(create_app(model=model)).get("/").text
    assert f"The odds come from {basis}: not a measured chance for you." in page.replace("&#39;", "'")
    assert "trained on synthetic (made-up) data" not in page
    guide = TestClient(create_app()).get("/").text
    assert "trained on synthetic (made-up) data" in guide and "real outcome" not in guide
    err = io.StringIO()
    quiz = TerminalQuiz("2026-11-26", inp=io.StringIO(""), err=err)
    quiz.basis = basis
    with pytest.raises(QuizAborted):  # (no answers to read: the quiz stops after its introduction)
        quiz.run()
    said = " ".join(err.getvalue().split())  # (the terminal quiz wraps its lines)
    assert f"The odds at the end express {basis}, not a measured chance." in said
