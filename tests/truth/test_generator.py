"""The synthetic generator: sourced assumptions, valid correlated answers, the guide's claims in p_true."""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model.cli import main
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.truth.generator import (
    OUTCOME_COLUMNS,
    SAMPLE_COMMAND,
    TERMS,
    Assumptions,
    assumption_values,
    assumptions_hash,
    data_dictionary,
    generate,
    load_assumptions,
    logit_terms,
    render_readme,
    sample_assumptions,
    solved_intercept,
    true_logit,
    true_probability,
    write_synthetic,
)

REPO = Path(__file__).resolve().parents[2]
A = load_assumptions()
P = A.defaults()
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    """20,000 generated answer rows: the 'everything else' that each claim is held against."""
    return generate(20_000, seed=5)[list(QUIZ.ids)]


@pytest.fixture(scope="module")
def base_terms(base: pd.DataFrame) -> pd.DataFrame:
    return logit_terms(base)


@pytest.fixture(scope="module")
def drawn() -> pd.DataFrame:
    """Rows drawn with every assumption at its reviewed value, to compare answer overrides with."""
    return generate(10_000, seed=1)


def logit(frame: pd.DataFrame, **overrides: float) -> np.ndarray:
    return true_logit(frame, overrides or None)


def with_(frame: pd.DataFrame, **changes: Any) -> pd.DataFrame:
    """A copy with some answers changed, checked to still be a valid answer set."""
    out = frame.copy()
    for k, v in changes.items():
        if k == "days_blocked":
            values = np.broadcast_to(v, len(out)) if v is not None else [pd.NA] * len(out)
            out[k] = pd.array(values, dtype="Int64")
        else:
            out[k] = v
    result = validate_frame(out, as_of=AS_OF)
    assert result.n_rejected == 0, result.problem_list()[:3]
    return out


def clean_row(answers: dict[str, Any], **changes: Any) -> pd.DataFrame:
    """One hypothesis answer set with changes, through validation (the path real answers take)."""
    return variants(answers, changes)


def variants(answers: dict[str, Any], *changes: dict[str, Any]) -> pd.DataFrame:
    """One row per set of changes to a hypothesis answer set, validated together in one frame."""
    rows = []
    for change in changes:
        row = {**answers, **change}
        if row.get("blocked") == "no":
            row["days_blocked"] = None
        rows.append(row)
    result = validate_frame(pd.DataFrame(rows, dtype=object), as_of=AS_OF)
    assert result.n_rejected == 0, result.problem_list()
    return result.clean


def p_of(answers: dict[str, Any], *changes: dict[str, Any], **overrides: float) -> np.ndarray:
    return true_probability(variants(answers, *changes), overrides or None)


def hopeless(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(
        (frame["anger"] == "furious") & (frame["wronged_them"] == "yes") & (frame["blocked"] == "everywhere")
    )


# ------------------------------------------------------------------------------------------------
# The assumptions file
# ------------------------------------------------------------------------------------------------


def _article_lines() -> list[str]:
    path = (REPO / QUIZ.source_file).resolve()
    if not path.exists():
        pytest.skip(f"the guide is not on this machine ({path})")
    text = path.read_text(encoding="utf-8")
    return text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').splitlines()


def test_every_assumption_has_range_source_and_meaning():
    assert len(A) > 30
    for name, a in A.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert a.low <= a.value <= a.high and a.low < a.high, name
        assert a.meaning and a.source, name
        assert (
            a.source.startswith("our assumption")
            or "../shared/reference/base-rates.md" in a.source
            or re.match(r"line \d+: '", a.source)
        ), (name, a.source)
    assert A["overall_reconciliation_rate"].value == pytest.approx(0.29)
    assert "base-rates.md" in A["overall_reconciliation_rate"].source


def test_quoted_sources_are_on_the_cited_article_lines():
    lines = _article_lines()
    cited = 0
    for name, a in A.items():
        for part in a.source.split("; "):
            m = re.search(r"line (\d+): '(.*)'", part)
            if not m:
                continue
            n, quote = int(m.group(1)), m.group(2)
            for piece in quote.split("…"):
                assert piece.strip() in lines[n - 1], (name, n, piece)
            cited += 1
    assert cited >= 25


def test_assumptions_are_read_only_and_name_their_mistakes():
    assert isinstance(A, Assumptions)
    with pytest.raises(TypeError):
        A["block_some_harm"] = None  # type: ignore[index]
    with pytest.raises(KeyError, match=r"valid names: .*block_some_harm"):
        A["blocking_harm"]
    assert set(A.names(group="answers")) | set(A.names(group="effects")) | set(A.names(group="shapes")) | set(
        A.names(group="target")
    ) == set(A)


def test_a_broken_assumptions_file_is_refused(tmp_path):
    good = (REPO / "model" / "truth" / "assumptions.toml").read_text(encoding="utf-8")
    bad = good.replace("value = 0.29\nlow = 0.20", "value = 0.19\nlow = 0.20", 1)
    path = tmp_path / "a.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError, match=r"overall_reconciliation_rate.*low <= value <= high"):
        load_assumptions(path)
    path.write_text(good.replace('unit = "days"', 'unit = "weeks"', 1), encoding="utf-8")
    with pytest.raises(ValueError, match="unit 'weeks'"):
        load_assumptions(path)
    assert load_assumptions(REPO / "model" / "truth" / "assumptions.toml").defaults() == P


def test_overrides_are_checked_by_name_and_unit_but_may_leave_the_plausible_range():
    with pytest.raises(ValueError, match=r"unknown assumption 'blocking_harm'; valid names: .*block_"):
        generate(10, overrides={"blocking_harm": 1.0})
    with pytest.raises(ValueError, match="block_half_life_days = 0 is impossible"):
        assumption_values({"block_half_life_days": 0})
    with pytest.raises(ValueError, match=r"hopeless_ceiling = 1\.5 is impossible"):
        assumption_values({"hopeless_ceiling": 1.5})
    with pytest.raises(ValueError, match="not a finite number"):
        assumption_values({"block_some_harm": float("nan")})
    what_if = assumption_values({"block_some_harm": 5.0})  # far above the plausible 1.0: allowed
    assert what_if["block_some_harm"] == 5.0 and what_if["bad_blood_harm"] == P["bad_blood_harm"]


def test_assumptions_hash_is_canonical():
    h = assumptions_hash(P)
    assert h == assumptions_hash(dict(reversed(list(P.items()))))
    assert h == assumptions_hash({k: int(v) if v == int(v) else v for k, v in P.items()})
    assert h != assumptions_hash({**P, "block_some_harm": P["block_some_harm"] + 1e-9})
    assert assumptions_hash({"b": 2, "a": 1.5}) == hashlib.sha256(b'{"a":1.5,"b":2.0}').hexdigest()


def test_sample_assumptions_draws_claims_in_range_and_keeps_answers_fixed():
    draws = [sample_assumptions(np.random.default_rng(s)) for s in range(30)]
    assert draws[0] == sample_assumptions(np.random.default_rng(0))
    assert len({assumptions_hash(d) for d in draws}) == 30
    for d in draws:
        assert set(d) == set(A)
        for name, a in A.items():
            if a.group == "answers":
                assert d[name] == a.value
            else:
                assert a.low <= d[name] <= a.high
    for name in A.names(group="effects"):
        values = np.array([d[name] for d in draws])
        assert values.std() > 0, name


# ------------------------------------------------------------------------------------------------
# Generated rows
# ------------------------------------------------------------------------------------------------


def test_same_seed_same_frame_other_seed_other_frame():
    a = generate(3_000, seed=7)
    pd.testing.assert_frame_equal(a, generate(3_000, seed=7))
    assert not a.equals(generate(3_000, seed=8))


def test_columns_and_types_are_what_a_csv_reader_gives(tmp_path):
    df = generate(5_000, seed=3)
    assert list(df.columns) == [*QUIZ.ids, *OUTCOME_COLUMNS]
    for q in QUIZ:
        if q.is_numeric:
            assert df[q.id].dtype == ("Int64" if q.ask_if else np.int64), q.id
        else:
            assert pd.api.types.is_string_dtype(df[q.id].dtype), q.id
            assert set(df[q.id].unique()) == set(q.values), q.id  # every choice occurs
    assert df["days_blocked"].isna().equals(df["blocked"] == "no")
    assert df["reconciled"].dtype == np.int64 and set(df["reconciled"].unique()) == {0, 1}
    assert df["p_true"].dtype == np.float64 and df["p_true"].between(0, 1, inclusive="neither").all()
    path = write_synthetic(df, tmp_path / "x.csv")
    back = pd.read_csv(path, dtype={"days_blocked": "Int64"})
    pd.testing.assert_frame_equal(back, df)  # every value, p_true to the last bit


def test_every_row_passes_the_quiz_validation():
    df = generate(100_000, seed=11)
    result = validate_frame(df[list(QUIZ.ids)], as_of=AS_OF)
    assert result.n_rejected == 0, result.problem_list()[:5]


@pytest.mark.parametrize("end", ["low", "high"])
def test_rows_stay_valid_at_the_ends_of_the_answer_ranges(end):
    overrides = {n: getattr(A[n], end) for n in A.names(group="answers")}
    df = generate(20_000, seed=12, overrides=overrides)
    assert validate_frame(df[list(QUIZ.ids)], as_of=AS_OF).n_rejected == 0


def test_p_true_is_the_truth_of_the_answers_however_they_arrive(base):
    df = generate(20_000, seed=5)
    assert np.array_equal(true_probability(df), df["p_true"].to_numpy())
    clean = validate_frame(df[list(QUIZ.ids)], as_of=AS_OF).clean
    np.testing.assert_allclose(true_probability(clean), df["p_true"], rtol=0, atol=1e-15)
    terms = logit_terms(base)
    assert list(terms.columns) == list(TERMS)
    np.testing.assert_allclose(terms.sum(axis=1), true_logit(base), atol=1e-12)


def test_answers_that_are_not_clean_are_refused(base):
    with pytest.raises(ValueError, match=r"blocked: values Yes.* expected one of no, some, everywhere"):
        true_logit(base.head(3).assign(blocked="Yes"))
    with pytest.raises(ValueError, match="lack the quiz columns anger"):
        true_logit(base.drop(columns="anger"))


def test_answers_are_realistic_and_correlated():
    df = generate(200_000, seed=2)
    since, silent = df["days_since_breakup"], df["days_silent"]
    assert 21 <= since.median() <= 90 and (since > 365).mean() > 0.02  # weeks to months, some long
    assert (silent <= since).all() and (silent == since).mean() < 0.3  # some never made contact
    told = df["told_no_contact"] == "yes"
    ignored = df["attempts_ignored"]
    assert ignored.max() >= 30 and ignored.quantile(0.99) > 3 * ignored.mean()  # heavy tail
    assert ignored[told].mean() > 1.3 * ignored[~told].mean()
    blocked = df["blocked"] != "no"
    assert blocked[told].mean() > 2 * blocked[~told].mean()
    assert df["emotional_messages"][told].mean() > df["emotional_messages"][~told].mean()
    anger = df["anger"].map({v: i for i, v in enumerate(QUIZ["anger"].values)})
    wronged = df["wronged_them"] == "yes"
    assert anger[wronged].mean() > anger[~wronged].mean() + 0.5
    assert (df["apologized"] == "yes")[wronged].mean() > 2 * (df["apologized"] == "yes")[~wronged].mean()
    cold = df["last_reply_tone"] == "cold"
    assert cold[anger == 3].mean() > 3 * cold[anger == 0].mean()
    assert ((df["attempts_last_week"] > 0) == (silent < 7)).all()  # contact this week means an attempt
    shares = df["safety_concern"].value_counts(normalize=True)
    assert 0.03 < shares["yes"] < 0.15 and 0.05 < shares["prefer_not_to_say"] < 0.3
    p = df["p_true"]
    assert p.std() > 0.1 and (p < 0.01).mean() < 0.1 and p.max() < 0.95  # neither all 0 nor all 1


def test_overall_rate_lands_near_the_base_rate():
    df = generate(200_000, seed=1)
    assert 0.25 <= df["reconciled"].mean() <= 0.33
    assert df["p_true"].mean() == pytest.approx(0.29, abs=0.005)


def test_the_rate_follows_drawn_assumptions():
    for s in range(3):
        draw = sample_assumptions(np.random.default_rng(100 + s))
        df = generate(40_000, seed=s, overrides=draw)
        assert df["p_true"].mean() == pytest.approx(draw["overall_reconciliation_rate"], abs=0.01)


# ------------------------------------------------------------------------------------------------
# The guide's claims, each with everything else held equal
# ------------------------------------------------------------------------------------------------


def quiet(frame: pd.DataFrame, days: int, since: int = 0) -> pd.DataFrame:
    """The rows as if the last contact was ``days`` ago, the breakup at least ``since`` days ago."""
    since_ = np.maximum(frame["days_since_breakup"], max(days, since))
    week = 0 if days >= 7 else 1
    never = frame["last_reply_tone"] == "never_replied"  # then this week's contact went unanswered too
    ignored = np.where(never, np.maximum(frame["attempts_ignored"], week), frame["attempts_ignored"])
    return with_(frame, days_since_breakup=since_, days_silent=days, attempts_last_week=week, attempts_ignored=ignored)


def test_ignored_attempts_neutral_up_to_the_threshold_then_diminishing_harm(base):
    calm = quiet(base, 10)
    curve = np.stack([logit(with_(calm, attempts_ignored=k)) for k in range(0, 12)])
    assert np.allclose(curve[0], curve[1]) and np.allclose(curve[1], curve[2])  # 2 ignored: neutral
    steps = -np.diff(curve, axis=0)[2:]  # harm of each further attempt from 2 -> 3 on
    ok = ~hopeless(calm)
    assert (steps[:, ok] > 0).all()
    assert (np.diff(steps[:, ok], axis=0) < 0).all()  # diminishing
    assert (curve[6] <= curve[3]).all()


@PROPS
@given(valid_answer_sets())
def test_six_ignored_attempts_never_beat_three(answers):
    assume(answers["last_reply_tone"] != "never_replied" or answers["attempts_last_week"] <= 3)
    three, six = p_of(answers, {"attempts_ignored": 3}, {"attempts_ignored": 6})
    assert six <= three


def test_unanswered_attempts_this_week_hurt_and_fade_with_space(base):
    busy = with_(base, attempts_ignored=np.maximum(base["attempts_ignored"], 5))
    harm = {}
    for d in (0, 3, 6):
        rows = with_(busy, days_silent=np.minimum(d, busy["days_since_breakup"]), attempts_last_week=1)
        one = logit(with_(rows, attempts_last_week=1))
        four = logit(with_(rows, attempts_last_week=4))
        assert (four <= one).all()
        harm[d] = (one - four)[busy["days_since_breakup"].to_numpy() >= 6]
    assert (harm[0] > harm[3]).all() and (harm[3] > harm[6]).all() and (harm[6] > 0).all()
    assert harm[0].mean() > 0.5  # big enough to matter, and to be learned


def test_silence_builds_to_about_30_days_then_flattens_and_very_long_silence_declines(base):
    not_told = with_(base, told_no_contact="no")
    ok = ~hopeless(base)  # rows held at the hopeless ceiling do not move at all
    at = {d: logit(quiet(not_told, d, since=1000))[ok] for d in (0, 7, 14, 30, 60, 100, 1000)}
    assert (at[7] > at[0]).all() and (at[14] > at[7]).all() and (at[30] > at[14]).all()
    assert (at[60] >= at[30]).all() and np.max(at[60] - at[30]) < 0.2 * np.min(at[30] - at[7])
    assert np.allclose(at[100], at[60], atol=0.01)
    assert (at[1000] < at[60] - 0.3).all()


@PROPS
@given(valid_answer_sets(), st.integers(0, 36500))
def test_a_block_never_helps_and_everywhere_is_worse_than_some(answers, days):
    since = max(answers["days_since_breakup"], days)
    levels = QUIZ["blocked"].values
    p = dict(
        zip(
            levels,
            p_of(answers, *({"days_since_breakup": since, "blocked": b, "days_blocked": days} for b in levels)),
            strict=True,
        )
    )
    assert p["everywhere"] <= p["some"] < p["no"]


def test_block_harm_fades_with_days_since_the_block_but_stays(base):
    rows = with_(base, days_since_breakup=np.maximum(base["days_since_breakup"], 120))
    unblocked = logit(with_(rows, blocked="no", days_blocked=None))
    capped = with_(rows, blocked="everywhere", days_blocked=0)
    ok = ~hopeless(capped)  # furious and wronged rows blocked everywhere may sit at the ceiling
    for level in ("some", "everywhere"):
        fresh, week, months = (logit(with_(rows, blocked=level, days_blocked=d))[ok] for d in (0, 14, 120))
        assert (fresh < week).all() and (week < months).all() and (months < unblocked[ok]).all()
    some = logit(with_(rows, blocked="some", days_blocked=0))
    everywhere = logit(capped)
    assert (everywhere < some).all()


def test_reaching_out_within_weeks_of_a_request_to_stop_is_strongly_harmful(base):
    told, not_told = with_(base, told_no_contact="yes"), with_(base, told_no_contact="no")
    later = logit(quiet(told, 60, since=60))
    rest = later - logit(quiet(not_told, 60, since=60))
    for d_soon in (0, 14, 27):
        soon = logit(quiet(told, d_soon, since=60))
        gap = (later - soon)[~hopeless(base)]
        assert (gap > 1.0).all()  # much lower when the request was not respected
    assert (rest[~hopeless(base)] < -0.2).all()  # the request weighs even after it is respected


@PROPS
@given(valid_answer_sets())
def test_a_request_to_stop_never_raises_the_odds(answers):
    told, not_told = p_of(answers, {"told_no_contact": "yes"}, {"told_no_contact": "no"})
    assert told <= not_told


@PROPS
@given(valid_answer_sets())
def test_each_step_of_anger_lowers_the_odds(answers):
    p = p_of(answers, *({"anger": v} for v in QUIZ["anger"].values))
    capped = answers["wronged_them"] == "yes" and answers["blocked"] == "everywhere"
    assert p[0] > p[1] > p[2] >= p[3]  # strict up to angry; furious may meet the ceiling
    assert capped or p[2] > p[3]


@PROPS
@given(valid_answer_sets(), st.integers(0, 36500))
def test_furious_wronged_and_blocked_everywhere_is_near_hopeless(answers, days):
    since = max(answers["days_since_breakup"], days)
    row = clean_row(
        answers, days_since_breakup=since, anger="furious", wronged_them="yes", blocked="everywhere", days_blocked=days
    )
    assert true_probability(row)[0] <= P["hopeless_ceiling"] + 1e-12
    generous = {k: A[k].high for k in A.names(group="effects") if "boost" in k or k == "hopeless_ceiling"}
    assert true_probability(row, generous)[0] <= A["hopeless_ceiling"].high + 1e-12


def test_the_hopeless_case_holds_under_drawn_assumptions(base):
    rows = with_(
        base, anger="furious", wronged_them="yes", blocked="everywhere", days_blocked=base["days_blocked"].fillna(0)
    )
    for s in range(5):
        draw = sample_assumptions(np.random.default_rng(s))
        assert (true_probability(rows, draw) <= draw["hopeless_ceiling"] + 1e-12).all()


def test_a_sincere_apology_softens_the_wronged_case_only(base):
    wronged = with_(base, wronged_them="yes")
    sorry, not_sorry = logit(with_(wronged, apologized="yes")), logit(with_(wronged, apologized="no"))
    assert (sorry >= not_sorry).all() and (sorry > not_sorry)[~hopeless(wronged)].all()
    innocent = with_(base, wronged_them="no")
    assert np.array_equal(logit(with_(innocent, apologized="yes")), logit(with_(innocent, apologized="no")))
    assert (sorry < logit(innocent)).all()  # softened, not undone


def test_reply_tone_positive_over_neutral_over_cold(base):
    # never replied: every attempt this week is unanswered too (more of them can only lower the odds)
    unanswered = np.maximum(base["attempts_ignored"], base["attempts_last_week"])
    extra = {"never_replied": {"attempts_ignored": unanswered}}
    tone = {v: logit(with_(base, last_reply_tone=v, **extra.get(v, {}))) for v in QUIZ["last_reply_tone"].values}
    ok = ~hopeless(base)
    assert (tone["positive"] >= tone["neutral"]).all() and (tone["neutral"] >= tone["cold"]).all()
    assert (tone["positive"] > tone["neutral"])[ok].all() and (tone["neutral"] > tone["cold"])[ok].all()
    assert (tone["never_replied"] < tone["neutral"])[ok].all()


def test_an_ex_who_reached_out_is_a_strong_sign(base):
    yes, no = logit(with_(base, ex_reached_out="yes")), logit(with_(base, ex_reached_out="no"))
    assert (yes >= no).all() and ((yes - no)[~hopeless(base)] > 0.5).all()


@PROPS
@given(valid_answer_sets(), st.integers(0, 200))
def test_emotional_messages_never_help(answers, more):
    n = answers["emotional_messages"]
    fewer, more_ = p_of(answers, {"emotional_messages": n}, {"emotional_messages": min(n + more, 10_000)})
    assert more_ <= fewer


def test_the_first_emotional_message_costs_most(base):
    curve = np.stack([logit(with_(base, emotional_messages=k)) for k in range(4)])
    steps = -np.diff(curve, axis=0)[:, ~hopeless(base)]
    assert (steps > 0).all() and (steps[0] > steps[1]).all() and (steps[1] > steps[2]).all()


@PROPS
@given(valid_answer_sets())
def test_bad_blood_never_helps(answers):
    drama, calm = p_of(answers, {"bad_blood": "yes"}, {"bad_blood": "no"})
    assert drama <= calm


def test_safety_concern_changes_nothing(base):
    ref = logit(base)
    for v in QUIZ["safety_concern"].values:
        assert np.array_equal(logit(with_(base, safety_concern=v)), ref)
    assert np.array_equal(logit(base.drop(columns="safety_concern")), ref)


# ------------------------------------------------------------------------------------------------
# Overrides change exactly the effect they name
# ------------------------------------------------------------------------------------------------


def _changed_value(name: str) -> float:
    a = A[name]
    if name == "hopeless_ceiling":
        return 0.001  # the default ceiling never binds: the harms already lie below it
    return a.high if a.value != a.high else a.low


@pytest.mark.parametrize("name", [n for n in A if A[n].group != "answers"])
def test_an_override_moves_only_the_term_it_names(name, base, base_terms):
    before = base_terms
    after = logit_terms(base, {name: _changed_value(name)})
    term = A[name].term
    moved = [t for t in TERMS if not np.allclose(before[t], after[t], rtol=0, atol=1e-12)]
    allowed = {term, "intercept", "hopeless_ceiling"}
    assert term in moved and set(moved) <= allowed, moved
    # On the log-odds, rows the term leaves alone move only by the re-solved intercept.
    shift = after["intercept"].iloc[0] - before["intercept"].iloc[0]
    diff = true_logit(base, {name: _changed_value(name)}) - before.sum(axis=1).to_numpy()
    touched = ~np.isclose(before[term], after[term], rtol=0, atol=1e-12) | hopeless(base)
    assert np.allclose(diff[~touched], shift, rtol=0, atol=1e-9)
    assert not np.allclose(diff[touched], shift, rtol=0, atol=1e-9)
    assert term != "intercept" or after["intercept"].iloc[0] > before["intercept"].iloc[0]


@pytest.mark.parametrize("name", A.names(group="answers"))
def test_answer_assumptions_change_who_is_drawn_not_anyones_odds(name, base, base_terms, drawn):
    value = A[name].low
    assert not generate(10_000, seed=1, overrides={name: value}).equals(drawn)
    diff = true_logit(base, {name: value}) - base_terms.sum(axis=1).to_numpy()
    ok = ~hopeless(base)  # rows at the hopeless ceiling stay there
    shift = solved_intercept({name: value}) - solved_intercept()
    assert np.allclose(diff[ok], shift, rtol=0, atol=1e-9)  # only the intercept, re-solved
    if name.startswith("safety_"):
        assert shift == 0  # safety answers never enter the odds
    assert (true_probability(base[~ok], {name: value}) <= P["hopeless_ceiling"] + 1e-12).all()


# ------------------------------------------------------------------------------------------------
# Command line, committed sample and README
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "csv.gz", "parquet"])
def test_cli_writes_the_same_bytes_for_the_same_seed(ext, tmp_path, capsys):
    paths = [tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"]
    for path in paths:
        assert main(["synth", "--rows", "2000", "--seed", "9", "--out", str(path), "--set", "block_some_harm=0.9"]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"wrote 2000 rows to .*a\.{re.escape(ext)}: reconciled rate 0\.\d{{3}}, .*", out[0])
    expected = generate(2000, seed=9, overrides={"block_some_harm": 0.9})
    read = pd.read_parquet if ext == "parquet" else partial(pd.read_csv, dtype={"days_blocked": "Int64"})
    back = read(paths[0])
    pd.testing.assert_frame_equal(back, expected)
    assert not list(tmp_path.glob(".*.part"))  # atomic: no temporary file left
    if ext == "csv.gz":
        assert gzip.decompress(paths[0].read_bytes()).startswith(b"days_since_breakup,days_silent,")


def test_cli_refuses_bad_requests_clearly(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "x.csv"), "--set", "blocking_harm=1"]) == 1
    assert "unknown assumption 'blocking_harm'" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "x.csv"), "--set", "block_some_harm"]) == 1
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "x.txt")]) == 1
    assert ".csv, .csv.gz or .parquet" in capsys.readouterr().err
    assert main(["synth", "--rows", "10"]) == 2
    assert not list(tmp_path.iterdir())
    assert main(["synth", "--list"]) == 0
    assert "block_half_life_days = 10" in capsys.readouterr().out


def test_committed_sample_is_what_the_readme_command_makes(tmp_path):
    sample = REPO / "data" / "synthetic" / "sample.csv"
    assert SAMPLE_COMMAND in (REPO / "data" / "synthetic" / "README.md").read_text(encoding="utf-8")
    args = SAMPLE_COMMAND.split()[1:]
    args[args.index("--out") + 1] = str(tmp_path / "sample.csv")
    assert main(args) == 0
    assert (tmp_path / "sample.csv").read_bytes() == sample.read_bytes()


def test_committed_readme_matches_the_definitions():
    readme = (REPO / "data" / "synthetic" / "README.md").read_text(encoding="utf-8")
    assert readme == render_readme(), "regenerate: exodds synth --readme > data/synthetic/README.md"
    table = data_dictionary()
    for column in [*QUIZ.ids, *OUTCOME_COLUMNS]:
        assert f"| `{column}` |" in table
    for q in QUIZ:
        assert q.text in table
