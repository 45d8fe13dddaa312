"""Arrow columns to the frame validation reads fastest, and problems back to errors-file lines.

Why a module: the CSV and Parquet readers hand over Arrow batches; coding answer texts as choice
codes or whole numbers here (only the few distinct texts are looked at) is most of what keeps
validation fast, and it must never change what validation decides.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from model.batch.core import blank_values, text_dtype
from model.batch.mapping import ColumnMapping, Resolved
from model.quiz.definition import QUIZ, Question

__all__ = ["arrow_frame", "as_value", "codable", "coded", "problem_rows", "text"]


def arrow_frame(
    batch: pa.RecordBatch | pa.Table, used: Sequence[str], numbers: np.ndarray, resolved: Resolved | None = None
) -> pd.DataFrame:
    """The columns scoring reads, as pandas, indexed by record number.

    With ``resolved``, answer columns read as text are handed over in the
    form validation reads fastest, without changing what it decides: whole
    numbers (plain digits only, blanks as missing) as numbers, choices
    dictionary-coded. Problems still show the text as read (``problem_rows``).
    """
    quiz_of = {h: q for q, h in resolved.by_quiz.items()} if resolved is not None else {}
    mapping = resolved.mapping if resolved is not None else None
    plain = [h for h in used if h not in quiz_of or not codable(batch.column(h), quiz_of[h], mapping)]
    df = batch.select(plain).to_pandas() if plain else pd.DataFrame(index=pd.RangeIndex(batch.num_rows))
    columns = {}
    for h in used:
        if h in plain:
            columns[h] = df[h].array
        else:
            columns[h] = coded(batch.column(h), QUIZ[quiz_of[h]])
    return pd.DataFrame(columns, index=pd.Index(numbers, name="row"), copy=False)


def codable(col: pa.ChunkedArray | pa.Array, qid: str, mapping: ColumnMapping | None) -> bool:
    return qid in QUIZ.ids and pa.types.is_string(col.type) and not (mapping and mapping.recodes(qid))


def coded(col: pa.ChunkedArray | pa.Array, q: Question) -> pd.Categorical | pd.arrays.IntegerArray:
    """Text answers as a Categorical; for a number question whose every distinct text is a plain
    whole number (or empty), those numbers (nullable Int64, empty as missing). Only the few
    distinct texts are looked at; nothing validation decides changes."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not q.is_numeric:  # usually every answer is spelled exactly as a choice: codes in one pass
        exact = pc.index_in(col, value_set=choice_texts(q.id))
        if exact.null_count == 0:
            codes = exact.to_numpy(zero_copy_only=False).astype(np.int16, copy=False)
            return pd.Categorical.from_codes(codes, dtype=text_dtype(q.values), validate=False)
    coded = pc.dictionary_encode(col)  # a null (Parquet) stays null in the indices: code -1, missing
    indices = coded.indices.fill_null(-1) if coded.indices.null_count else coded.indices
    codes = indices.to_numpy(zero_copy_only=False)
    texts = coded.dictionary
    if q.is_numeric:
        empty = pc.equal(texts, "")
        if pc.all(pc.or_(empty, pc.match_substring_regex(texts, r"^-?[0-9]{1,15}$"))).as_py():
            table = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), texts), pa.int64())
            values = np.append(table.fill_null(0).to_numpy(), 0)[codes]  # (-1, null: the appended 0)
            missing = empty.to_numpy(zero_copy_only=False)[codes] | (codes < 0)
            return pd.arrays.IntegerArray(values, missing)
    return pd.Categorical.from_codes(codes, dtype=text_dtype(tuple(texts.to_pylist())), validate=False)


@functools.cache
def choice_texts(qid: str) -> pa.Array:
    return pa.array(list(QUIZ[qid].values), pa.string())


def as_value(value: Any) -> Any:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value


def text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def problem_rows(
    problems: pd.DataFrame,
    rejected: list[tuple[int, str, str, str]],
    batch: pa.Table | pa.RecordBatch | None = None,
    numbers: np.ndarray | None = None,
    offset: int = 0,
    as_text: bool = True,
    key: str | None = None,
) -> list[tuple[Any, ...]]:
    """Errors-file lines in record order; values as read from the file where ``batch`` has them.

    ``numbers`` are the record numbers of ``batch``'s rows as ``problems`` gives them; ``offset``
    is added to every one (a block numbers its records from 1). ``as_text=False`` keeps values
    as they are (a number, None for a blank) instead of their errors-file text. With ``key`` (the
    respondent key's column, among ``batch``'s), each line carries that record's key second.
    """
    values = problems["value"].to_numpy(dtype=object)
    if batch is not None and numbers is not None and len(problems):
        values = values.copy()
        pos = np.searchsorted(numbers, problems["row"].to_numpy(dtype=np.int64))
        names = set(batch.schema.names)
        for column, idx in problems.groupby("column", sort=False).indices.items():
            if column in names:
                raw = np.asarray(batch.column(column).take(pa.array(pos[idx])).to_pylist(), dtype=object)
                values[idx] = np.where(blank_values(raw), values[idx], raw)
    show = text if as_text else as_value
    rows: list[tuple[Any, ...]] = [
        (int(r) + offset, text(c), show(v), text(why))
        for (r, c, _, why), v in zip(problems.itertuples(index=False, name=None), values, strict=True)
    ]
    if key is not None:
        keys = [""] * len(rows)
        if batch is not None and numbers is not None and len(problems):
            pos = np.searchsorted(numbers, problems["row"].to_numpy(dtype=np.int64))
            keys = [text(k) for k in batch.column(key).take(pa.array(pos)).to_pylist()]
        rows = [(r[0], k, *r[1:]) for r, k in zip(rows, keys, strict=True)]
    if rejected:  # (a record that cannot be read has no key to show)
        rows.extend((r + offset, *([""] if key is not None else []), c, v, why) for r, c, v, why in rejected)
        rows.sort(key=lambda t: t[0])
    return rows
