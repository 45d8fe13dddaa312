"""The portable tables: the lookup tables split into tables over fewer questions and thinned to the
points where they bend, read back exactly (the model's, and a model of random weights)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model.errors import ConfigError
from model.odds import lookup
from model.odds.artifacts import load_model
from model.odds.basis import TERMS
from model.odds.lookup import lookup_indices, lookup_sum, random_clean
from model.odds.tables import TOLERANCE, portable_model, read
from model.quiz.definition import QUIZ


def codes(clean) -> dict[str, np.ndarray]:
    return {
        q.id: clean[q.id].to_numpy(dtype=np.int64, na_value=0) if q.is_numeric else clean[q.id].cat.codes.to_numpy()
        for q in QUIZ
    }


def check(model) -> None:
    pm = portable_model(model)
    parts = model.scoring_tables()
    clean = random_clean(20_000, np.random.default_rng(7))  # answers across and beyond every cap
    exact = lookup_sum(parts.lookups, lookup_indices(parts.lookups, clean))
    got = read(pm, codes(clean))
    width = 1 + parts.n_members
    np.testing.assert_allclose(got[:, :width], exact[:, :width], rtol=0, atol=TOLERANCE)
    for j, q in enumerate(pm.factors):  # contributions as explanations show them
        k = parts.questions.index(q)
        want = (exact[:, width + k] - parts.reference[k]) * parts.scale
        np.testing.assert_allclose(got[:, width + j], want, rtol=0, atol=TOLERANCE, err_msg=q)


def test_the_shipped_models_tables_read_back_exactly_in_a_fraction_of_the_rows():
    model = load_model()
    check(model)
    pm = portable_model(model)
    rows = sum(len(t.rows) for t in pm.tables)
    assert rows < 1000 < sum(len(lk.table) for lk in model.scoring_tables().lookups) // 10
    # the seven choices of the last lookup group act in small groups only, never all together
    assert max(len(t.axes) for t in pm.tables) <= 3
    assert {a.question for t in pm.tables for a in t.axes} | {"safety_concern"} == set(QUIZ.ids)
    assert pm.factors == tuple(q for q in QUIZ.ids if q in {t.owner for t in TERMS})  # the questions explained
    silent = next(a for t in pm.tables for a in t.axes if a.question == "days_silent")
    assert silent.points[:4] == (0, 2, 4, 7) and not silent.dense  # the basis' knots, found in the table


def test_a_model_of_any_weights_reads_back_exactly():
    rng = np.random.default_rng(3)
    model = load_model()
    model = replace(
        model,
        pipeline=None,
        coef=rng.normal(size=model.coef.shape),
        member_coef=rng.normal(size=model.member_coef.shape),
        reference=rng.random(model.reference.shape),
    )
    check(model)


def test_tables_that_no_longer_describe_the_basis_are_refused(monkeypatch):
    monkeypatch.setattr(lookup, "LOOKUP_GROUPS", lookup.LOOKUP_GROUPS[:-1])
    model = replace(load_model(), pipeline=None)
    with pytest.warns(RuntimeWarning), pytest.raises(ConfigError, match="LOOKUP_GROUPS"):
        portable_model(model)
