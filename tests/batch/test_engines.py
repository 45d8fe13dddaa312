"""Engines: an export in parts (a folder or glob of CSV/Parquet parts) scored by the local engine and by
a Dask cluster of two workers gives the same parts, row for row, the same errors file and the same
summary line; parts are found, named and written the way Spark, Hive and warehouse unloads expect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF

from model.batch import engines, parts
from model.batch.pipeline import score_file
from model.cli import main
from model.errors import InputError, MissingColumnsError, ModelLoadError, UsageError
from model.quiz.definition import QUIZ
from model.truth.generator import generate

IDS = list(QUIZ.ids)
PART_ROWS = 50_000


def spoil(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """About 1 row in 100 with a problem, and an id column that is no question (passed through)."""
    rng = np.random.default_rng(seed)
    df = df.astype({q.id: object for q in QUIZ})
    bad = rng.random(len(df)) < 0.01
    df.loc[bad, "blocked"] = "maybe"
    worse = rng.random(len(df)) < 0.003
    df.loc[worse, "days_silent"] = "3.5"
    df.insert(0, "respondent", [f"r{seed}-{i}" for i in range(len(df))])
    return df


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """300,000 rows in six parts of every kind a distributed export writes, beside files that are not data."""
    root = tmp_path_factory.mktemp("export") / "responses"
    (root / "region=eu").mkdir(parents=True)
    for i in range(6):
        df = spoil(generate(PART_ROWS, seed=300 + i)[IDS], seed=i)
        if i in (0, 1):
            df.to_csv(root / f"part-{i:05d}.csv", index=False)
        elif i == 2:
            df.to_csv(root / f"part-{i:05d}.csv.gz", index=False, compression="gzip")
        elif i == 3:
            df.to_csv(root / "region=eu" / f"part-{i:05d}.csv", index=False, sep=";")
        else:
            df.astype({"days_silent": str}).to_parquet(root / f"part-{i:05d}.parquet", index=False)
    (root / "_SUCCESS").write_text("")
    (root / ".part-00000.csv.crc").write_text("x")
    return root


@pytest.mark.slow
def test_a_dask_cluster_of_two_workers_scores_as_the_local_engine_does(export, tmp_path):
    local = engines.make_engine("local").score(export, tmp_path / "local", as_of=AS_OF)
    dask = engines.make_engine("dask", workers=2).score(export, tmp_path / "dask", as_of=AS_OF)
    assert local.line == dask.line
    assert local.n_read == 6 * PART_ROWS == local.n_scored + local.n_rejected  # every row accounted for
    assert 0 < local.n_rejected < 0.02 * local.n_read
    names = sorted(p.relative_to(tmp_path / "local").as_posix() for p in (tmp_path / "local").rglob("*.parquet"))
    assert names == [f"part-{i:05d}.parquet" for i in (0, 1, 2, 4, 5)] + ["region=eu/part-00003.parquet"]
    for name in names:
        a, b = pd.read_parquet(tmp_path / "local" / name), pd.read_parquet(tmp_path / "dask" / name)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (tmp_path / "local.errors.csv").read_bytes() == (tmp_path / "dask.errors.csv").read_bytes()
    errors = pd.read_csv(tmp_path / "dask.errors.csv", keep_default_na=False)
    assert list(errors.columns) == ["file", "row", "column", "value", "reason"]
    assert errors.groupby(["file", "row"]).ngroups == dask.n_rejected
    assert set(errors["file"]) == {f"part-{i:05d}.{ext}" for i, ext in ((0, "csv"), (1, "csv"), (2, "csv.gz"),
                                                                     (4, "parquet"), (5, "parquet"))} | {
        "region=eu/part-00003.csv"}

    # a part is scored as the file on its own is: same rows, same values, rows numbered in the part
    alone = score_file(export / "part-00002.csv.gz", tmp_path / "alone.parquet", as_of=AS_OF)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "alone.parquet"),
                                  pd.read_parquet(tmp_path / "dask" / "part-00002.parquet"), check_exact=True)
    own = pd.read_csv(tmp_path / "alone.errors.csv", keep_default_na=False)
    mine = errors[errors["file"] == "part-00002.csv.gz"].drop(columns="file").reset_index(drop=True)
    pd.testing.assert_frame_equal(own, mine)
    assert alone.n_rejected == mine["row"].nunique()


def write_parts(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".parquet"):
            df.to_parquet(folder / name, index=False)
        else:
            df.to_csv(folder / name, index=False)
    return folder


def small(n: int = 20, seed: int = 1) -> pd.DataFrame:
    return generate(n, seed=seed)[IDS]


def test_parts_are_the_data_files_in_name_order_with_their_output_names(tmp_path):
    root = write_parts(tmp_path / "in", {"b.csv": small(), "a/x.parquet": small(), "_tmp/y.csv": small(),
                                         ".hidden.csv": small()})
    (root / "notes.md").write_text("not data")
    found = parts.find_parts(root)
    assert [(p.name, p.output) for p in found] == [("a/x.parquet", "a/x.parquet"), ("b.csv", "b.parquet")]
    globbed = parts.find_parts(str(root / "*.csv"))
    assert [p.name for p in globbed] == ["b.csv"]
    assert [p.name for p in parts.find_parts(root / "b.csv")] == ["b.csv"]  # a file is one part
    write_parts(root, {"b.parquet": small()})
    with pytest.raises(InputError, match=r"b.csv and b.parquet would both be scored into b.parquet"):
        parts.find_parts(root)
    with pytest.raises(InputError, match="no CSV or Parquet parts"):
        parts.find_parts(write_parts(tmp_path / "empty", {}))
    with pytest.raises(InputError, match="no such folder, and no glob"):
        parts.find_parts(tmp_path / "nothing")


def test_a_run_replaces_a_previous_runs_parts_and_nothing_else(tmp_path):
    root = write_parts(tmp_path / "in", {"p1.csv": small(seed=1), "p2.csv": small(seed=2)})
    engine = engines.LocalEngine()
    first = engine.score(root, None, as_of=AS_OF)  # default: a folder beside the input
    assert first.output == tmp_path / "in.scored" and first.errors == tmp_path / "in.scored.errors.csv"
    (root / "p2.csv").unlink()
    engine.score(root, None, as_of=AS_OF)
    assert sorted(p.name for p in (tmp_path / "in.scored").iterdir()) == ["p1.parquet"]  # the old part went
    (tmp_path / "in.scored" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not Parquet parts"):
        engine.score(root, None, as_of=AS_OF)
    with pytest.raises(InputError, match="holds input parts"):
        engine.score(root, root, as_of=AS_OF)
    with pytest.raises(InputError, match="needs --out"):
        engine.score(str(root / "*.csv"), None, as_of=AS_OF)
    with pytest.raises(InputError, match="name a folder, not a file"):
        engine.score(root, tmp_path / "x.csv", as_of=AS_OF)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_a_respondent_key_names_rejected_rows_in_every_parts_errors_and_the_summary(tmp_path, capsys):
    one, two = spoil(small(300, seed=3), seed=7), spoil(small(300, seed=4), seed=8)
    two.loc[5, "blocked"] = "maybe"  # (at least one problem in each part)
    root = write_parts(tmp_path / "in", {"p1.csv": one, "p2.csv": two})
    for engine in (engines.LocalEngine(), engines.DaskEngine(workers=1, processes=False)):
        got = engine.score(root, tmp_path / "out", as_of=AS_OF, id_column="respondent")
        errors = pd.read_csv(got.errors, dtype=str, keep_default_na=False)
        assert list(errors.columns) == ["file", "row", "respondent", "column", "value", "reason"]
        for name, frame in (("p1.csv", one), ("p2.csv", two)):
            mine = errors[errors["file"] == name]
            keys = frame["respondent"].iloc[mine["row"].astype(int) - 1].to_numpy()
            assert len(mine) and (mine["respondent"] == keys).all()
        assert got.id_column == "respondent" and {k for _, k in got.rejected_keys} == set(errors["respondent"])
        assert any(line.startswith("rejected by respondent: ") for line in got.respondent_lines())
    out = str(tmp_path / "cli")
    code = main(["score", str(root), "--out", out, "--as-of", str(AS_OF), "--id-column", "respondent"])
    assert code == 3 and "rejected by respondent: " in capsys.readouterr().err


def test_a_part_that_cannot_be_used_stops_the_run_and_nothing_is_written(tmp_path):
    root = write_parts(tmp_path / "in", {"p1.csv": small(), "p2.csv": small().drop(columns=["anger"])})
    for engine in (engines.LocalEngine(), engines.DaskEngine(workers=1, processes=False)):
        with pytest.raises(MissingColumnsError, match=r"p2\.csv.*anger"):
            engine.score(root, tmp_path / "out", as_of=AS_OF)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_worker_with_another_model_is_refused(tmp_path):
    root = write_parts(tmp_path / "in", {"p.csv": small()})
    [part] = parts.find_parts(root)
    (tmp_path / "errors").mkdir()
    with pytest.raises(ModelLoadError, match="every worker must have the same exodds and model"):
        parts.score_part(part, str(tmp_path), str(tmp_path / "errors" / "e.csv"), model_version="exodds-0+other")


def test_engines_are_a_registry_by_name():
    assert {"local", "dask"} <= set(engines.ENGINES)
    with pytest.raises(UsageError, match="unknown engine 'spark': expected one of dask, local"):
        engines.make_engine("spark")
    calls = []

    class Recording(engines.LocalEngine):
        def score(self, *args, **kwargs):
            calls.append(args)
            return super().score(*args, **kwargs)

    engines.register_engine("recording", Recording)
    try:
        assert isinstance(engines.make_engine("recording"), Recording)
    finally:
        del engines.ENGINES["recording"]
    with pytest.raises(UsageError, match="--workers 0"):
        engines.make_engine("dask", workers=0)


def test_an_installed_package_offers_an_engine_through_entry_points(monkeypatch, tmp_path, capsys):
    import importlib.metadata

    offered = importlib.metadata.EntryPoint("elsewhere", "model.batch.engines:LocalEngine", engines.ENTRY_POINTS)

    def entry_points(group, name):
        assert group == "exodds.engines"
        return [offered] if name == "elsewhere" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.delitem(engines.ENGINES, "elsewhere", raising=False)
    try:
        generate(50, seed=3).to_csv(tmp_path / "in.csv", index=False)
        assert main(["score", str(tmp_path / "in.csv"), "--engine", "elsewhere", "--as-of", AS_OF.isoformat(),
                     "--quiet"]) == 0
        assert capsys.readouterr().out == "read 50, scored 50, rejected 0\n"
        assert engines.ENGINES["elsewhere"] is engines.LocalEngine
    finally:
        engines.ENGINES.pop("elsewhere", None)
    with pytest.raises(UsageError, match="unknown engine 'nowhere'"):
        engines.make_engine("nowhere")


def test_the_dask_engine_imports_dask_only_when_it_runs():
    code = ("import sys, model.batch.engines, model.cli.score; "
            "print('dask' in sys.modules, 'distributed' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_exodds_score_on_an_existing_cluster(tmp_path, capsys, monkeypatch):
    """--scheduler: the parts go to a cluster already running; the summary line and exit code are the
    local engine's."""
    monkeypatch.setattr(engines.DaskEngine, "connect_timeout", "2s")  # (for the address that answers nothing)
    from dask.distributed import LocalCluster

    frames = {"p1.csv": small(300, seed=1), "p2.parquet": small(200, seed=2)}
    frames["p1.csv"] = frames["p1.csv"].astype({"anger": object})
    frames["p1.csv"].loc[5, "anger"] = "livid"
    root = write_parts(tmp_path / "in", frames)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        code = main(["score", str(root), "--engine", "dask", "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat(), "--quiet"])
    out = capsys.readouterr().out
    assert (code, out) == (3, "read 500, scored 499, rejected 1\n")
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert errors[["file", "row", "column", "value"]].values.tolist() == [["p1.csv", 6, "anger", "livid"]]
    assert main(["score", str(root), "--workers", "2"]) == 2
    assert "--workers is for --engine dask" in capsys.readouterr().err
    assert main(["score", str(root), "--engine", "nope"]) == 2
    assert main(["score", str(root), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--quiet"]) == 2
    assert "cannot reach a Dask scheduler" in capsys.readouterr().err
