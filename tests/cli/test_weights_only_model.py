"""A model directory with no pickle in it (the card and weights.npz only) serves every way of scoring:
reports, batch scoring (one file, and parts on Dask), the web quiz, the SQL and JSON exports; and none
of them unpickles anything or opens a pickle, whatever the directory holds (an audit hook says so)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import AS_OF

from model.odds.artifacts import default_model_dir, load_model
from model.truth.generator import generate

REPO = Path(__file__).resolve().parents[2]
GUARD = """
import sys
def guard(event, args):
    if event == "pickle.find_class":
        raise RuntimeError(f"unpickled {args}")
    if event == "open" and str(args[0]).endswith((".joblib", ".pkl")):
        raise RuntimeError(f"opened {args[0]}")
sys.addaudithook(guard)
from model.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def weights_only(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "m"
    shutil.copytree(default_model_dir(), folder)
    (folder / "model.joblib").unlink()
    assert sorted(p.name for p in folder.iterdir()) == ["model_card.json", "weights.npz"]
    return folder


def exodds(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", GUARD, *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.mark.slow
def test_every_command_scores_from_weights_alone_and_never_unpickles(weights_only, tmp_path):
    m = str(weights_only)
    good = REPO / "examples" / "good.json"
    done = exodds("report", str(good), "--model", m, "--as-of", AS_OF.isoformat(), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["model"]["version"] == load_model().version and 0 < report["reversal_odds"] < 1

    generate(200, seed=3).to_csv(tmp_path / "in.csv", index=False)
    done = exodds("score", "in.csv", "--model", m, "--as-of", AS_OF.isoformat(), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "read 200, scored 200, rejected 0\n"), done.stderr
    scored = pd.read_csv(tmp_path / "in.scored.csv")
    assert scored["model_version"].eq(load_model().version).all()

    (tmp_path / "parts").mkdir()
    generate(100, seed=4).to_parquet(tmp_path / "parts" / "a.parquet")
    done = exodds("score", "parts", "--model", m, "--engine", "local", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.endswith("read 100, scored 100, rejected 0\n"), done.stderr

    for argv in (["export-sql", "--dialect", "duckdb"], ["export-model", "--format", "json"]):
        done = exodds(*argv, "--model", m, "--out", "x", cwd=tmp_path)
        assert done.returncode == 0, done.stderr

    done = exodds("report", str(good), cwd=tmp_path)  # (the shipped model too: it has a pickle, never read)
    assert done.returncode == 0, done.stderr


def test_the_dask_engine_scores_from_weights_alone(weights_only, tmp_path):
    from model.batch.engines import DaskEngine

    (tmp_path / "in").mkdir()
    generate(300, seed=5).to_csv(tmp_path / "in" / "a.csv", index=False)
    summary = DaskEngine(workers=1, processes=False).score(tmp_path / "in", tmp_path / "out", as_of=AS_OF,
                                                           model_dir=str(weights_only))
    assert summary.line == "read 300, scored 300, rejected 0"
    assert pd.read_parquet(tmp_path / "out" / "a.parquet")["model_version"].eq(load_model().version).all()


def test_the_web_quiz_serves_from_weights_alone(weights_only, monkeypatch, good_answers):
    from fastapi.testclient import TestClient

    from model.web import server

    settings = server.ServeSettings(model_dir=str(weights_only))
    monkeypatch.setenv(server.ENV, settings.to_env())
    server._parse.cache_clear()
    try:
        app = server.app_from_env()
    finally:
        server._parse.cache_clear()
    with TestClient(app) as client:
        answer = client.post("/api/score", json=good_answers, headers={"host": "localhost"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"]["version"] == load_model().version and 0 < answer.json()["reversal_odds"] < 1
