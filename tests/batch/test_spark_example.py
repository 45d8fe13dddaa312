"""The README's Spark example: ``score_batches``, taken from the README's block and run on pandas frames
as ``mapInPandas`` hands them over (no Spark here), gives ``score_frame``'s scores beside the kept
columns, in the types its schema names."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from model import score_frame
from model.quiz.definition import QUIZ
from model.truth.generator import generate

README = Path(__file__).resolve().parents[2] / "README.md"
SPARK_TYPES = {"string": pa.large_string(), "double": pa.float64(), "int": pa.int32(), "date": pa.date32()}


def spark_example() -> dict:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [code] = [b for b in blocks if "def score_batches(frames)" in b]
    assert "mapInPandas(score_batches, schema=SCHEMA)" in code
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def test_the_readme_spark_example_scores_each_batch_as_score_frame_does():
    example = spark_example()
    df = generate(900, seed=12)[list(QUIZ.ids)].astype({"anger": object})
    df.loc[[4, 500], "anger"] = "livid"  # rejected: left out, as result.problems says
    df.insert(0, "respondent_id", [f"r{i}" for i in range(len(df))])
    batches = [df.iloc[:300], df.iloc[300:600], df.iloc[600:]]
    got = pd.concat(list(example["score_batches"](iter(batches))), ignore_index=True)

    schema = [field.split(" ") for field in example["SCHEMA"].split(", ")]
    assert list(got.columns) == [name for name, _ in schema]
    table = pa.Table.from_pandas(got, preserve_index=False)
    assert [table.schema.field(name).type for name, _ in schema] == [SPARK_TYPES[kind] for _, kind in schema]

    expected = score_frame(df, as_of="2026-06-01")
    assert len(got) == expected.valid.sum() == len(df) - 2
    assert got["respondent_id"].tolist() == df.loc[expected.valid, "respondent_id"].tolist()
    want = expected.scored.reset_index(drop=True)
    pd.testing.assert_series_equal(got["reversal_odds"], want["reversal_odds"])
    assert got["band"].tolist() == want["band"].astype(str).tolist()
    assert got["earliest_contact"].tolist() == [d.date() if pd.notna(d) else pd.NaT for d in want["earliest_contact"]]
