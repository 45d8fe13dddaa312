"""The model as a sum of small tables indexed by the answers: scoring gathers a few table rows per
respondent instead of building ~130 basis columns.

Why it is exact: every basis term reads the answers of a few questions only, so the product of the
basis with the weights is a sum, over groups of questions, of a table over the group's answers.
Numbers are clipped at a group's ``cap`` (every term of the group is flat beyond it). A loaded
model checks its tables against the basis on random answers and falls back to the basis if they
differ (``OddsModel.lookups``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.odds.basis import TERMS, Term, basis_matrix
from model.odds.features import features_from_clean
from model.quiz.definition import QUIZ

__all__ = [
    "LOOKUP_GROUPS",
    "MAX_GROUP_ROWS",
    "Lookup",
    "build_lookups",
    "grid_clean",
    "lookup_groups",
    "lookup_indices",
    "lookup_sum",
    "random_clean",
]

# Every basis term reads the answers of a few questions only, so the product of the basis with the
# weights is a sum, over these groups, of a small table indexed by the group's answers: scoring
# gathers a few table rows per respondent instead of building ~130 basis columns. Numbers are
# clipped at ``cap`` (every term of the group is flat beyond it). ``_lookups`` checks the tables
# against the basis on random answers and the model falls back to the basis if they differ.
LOOKUP_GROUPS: tuple[tuple[dict[str, int | None], tuple[str, ...]], ...] = (
    ({"days_silent": 1825, "told_no_contact": None}, ("days_silent", "days_silent_tail", "told_no_contact")),
    ({"days_since_breakup": 1500}, ("days_since_breakup",)),
    (
        {"attempts_ignored": 80, "attempts_last_week": 80},
        ("attempts_ignored", "attempts_last_week", "unanswered_last_week"),
    ),
    ({"emotional_messages": 80}, ("emotional_messages",)),
    ({"blocked": None, "days_blocked": 365}, ("blocked", "blocked_everywhere")),
    (
        {
            q: None
            for q in (
                "anger",
                "wronged_them",
                "blocked",
                "bad_blood",
                "apologized",
                "last_reply_tone",
                "ex_reached_out",
            )
        },
        (
            "anger",
            "anger|wronged",
            "blocked|bad_blood",
            "furious_wronged_blocked",
            "bad_blood",
            "wronged_them",
            "apologized",
            "apologized|wronged",
            "reply_positive",
            "reply_cold",
            "never_replied",
            "ex_reached_out",
        ),
    ),
)


@dataclass
class Lookup:
    questions: list[str]
    sizes: list[int]  # values per question (numbers: 0..cap)
    caps: list[int | None]
    table: np.ndarray  # (prod(sizes), weight columns), C order: rows in mixed radix of the answers


def _codes_of(clean: pd.DataFrame, qid: str, cap: int | None) -> np.ndarray:
    col = clean[qid]
    if cap is None:
        return np.asarray(col.cat.codes, dtype=np.int32)
    numbers: np.ndarray = col.to_numpy(dtype=np.int64, na_value=0)
    return np.asarray(np.clip(numbers, 0, cap), dtype=np.int32)


def lookup_indices(lookups: list[Lookup], clean: pd.DataFrame) -> list[np.ndarray]:
    """Per group, each row's table row (the mixed-radix number of its answers)."""
    codes: dict[tuple[str, int | None], np.ndarray] = {}
    out: list[np.ndarray] = []
    for lk in lookups:
        idx: np.ndarray | None = None
        for qid, size, cap in zip(lk.questions, lk.sizes, lk.caps, strict=True):
            c = codes.get((qid, cap))
            if c is None:
                c = codes[(qid, cap)] = _codes_of(clean, qid, cap)
            idx = c.copy() if idx is None else idx * size + c
        assert idx is not None  # (every group reads one question at least)
        out.append(idx)
    return out


def lookup_sum(lookups: list[Lookup], indices: list[np.ndarray]) -> np.ndarray:
    """basis @ W as a sum of table rows."""
    Z = lookups[0].table.take(indices[0], axis=0)
    for lk, idx in zip(lookups[1:], indices[1:], strict=True):
        Z += lk.table.take(idx, axis=0)
    return Z


def grid_clean(values: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    """A clean-like frame (as ``validate_frame`` gives) from answer codes/numbers; others at their first value."""
    data: dict[str, Any] = {}
    for q in QUIZ:
        v = values.get(q.id, np.zeros(n, dtype=np.int64))
        if q.is_numeric:
            data[q.id] = pd.array(v, dtype="Int64") if q.ask_if else np.asarray(v, dtype=np.int64)
        else:
            codes = np.asarray(v, dtype=np.int16)
            data[q.id] = pd.Categorical.from_codes(codes, categories=list(q.values))  # type: ignore[call-overload]
    return pd.DataFrame(data)


Groups = tuple[tuple[dict[str, int | None], tuple[str, ...]], ...]

#: the questions each variable of ``model.odds.features`` reads, and the caps of numbers in the tables
_READS: dict[str, tuple[str, ...]] = {
    "days_since_breakup": ("days_since_breakup",),
    "days_silent": ("days_silent",),
    "attempts_ignored": ("attempts_ignored",),
    "attempts_last_week": ("attempts_last_week",),
    "blocked": ("blocked",),
    "days_blocked": ("blocked", "days_blocked"),
    "told_no_contact": ("told_no_contact",),
    "anger": ("anger",),
    "wronged_them": ("wronged_them",),
    "apologized": ("apologized",),
    "bad_blood": ("bad_blood",),
    "reply_positive": ("last_reply_tone",),
    "reply_cold": ("last_reply_tone",),
    "never_replied": ("last_reply_tone",),
    "ex_reached_out": ("ex_reached_out",),
    "emotional_messages": ("emotional_messages",),
    "unanswered_last_week": ("attempts_last_week", "attempts_ignored"),
    "furious_wronged_blocked": ("anger", "wronged_them", "blocked"),
}
_CAPS: dict[str, int | None] = {caps_q: cap for caps, _ in LOOKUP_GROUPS for caps_q, cap in caps.items()}
#: the most rows one group's table may have (a chosen term widens its group to the term's questions)
MAX_GROUP_ROWS = 250_000


def _term_questions(term: Term) -> list[str]:
    names = ([term.feature] if term.feature else []) + [c.split(">=")[0].split("==")[0] for c in term.by]
    return list(dict.fromkeys(q for v in names for q in _READS[v]))


def lookup_groups(extra: tuple[Term, ...] = ()) -> Groups:
    """``LOOKUP_GROUPS`` with each chosen interaction term (``model.odds.interactions``) added to the
    group that holds its owner's other terms, that group then reading the term's questions too
    (numbers capped as elsewhere). So each question's columns still live in one group, which is what
    ``score_batch``'s fast path needs. Raises ``ValueError`` if a table would pass ``MAX_GROUP_ROWS``."""
    groups = [(dict(caps), list(names)) for caps, names in LOOKUP_GROUPS]
    owner_of = {t.name: t.owner for t in TERMS}
    for term in extra:
        home = next((g for g in groups if any(owner_of.get(n) == term.owner for n in g[1])), None)
        if home is None:
            home = ({}, [])
            groups.append(home)
        for q in _term_questions(term):
            home[0].setdefault(q, _CAPS.get(q))
        home[1].append(term.name)
        owner_of[term.name] = term.owner
        size = int(np.prod([len(QUIZ[q].values) if c is None else c + 1 for q, c in home[0].items()]))
        if size > MAX_GROUP_ROWS:
            raise ValueError(f"interaction term {term.name}: its scoring table would have {size:,} rows")
    return tuple((caps, tuple(names)) for caps, names in groups)


def build_lookups(W: np.ndarray, extra: tuple[Term, ...] = ()) -> list[Lookup] | None:
    """The tables for weights ``W`` (rows: the columns of ``TERMS + extra``), or None if the groups do
    not describe that basis."""
    terms_all = TERMS + tuple(extra)
    names = [t.name for t in terms_all]
    try:
        groups = lookup_groups(tuple(extra))
    except ValueError:
        return None
    assigned = [name for _, terms in groups for name in terms]
    if sorted(assigned) != sorted(names):
        return None
    first = np.cumsum([0] + [len(t.column_names()) for t in terms_all])
    lookups = []
    for caps, terms in groups:
        qids = list(caps)
        sizes = [len(QUIZ[q].values) if (cap := caps[q]) is None else cap + 1 for q in qids]
        grid = np.indices(sizes).reshape(len(sizes), -1)
        clean = grid_clean(dict(zip(qids, grid, strict=True)), grid.shape[1])
        feats = features_from_clean(clean)
        B = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats), terms_all)
        cols = np.concatenate([np.arange(first[i], first[i + 1]) for i, n in enumerate(names) if n in terms])
        table = np.ascontiguousarray(B[:, cols] @ W[cols])
        lookups.append(Lookup(qids, sizes, [caps[q] for q in qids], table))
    return lookups


def random_clean(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Answers across (and beyond) every cap, for checking the tables against the basis."""
    values: dict[str, np.ndarray] = {}
    for q in QUIZ:
        if q.is_numeric:
            values[q.id] = np.minimum(rng.integers(0, 4000, n), rng.integers(0, 4000, n) // rng.integers(1, 60, n))
        else:
            values[q.id] = rng.integers(0, len(q.values), n)
    return grid_clean(values, n)
