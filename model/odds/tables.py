"""The model as a few small tables that any engine can read: a SQL query, a JSON file, a few lines
of any language.

Why apart from ``model.odds.lookup``: those tables are laid out for numpy (one gather per group of
questions, a row for every whole number up to a cap), about 13,700 rows of 41 numbers. Carried
into a query or a file, the same numbers fit in far fewer, by two exact steps:

- **split**: a group's table that is a sum of tables over fewer of its questions is split into
  them (the questions that never act together never share a table: seven choices of 768
  combinations become a few tables of 2 to 24 rows);
- **points**: along a number, a table is a straight line between its kinks (the basis is
  piecewise linear), so only the kinks are kept and an answer between two is read by linear
  interpolation (``Axis.points``).

Both are checked entry by entry against the lookup tables (``portable_model`` raises if any
entry differs by more than ``TOLERANCE``), and ``read`` reads the tables back the way a query or a
scorer does, for tests. The numbers are the model's: nothing here is restated by hand.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from model.errors import ConfigError
from model.odds.calibration import Calibration
from model.odds.runtime import OddsModel
from model.quiz.definition import QUIZ

__all__ = ["TOLERANCE", "Axis", "PortableModel", "PortableTable", "portable_model", "read"]

#: Largest difference allowed between a portable table, read back, and the lookup table it replaces
#: (log-odds; about 1e-12 of a percentage point on the odds).
TOLERANCE = 1e-10
_ZERO = 1e-12  # a part of a table smaller than this (times the table's size) is rounding, not an effect


@dataclass(frozen=True)
class Axis:
    """One question a table reads: a choice by its position in ``choices``; a number clipped to
    ``[0, points[-1]]`` and read between the two ``points`` around it, linearly."""

    question: str
    choices: tuple[str, ...] = ()
    points: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        return len(self.choices) or len(self.points)

    @property
    def dense(self) -> bool:
        """A number with a point at every whole number up to its cap: read by position, no interpolation."""
        return bool(self.points) and self.points == tuple(range(len(self.points)))


@dataclass(frozen=True)
class PortableTable:
    """A table over ``axes``: ``rows`` in mixed radix of the axes' positions (the last axis varies
    fastest), one column per name in ``values`` (a subset of the model's ``value_names``)."""

    axes: tuple[Axis, ...]
    values: tuple[str, ...]
    rows: np.ndarray  # (prod of the axes' sizes, len(values))


@dataclass(frozen=True)
class PortableModel:
    """Everything scoring needs, as plain numbers.

    Per answer set, each value in ``value_names`` is the sum over ``tables`` of the table's entry
    for the answers. ``z0`` is the main model's log-odds and ``z1``.. each member's (add
    ``intercepts``, then apply ``calibrations`` and the logistic function); a question's name is
    its contribution to the main model's log-odds as explanations show it (reference subtracted,
    calibration slope applied), for ``factors``.
    """

    value_names: tuple[str, ...]
    intercepts: np.ndarray  # one a log-odds value: z0, z1, ...
    calibrations: tuple[Calibration, ...]  # one a log-odds value
    factors: tuple[str, ...]  # questions with a contribution value, in quiz order
    tables: tuple[PortableTable, ...]

    @property
    def n_members(self) -> int:
        return len(self.intercepts) - 1


def portable_model(model: OddsModel) -> PortableModel:
    """The model's scoring tables, split and thinned to their points, checked against the originals."""
    for cal in (model.calibration, *model.member_calibration):
        if cal.link != "logit" or cal.kind not in ("none", "sigmoid", "isotonic"):
            raise ConfigError(
                f"this model's calibration (link {cal.link!r}, map {cal.kind!r}, chosen by exodds train --data) "
                "has no portable form: the SQL query and the JSON document carry the logit link with no map, a "
                "sigmoid or an isotonic map. Score it with exodds score, or train it again with --portable"
            )
    parts = model.scoring_tables()
    if parts is None:
        raise ConfigError(
            "the scoring tables (LOOKUP_GROUPS in model/odds/lookup.py) no longer describe the model's basis: "
            "update them before exporting the model"
        )
    width = 1 + parts.n_members
    z_names = [f"z{i}" for i in range(width)]
    owned = [any(np.any(lk.table[:, width + k] != 0) for lk in parts.lookups) for k in range(len(parts.questions))]
    factors = tuple(q for q, own in zip(parts.questions, owned, strict=True) if own)
    first_owner: dict[str, int] = {}
    tables: list[PortableTable] = []
    for g, lk in enumerate(parts.lookups):
        names, columns = list(z_names), [lk.table[:, i] for i in range(width)]
        for k, q in enumerate(parts.questions):
            share = lk.table[:, width + k]
            if q not in factors or not np.any(share != 0):
                continue
            # the reference is subtracted once, in the first table that holds the question
            offset = parts.reference[k] if first_owner.setdefault(q, g) == g else 0.0
            names.append(q)
            columns.append((share - offset) * parts.scale)
        full = np.column_stack(columns).reshape(*lk.sizes, len(names))
        axes = [
            Axis(q, choices=QUIZ[q].values) if cap is None else Axis(q, points=tuple(range(cap + 1)))
            for q, cap in zip(lk.questions, lk.caps, strict=True)
        ]
        tables.extend(_split(full, axes, names))
    return PortableModel(
        value_names=(*z_names, *factors),
        intercepts=np.array([model.intercept, *model.member_intercept], dtype=np.float64),
        calibrations=(model.calibration, *model.member_calibration),
        factors=factors,
        tables=tuple(tables),
    )


def _split(full: np.ndarray, axes: list[Axis], names: list[str]) -> list[PortableTable]:
    """``full`` (one axis a question, then the values) as a sum of tables over fewer questions,
    each thinned to its points along numbers; raises if the parts do not add up to ``full``."""
    d = len(axes)
    scale = max(1.0, float(np.abs(full).max()))
    parts: dict[int, np.ndarray] = {}
    for subset in range(1 << d):  # f_S: differences along S, the first position along the rest
        f = full
        for i in range(d):
            first = f.take([0], axis=i)
            f = f - first if subset >> i & 1 else first
        if subset == 0 or np.abs(f).max() > _ZERO * scale:
            parts[subset] = f
    largest = [s for s in parts if not any(t != s and t & s == s for t in parts)]
    largest.sort(key=lambda s: [i for i in range(d) if s >> i & 1])
    summed: dict[int, np.ndarray] = {}
    for s, f in parts.items():
        home = next(m for m in largest if m & s == s)
        summed[home] = f if home not in summed else summed[home] + f
    out = []
    total = np.zeros_like(full)
    for m in largest:
        keep = [i for i in range(d) if m >> i & 1]
        table = np.broadcast_to(summed[m], [full.shape[i] if i in keep else 1 for i in range(d)] + [len(names)])
        total = total + table
        table = table.reshape([full.shape[i] for i in keep] + [len(names)])
        sub_axes = [axes[i] for i in keep]
        used = [j for j in range(len(names)) if np.abs(table[..., j]).max() > _ZERO * scale]
        if not used:
            continue
        table = table[..., used]
        sub_axes, table = _thin(sub_axes, table, scale)
        out.append(PortableTable(tuple(sub_axes), tuple(names[j] for j in used), table.reshape(-1, len(used)).copy()))
    err = float(np.abs(total - full).max())
    if err > TOLERANCE:  # pragma: no cover (a basis this split cannot describe)
        raise AssertionError(f"the split tables differ from the lookup table by {err}")
    return out


def _thin(axes: list[Axis], table: np.ndarray, scale: float) -> tuple[list[Axis], np.ndarray]:
    """Keep, along each number, only the points where the table bends (and both ends)."""
    thinned, out = list(axes), table
    for i, axis in enumerate(axes):
        if not axis.points or axis.size < 3:
            continue
        bend = np.abs(np.diff(table, n=2, axis=i)).max(axis=tuple(a for a in range(table.ndim) if a != i))
        points = (0, *(int(x) + 1 for x in np.flatnonzero(bend > _ZERO * scale)), axis.size - 1)
        thinned[i] = Axis(axis.question, points=points)
        out = out.take(list(points), axis=i)
    back = _widen(thinned, out, axes)
    if np.abs(back - table).max() > TOLERANCE:  # not linear between the kinks: keep every point
        return list(axes), table
    return thinned, out


def _widen(thinned: list[Axis], table: np.ndarray, full: list[Axis]) -> np.ndarray:
    """A thinned table read back at every whole number of its axes (linear between points)."""
    for i, (axis, wide) in enumerate(zip(thinned, full, strict=True)):
        if axis.choices or axis.points == wide.points:
            continue
        lo, t = _place(np.arange(wide.size), axis.points)
        a, b = table.take(lo, axis=i), table.take(lo + 1, axis=i)
        shape = [1] * table.ndim
        shape[i] = len(t)
        t = t.reshape(shape)
        table = a * (1 - t) + b * t
    return table


def _place(x: np.ndarray, points: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The segment of each (clipped) number between ``points``, and how far along it (0 to 1)."""
    p = np.asarray(points, dtype=np.float64)
    x = np.clip(np.asarray(x, dtype=np.float64), 0, p[-1])
    lo = np.clip(np.searchsorted(p, x, side="right") - 1, 0, len(p) - 2)
    return lo, (x - p[lo]) / (p[lo + 1] - p[lo])


def read(portable: PortableModel, answers: dict[str, np.ndarray]) -> np.ndarray:
    """Each value for answer codes and numbers (``answers``: a choice's position, a number; one array a
    question), the way a query or a scorer reads the tables: (rows, values), intercepts not added."""
    n = len(next(iter(answers.values())))
    out = np.zeros((n, len(portable.value_names)))
    where = {name: j for j, name in enumerate(portable.value_names)}
    for table in portable.tables:
        steps = []
        for axis in table.axes:
            x = np.asarray(answers[axis.question])
            if axis.choices or axis.dense:
                pos = x if axis.choices else np.clip(x, 0, axis.size - 1)
                steps.append([(pos.astype(np.intp), np.ones(n))])
            else:
                lo, t = _place(x, axis.points)
                steps.append([(lo, 1 - t), (lo + 1, t)])
        cols = [where[v] for v in table.values]
        for corner in itertools.product(*steps):
            row = np.zeros(n, dtype=np.intp)
            weight = np.ones(n)
            for axis, (pos, w) in zip(table.axes, corner, strict=True):
                row = row * axis.size + pos
                weight = weight * w
            out[:, cols] += weight[:, None] * table.rows[row]
    return out
