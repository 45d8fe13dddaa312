"""The model as one JSON document: its tables, calibrations, range rule, bands, factor rule and card,
so that a few lines of any language can score (the README shows 20 lines of plain Python).

Why JSON and these tables: ``weights.npz`` needs numpy and the basis to be read; this document
needs neither. It holds the model's own tables (``model.odds.tables``), which already are the
basis times the weights, so a scorer only looks up and adds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.odds.calibration import PERCENTILES
from model.odds.explain import MIN_LOG_ODDS
from model.odds.runtime import OddsModel
from model.odds.tables import portable_model
from model.plan.decide import SAFETY_FIRST
from model.plan.rules import load_rules

__all__ = ["FORMAT", "FORMAT_VERSION", "model_document"]

FORMAT = "exodds-model-tables"
FORMAT_VERSION = 1

HOW_TO_SCORE = [
    "Answers are clean: whole numbers, choices by their values; a follow-up not asked (days_blocked) is 0.",
    "z = intercepts. For each table, each axis reads one answer as a number x: a choice as its index in "
    "choices, a number clipped to [0, points[-1]]. It lies between two points: i with points[i] <= x < "
    "points[i+1] (the last segment for the last point), at t = (x - points[i]) / (points[i+1] - points[i]), "
    "so positions i and i+1 weigh 1-t and t. A row is a position per axis, in mixed radix (the last axis "
    "varies fastest, len(points) values each), weighing the product of their weights; add weight * "
    "rows[row][k] to z[k] for the first len(intercepts) values: the log-odds of the model (z0) and of each "
    "member.",
    "p[k] = 1 / (1 + exp(-(slope * z[k] + offset))) with calibrations[k] (isotonic: p = y interpolated at z "
    "over x, clipped to [1e-6, 1 - 1e-6]).",
    "reversal_odds = p[0]. Range: the percentiles of the members' p (linear between order statistics, as "
    "numpy.percentile), widened to include reversal_odds.",
    "Band: of round(100 * reversal_odds) (half to even), the last label whose edge it reaches.",
    "Factors: the other values of a row are each question's contribution (summed like z); the top factor up is "
    "the question with the largest, if at least min_log_odds (ties: the first listed), down the smallest, if at "
    "most -min_log_odds; none when an answer in none_when is given.",
]


def model_document(model: OddsModel) -> dict[str, Any]:
    """The JSON document ``exodds export-model --format json`` writes (plain lists, numbers and text)."""
    pm = portable_model(model)
    rules = load_rules()
    n_odds = len(pm.intercepts)
    z_names = list(pm.value_names[:n_odds])
    tables = []
    for t in pm.tables:
        # every table lists every log-odds value first (0 where it adds nothing), then its own contributions
        own = [v for v in t.values if v not in z_names]
        rows = np.zeros((len(t.rows), n_odds + len(own)))
        for j, v in enumerate(t.values):
            rows[:, z_names.index(v) if v in z_names else n_odds + own.index(v)] = t.rows[:, j]
        # a choice is read as a number, its position in the list, with a point at every position
        axes = [
            {"question": a.question, "choices": list(a.choices), "points": list(range(a.size))} if a.choices
            else {"question": a.question, "points": list(a.points)}
            for a in t.axes
        ]
        tables.append({"axes": axes, "values": [*z_names, *own], "rows": rows.tolist()})
    calibrations = []
    for c in pm.calibrations:
        entry: dict[str, Any] = {"kind": c.kind}
        if c.kind == "isotonic":
            entry.update(x=np.asarray(c.x).tolist(), y=np.asarray(c.y).tolist())
        else:
            entry.update(slope=float(c.slope), offset=float(c.offset))
        calibrations.append(entry)
    qid, answers = SAFETY_FIRST
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": model.version,
        "how_to_score": HOW_TO_SCORE,
        "intercepts": pm.intercepts.tolist(),
        "calibrations": calibrations,
        "percentiles": list(PERCENTILES),
        "tables": tables,
        "factors": {"questions": list(pm.factors), "min_log_odds": MIN_LOG_ODDS, "none_when": {qid: list(answers)}},
        "bands": {
            "labels": list(rules.band_labels),
            "edges_percent": [int(e) for e in np.round(np.asarray(rules.band_edges) * 100)],
        },
        "card": model.card,
    }
