"""``exodds export-model --format json``: one plain JSON document that the README's 20-line scorer (plain
Python, no numpy) reads to the model's own odds and range; its bands and factor rule give what
``exodds score`` gives."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.cli import main
from model.export.portable import FORMAT, model_document
from model.odds.artifacts import default_model_dir, load_model
from model.odds.calibration import Calibration
from model.odds.lookup import random_clean
from model.plan.rules import bands
from model.quiz.validation import clean_records, validate_frame
from model.truth.generator import generate

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_scorer() -> str:
    """The README's scorer: the Python block that defines ``score``."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [code] = [b for b in blocks if "def score(model, answers)" in b]
    return code


def test_the_readme_scorer_is_20_lines_of_plain_python():
    code = readme_scorer()
    assert len([line for line in code.splitlines() if line.strip()]) <= 20
    imported = set(re.findall(r"^(?:import|from) (\w+)", code, flags=re.M)) | set(
        m for line in re.findall(r"^import (.*)$", code, flags=re.M) for m in re.split(r",\s*", line)
    )
    assert imported <= {"bisect", "math", "json"}  # the standard library only: no numpy


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    out = tmp_path_factory.mktemp("json") / "model.json"
    assert main(["export-model", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_readme_scorer_reads_the_document_to_the_models_odds(document, tmp_path):
    """Run as its own program (no exodds, no numpy imported), it gives the model's odds and range."""
    clean = random_clean(1500, np.random.default_rng(9))  # across and beyond every table's points
    clean = pd.concat([validate_frame(generate(1500, seed=4), extra="ignore").clean, clean], ignore_index=True)
    answers = clean_records(clean)
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    program = tmp_path / "score.py"
    program.write_text(
        readme_scorer()
        + "\nimport json, sys\nmodel = json.load(open(sys.argv[1]))\n"
        + "print(json.dumps([score(model, a) for a in json.load(open(sys.argv[2]))]))\n"
        + "assert 'numpy' not in sys.modules and 'model' not in sys.modules\n"
    )
    (tmp_path / "model.json").write_text(json.dumps(document))
    done = subprocess.run([sys.executable, "-I", str(program), str(tmp_path / "model.json"),
                           str(tmp_path / "answers.json")], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(done.stdout)
    expected = load_model().predict_clean(clean)
    for column in ("reversal_odds", "odds_low", "odds_high"):
        np.testing.assert_allclose([g[column] for g in got], expected[column].to_numpy(), rtol=0, atol=1e-12)
    assert [g["band"] for g in got] == list(bands(expected["reversal_odds"].to_numpy()))


@pytest.mark.parametrize(
    "change",
    [
        lambda m: replace(m, pipeline=None, calibration=Calibration("isotonic", x=np.array([-4.0, -1.0, 0.0, 2.0]),
                                                                     y=np.array([0.01, 0.2, 0.45, 0.9]))),
        lambda m: replace(m, pipeline=None, member_calibration=[Calibration("sigmoid", 1.2, -0.3)] * 25),
        lambda m: replace(m, pipeline=None, member_coef=m.member_coef[:2], member_intercept=m.member_intercept[:2],
                          member_calibration=m.member_calibration[:2]),
        lambda m: replace(m, pipeline=None, member_coef=m.member_coef[:1], member_intercept=m.member_intercept[:1],
                          member_calibration=m.member_calibration[:1]),
    ],
    ids=["isotonic", "members-sigmoid", "two-members", "one-member"],
)
def test_the_readme_scorer_reads_every_calibration_and_ensemble_size(change):
    model = change(load_model())
    document = json.loads(json.dumps(model_document(model)))
    namespace: dict = {}
    exec(compile(readme_scorer(), "README.md", "exec"), namespace)
    clean = pd.concat([validate_frame(generate(500, seed=6), extra="ignore").clean,
                       random_clean(500, np.random.default_rng(7))], ignore_index=True)
    got = [namespace["score"](document, a) for a in clean_records(clean)]
    expected = model.predict_clean(clean)
    for column in ("reversal_odds", "odds_low", "odds_high"):
        np.testing.assert_allclose([g[column] for g in got], expected[column].to_numpy(), rtol=0, atol=1e-12)


def test_the_documents_bands_and_factor_rule_give_what_scoring_gives(document):
    """Read as ``how_to_score`` says: the contributions summed like the log-odds, the largest named
    when it reaches min_log_odds; the band of the whole percentage."""
    clean = validate_frame(generate(3000, seed=8), extra="ignore").clean
    model = load_model()
    expected = model.score_batch(clean)
    factors = document["factors"]
    width = len(document["intercepts"])
    got_up, got_down = [], []
    for answers in clean_records(clean):
        contrib = dict.fromkeys(factors["questions"], 0.0)
        for table in document["tables"]:
            row, weight = 0, 1.0
            cells = [(0, 1.0)]
            for axis in table["axes"]:
                x, p = answers.get(axis["question"]), axis["points"]
                x = axis["choices"].index(x) if "choices" in axis else min(x or 0, p[-1])
                i = min(int(np.searchsorted(p, x, side="right")), len(p) - 1) - 1
                t = (x - p[i]) / (p[i + 1] - p[i])
                cells = [(r * len(p) + j, w * v) for r, w in cells for j, v in ((i, 1 - t), (i + 1, t))]
            for row, weight in cells:
                for name, value in zip(table["values"][width:], table["rows"][row][width:], strict=True):
                    contrib[name] += weight * value
        best, worst = max(contrib.values()), min(contrib.values())
        got_up.append(next(q for q, v in contrib.items() if v == best) if best >= factors["min_log_odds"] else "")
        got_down.append(next(q for q, v in contrib.items() if v == worst) if worst <= -factors["min_log_odds"] else "")
    assert got_up == list(expected["top_factor_up"].astype(str))
    assert got_down == list(expected["top_factor_down"].astype(str))
    p = expected["reversal_odds"].to_numpy()
    edges, labels = document["bands"]["edges_percent"], document["bands"]["labels"]
    mine = [labels[sum(round(100 * x) >= e for e in edges)] for x in p]
    assert mine == list(bands(p))
    assert factors["none_when"] == {"safety_concern": ["yes"]}


def test_the_document_is_plain_data_with_the_card(document):
    assert document["format"] == FORMAT and document["model_version"] == load_model().version
    card = json.loads((default_model_dir() / "model_card.json").read_text())
    assert document["card"] == card
    assert document["percentiles"] == [10, 90]
    assert len(document["calibrations"]) == len(document["intercepts"]) == 26
    assert json.loads(json.dumps(model_document(load_model()))) == document  # nothing but JSON types
