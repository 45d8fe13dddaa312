"""Real outcomes in: the quiz answers as given at the time plus whether each person got back together.

Why in the batch layer: ``exodds update`` and ``exodds evaluate --data`` must read an outcomes file
exactly as ``exodds score`` reads an export (the same readers, with their fallbacks for ragged,
Latin-1 or gzipped records and Parquet; the same ``--mapping``; the same per-row validation), so that
a row rejected here would be rejected by ``score`` too, numbered the same way. One column is added:
the outcome (``reconciled`` by default), yes/no, 1/0 or true/false. A row whose answers or outcome
cannot be used is never guessed: it goes to the errors file with where and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.batch.coding import arrow_frame, problem_rows
from model.batch.core import judge
from model.batch.mapping import ColumnMapping, mapping_from_dict
from model.batch.pipeline import (
    input_chunks,
    inspect_input,
    next_reader,
    resolve_input,
    unanswered_warnings,
    undated_warnings,
)
from model.batch.readers import UseCarefulPath, chunk_records
from model.batch.sinks import ErrorSink
from model.errors import InputError
from model.io import atomic_path

__all__ = ["OUTCOME", "Outcomes", "parse_outcome", "read_outcome_file", "write_errors"]

OUTCOME = "reconciled"
_YES = frozenset({"yes", "1", "true"})
_NO = frozenset({"no", "0", "false"})
NOT_AN_OUTCOME = "not an outcome: expected yes/no, 1/0 or true/false"
MISSING_OUTCOME = "missing: the outcome (did they get back together?) is needed for every row"


@dataclass
class Outcomes:
    """The accepted rows of an outcomes file, and what happened to the others."""

    clean: pd.DataFrame  # validated answers of the accepted rows (``validate_frame``'s clean form), 0..n-1
    y: np.ndarray  # 0/1 per accepted row
    dates: np.ndarray | None  # the day each accepted row's answers were given (None: the file dates no row)
    problems: list[tuple[int, str, Any, str]]  # errors-file rows (record, column, value, reason), record order
    n_read: int  # records read, rejected ones included
    path: Path
    sha256: str
    warnings: list[str] = field(default_factory=list)
    records: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # record number of each accepted row
    carried: dict[str, np.ndarray] = field(default_factory=dict)  # ``carry`` columns of the accepted rows, as read

    @property
    def n_rejected(self) -> int:
        return self.n_read - len(self.y)

    @property
    def events(self) -> int:
        return int(self.y.sum())


def parse_outcome(raw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(0/1, missing, not an outcome) per value of a column of yes/no, 1/0 or true/false: case and
    spaces ignored, ``1.0``/``0.0`` read as 1/0 (a spreadsheet's numbers); anything else is refused,
    never guessed."""
    text = pd.Series(raw, dtype="string").str.strip().str.lower()
    text = text.str.replace(r"^([01])\.0*$", r"\1", regex=True)
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    yes = text.isin(_YES).fillna(False).to_numpy(dtype=bool)
    no = text.isin(_NO).fillna(False).to_numpy(dtype=bool)
    return yes.astype(np.int64), missing, ~(yes | no | missing)


def read_outcome_file(
    path: str | os.PathLike[str],
    *,
    mapping: ColumnMapping | None = None,
    as_of_column: str | None = None,
    outcome_column: str = OUTCOME,
    carry: tuple[str, ...] = (),
    chunk_rows: int = 32_768,
) -> Outcomes:
    """Read an outcomes file (CSV or Parquet, as ``exodds score`` reads it) into validated answers,
    outcomes and answer dates, and the problems of every rejected row.

    ``as_of_column`` names the column that dates each row's answers (a date or date-time; it replaces
    a mapping's ``timestamp``): day counts are read as of that day, date answers are counted up to
    it, and the span of those days is when the outcomes were collected. ``carry``: other columns to
    hand back for the accepted rows as they were read (``p_true`` of a simulated follow-up); those the
    file lacks are left out. Raises ``InputError`` when the file, the mapping or a named column cannot
    be used at all.
    """
    info = inspect_input(path)
    header = [str(h) for h in info.header]
    if outcome_column not in header:
        raise InputError(
            f"{info.path}: no {outcome_column!r} column: an outcomes file needs one, yes/no, 1/0 or true/false "
            "per row (did this person get back together?)"
            + ("" if outcome_column != OUTCOME else "; --outcome-column names another")
        )
    if as_of_column is not None:
        if as_of_column not in header:
            raise InputError(f"{info.path}: --as-of-column {as_of_column!r} is not a column of the file")
        if mapping is None:  # the headers are the quiz ids: map each to itself, and date the rows
            by_quiz = resolve_input(info, None).by_quiz
            mapping = mapping_from_dict({"columns": {h: q for q, h in by_quiz.items()}}, source="--as-of-column")
        mapping = dataclasses.replace(mapping, timestamp=as_of_column)
    resolved = resolve_input(info, mapping)
    if outcome_column in resolved.by_quiz.values():
        raise InputError(f"{info.path}: the column {outcome_column!r} cannot hold both an answer and the outcome")
    carried = [c for c in carry if c in header]
    used = list(dict.fromkeys([*resolved.used_headers, outcome_column, *carried]))
    dated = resolved.timestamp is not None
    reader = "fast"
    while True:
        parts, ys, ds, rec, problems = [], [], [], [], []
        recoded: list[int] = []
        kept: dict[str, list[np.ndarray]] = {c: [] for c in carried}
        n_read = 0
        try:
            for chunk in input_chunks(info, reader, chunk_rows):
                batch, _, numbers = chunk_records(chunk, info, used)
                df = arrow_frame(batch, used, numbers, resolved)
                found, valid, clean, as_of_days = judge(df, resolved, None)
                y, missing, bad = parse_outcome(batch.column(outcome_column).to_pandas())
                refused = missing | bad
                if refused.any():
                    extra = pd.DataFrame(
                        {
                            "row": np.asarray(df.index[refused], dtype=object),
                            "column": outcome_column,
                            "value": df[outcome_column].to_numpy(dtype=object)[refused],
                            "reason": np.where(missing[refused], MISSING_OUTCOME, NOT_AN_OUTCOME),
                        }
                    )
                    found = pd.concat([found, extra], ignore_index=True) if len(found) else extra
                    found = found.sort_values("row", kind="stable", key=lambda r: r.astype(np.int64))
                offset = n_read if chunk.block else 0  # a block numbers its records from 1
                problems += problem_rows(found, chunk.rejected, batch, numbers, offset)
                keep = valid & ~refused
                parts.append(clean[~refused[valid]])
                ys.append(y[keep])
                ds.append(as_of_days[keep])
                rec.append(numbers[keep] + offset)
                for c in carried:
                    kept[c].append(batch.column(c).to_numpy(zero_copy_only=False)[keep])
                n_read += batch.num_rows + len(chunk.rejected)
                recoded.extend(r + offset for r in chunk.recoded)
        except UseCarefulPath as exc:
            reader = next_reader(reader, exc)
            continue
        break
    clean = pd.concat(parts) if parts else pd.DataFrame()
    warnings = list(info.warnings)
    if recoded:
        warnings.append(f"{len(recoded)} record(s) were not valid UTF-8 and were read as Windows-1252/Latin-1")
    warnings += unanswered_warnings(resolved) + undated_warnings(resolved, None)
    return Outcomes(
        clean=clean.reset_index(drop=True),
        y=np.concatenate(ys) if ys else np.zeros(0, np.int64),
        dates=np.concatenate(ds).astype("datetime64[D]") if dated and ds else None,
        problems=problems,
        n_read=n_read,
        path=info.path,
        sha256=_sha256(info.path),
        warnings=warnings,
        records=np.concatenate(rec) if rec else np.zeros(0, np.int64),
        carried={c: np.concatenate(v) if v else np.zeros(0, object) for c, v in kept.items()},
    )


def write_errors(problems: list[tuple[int, str, Any, str]], path: str | os.PathLike[str]) -> Path:
    """The errors file (row, column, value, reason; as ``exodds score`` writes it), atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        sink = ErrorSink(tmp)
        try:
            sink.write(problems)
        finally:
            sink.close()
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
