"""The basis that lets a logistic model follow the guide's shapes.

Each term turns one variable into piecewise-linear columns on fixed knots,
optionally multiplied by conditions (an interaction such as "told to stop"
times "days of silence"). Knots are dense around the days the guide names
(7, 14, 30, 42) but do not encode any effect size: the logistic regression
learns the shape from data, so the same basis serves any plausible generator.

Two column kinds:
- ``ramp``: r_i(x) = clip((x - k_{i-1}) / (k_i - k_{i-1}), 0, 1). Each ramp
  rises with x, so non-positive coefficients give a never-increasing effect
  (used for counts and anger, where the guide only ever says "more hurts").
- ``fade``: a constant column plus falling ramps f_i(x) = 1 - r_i(x). With
  every coefficient non-positive, the condition's effect is never positive
  and only ever shrinks as x grows: the guide's "the harm of a block fades
  with days since the block" and "a request to stop weighs most in the first
  4 to 6 weeks of silence, and still weighs after".

Sign constraints (``sign`` -1) are enforced by
``model.training.logistic.SignConstrainedLogisticRegression``; each term also names the
quiz question it is explained under (``owner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["TERMS", "Term"]

_DAYS_SILENT = (0, 2, 4, 7, 10, 14, 21, 28, 35, 42, 56, 75, 100, 150, 240, 365)
# Past a year of silence the data thin out (about 1 row in 2,000 beyond 730 days): two wide,
# never-increasing segments, so sparse rows cannot make the curve swing up and down.
_DAYS_SILENT_TAIL = (365, 730, 1825)
# A request to stop weighs most in the first weeks of silence (line 124: 4 to 6 weeks): its fading
# part ends at 150 days, so the lasting harm is learned from the many rows silent longer than that.
_TOLD_SILENT = (0, 2, 4, 7, 10, 14, 21, 28, 35, 42, 56, 75, 100, 150)
_DAYS_BLOCKED = (0, 3, 7, 10, 14, 21, 30, 45, 60, 90, 180, 365)
_DAYS_BREAKUP = (0, 7, 14, 30, 60, 90, 150, 240, 365, 730, 1500)
_COUNT = (0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 17, 25, 40, 80)
_WEEK = (0, 1, 2, 3, 4, 6, 9, 14, 25)
_ANGER = (0, 1, 2, 3)


@dataclass(frozen=True)
class Term:
    name: str
    feature: str | None  # variable the columns are built on; None for a plain flag
    kind: str  # "ramp", "fade" or "flag"
    knots: tuple[float, ...] = ()
    by: tuple[str, ...] = ()  # conditions multiplied in: "feature" (0/1) or "feature>=v" / "feature==v"
    sign: int = 0  # -1: every coefficient <= 0; 0: free
    owner: str = ""  # quiz question the term is explained under

    def column_names(self) -> list[str]:
        if self.kind == "flag":
            return [self.name]
        k = self.knots
        if self.kind == "ramp":
            return [f"{self.name}[{_fmt(k[i - 1])}-{_fmt(k[i])}]" for i in range(1, len(k))]
        return [f"{self.name}[lasting]"] + [f"{self.name}[until {_fmt(k[i])}]" for i in range(1, len(k))]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


TERMS: tuple[Term, ...] = (
    # free shape for the first year: the guide says silence helps up to ~30 days then flattens
    # (lines 54, 64); after a year, never rising: very long silence slowly means both moved on (line 142)
    Term("days_silent", "days_silent", "ramp", _DAYS_SILENT, owner="days_silent"),
    Term("days_silent_tail", "days_silent", "ramp", _DAYS_SILENT_TAIL, sign=-1, owner="days_silent"),
    Term("days_since_breakup", "days_since_breakup", "ramp", _DAYS_BREAKUP, owner="days_since_breakup"),
    # "more hurts" effects: never increasing
    Term("attempts_ignored", "attempts_ignored", "ramp", _COUNT, sign=-1, owner="attempts_ignored"),
    Term("attempts_last_week", "attempts_last_week", "ramp", _WEEK, sign=-1, owner="attempts_last_week"),
    Term("unanswered_last_week", "unanswered_last_week", "ramp", _WEEK, sign=-1, owner="attempts_last_week"),
    Term("emotional_messages", "emotional_messages", "ramp", _COUNT, sign=-1, owner="emotional_messages"),
    Term("anger", "anger", "ramp", _ANGER, sign=-1, owner="anger"),
    Term("anger|wronged", "anger", "ramp", _ANGER, by=("wronged_them",), sign=-1, owner="anger"),
    # a block never helps; its harm may fade with days since the block (line 126)
    Term("blocked", "days_blocked", "fade", _DAYS_BLOCKED, by=("blocked>=1",), sign=-1, owner="blocked"),
    Term("blocked_everywhere", "days_blocked", "fade", _DAYS_BLOCKED, by=("blocked==2",), sign=-1, owner="blocked"),
    Term("blocked|bad_blood", None, "flag", by=("blocked>=1", "bad_blood"), sign=-1, owner="bad_blood"),
    # a request to stop never helps; contact sooner than 4-6 weeks after it hurts most (line 124)
    Term(
        "told_no_contact",
        "days_silent",
        "fade",
        _TOLD_SILENT,
        by=("told_no_contact",),
        sign=-1,
        owner="told_no_contact",
    ),
    Term("furious_wronged_blocked", None, "flag", by=("furious_wronged_blocked",), sign=-1, owner="anger"),
    Term("bad_blood", None, "flag", by=("bad_blood",), sign=-1, owner="bad_blood"),
    # free: direction left to the data
    Term("wronged_them", None, "flag", by=("wronged_them",), owner="wronged_them"),
    Term("apologized", None, "flag", by=("apologized",), owner="apologized"),
    Term("apologized|wronged", None, "flag", by=("apologized", "wronged_them"), owner="apologized"),
    Term("reply_positive", None, "flag", by=("reply_positive",), owner="last_reply_tone"),
    Term("reply_cold", None, "flag", by=("reply_cold",), owner="last_reply_tone"),
    Term("never_replied", None, "flag", by=("never_replied",), owner="last_reply_tone"),
    Term("ex_reached_out", None, "flag", by=("ex_reached_out",), owner="ex_reached_out"),
)


N_COLUMNS = sum(len(t.column_names()) for t in TERMS)


def _condition(X: dict[str, np.ndarray], cond: str) -> np.ndarray:
    for op in (">=", "=="):
        if op in cond:
            name, value = cond.split(op)
            x = X[name]
            return (x >= float(value)) if op == ">=" else (x == float(value))
    return X[cond]


def _ramps(x: np.ndarray, knots: tuple[float, ...]) -> np.ndarray:
    k = np.asarray(knots, dtype=np.float64)
    return np.clip((x[:, None] - k[:-1]) / np.diff(k), 0.0, 1.0)


def _fades(x: np.ndarray, knots: tuple[float, ...]) -> np.ndarray:
    return np.column_stack([np.ones(len(x)), 1.0 - _ramps(x, knots)])


def basis_matrix(X: dict[str, np.ndarray], n: int, terms: tuple[Term, ...] = TERMS) -> np.ndarray:
    """The basis for a mapping of variable name -> values (the fast path).

    Column-major, filled column by column: whole-number inputs (all validated
    answers are) read each column from a small table indexed by the value,
    which is one gather per column instead of several passes over the rows.
    ``terms`` defaults to ``TERMS``; a model trained with chosen interaction terms
    (``model.odds.interactions``) passes ``TERMS + model.terms``.
    """
    out = np.zeros((n, sum(len(t.column_names()) for t in terms)), dtype=np.float64, order="F")
    j = 0
    for term in terms:
        mult: np.ndarray | None = None
        for cond in term.by:
            flag = np.asarray(_condition(X, cond), dtype=np.float64)
            mult = flag if mult is None else mult * flag
        if term.kind == "flag":
            out[:, j] = mult
            j += 1
            continue
        assert term.feature is not None  # (only flags have no feature)
        x = np.asarray(X[term.feature], dtype=np.float64)
        top = term.knots[-1]
        if np.array_equal(x, np.floor(x)):
            idx = np.clip(x, 0, top).astype(np.intp)
            table = _table(term.kind, term.knots)
            for c in range(table.shape[1]):
                col = table[:, c].take(idx)
                out[:, j + c] = col if mult is None else col * mult
        else:
            block = _ramps(x, term.knots) if term.kind == "ramp" else _fades(x, term.knots)
            out[:, j : j + block.shape[1]] = block if mult is None else block * mult[:, None]
        j += len(term.column_names())
    return out


@cache
def _table(kind: str, knots: tuple[float, ...]) -> np.ndarray:
    xs = np.arange(int(knots[-1]) + 1, dtype=np.float64)
    return _ramps(xs, knots) if kind == "ramp" else _fades(xs, knots)


def column_names(terms: tuple[Term, ...] = TERMS) -> list[str]:
    return [name for term in terms for name in term.column_names()]


def basis_signature() -> str:
    """Fingerprint of the column layout: a model's weights only fit the basis they were trained on.
    (That of ``TERMS``: a model's chosen interaction terms are stored by name beside its weights.)"""
    import hashlib

    return hashlib.sha256("\n".join(column_names()).encode()).hexdigest()[:16]


def column_signs(terms: tuple[Term, ...] = TERMS) -> np.ndarray:
    return np.concatenate([np.full(len(t.column_names()), t.sign) for t in terms])


def column_owners(terms: tuple[Term, ...] = TERMS) -> np.ndarray:
    return np.concatenate([np.full(len(t.column_names()), t.owner, dtype=object) for t in terms])
