"""The model as one SQL ``SELECT``, and the validation checks as a second one, for DuckDB, SQLite,
PostgreSQL and Spark SQL.

What the scoring query does: it reads a table with one column per quiz question (clean, typed
answers: whole numbers, the choice values as ``exodds questions`` lists them, ``days_blocked`` null
when not blocked, ``safety_concern`` null for "prefer not to say") and returns every input column
plus ``reversal_odds``, ``odds_low``, ``odds_high``, ``band``, ``top_factor_up`` and
``top_factor_down``, as ``exodds score`` writes them (a factor that is none is null here, not empty).

How: the model's tables (``model.odds.tables``) are ``VALUES`` lists; each answer set looks up one
row per table (two or four, interpolated, between points of a number), the sums are the main
model's and every member's log-odds, then come the calibration, the members' percentiles (a rank
of each member among the others, since not every engine has a percentile function), the widening
that keeps the odds inside their range, the bands of ``advice_rules.toml`` and the top factors
(``model.odds.explain``'s rule: first in quiz order on a tie, at least ``MIN_LOG_ODDS``, none when
safety comes first). Each distinct answer set is scored once and joined back to its rows. No
user-defined function: only ``CASE``, arithmetic, ``TANH``, ``FLOOR`` and joins (SQLite needs its
math functions, built in since 3.35).

What it does not do: validate answers (an answer that is not a whole number in range or not one of
the choices scores null, but the rules between answers, such as ``days_silent`` longer than
``days_since_breakup``, are not checked: run ``validation_query`` and keep the rows whose problem is
null), read dates instead of day counts, or plan (``stage`` and ``earliest_contact`` need the
as-of date and the plan's rules: ``exodds score``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.odds.calibration import PERCENTILES, Calibration
from model.odds.explain import MIN_LOG_ODDS
from model.odds.runtime import OddsModel
from model.odds.tables import Axis, PortableModel, PortableTable, portable_model
from model.plan.decide import SAFETY_FIRST
from model.plan.rules import load_rules
from model.quiz.definition import QUIZ, Question
from model.quiz.validation import BETWEEN_ANSWERS, EMPTY_RECORD, choice_reason, missing_reason, range_reasons

__all__ = [
    "DIALECTS",
    "PROBLEM_COLUMNS",
    "SCORE_COLUMNS",
    "Dialect",
    "dialect",
    "number",
    "score_query",
    "validation_query",
]

SCORE_COLUMNS = ("reversal_odds", "odds_low", "odds_high", "band", "top_factor_up", "top_factor_down")
PROBLEM_COLUMNS = ("problem_column", "problem")


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines, for the little SQL these queries use."""

    name: str
    quote: str  # around identifiers
    double: str  # the 64-bit floating-point type
    greatest: str  # the largest of several values (SQLite: max() with several arguments)
    least: str
    backslash: bool  # a backslash escapes in string literals (Spark), else a quote is doubled
    # each step computed once, not folded into the next: an engine that inlines a step writes out its
    # expressions wherever they are used, and the members' ranks use each probability 48 times
    materialized: str

    def ident(self, name: str) -> str:
        return f"{self.quote}{name.replace(self.quote, self.quote * 2)}{self.quote}"

    def text(self, value: str) -> str:
        if self.backslash:
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"

    def table(self, name: str) -> str:
        """A table name: each dotted part quoted (``warehouse.responses``), or as given when it
        already holds quotes or spaces."""
        if not name.strip():
            raise ValueError("the table name is empty")
        if any(c in name for c in "\"`[] "):
            return name
        return ".".join(self.ident(part) for part in name.split("."))


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect("duckdb", '"', "DOUBLE", "GREATEST", "LEAST", False, "MATERIALIZED "),
    "sqlite": Dialect("sqlite", '"', "REAL", "MAX", "MIN", False, "MATERIALIZED "),  # (SQLite 3.35 and later)
    "postgres": Dialect("postgres", '"', "DOUBLE PRECISION", "GREATEST", "LEAST", False, "MATERIALIZED "),
    # (Spark has no hint, and needs none: it does not merge steps that would repeat costly expressions)
    "spark": Dialect("spark", "`", "DOUBLE", "GREATEST", "LEAST", True, ""),
}


def dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {name!r}: expected one of {', '.join(DIALECTS)}") from None


def number(x: float) -> str:
    """A float as a literal every dialect reads back exactly, as a double (the shortest repr, with an
    exponent: DuckDB and Spark read ``0.5`` as a decimal, ``0.5e0`` as a double)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    text = repr(x + 0.0)  # (-0.0 is 0)
    return text if "e" in text else f"{text}e0"


# --------------------------------------------------------------------------- scoring


def score_query(model: OddsModel | None = None, *, dialect_name: str = "duckdb", table: str = "responses") -> str:
    """One ``SELECT`` that scores every row of ``table`` with ``model`` (default: the shipped one)."""
    if model is None:
        from model.odds.artifacts import load_model

        model = load_model()
    return _Scorer(dialect(dialect_name), portable_model(model), model.version, table).query()


class _Scorer:
    def __init__(self, d: Dialect, pm: PortableModel, version: str, table: str):
        self.d, self.pm, self.version, self.source = d, pm, version, d.table(table)
        self.on_axes = {a.question for t in pm.tables for a in t.axes}
        self.unread = [q for q in QUIZ if not q.is_numeric and q.id not in self.on_axes]
        self.placed: dict[tuple[str, tuple[int, ...]], tuple[str, str | None]] = {}
        for t in pm.tables:  # the columns that place each number between its table's points
            for axis in t.axes:
                if axis.points and (axis.question, axis.points) not in self.placed:
                    i = sum(q == axis.question for q, _ in self.placed)
                    names = (f"x_{axis.question}_{i}", None) if axis.dense else (
                        f"j_{axis.question}_{i}", f"t_{axis.question}_{i}")
                    self.placed[(axis.question, axis.points)] = names

    def col(self, alias: str, name: str) -> str:
        return f"{self.d.ident(alias)}.{self.d.ident(name)}"

    def query(self) -> str:
        d, pm = self.d, self.pm
        ctes = [self.values_cte(f"t{i + 1}", t) for i, t in enumerate(pm.tables)]
        ids = [d.ident(q.id) for q in QUIZ]
        ctes.append(f"{d.ident('answers')} AS (\n  SELECT DISTINCT {', '.join(ids)}\n  FROM {self.source}\n)")
        # each step carries on only what the next ones read: the answers (to join back), then its own
        m, factors = self.pm.n_members, [f"f_{q}" for q in self.pm.factors]
        probabilities = [f"p{i}" for i in range(m + 1)]
        codes = [f"c_{q.id}" for q in QUIZ if not q.is_numeric and q.id in self.on_axes]
        summed, joins = self.summed()
        ctes += [
            self.cte("coded", "answers", "a", self.carry("a"), self.coded()),
            self.cte("placed", "coded", "c", self.carry("c", [*codes, "usable"]), self.positions()),
            self.cte("summed", "placed", "p", self.carry("p", ["usable"]), summed, joins),
            self.cte("calibrated", "summed", "s", self.carry("s", factors), self.calibrated()),
            self.cte("ranked", "calibrated", "p", self.carry("p", probabilities + factors), self.ranks()),
            self.cte("picked", "ranked", "r", self.carry("r", probabilities[: 1 if m >= 2 else None] + factors),
                     self.picks()),
            self.cte("scored", "picked", "k", [f"{self.key(q, 'k')} AS {d.ident(q.id)}" for q in QUIZ], self.scored()),
        ]
        on = "\n  AND ".join(self.same(q) for q in QUIZ)
        outputs = ", ".join(self.col("r", c) for c in SCORE_COLUMNS)
        return (
            self.header()
            + "WITH\n"
            + ",\n".join(ctes)
            + f"\nSELECT {d.ident('s')}.*, {outputs}\nFROM {self.source} AS {d.ident('s')}\n"
            + f"LEFT JOIN {d.ident('scored')} AS {d.ident('r')}\n  ON {on}\n"
        )

    def header(self) -> str:
        lines = [
            f"exodds model {self.version}, as one {self.d.name} query (exodds export-sql).",
            f"Reads {self.source}: one column per quiz question ({', '.join(QUIZ.ids)}),",
            "clean and typed: whole numbers, choices by their values, days_blocked null when not blocked,",
            "safety_concern null for prefer_not_to_say.",
            f"Returns every input column plus {', '.join(SCORE_COLUMNS)},",
            "as `exodds score` writes them (no top factor: null).",
            "Does not validate (answers out of range or not a choice score null; the rules between answers",
            "are not checked): run `exodds export-sql --validation` and keep the rows whose problem is null.",
            "Does not read dates or plan (stage, earliest_contact): use `exodds score` for those.",
        ]
        return "".join(f"-- {line}\n" for line in lines)

    def carry(self, alias: str, keep: tuple[str, ...] | list[str] = ()) -> list[str]:
        """The answers (to join back to the rows) and ``keep``, from the step before."""
        return [self.col(alias, c) for c in [*QUIZ.ids, *keep]]

    def cte(self, name: str, source: str, alias: str, carried: list[str], columns: list[str],
            joins: list[str] | None = None) -> str:
        d = self.d
        body = ",\n    ".join([*carried, *columns])
        tail = "".join(f"\n  {j}" for j in joins or [])
        head = f"{d.ident(name)} AS {d.materialized}(\n  SELECT\n    {body}"
        return f"{head}\n  FROM {d.ident(source)} AS {d.ident(alias)}{tail}\n)"

    def values_cte(self, name: str, t: PortableTable) -> str:
        d = self.d
        columns = ", ".join(d.ident(c) for c in ("k", *t.values))
        rows = []
        for k, row in enumerate(t.rows):
            cells = [number(v) for v in row]
            if k == 0:  # (the first row sets each column's type: a double, in every dialect)
                cells = [f"CAST({c} AS {d.double})" for c in cells]
            rows.append(f"({k}, {', '.join(cells)})")
        return f"{d.ident(name)} ({columns}) AS (\n  VALUES\n    " + ",\n    ".join(rows) + "\n)"

    # -- answers to positions ------------------------------------------------------------------
    def coded(self) -> list[str]:
        d, out = self.d, []
        for q in QUIZ:
            if q.id not in self.on_axes:
                continue
            src = self.col("a", q.id)
            if q.is_numeric:
                valid = f"CASE WHEN {_whole(src, q)} THEN {src} END"
                if q.ask_if:  # not asked: no days, as scoring reads a blank follow-up
                    valid = f"CASE WHEN {src} IS NULL THEN 0 WHEN {_whole(src, q)} THEN {src} END"
                out.append(f"{valid} AS {d.ident('n_' + q.id)}")
            else:
                whens = " ".join(f"WHEN {d.text(v)} THEN {i}" for i, v in enumerate(q.values))
                out.append(f"CASE {src} {whens} END AS {d.ident('c_' + q.id)}")
        # a choice no table reads (safety_concern) must still be one: the row scores null otherwise
        checks = []
        for q in self.unread:
            src = self.col("a", q.id)
            listed = f"{src} IN ({', '.join(d.text(v) for v in q.values)})"
            checks.append(listed if q.required else f"({src} IS NULL OR {listed})")
        out.append(f"CASE WHEN {' AND '.join(checks) or '1 = 1'} THEN 1 END AS {d.ident('usable')}")
        return out

    def positions(self) -> list[str]:
        d, out = self.d, []
        for (qid, points), (pos, weight) in self.placed.items():
            n = self.col("c", "n_" + qid)
            cap = points[-1]
            if weight is None:
                out.append(f"CASE WHEN {n} > {cap} THEN {cap} ELSE {n} END AS {d.ident(pos)}")
                continue
            last = len(points) - 2
            segs = " ".join(f"WHEN {n} < {points[i + 1]} THEN {i}" for i in range(last))
            out.append(f"CASE WHEN {n} IS NULL THEN NULL {segs} ELSE {last} END AS {d.ident(pos)}")
            parts = []
            for i in range(last):
                lo, hi = points[i], points[i + 1]
                along = "0e0" if hi - lo == 1 else f"CAST({n} - {lo} AS {d.double}) / {hi - lo}"
                parts.append(f"WHEN {n} < {hi} THEN {along}")
            lo, hi = points[last], points[last + 1]
            top = f"CAST(CASE WHEN {n} > {hi} THEN {hi} ELSE {n} END - {lo} AS {d.double}) / {hi - lo}"
            out.append(f"CASE WHEN {n} IS NULL THEN NULL {' '.join(parts)} ELSE {top} END AS {d.ident(weight)}")
        return out

    def position(self, axis: Axis, upper: bool) -> str:
        if axis.choices:
            return self.col("p", "c_" + axis.question)
        pos = self.placed[(axis.question, axis.points)][0]
        return f"({self.col('p', pos)} + 1)" if upper else self.col("p", pos)

    # -- the tables' sums ---------------------------------------------------------------------
    def summed(self) -> tuple[list[str], list[str]]:
        """The values, each the sum of its tables' entries, and the joins that look the entries up."""
        d, pm = self.d, self.pm
        joins: list[str] = []
        terms: dict[str, list[str]] = {v: [] for v in pm.value_names}
        for i, t in enumerate(pm.tables):
            name = f"t{i + 1}"
            sparse = [k for k, a in enumerate(t.axes) if a.points and not a.dense]
            for corner in range(1 << len(sparse)):
                alias = name if not sparse else f"{name}_{corner}"
                upper = {k for b, k in enumerate(sparse) if corner >> b & 1}
                key = "0"  # the row: the axes' positions in mixed radix
                for k, axis in enumerate(t.axes):
                    pos = self.position(axis, k in upper)
                    key = pos if k == 0 else f"{key if k == 1 else f'({key})'} * {axis.size} + {pos}"
                joins.append(f"LEFT JOIN {d.ident(name)} AS {d.ident(alias)} ON {self.col(alias, 'k')} = {key}")
                weights = []
                for b, k in enumerate(sparse):
                    weight = self.placed[(t.axes[k].question, t.axes[k].points)][1]
                    assert weight is not None  # (an axis read between points, not dense, has its weight)
                    t_col = self.col("p", weight)
                    weights.append(t_col if corner >> b & 1 else f"(1e0 - {t_col})")
                for v in t.values:
                    terms[v].append(" * ".join([self.col(alias, v), *weights]))
        columns = []
        for j, v in enumerate(pm.value_names):
            parts = terms[v]
            if j < len(pm.intercepts):
                parts = [number(pm.intercepts[j]), *parts]
            columns.append(f"{' + '.join(parts) or '0e0'} AS {d.ident(_value(v, pm))}")
        return columns, joins

    # -- odds, range, band, factors -----------------------------------------------------------
    def calibrated(self) -> list[str]:
        d = self.d
        p = [_probability(self.col("s", f"z{i}"), cal, d) for i, cal in enumerate(self.pm.calibrations)]
        p[0] = f"CASE WHEN {self.col('s', 'usable')} = 1 THEN {p[0]} END"  # (null odds: null range, band, factors)
        return [f"{e} AS {d.ident(f'p{i}')}" for i, e in enumerate(p)]

    def ranks(self) -> list[str]:
        m = self.pm.n_members
        if m < 2:
            return []
        out = []
        for i in range(1, m + 1):
            p_i = self.col("p", f"p{i}")
            # members before i that tie with it rank below it: a stable order, as a sort gives
            cases = [
                f"CASE WHEN {self.col('p', f'p{j}')} {'<=' if j < i else '<'} {p_i} THEN 1 ELSE 0 END"
                for j in range(1, m + 1) if j != i
            ]
            out.append(f"{' + '.join(cases)} AS {self.d.ident(f'r{i}')}")
        return out

    def needed(self) -> list[tuple[int, int, float]]:
        """Per percentile: the ranks of the two members it lies between, and how far (as ``np.percentile``)."""
        m = self.pm.n_members
        out = []
        for q in PERCENTILES:
            pos = (m - 1) * q / 100.0
            k = int(np.floor(pos))
            out.append((k, min(k + 1, m - 1), pos - k))
        return out

    def picks(self) -> list[str]:
        d, pm, out = self.d, self.pm, []
        if pm.n_members >= 2:
            for k in sorted({k for lo, hi, _ in self.needed() for k in (lo, hi)}):
                members = range(1, pm.n_members + 1)
                whens = " ".join(f"WHEN {self.col('r', f'r{i}')} = {k} THEN {self.col('r', f'p{i}')}" for i in members)
                out.append(f"CASE {whens} END AS {d.ident(f'o{k}')}")
        factors = [self.col("r", "f_" + q) for q in pm.factors]
        if len(factors) == 1:
            out += [f"{factors[0]} AS {d.ident('fmax')}", f"{factors[0]} AS {d.ident('fmin')}"]
        elif factors:
            out += [f"{d.greatest}({', '.join(factors)}) AS {d.ident('fmax')}",
                    f"{d.least}({', '.join(factors)}) AS {d.ident('fmin')}"]
        return out

    def scored(self) -> list[str]:
        d, pm = self.d, self.pm
        p0 = self.col("k", "p0")
        if pm.n_members >= 2:
            ends = []
            for lo, hi, frac in self.needed():
                a, b = self.col("k", f"o{lo}"), self.col("k", f"o{hi}")
                ends.append(f"{a} + {number(frac)} * ({b} - {a})")
        else:
            one = self.col("k", "p1" if pm.n_members == 1 else "p0")
            ends = [one, one]
        low, high = ends
        rules = load_rules()
        edges = np.round(np.asarray(rules.band_edges, dtype=np.float64) * 100)
        whens = []
        for label, edge in reversed(list(zip(rules.band_labels[1:], edges, strict=True))):
            # the band of the whole percentage shown, rounded half to even as numpy rounds
            op = ">=" if int(edge) % 2 == 0 else ">"
            whens.append(f"WHEN {p0} * 100 {op} {number(edge - 0.5)} THEN {d.text(label)}")
        band = f"CASE WHEN {p0} IS NULL THEN NULL {' '.join(whens)} ELSE {d.text(rules.band_labels[0])} END"
        qid, answers = SAFETY_FIRST
        safety = f"{self.col('k', qid)} IN ({', '.join(d.text(a) for a in answers)})"
        return [
            f"{p0} AS {d.ident('reversal_odds')}",
            f"CASE WHEN {low} < {p0} THEN {low} ELSE {p0} END AS {d.ident('odds_low')}",
            f"CASE WHEN {high} > {p0} THEN {high} ELSE {p0} END AS {d.ident('odds_high')}",
            f"{band} AS {d.ident('band')}",
            f"{self.factor(True, safety)} AS {d.ident('top_factor_up')}",
            f"{self.factor(False, safety)} AS {d.ident('top_factor_down')}",
        ]

    def factor(self, raising: bool, safety: str) -> str:
        d, pm = self.d, self.pm
        if not pm.factors:
            return "CAST(NULL AS VARCHAR(1))" if d.name != "spark" else "CAST(NULL AS STRING)"
        best = self.col("k", "fmax" if raising else "fmin")
        small = f"{best} < {number(MIN_LOG_ODDS)}" if raising else f"{best} > {number(-MIN_LOG_ODDS)}"
        # ties go to the question first in quiz order, as ``top_factors`` and ``score_batch`` pick
        whens = " ".join(f"WHEN {self.col('k', 'f_' + q)} = {best} THEN {d.text(q)}" for q in pm.factors)
        return f"CASE WHEN {self.col('k', 'p0')} IS NULL OR {safety} OR {small} THEN NULL {whens} END"

    def key(self, q: Question, alias: str) -> str:
        """An answer as the join back to the rows reads it: a blank follow-up or optional answer as a
        value no answer takes, so that it matches (null never equals null)."""
        if q.required and not q.ask_if:
            return self.col(alias, q.id)
        return f"COALESCE({self.col(alias, q.id)}, {'-1' if q.is_numeric else self.d.text('')})"

    def same(self, q: Question) -> str:
        # the scored side holds the keys as plain columns, so every engine can index or hash them
        return f"{self.key(q, 's')} = {self.col('r', q.id)}"


def _value(name: str, pm: PortableModel) -> str:
    """The column a value sums into: ``z0``.. for log-odds, ``f_<question>`` for a contribution."""
    return name if name in pm.value_names[: len(pm.intercepts)] else f"f_{name}"


def _whole(src: str, q: Question) -> str:
    return f"{src} = FLOOR({src}) AND {src} >= {q.min} AND {src} <= {q.max}"


def _probability(z: str, cal: Calibration, d: Dialect) -> str:
    """The calibrated probability for log-odds ``z`` (``Calibration.logit``, then the logistic function)."""
    if cal.kind == "isotonic":  # np.interp, clipped as Calibration.logit clips it
        x, y = np.asarray(cal.x, dtype=np.float64), np.asarray(cal.y, dtype=np.float64)
        whens = [f"WHEN {z} <= {number(x[0])} THEN {number(y[0])}"]
        for i in range(len(x) - 1):
            if x[i + 1] == x[i]:
                continue
            slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
            along = f"{number(y[i])} + ({z} - {number(x[i])}) * {number(slope)}"
            whens.append(f"WHEN {z} < {number(x[i + 1])} THEN {along}")
        p = f"CASE {' '.join(whens)} ELSE {number(y[-1])} END"
        return (f"CASE WHEN {p} < 1e-06 THEN 1e-06 WHEN {p} > {number(1 - 1e-6)} THEN {number(1 - 1e-6)} "
                f"ELSE {p} END")
    logit = z if (cal.slope, cal.offset) == (1.0, 0.0) else f"{number(cal.slope)} * {z} + {number(cal.offset)}"
    return f"0.5e0 * (1e0 + TANH(0.5e0 * ({logit})))"


# --------------------------------------------------------------------------- validation


def validation_query(*, dialect_name: str = "duckdb", table: str = "responses") -> str:
    """One ``SELECT`` that returns every row of ``table`` with its first problem (``problem_column``,
    ``problem``; both null for a valid row), as ``validate_frame`` words and orders them, for clean,
    typed answers (it does not read choices in other spellings, dates or form exports)."""
    d = dialect(dialect_name)
    source = d.table(table)

    def col(qid: str) -> str:
        return f"{d.ident('s')}.{d.ident(qid)}"

    def valid(qid: str) -> str:  # a number that passed its own checks (rules between answers read only those)
        return f"CASE WHEN {_whole(col(qid), QUIZ[qid])} THEN {col(qid)} END"

    since, silent = valid("days_since_breakup"), valid("days_silent")
    week, ignored = valid("attempts_last_week"), valid("attempts_ignored")
    rules = {
        "silent_longer_than_breakup": f"{silent} > {since}",
        "days_blocked_while_not_blocked": f"{col('blocked')} = {d.text('no')} AND {valid('days_blocked')} IS NOT NULL",
        "block_longer_than_breakup": f"{valid('days_blocked')} > {since}",
        "contact_this_week_but_silent": f"{week} > 0 AND {silent} >= 7",
        "no_contact_this_week_but_recent": f"{week} = 0 AND {silent} < 7",
        "never_replied_but_fewer_ignored": (
            f"{col('last_reply_tone')} = {d.text('never_replied')} AND {week} > {ignored} AND {since} >= 7"
        ),
    }
    if set(rules) != set(BETWEEN_ANSWERS):  # a rule added to validation must be added here too
        raise AssertionError(f"rules between answers: {sorted(set(rules) ^ set(BETWEEN_ANSWERS))}")
    checks: list[tuple[str, str, str]] = [
        (" AND ".join(f"{col(q.id)} IS NULL" for q in QUIZ), *EMPTY_RECORD),
    ]
    for q in QUIZ:
        c = col(q.id)
        if q.is_numeric:
            not_whole, below, above = range_reasons(q)
            checks += [(f"{c} <> FLOOR({c})", q.id, not_whole), (f"{c} < {q.min}", q.id, below),
                       (f"{c} > {q.max}", q.id, above)]
        else:
            checks.append((f"{c} NOT IN ({', '.join(d.text(v) for v in q.values)})", q.id, choice_reason(q)))
        if q.required:
            asked = "".join(
                f" AND {col(key)} IN ({', '.join(d.text(v) for v in allowed)})" for key, allowed in q.ask_if.items()
            )
            checks.append((f"{c} IS NULL{asked}", q.id, missing_reason(q)))
        checks += [(rules[rule], column, why) for rule, (column, why) in BETWEEN_ANSWERS.items() if column == q.id]
    column = "".join(f"\n    WHEN {cond}\n      THEN {d.text(name)}" for cond, name, _ in checks)
    reason = "".join(f"\n    WHEN {cond}\n      THEN {d.text(why)}" for cond, _, why in checks)
    header = "".join(
        f"-- {line}\n"
        for line in (
            f"exodds validation checks, as one {d.name} query (exodds export-sql --validation).",
            f"Reads {source} (the columns the scoring query reads) and returns every input column plus",
            "problem_column and problem: the first problem of the row, as `exodds validate` words it, or null.",
            "Answers must be typed: whole numbers, choices by their exact values (no dates, labels or spellings).",
        )
    )
    return (
        f"{header}SELECT\n  {d.ident('s')}.*,\n  CASE{column}\n  END AS {d.ident('problem_column')},\n"
        f"  CASE{reason}\n  END AS {d.ident('problem')}\nFROM {source} AS {d.ident('s')}\n"
    )
