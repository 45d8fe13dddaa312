"""The model as one SQL query: run in DuckDB and SQLite on 100,000 generated rows it gives what
``exodds score`` gives (odds to 1e-6, bands and top factors exactly); the validation query gives each
row the first problem ``exodds score`` writes for it; the PostgreSQL and Spark queries parse
(sqlglot) and match their golden files."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import duckdb  # (the sql extra, which the test command installs: a missing one fails, never skips)
import numpy as np
import pandas as pd
import pytest
import sqlglot
from conftest import AS_OF

from model.batch.pipeline import score_file
from model.cli import main
from model.export import sql
from model.odds.artifacts import load_model
from model.odds.calibration import Calibration
from model.quiz.definition import QUIZ
from model.truth.generator import generate

GOLDEN = Path(__file__).resolve().parent / "golden"
IDS = list(QUIZ.ids)
ODDS = ["reversal_odds", "odds_low", "odds_high"]
TEXTS = ["band", "top_factor_up", "top_factor_down"]


def answers(n: int, seed: int) -> pd.DataFrame:
    """Generated answers as a table holds them (typed; days_blocked null when not blocked), a row id
    first (a column that is no question, passed through), with safety first in some rows."""
    df = generate(n, seed=seed)[IDS].copy()
    rng = np.random.default_rng(seed)
    df["safety_concern"] = np.where(rng.random(n) < 0.05, "yes", df["safety_concern"])
    df.insert(0, "row_id", np.arange(n))
    return df


def sqlite_with(df: pd.DataFrame) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    df.astype(object).where(df.notna(), None).to_sql("responses", con, index=False)
    return con


def duckdb_with(df: pd.DataFrame):
    con = duckdb.connect()
    con.register("frame", df)
    con.execute("CREATE TABLE responses AS SELECT * FROM frame")
    return con


def run_query(engine: str, df: pd.DataFrame, query: str) -> pd.DataFrame:
    out = duckdb_with(df).execute(query).df() if engine == "duckdb" else pd.read_sql_query(query, sqlite_with(df))
    return out.sort_values("row_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """100,000 rows, and what `exodds score` writes for them (its Parquet output, by row id)."""
    df = answers(100_000, seed=2207)
    folder = tmp_path_factory.mktemp("sql")
    df.to_parquet(folder / "in.parquet", index=False)
    summary = score_file(folder / "in.parquet", folder / "out.parquet", as_of=AS_OF)
    assert summary.n_rejected == 0
    expected = pd.read_parquet(folder / "out.parquet").set_index("row_id")
    return df, expected


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_the_query_scores_as_exodds_score_does(rows, engine):
    df, expected = rows
    got = run_query(engine, df, sql.score_query(load_model(), dialect_name=engine))
    assert list(got.columns) == [*df.columns, *sql.SCORE_COLUMNS]  # every input column, then the scores
    assert (got["row_id"].to_numpy() == np.arange(len(df))).all()  # each row once, none lost
    got = got.set_index("row_id").loc[expected.index]
    for c in ODDS:
        np.testing.assert_allclose(got[c].to_numpy(), expected[c].to_numpy(), rtol=0, atol=1e-6, err_msg=c)
    for c in TEXTS:  # a factor that is none is null in SQL, empty in the scored file
        pd.testing.assert_series_equal(got[c].fillna(""), expected[c].astype(str), check_names=False)
    assert (df.set_index("row_id")["safety_concern"] == "yes").sum() > 1000
    assert expected["top_factor_down"].ne("").mean() > 0.5  # (a real test of the factors, not of empties)


def mutate(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Rows with problems of every kind (and some with none): numbers as doubles, as a table with a
    3.5 in it holds them."""
    rng = np.random.default_rng(seed)
    out = df.astype({q.id: "float64" if q.is_numeric else object for q in QUIZ})
    n = len(out)
    numbers = [q.id for q in QUIZ if q.is_numeric]
    choices = [q.id for q in QUIZ if not q.is_numeric]
    for i in range(n):
        for _ in range(rng.integers(0, 3)):
            kind = rng.integers(0, 9)
            if kind == 0:
                out.at[i, rng.choice(numbers)] = rng.choice([-1.0, 3.5, 40_000.0, np.nan])
            elif kind == 1:
                out.at[i, rng.choice(choices)] = rng.choice(["maybe", None])  # (exact values only: no "No")
            elif kind == 2:
                out.at[i, "days_blocked"] = float(rng.integers(0, 50))
            elif kind == 3:
                out.at[i, "days_silent"] = out.at[i, "days_since_breakup"] + 1
            elif kind == 4:
                out.at[i, "attempts_last_week"] = 0.0 if out.at[i, "days_silent"] < 7 else 2.0
            elif kind == 5:
                out.loc[i, ["last_reply_tone", "attempts_ignored", "attempts_last_week", "days_since_breakup",
                            "days_silent"]] = ["never_replied", 1.0, 3.0, 30.0, 3.0]
            elif kind == 6:
                out.loc[i, ["blocked", "days_blocked"]] = ["some", np.nan]
            elif kind == 7:
                out.loc[i, IDS] = None
            else:
                out.at[i, "safety_concern"] = None  # (valid: prefer not to say)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_the_validation_query_gives_each_row_its_first_problem(tmp_path, engine):
    """Every row `exodds score` rejects gets its first problem (same column, same words), every row it
    scores gets none; rows with a problem score null, and the valid ones as `exodds score` scores them."""
    df = mutate(answers(3000, seed=11), seed=12)
    df.to_parquet(tmp_path / "in.parquet", index=False)
    summary = score_file(tmp_path / "in.parquet", tmp_path / "out.parquet", as_of=AS_OF)
    assert 1000 < summary.n_rejected < 2500
    errors = pd.read_csv(tmp_path / "out.errors.csv", keep_default_na=False)
    first = errors.groupby("row", sort=False).first()  # row 1 is the first record
    got = run_query(engine, df, sql.validation_query(dialect_name=engine))
    assert list(got.columns) == [*df.columns, *sql.PROBLEM_COLUMNS]
    flagged = got["problem"].notna().to_numpy()
    assert flagged.sum() == summary.n_rejected
    mine = got.loc[flagged, ["problem_column", "problem"]].set_axis(np.flatnonzero(flagged) + 1)
    theirs = first.loc[mine.index, ["column", "reason"]]
    pd.testing.assert_frame_equal(mine, theirs.set_axis(mine.columns, axis=1), check_names=False)
    assert set(mine["problem_column"]) >= {"(record)", "days_silent", "days_blocked", "attempts_last_week",
                                           "attempts_ignored", "blocked", "safety_concern"}

    scored = run_query(engine, df, sql.score_query(load_model(), dialect_name=engine))
    expected = pd.read_parquet(tmp_path / "out.parquet")
    ok = scored[~flagged]
    np.testing.assert_allclose(ok[ODDS].to_numpy(), expected[ODDS].to_numpy(), rtol=0, atol=1e-6)
    assert (ok["band"].to_numpy() == expected["band"].to_numpy()).all()
    # out of range or not a choice: null, never a guess (the rules between answers are the validation's)
    own = got["problem"].str.startswith(("not a", "below", "above", "not one", "no answers"), na=False)
    assert scored.loc[own.to_numpy(), ODDS + TEXTS].isna().all().all()


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_the_readmes_views_score_only_the_valid_rows(tmp_path, engine):
    """README: CREATE VIEW checked AS <validation query>; a view of its rows with no problem; the
    scoring query on that view scores exactly the rows `exodds score` accepts, as it scores them."""
    df = mutate(answers(1500, seed=21), seed=22)
    df.to_parquet(tmp_path / "in.parquet", index=False)
    summary = score_file(tmp_path / "in.parquet", tmp_path / "out.parquet", as_of=AS_OF)
    expected = pd.read_parquet(tmp_path / "out.parquet")
    con = duckdb_with(df) if engine == "duckdb" else sqlite_with(df)
    con.execute("CREATE VIEW checked AS " + sql.validation_query(dialect_name=engine))
    con.execute("CREATE VIEW valid_responses AS SELECT * FROM checked WHERE problem IS NULL")
    query = sql.score_query(load_model(), dialect_name=engine, table="valid_responses")
    got = con.execute(query).df() if engine == "duckdb" else pd.read_sql_query(query, con)
    got = got.sort_values("row_id").reset_index(drop=True)
    assert len(got) == summary.n_scored == len(expected) < len(df)
    assert got["row_id"].tolist() == expected["row_id"].tolist()
    np.testing.assert_allclose(got[ODDS].to_numpy(), expected[ODDS].to_numpy(), rtol=0, atol=1e-6)


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
def test_every_calibration_and_ensemble_size_scores_alike(change):
    model = change(load_model())
    df = answers(4000, seed=5)
    got = run_query("duckdb", df, sql.score_query(model, dialect_name="duckdb"))
    from model.quiz.validation import validate_frame

    clean = validate_frame(df[IDS], AS_OF).clean
    expected = model.score_batch(clean)
    np.testing.assert_allclose(got[ODDS].to_numpy(), expected[ODDS].to_numpy(), rtol=0, atol=1e-9)
    safety = (df["safety_concern"] == "yes").to_numpy()
    for c in ("top_factor_up", "top_factor_down"):
        want = np.where(safety, "", expected[c].astype(str).to_numpy())
        assert (got[c].fillna("").to_numpy() == want).all()


# --------------------------------------------------------------------------- other dialects


def trimmed(query: str) -> str:
    """A query with each table cut to its first two rows: what a golden file keeps (the rest are the
    model's numbers, which the engine tests check)."""
    out, kept = [], 0
    for line in query.splitlines():
        if re.match(r"\s+\(\d+, ", line):
            kept += 1
            if kept > 2:
                continue
        else:
            kept = 0
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
@pytest.mark.parametrize("which", ["score", "validation"])
def test_the_postgres_and_spark_queries_parse_and_match_their_golden_files(dialect, which):
    query = (
        sql.score_query(load_model(), dialect_name=dialect, table="exports.responses")
        if which == "score"
        else sql.validation_query(dialect_name=dialect, table="exports.responses")
    )
    tree = sqlglot.parse_one(query, read=dialect)  # raises on anything the dialect's grammar refuses
    assert tree.named_selects[-len(sql.SCORE_COLUMNS if which == "score" else sql.PROBLEM_COLUMNS):] == list(
        sql.SCORE_COLUMNS if which == "score" else sql.PROBLEM_COLUMNS
    )
    golden = GOLDEN / f"{which}.{dialect}.sql"
    text = trimmed(query) if which == "score" else query
    if os.environ.get("EXODDS_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs from the query written now; if the change is meant (a new model, a rule), "
        "rewrite the golden files with EXODDS_UPDATE_GOLDEN=1 and review the diff"
    )


def test_spark_strings_escape_with_a_backslash_and_the_others_double_the_quote():
    assert sql.dialect("spark").text("blocked is 'no'") == r"'blocked is \'no\''"
    assert sql.dialect("postgres").text("blocked is 'no'") == "'blocked is ''no'''"
    for name in ("postgres", "spark", "duckdb"):  # (sqlglot reads the literal back as the same text)
        literal = sqlglot.parse_one("SELECT " + sql.dialect(name).text("it's \\ 'x'"), read=name)
        assert literal.expressions[0].this == "it's \\ 'x'"


def test_literals_read_back_exactly_as_doubles():
    con = duckdb.connect()
    values = [0.1, -2.2346e-17, 1e300, 123.0, -0.0, 1 / 3]
    got = con.execute("SELECT " + ", ".join(sql.number(v) for v in values)).fetchone()
    assert list(got) == values
    assert all(isinstance(v, float) for v in got)
    with pytest.raises(ValueError, match="not a finite"):
        sql.number(float("nan"))


# --------------------------------------------------------------------------- the command


def test_export_sql_writes_each_dialect_and_the_validation_query(tmp_path, capsys):
    out = tmp_path / "score.sql"
    assert main(["export-sql", "--dialect", "sqlite", "--table", "answers", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("-- exodds model exodds-") and 'FROM "answers" AS "s"' in text
    assert text == sql.score_query(load_model(), dialect_name="sqlite", table="answers")
    assert main(["export-sql", "--dialect", "spark", "--validation"]) == 0
    assert "`problem_column`" in capsys.readouterr().out
    assert main(["export-sql", "--dialect", "postgres", "--table", " ", "--validation"]) == 2
    assert "--table" in capsys.readouterr().err
    assert main(["export-sql", "--dialect", "duckdb", "--out", str(tmp_path)]) == 2  # a folder: refused
    assert "cannot write" in capsys.readouterr().err


def test_a_quoted_or_dotted_table_name():
    d = sql.dialect("postgres")
    assert d.table("warehouse.responses") == '"warehouse"."responses"'
    assert d.table('"My Schema".responses') == '"My Schema".responses'
    assert sql.dialect("spark").table("db.t") == "`db`.`t`"
