"""The advice rules: each wait, stage and boundary on fixed dates, the rules file, and properties."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import model.advice as advice_module
from model.advice import PLANS, Plan, make_plan, plan_frame
from model.quiz import QUIZ
from model.rules import WAIT_REASONS, _parse_rules, band, band_meaning, bands, load_rules
from model.validation import AnswersError, clean_record, validate_answers, validate_frame

REPO = Path(__file__).resolve().parents[1]
RULES_FILE = REPO / "model" / "advice_rules.toml"
RULES = load_rules()
WAIT = RULES.wait
THRESHOLD = RULES.threshold

# Words that would point to a way around a block or a request to stop.
CIRCUMVENTION = (
    "friend",
    "new account",
    "another account",
    "fake",
    "show up",
    "turn up",
    "in person",
    "mutual",
)

# A quiet, calm answer set: 40 days without contact, nothing ignored, not blocked, safety "no".
BASE: dict[str, Any] = {
    "days_since_breakup": 90,
    "days_silent": 40,
    "attempts_ignored": 0,
    "attempts_last_week": 0,
    "blocked": "no",
    "told_no_contact": "no",
    "anger": "none",
    "wronged_them": "no",
    "apologized": "no",
    "bad_blood": "no",
    "last_reply_tone": "neutral",
    "ex_reached_out": "no",
    "emotional_messages": 0,
    "safety_concern": "no",
}


def settle(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers(**changes: Any) -> dict[str, Any]:
    return validate_answers({**BASE, **changes}, AS_OF)


def plan(odds: float | None = None, **changes: Any) -> Plan:
    return make_plan(answers(**changes), AS_OF, odds=odds)


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def later(days: int) -> dt.date:
    return AS_OF + dt.timedelta(days=days)


def text(p: Plan, *fields: str) -> str:
    return "\n".join(s for f in fields for s in getattr(p, f)).lower()


def user_text(p: Plan) -> str:
    """Every sentence a reader sees."""
    return text(p, "reasons", "do", "dont", "boundaries", "warnings", "message_guidance", "support")


# --------------------------------------------------------------------------------------------
# The rules file
# --------------------------------------------------------------------------------------------


def _article_lines() -> list[str]:
    path = (REPO / QUIZ.source_file).resolve()
    if not path.exists():
        pytest.skip(f"the guide is not on this machine ({path})")
    return path.read_text(encoding="utf-8").replace("\u2019", "'").splitlines()


def _cited_quotes() -> list[tuple[str, int, str]]:
    """(where, line, quote) for every 'line N: "quote"' in the rules file, sources and meanings alike."""
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    found = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
        elif isinstance(node, str):
            for m in re.finditer(r"line (\d+)\D{0,6}\"([^\"]+)\"", node):
                found.append((where, int(m.group(1)), m.group(2)))

    walk(raw, "")
    return found


def test_rules_file_quotes_are_on_the_cited_article_lines():
    lines = _article_lines()
    cited = _cited_quotes()
    assert len(cited) >= 20
    for where, line, quote in cited:
        assert quote in lines[line - 1], (where, line, quote)


def test_every_number_has_a_value_a_source_and_a_meaning():
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    entries = [*raw["waits"].values(), *raw["thresholds"].values(), raw["base_rate"]]
    assert len(entries) == len(WAIT_REASONS) - 1 + 6 + 1
    for e in entries:
        assert isinstance(e["value"], int | float) and e["value"] >= 0
        assert re.match(r"(line \d+|base-rates\.md|our assumption)", e["source"]), e["source"]
        assert len(e["meaning"]) > 20
    for b in raw["bands"]:
        assert b["source"].startswith("our assumption") and b["meaning"]


def test_rules_file_carries_the_numbers_the_brief_names():
    assert THRESHOLD("told_to_stop_days") == 42  # upper end of line 124's 4 to 6 weeks (a variable, no date)
    assert "told_to_stop" not in RULES.waits  # after a request to stop the plan gives no date at all
    assert WAIT("blocked") == 30 and WAIT("no_contact_30") == 30
    assert WAIT("pressing") == WAIT("ignored") == 14
    assert WAIT("after_positive_reply") == 7
    assert 1 <= WAIT("rebuild_spacing") < WAIT("after_positive_reply")
    assert RULES.waits["blocked"].counted_from == "block"
    assert RULES.base_rate.value == 0.29


def test_the_rules_file_says_why_we_never_use_mutual_friends():
    dev = RULES.deviations["mutual_friends"]
    assert dev["source"].startswith("line 130")
    assert "never suggest" in dev["what_we_do"].lower()
    assert "stalking" in dev["why"]


def test_table_lists_every_number_with_its_source():
    rows = RULES.table()
    names = [r[0] for r in rows]
    assert "thresholds.told_to_stop_days" in names and "thresholds.harassment_last_week" in names
    assert len(names) == len(set(names))
    assert all(src for _, _, src in rows)
    assert [r[0] for r in rows if r[0].startswith("bands.")] == [f"bands.{b}" for b in RULES.band_labels]
    assert dict((r[0], r[1]) for r in rows)["bands.well above typical"] == "from 0.55"
    assert dict((r[0], r[1]) for r in rows)["stayed_together"] == 0.15  # the report's figure lives here too


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        (("waits", "angry"), {"source": "the internet"}, "waits.angry.source"),
        (("waits", "blocked"), {"value": -1}, "waits.blocked.value = -1"),
        (("waits", "blocked"), {"from": "breakup"}, "waits.blocked.from = 'breakup'"),
        (("thresholds", "many_ignored"), {"value": "four"}, "thresholds.many_ignored.value = 'four'"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_entry(path, change, message):
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw[path[0]][path[1]].update(change)
    with pytest.raises(ValueError, match=re.escape(message)):
        _parse_rules(raw)


def test_stayed_together_must_be_rarer_than_getting_back_together():
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw["stayed_together"]["value"] = 0.4
    with pytest.raises(ValueError, match=r"stayed_together \(0.4\) must be below base_rate \(0.29\)"):
        _parse_rules(raw)


def test_band_ends_must_rise():
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw["bands"][1]["below"] = 0.05
    with pytest.raises(ValueError, match="must rise strictly"):
        _parse_rules(raw)


# --------------------------------------------------------------------------------------------
# Bands
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "label"),
    [
        (0.0, "very low"),
        (0.0949, "very low"),
        (0.0999, "low"),  # shown as 10%: the band of what is shown
        (0.10, "low"),
        (0.3749, "about typical"),
        (0.3751, "better than typical"),  # 38%
        (0.19, "low"),
        (0.29, "about typical"),
        (0.38, "better than typical"),
        (0.55, "well above typical"),
        (1.0, "well above typical"),
    ],
)
def test_band_words(p, label):
    assert band(p) == label


def test_the_base_rate_is_about_typical_and_no_band_promises_anything():
    assert band(RULES.base_rate.value) == "about typical"
    for label in RULES.band_labels:
        assert not re.search(r"likely|sure|guarantee|certain|high|good chance", label)
        assert "3 in 10" in band_meaning(label)


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf")])
def test_band_refuses_a_value_that_is_not_a_probability(bad):
    with pytest.raises(ValueError, match="probabilities from 0 to 1"):
        band(bad)
    with pytest.raises(ValueError, match="1 value"):
        bands(np.array([0.2, bad, 0.3]))


@settle(60)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_bands_are_monotone_and_match_band(ps):
    ps = np.sort(np.array(ps))
    labels = bands(ps)
    rank = [RULES.band_labels.index(lab) for lab in labels]
    assert rank == sorted(rank)
    assert list(labels) == [band(p) for p in ps]


# --------------------------------------------------------------------------------------------
# Each rule on fixed dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("silent", [0, 10, 38, 50, 400])
@pytest.mark.parametrize("ignored", [0, 1, 6])
def test_told_to_stop_gives_no_date_however_long_the_silence(silent, ignored):
    """A request to stop is theirs to lift: no date, no countdown and no message tips, at any silence
    (the guide's 4 to 6 weeks is a variable of the model, not a date: deviations.request_to_stop)."""
    p = plan(told_no_contact="yes", days_silent=silent, days_since_breakup=max(silent, 40), attempts_ignored=ignored)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "wait", None, "told_to_stop")
    assert p.message_guidance == []
    assert "no day for a message" in text(p, "reasons") and "until they lift it" in text(p, "reasons")
    b = text(p, "boundaries")
    assert "their wishes come first" in b and "no date to count down to" in b
    assert "after the wait" not in b and "send one" not in text(p, "do", "boundaries")
    assert "answer briefly and kindly" in text(p, "do")
    assert not re.search(r"\d{4}", text(p, "reasons", "do", "boundaries"))  # no date anywhere


def test_told_to_stop_and_blocked_names_both_and_still_gives_no_date():
    p = plan(told_no_contact="yes", blocked="some", days_blocked=20, days_silent=60)
    assert (p.stage, p.earliest_contact, p.wait_reason) == (1, None, "told_to_stop")
    assert "asked you to stop and blocked you" in text(p, "boundaries")
    assert "also blocked you" in text(p, "reasons")
    assert "no contact of any kind while any block stands" in text(p, "boundaries")


def test_blocked_waits_30_days_from_the_block_only_if_they_unblock():
    p = plan(blocked="some", days_blocked=5, days_silent=5)
    assert p.earliest_contact == ago(5) + dt.timedelta(days=30)
    assert (p.stage, p.plan, p.wait_reason) == (1, "wait", "blocked")
    b = text(p, "boundaries")
    assert "their wishes come first" in b
    assert "no contact of any kind while any block stands" in b
    assert "don't send a second" in b
    assert "only if they have unblocked you" in text(p, "reasons")
    assert "if they unblock you" in text(p, "do")


def test_a_block_that_stands_past_30_days_keeps_the_plan_at_giving_space():
    p = plan(blocked="everywhere", days_blocked=45, days_silent=45)
    assert (p.stage, p.plan, p.earliest_contact) == (1, "wait", AS_OF)
    assert p.message_guidance == []
    assert "no way to reach them" in text(p, "boundaries")
    assert "waiting is the only move" in text(p, "boundaries")  # still blocked, so still waiting


def test_the_longest_wait_binds_when_several_apply():
    p = plan(anger="angry", blocked="some", days_blocked=2, days_silent=3)
    assert (p.earliest_contact, p.wait_reason) == (ago(2) + dt.timedelta(days=30), "blocked")  # after 3 + 21
    q = plan(anger="angry", blocked="some", days_blocked=40, days_silent=41)
    assert (q.earliest_contact, q.wait_reason) == (AS_OF, "blocked")  # both over: the block listed first


def test_contact_after_a_block_starts_its_wait_again():
    """Getting around a block must not shorten its wait: the 30 days count from the last contact."""
    p = plan(blocked="some", days_blocked=30, days_silent=2, attempts_ignored=1)
    assert (p.earliest_contact, p.wait_reason) == (ago(2) + dt.timedelta(days=30), "blocked")
    assert "you were in touch with them after that" in text(p, "reasons")
    assert "getting around it" in text(p, "warnings")
    theirs = plan(blocked="some", days_blocked=30, days_silent=2, ex_reached_out="yes")
    assert theirs.earliest_contact == p.earliest_contact  # whoever started it, the block stands
    assert "even if they got in touch first, the block still stands" in text(theirs, "reasons")
    fresh = plan(blocked="some", days_blocked=2, days_silent=30, days_since_breakup=60)
    assert fresh.earliest_contact == ago(2) + dt.timedelta(days=30)  # contact before the block: from the block
    assert "after that" not in text(fresh, "reasons")


def test_safety_concern_gives_no_reconciliation_plan_but_support():
    p = plan(safety_concern="yes", told_no_contact="yes", days_silent=3, last_reply_tone="positive")
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (0, "safety", None, "none")
    assert p.message_guidance == []
    support = text(p, "support")
    assert "emergency" in support and "helpline" in support and "someone you trust" in support
    assert not re.search(r"\d|http|www\.|@", support)  # no invented numbers or addresses
    assert "violence" in text(p, "reasons") and "Halpern-Meekin" in p.sources[0]
    steps = text(p, "do")
    assert not re.search(r"send|message|reach out|text them|earliest", steps)
    assert "their wishes come first" in text(p, "boundaries")  # they also asked to stop


def test_prefer_not_to_say_keeps_the_plan_with_a_gentle_support_note():
    p = plan(safety_concern="prefer_not_to_say")
    assert (p.stage, p.plan) == (3, "reopen")
    assert len(p.support) == 1 and "helpline" in p.support[0]
    assert plan().support == []


@pytest.mark.parametrize("apologized", ["yes", "no"])
def test_furious_wronged_and_blocked_everywhere_is_about_moving_on(apologized):
    p = plan(
        anger="furious",
        wronged_them="yes",
        blocked="everywhere",
        days_blocked=10,
        days_silent=10,
        apologized=apologized,
    )
    assert (p.stage, p.plan, p.earliest_contact) == (1, "move_on", None)
    assert "moving on" in p.stage_name.lower()
    assert p.message_guidance == []
    steps = text(p, "do")
    if apologized == "no":
        assert "even an apology is contact" in steps and "don't send one" in steps
    else:
        assert "already apologised" in steps
    assert "their wishes come first" in text(p, "boundaries")
    assert "send one message after the wait" not in text(p, "boundaries")  # there is no wait to end


def test_blocked_on_some_apps_only_is_not_the_move_on_case():
    p = plan(anger="furious", wronged_them="yes", blocked="some", days_blocked=10, days_silent=10)
    assert p.plan == "wait" and p.earliest_contact == ago(10) + dt.timedelta(days=30)


def test_pressing_waits_at_least_14_days_from_the_last_attempt():
    p = plan(attempts_last_week=2, attempts_ignored=2, days_silent=1)
    assert p.earliest_contact == ago(1) + dt.timedelta(days=14)
    assert p.wait_reason == "pressing"
    assert "harassment" not in text(p, "warnings")


def test_plan_words_follow_the_waits_in_the_rules_file(monkeypatch):
    """The text says the rules' numbers: with every wait 3 days longer, no plan says "two weeks"."""
    raw = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    for rule in raw["waits"].values():
        rule["value"] += 3
    longer = _parse_rules(raw)
    monkeypatch.setattr(advice_module, "load_rules", lambda: longer)
    p = plan(attempts_ignored=THRESHOLD("ignored_min"), days_silent=3)
    assert (p.earliest_contact, p.wait_reason) == (later(14), "ignored")
    assert "leave 17 days: until" in text(p, "reasons")
    cases = [
        {"attempts_ignored": 2, "days_silent": 3},
        {"attempts_last_week": 2, "attempts_ignored": 2, "days_silent": 1},
        {"last_reply_tone": "cold", "days_silent": 2},
        {"last_reply_tone": "positive", "days_silent": 2},
        {"days_silent": 40},
        {"ex_reached_out": "yes", "last_reply_tone": "positive", "days_silent": 1},
        {"anger": "angry", "attempts_ignored": 5, "days_silent": 2, "attempts_last_week": 1},
    ]
    fixed = re.compile(r"\b(?<!past )(a|one|two|three|four) weeks?\b|\bfew days\b|\b30 days\b")
    for case in cases:
        p = plan(**case)
        assert not fixed.search(user_text(p)), (case, fixed.search(user_text(p)), user_text(p))


def test_ignored_attempts_wait_14_days():
    p = plan(attempts_ignored=THRESHOLD("ignored_min"), days_silent=3)
    assert (p.earliest_contact, p.wait_reason, p.stage) == (later(11), "ignored", 1)
    one = plan(attempts_ignored=THRESHOLD("ignored_min") - 1, days_silent=3)
    assert (one.earliest_contact, one.wait_reason) == (later(4), "recent_contact")


def test_many_ignored_attempts_wait_longer_and_put_their_wishes_first():
    p = plan(attempts_ignored=THRESHOLD("many_ignored"), days_silent=3)
    assert (p.earliest_contact, p.wait_reason) == (ago(3) + dt.timedelta(days=21), "many_ignored")
    assert "their wishes come first" in text(p, "warnings")


@pytest.mark.parametrize(
    ("change", "days", "reason"),
    [
        ({"anger": "angry"}, 21, "angry"),
        ({"anger": "furious"}, 21, "angry"),
        ({"anger": "annoyed"}, 14, "cold"),
        ({"last_reply_tone": "cold"}, 14, "cold"),
    ],
)
def test_anger_and_a_cold_reply_wait_longer(change, days, reason):
    p = plan(days_silent=3, **change)
    assert (p.earliest_contact, p.wait_reason) == (ago(3) + dt.timedelta(days=days), reason)


def test_a_week_after_any_contact_and_a_short_wait_left_after_ignored_is_stage_2():
    p = plan(days_silent=2)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "wait", later(5), "recent_contact")
    q = plan(days_silent=10, attempts_ignored=2)  # 14-day wait, 4 days left
    assert (q.stage, q.plan, q.earliest_contact) == (2, "reopen", later(4))


def test_thirty_days_of_no_contact_and_nothing_else_means_one_message_now():
    p = plan()
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (3, "reopen", AS_OF, "no_contact_30")
    g = text(p, "message_guidance")
    assert "one or two sentences" in g
    assert "not a call" in g
    assert "hey, what's up" in g and "skip" in g
    assert "honest about why you are writing" in g and "no made-up errand" in g and "easy to answer" in g
    assert "real reason" not in g and "question about something they know" not in g  # the guide's pretext tactic
    assert "one short message" in text(p, "do")


def test_a_positive_ongoing_exchange_is_rebuilding_a_few_days_apart():
    p = plan(last_reply_tone="positive", days_silent=1, ex_reached_out="yes")
    assert (p.stage, p.plan, p.wait_reason) == (4, "rebuild", "rebuild_spacing")
    assert p.earliest_contact == ago(1) + dt.timedelta(days=WAIT("rebuild_spacing"))
    assert "before they reply" in text(p, "dont")
    assert p.message_guidance == []


def test_a_positive_reply_long_ago_reopens_instead_of_rebuilding():
    p = plan(last_reply_tone="positive", days_silent=THRESHOLD("rebuild_recent_days") + 6)
    assert (p.stage, p.wait_reason, p.earliest_contact) == (3, "after_positive_reply", AS_OF)
    q = plan(last_reply_tone="positive", days_silent=3)
    assert (q.stage, q.earliest_contact) == (4, AS_OF)


@pytest.mark.parametrize(
    "change",
    [
        {"told_no_contact": "yes"},
        {"blocked": "some", "days_blocked": 1},
        {"attempts_ignored": 1},
        {"anger": "angry"},
    ],
)
def test_pressure_or_ignored_messages_rule_out_rebuilding(change):
    p = plan(last_reply_tone="positive", days_silent=1, ex_reached_out="yes", **change)
    assert p.stage != 4


def test_many_attempts_last_week_warn_of_harassment():
    n = THRESHOLD("harassment_last_week")
    p = plan(attempts_last_week=n, days_silent=0, last_reply_tone="positive", ex_reached_out="yes")
    w = text(p, "warnings")
    assert "harassment" in w and "stop now" in w and f"{n} times" in w
    assert "their wishes come first" in w
    assert p.stage == 1 and p.earliest_contact == later(WAIT("pressing"))
    below = plan(attempts_last_week=n - 1, days_silent=0)
    assert "harassment" not in text(below, "warnings")


def test_emotional_messages_get_a_warning():
    assert "2 emotional or late-night messages" in text(plan(emotional_messages=2), "warnings")
    assert plan().warnings == []


def test_every_plan_states_the_no_way_around_boundary():
    for p in (plan(), plan(safety_concern="yes"), plan(told_no_contact="yes", days_silent=1)):
        assert any("never try to get around a block" in b.lower() for b in p.boundaries)


def test_plan_to_dict_is_json_with_iso_dates():
    p = plan(odds=0.31, anger="angry", days_silent=10)
    d = json.loads(json.dumps(p.to_dict()))
    assert d["earliest_contact"] == later(11).isoformat() and d["as_of"] == AS_OF.isoformat()
    assert d["last_contact"] == ago(10).isoformat()
    assert (d["band"], d["odds"], d["stage"]) == ("about typical", 0.31, 1)
    assert len(d["reasons"]) == len(d["sources"])
    assert json.loads(json.dumps(plan(safety_concern="yes").to_dict()))["earliest_contact"] is None


def test_make_plan_validates_raw_answers_and_accepts_dates():
    raw = {**BASE, "days_silent": None, "last_contact_date": ago(10).isoformat(), "anger": "Angry"}
    raw.pop("days_silent")
    p = make_plan(raw, AS_OF.isoformat())
    assert (p.earliest_contact, p.last_contact) == (later(11), ago(10))
    with pytest.raises(AnswersError, match="anger"):
        make_plan({**BASE, "anger": "livid"}, AS_OF)
    with pytest.raises(TypeError, match="mapping"):
        make_plan([("anger", "none")], AS_OF)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# plan_frame
# --------------------------------------------------------------------------------------------


def _frame(rows: list[dict[str, Any]], index: Any = None) -> pd.DataFrame:
    df = pd.DataFrame(rows, index=index, dtype=object)
    result = validate_frame(df, AS_OF)
    assert result.n_rejected == 0, result.problem_list()
    return result.clean


def test_plan_frame_keeps_the_index_and_gives_typed_columns():
    clean = _frame([BASE, {**BASE, "safety_concern": "yes"}, {**BASE, "days_silent": 2}], index=[10, 20, 5])
    out = plan_frame(clean, AS_OF)
    assert list(out.index) == [10, 20, 5]
    assert list(out.columns) == ["stage", "plan", "earliest_contact", "wait_reason"]
    assert out["stage"].tolist() == [3, 0, 1]
    assert out["plan"].tolist() == ["reopen", "safety", "wait"]
    assert list(out["plan"].cat.categories) == list(PLANS)
    assert pd.api.types.is_datetime64_any_dtype(out["earliest_contact"])
    assert out["earliest_contact"].iloc[0] == pd.Timestamp(AS_OF) and pd.isna(out["earliest_contact"].iloc[1])
    assert set(out["wait_reason"].cat.categories) == set(WAIT_REASONS)


def test_plan_frame_takes_one_as_of_per_row():
    clean = _frame([BASE, BASE])
    out = plan_frame(clean, [AS_OF, AS_OF + dt.timedelta(days=100)])
    # the same answers judged 100 days later: last contact moves too, and the wait is over either way
    assert out["earliest_contact"].tolist() == [pd.Timestamp(AS_OF), pd.Timestamp(later(100))]
    with pytest.raises(ValueError, match="1 dates for 2 rows"):
        plan_frame(clean, [AS_OF])
    with pytest.raises(ValueError, match="valid date"):
        plan_frame(clean, ["2026-11-26", "soon"])


def test_plan_frame_accepts_plain_text_choices_and_refuses_unknown_ones():
    clean = _frame([BASE, {**BASE, "told_no_contact": "yes", "days_silent": 5}])
    plain = clean.astype({q.id: object for q in QUIZ if not q.is_numeric})
    pd.testing.assert_frame_equal(plan_frame(plain, AS_OF), plan_frame(clean, AS_OF))
    plain.loc[plain.index[1], "anger"] = "livid"
    with pytest.raises(ValueError, match="anger = 'livid' in row 1: expected one of none, annoyed"):
        plan_frame(plain, AS_OF)
    with pytest.raises(ValueError, match=r"missing column.*days_silent"):
        plan_frame(clean.drop(columns="days_silent"), AS_OF)
    with pytest.raises(TypeError, match="DataFrame"):
        plan_frame(BASE, AS_OF)  # type: ignore[arg-type]


def test_plan_frame_on_no_rows():
    out = plan_frame(_frame([BASE]).iloc[:0], AS_OF)
    assert len(out) == 0 and list(out.columns) == ["stage", "plan", "earliest_contact", "wait_reason"]


# --------------------------------------------------------------------------------------------
# Properties over generated answer sets
# --------------------------------------------------------------------------------------------


@st.composite
def close_answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Valid answer sets with small numbers, where the rules actually compete."""
    a = {q.id: draw(st.sampled_from(q.values)) for q in QUIZ if not q.is_numeric}
    since = draw(st.integers(0, 120))
    silent = draw(st.integers(0, since))
    a.update(
        days_since_breakup=since,
        days_silent=silent,
        attempts_ignored=draw(st.integers(0, 8)),
        attempts_last_week=draw(st.integers(0, 6)) if silent < 7 else 0,
        emotional_messages=draw(st.integers(0, 3)),
    )
    if a["blocked"] != "no":
        a["days_blocked"] = draw(st.integers(0, since))
    return a


ANY_ANSWERS = st.one_of(close_answer_sets(), valid_answer_sets())


@settle(120)
@given(ANY_ANSWERS, st.integers(-400, 400))
def test_every_plan_keeps_the_rules_and_boundaries(raw, shift):
    as_of = AS_OF + dt.timedelta(days=shift)
    a = validate_answers(raw, as_of)
    p = make_plan(a, as_of)
    last = as_of - dt.timedelta(days=a["days_silent"])
    assert p.last_contact == last
    # no date exactly where no contact is advised at all: safety, moving on, a request to stop
    told = a["told_no_contact"] == "yes"
    assert (p.earliest_contact is None) == (p.plan in ("safety", "move_on") or told)
    assert (p.stage == 0) == (a["safety_concern"] == "yes") == (p.plan == "safety")
    if told and p.plan not in ("safety", "move_on"):
        assert (p.stage, p.wait_reason, p.message_guidance) == (1, "told_to_stop", [])
    if p.earliest_contact is not None:
        assert p.earliest_contact >= as_of
        if a["blocked"] != "no":
            block = as_of - dt.timedelta(days=a["days_blocked"])
            assert p.earliest_contact >= block + dt.timedelta(days=WAIT("blocked"))
            assert p.stage == 1
    # never a way around a block or a request to stop in what we tell people to do
    said = text(p, "do", "message_guidance", "reasons", "support")
    for word in CIRCUMVENTION:
        assert word not in said, word
    assert bool(p.message_guidance) == (p.stage == 3)
    if p.plan != "safety" and (a["told_no_contact"] == "yes" or a["blocked"] != "no"):
        assert "their wishes come first" in text(p, "boundaries")
    if p.plan not in ("safety", "move_on") and a["blocked"] != "no" and not told:
        assert "don't send a second" in text(p, "boundaries")
    if p.plan not in ("safety", "move_on") and told:
        assert "no date to count down to" in text(p, "boundaries")
    if a["attempts_last_week"] >= THRESHOLD("harassment_last_week"):
        assert "harassment" in text(p, "warnings")
        assert "their wishes come first" in text(p, "boundaries", "warnings")
    assert len(p.reasons) == len(p.sources) >= 1
    assert all(re.match(r"(line \d+|base-rates\.md|our )", s) for s in p.sources)
    assert p.wait_reason in WAIT_REASONS
    assert "http" not in user_text(p)


@settle(25)
@given(st.lists(ANY_ANSWERS, min_size=1, max_size=12), st.data())
def test_plan_frame_matches_make_plan_row_by_row(rows, data):
    shifts = data.draw(st.lists(st.integers(-60, 60), min_size=len(rows), max_size=len(rows)))
    as_of = [AS_OF + dt.timedelta(days=s) for s in shifts]
    index = [f"r{i}" for i in range(len(rows))]
    df = pd.DataFrame(rows, index=index, dtype=object)
    result = validate_frame(df, as_of)
    assert result.n_rejected == 0, result.problem_list()
    out = plan_frame(result.clean, as_of)
    assert list(out.index) == index
    for i, (key, row) in enumerate(out.iterrows()):
        p = make_plan(validate_answers(rows[i], as_of[i]), as_of[i])
        expected_day = pd.NaT if p.earliest_contact is None else pd.Timestamp(p.earliest_contact)
        got = (int(row["stage"]), row["plan"], row["earliest_contact"], row["wait_reason"])
        assert got[:2] + got[3:] == (p.stage, p.plan, p.wait_reason), key
        assert (pd.isna(got[2]) and pd.isna(expected_day)) or got[2] == expected_day, key


def plain_reading(a: dict[str, Any], as_of: dt.date) -> tuple[int, str, dt.date | None, str]:
    """The rules file read row by row in plain Python: an independent check on the vectorised code."""
    silent, ignored, last_week = a["days_silent"], a["attempts_ignored"], a["attempts_last_week"]
    blocked, told = a["blocked"] != "no", a["told_no_contact"] == "yes"
    if a["safety_concern"] == "yes":
        return 0, "safety", None, "none"
    if a["anger"] == "furious" and a["wronged_them"] == "yes" and a["blocked"] == "everywhere":
        return 1, "move_on", None, "blocked"
    if told:  # theirs to lift: no date, and no stage past giving space
        return 1, "wait", None, "told_to_stop"
    harassment = last_week >= THRESHOLD("harassment_last_week")
    recent = silent <= THRESHOLD("rebuild_recent_days") or (
        a["ex_reached_out"] == "yes" and silent < WAIT("no_contact_30")
    )
    ongoing = (
        a["last_reply_tone"] == "positive"
        and ignored == 0
        and recent
        and a["anger"] == "none"
        and not told
        and not blocked
        and not harassment
    )
    applies = {
        "blocked": blocked,
        "many_ignored": ignored >= THRESHOLD("many_ignored"),
        "angry": a["anger"] in ("angry", "furious"),
        "pressing": harassment
        or (last_week >= THRESHOLD("pressing_last_week") and ignored >= THRESHOLD("ignored_min")),
        "ignored": ignored >= THRESHOLD("ignored_min"),
        "cold": a["last_reply_tone"] == "cold" or a["anger"] == "annoyed",
        "no_contact_30": silent >= WAIT("no_contact_30"),
        "after_positive_reply": a["last_reply_tone"] == "positive" and not ongoing,
        "recent_contact": not ongoing,
        "rebuild_spacing": ongoing,
    }
    last = as_of - dt.timedelta(days=silent)
    ends = []
    for rank, (name, rule) in enumerate(RULES.waits.items()):
        if applies[name]:
            start = last
            if rule.counted_from == "block":  # from the block, or from a contact after it
                start = max(as_of - dt.timedelta(days=a["days_blocked"]), last)
            ends.append((start + dt.timedelta(days=rule.value), -rank, name))
    end, _, reason = max(ends)  # the latest end; on a tie, the rule listed first
    earliest = max(end, as_of)
    left = (earliest - as_of).days
    if ongoing:
        stage = 4
    elif blocked:
        stage = 1
    elif left == 0:
        stage = 3
    else:
        stage = 2 if left <= THRESHOLD("reopen_window") and ignored > 0 else 1
    return stage, {1: "wait", 2: "reopen", 3: "reopen", 4: "rebuild"}[stage], earliest, reason


@settle(60)
@given(st.lists(st.tuples(ANY_ANSWERS, st.integers(-400, 400)), min_size=1, max_size=25))
def test_plan_frame_agrees_with_a_plain_reading_of_the_rules(cases):
    rows = [raw for raw, _ in cases]
    as_of = [AS_OF + dt.timedelta(days=shift) for _, shift in cases]
    result = validate_frame(pd.DataFrame(rows, dtype=object), as_of)
    assert result.n_rejected == 0, result.problem_list()
    out = plan_frame(result.clean, as_of)
    for i, (_, row) in enumerate(result.clean.iterrows()):
        stage, plan_code, earliest, reason = plain_reading(clean_record(row), as_of[i])
        got = out.iloc[i]
        assert (int(got["stage"]), got["plan"], got["wait_reason"]) == (stage, plan_code, reason), rows[i]
        expected_day = pd.NaT if earliest is None else pd.Timestamp(earliest)
        assert got["earliest_contact"] is expected_day or got["earliest_contact"] == expected_day, rows[i]


def test_several_attempts_this_week_with_none_unanswered_do_not_say_zero_are_unanswered():
    p = plan(attempts_last_week=4, attempts_ignored=0, days_silent=1, days_since_breakup=40)
    reasons = text(p, "reasons")
    assert "you reached out 4 times in the past week." in reasons and "0 attempts" not in reasons
    q = plan(attempts_last_week=4, attempts_ignored=3, days_silent=1, days_since_breakup=40)
    assert "4 times in the past week, and 3 attempts are unanswered" in text(q, "reasons")


def test_a_wait_that_ends_today_says_so():
    p = plan(days_silent=7, days_since_breakup=40)  # a week after any contact: due today
    assert "that ends today" in text(p, "reasons") and "that was over on" not in text(p, "reasons")


def test_shorter_waits_are_named_once_without_competing_dates():
    p = plan(blocked="some", days_blocked=2, days_silent=0, days_since_breakup=12, attempts_ignored=7,
             attempts_last_week=2, anger="angry")
    assert p.wait_reason == "blocked"
    reasons = p.reasons
    assert len(reasons) == 2 and "until" in reasons[0]
    assert reasons[1].startswith("Other waits also apply, none of them ending later: ")
    assert "many of your attempts went unanswered" in reasons[1] and "they are angry with you" in reasons[1]
    assert "your last attempts went unanswered" not in reasons[1]  # the same messages, not counted twice
    assert not re.search(r"\d{4}", reasons[1])  # no second date


@settle(60)
@given(st.floats(0.005, 0.995))
def test_a_band_is_the_band_of_the_percentage_shown(p):
    from model.render import pct

    shown = int(pct(p).rstrip("%")) / 100
    assert band(p) == band(shown)


def test_plan_words_agree_with_themselves_audit_cases():
    """Cases an audit of thousands of generated reports found contradicting themselves."""
    # the wait after many unanswered messages is over: one message, and silence after it is the answer
    p = plan(attempts_ignored=5, days_silent=25)
    assert p.stage == 3
    assert "give them the space their silence asks for" not in text(p, "warnings")
    assert "if the one message you may send goes unanswered as well, take that as their answer" in text(p, "warnings")
    # contact this week that was answered is not called unanswered
    p = plan(days_silent=2, attempts_last_week=3, anger="angry")
    assert "got no reply" not in user_text(p)
    # waits ending the same day are not called shorter
    p = plan(days_silent=3, attempts_ignored=5, anger="angry")
    assert "shorter" not in text(p, "reasons")
    # stage 2 is about what to say, never another way to reach them
    assert "different way" not in plan(attempts_ignored=2).stage_name.lower()
    # a block whose days are over but which still stands: no date 'to come', no 'by then'
    p = plan(blocked="some", days_blocked=50, days_silent=50)
    assert p.earliest_contact == AS_OF
    assert "the block still stands" in text(p, "reasons") and "that was over on" not in text(p, "reasons")
    assert "take the quiz again then" in text(p, "do") and "earliest day for one short message is" not in text(p, "do")
    # numbers are written as the rest of the report writes them
    p = plan(days_silent=0, attempts_last_week=10000, emotional_messages=10000, days_since_breakup=36500)
    assert "10,000" in user_text(p) and "10000" not in user_text(p)
    p = plan(days_silent=30, days_since_breakup=60)
    assert "for 30 days: the full 30 days of no contact are complete" in text(p, "reasons")
    # a block whose days (counted from a later contact) are over: no "by then", whether 30 or more days
    for days_blocked, silent in ((50, 40), (31, 30), (30, 30)):
        p = plan(blocked="some", days_blocked=days_blocked, days_silent=silent, days_since_breakup=60)
        why = text(p, "reasons")
        assert "are over and the block still stands" in why and "by then" not in why and "more than" not in why
    # told to stop and blocked: no "you can answer", since no contact of any kind while a block stands
    p = plan(blocked="some", days_blocked=10, days_silent=3, told_no_contact="yes", ex_reached_out="yes")
    assert "you can answer" not in text(p, "do") and "no contact of any kind" in text(p, "boundaries")
    assert "you can answer briefly" in text(plan(told_no_contact="yes"), "do")  # told, not blocked
