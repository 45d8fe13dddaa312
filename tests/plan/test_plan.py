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
from conftest import AS_OF, make_consistent, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import model.plan.decide as advice_module
import model.plan.words as words_module
from model.errors import AnswersError
from model.plan.decide import PLANS, plan_frame
from model.plan.rules import (
    NO_DATE_REASONS,
    WAIT_REASONS,
    _parse_rules,
    band,
    band_meaning,
    bands,
    load_rules,
    source_parts,
)
from model.plan.words import Plan, make_plan
from model.quiz.definition import QUIZ
from model.quiz.validation import clean_record, validate_answers, validate_frame

REPO = Path(__file__).resolve().parents[2]
RULES_FILE = REPO / "model" / "plan" / "advice_rules.toml"
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
    """BASE with ``changes``, mended so that contact answers agree (``make_consistent``) unless the change
    names attempts_last_week itself."""
    raw = {**BASE, **changes}
    if "attempts_last_week" not in changes:
        make_consistent(raw)
    return validate_answers(raw, AS_OF)


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
    return text(p, "reasons", "do", "dont", "boundaries", "warnings", "message_guidance")


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
    assert len(entries) == len(WAIT_REASONS) - len(NO_DATE_REASONS) + 8 + 1
    for e in entries:
        assert isinstance(e["value"], int | float) and e["value"] >= 0
        assert all(part.kind for part in source_parts(e["source"])), e["source"]
        assert len(e["meaning"]) > 20
    for b in raw["bands"]:
        assert b["source"].startswith("our assumption") and b["meaning"]


def test_rules_file_carries_the_numbers_the_brief_names():
    assert THRESHOLD("told_to_stop_days") == 42  # upper end of line 124's 4 to 6 weeks (a variable, no date)
    assert not set(NO_DATE_REASONS) & set(RULES.waits)  # after a "no" the plan gives no date at all
    assert WAIT("no_contact_30") == 30
    assert WAIT("pressing") == WAIT("ignored") == 14
    assert WAIT("after_positive_reply") == 7
    assert 1 <= WAIT("rebuild_spacing") < WAIT("after_positive_reply")
    assert THRESHOLD("many_ignored") < THRESHOLD("heavy_pursuit") == 5  # 5 unanswered in a row end the countdown
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
        (("waits", "ignored"), {"value": -1}, "waits.ignored.value = -1"),
        (("waits", "ignored"), {"source": 'line 14 says "a week or two"'}, "waits.ignored.source"),
        (("waits", "ignored"), {"source": "base-rates.md: line 14"}, "names a line of the guide without quoting"),
        (("thresholds", "many_ignored"), {"value": "four"}, "thresholds.many_ignored.value = 'four'"),
        (("thresholds", "many_ignored"), {"value": 5}, "thresholds.many_ignored (5) must be below"),
        (("deviations", "block_stands"), {"source": "the internet"}, "deviations.block_stands.source"),
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


UNBLOCK_WORDS = re.compile(
    r"unblock|lift(s|ed)? the block|block (is|has been) (lifted|removed|gone)|once they|if they (lift|remove)"
    r"|still there|take the quiz again|by then"
)


@pytest.mark.parametrize("silent", [0, 10, 38, 50, 400])
@pytest.mark.parametrize("ignored", [0, 1, 4])
def test_told_to_stop_gives_no_date_however_long_the_silence(silent, ignored):
    """A request to stop is theirs to lift: no date, no countdown and no message tips, at any silence
    (the guide's 4 to 6 weeks is a variable of the model, not a date: deviations.request_to_stop)."""
    p = plan(told_no_contact="yes", days_silent=silent, days_since_breakup=max(silent, 40), attempts_ignored=ignored)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "no_contact", None, "told_to_stop")
    assert p.message_guidance == []
    assert "no day for a message" in text(p, "reasons") and "until they lift it" in text(p, "reasons")
    b = text(p, "boundaries")
    assert "their wishes come first" in b and "no date to count down to" in b
    assert "after the wait" not in b and "send one" not in text(p, "do", "boundaries")
    assert "answer briefly and kindly, where they wrote to you" in text(p, "do")
    assert not re.search(r"\d{4}", text(p, "reasons", "do", "boundaries"))  # no date anywhere


def test_told_to_stop_and_blocked_names_both_and_still_gives_no_date():
    p = plan(told_no_contact="yes", blocked="some", days_blocked=20, days_silent=60, days_since_breakup=90)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "no_contact", None, "told_to_stop")
    assert "asked you to stop and blocked you" in text(p, "boundaries")
    assert "they blocked you on some apps or your number" in text(p, "reasons")
    assert "don't start contact of any kind" in text(p, "boundaries")
    assert "that is not getting around the block" in text(p, "do")  # they wrote first: one consistent line


@pytest.mark.parametrize("where", ["some", "everywhere"])
@pytest.mark.parametrize("days_blocked", [0, 5, 29, 30, 31, 45, 900])
def test_a_block_gives_no_date_and_no_condition_for_one(where, days_blocked):
    """A block stands until they lift it: no earliest day, however long ago it was set, and no words
    that make a date appear once it is gone (nothing that invites checking whether it still stands)."""
    since = max(days_blocked, 40) + 10
    p = plan(blocked=where, days_blocked=days_blocked, days_silent=since - 5, days_since_breakup=since)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "no_contact", None, "blocked")
    assert p.message_guidance == []
    said = user_text(p)
    assert not UNBLOCK_WORDS.search(said), UNBLOCK_WORDS.search(said)
    assert "a block is a clear answer" in text(p, "reasons")
    b = text(p, "boundaries")
    assert "their wishes come first" in b and "no date to count down to" in b
    assert "don't send a second" not in b and "after the wait" not in b
    assert ("closed every channel on purpose" in b) == (where == "everywhere")
    assert "that is not getting around the block" in text(p, "do")


def test_contact_after_a_block_is_named_and_their_first_move_is_not_getting_around_it():
    p = plan(blocked="some", days_blocked=30, days_silent=2, attempts_ignored=1, days_since_breakup=60)
    assert p.earliest_contact is None
    assert "you were in touch with them after that" in text(p, "reasons")
    assert "getting around it: stop" in text(p, "warnings") and "any contact is theirs to start" in text(p, "warnings")
    theirs = plan(blocked="some", days_blocked=30, days_silent=2, ex_reached_out="yes", days_since_breakup=60)
    assert theirs.earliest_contact is None
    w = text(theirs, "warnings")
    assert "if that was a brief answer where they wrote to you, that was theirs to start" in w
    assert "any other way after a block" in w and "getting around it" in w
    fresh = plan(blocked="some", days_blocked=2, days_silent=30, days_since_breakup=60)
    assert "after that" not in text(fresh, "reasons") and "since they blocked you" not in text(fresh, "warnings")


@pytest.mark.parametrize(
    "history",
    [
        {"attempts_ignored": 500, "days_silent": 19},  # the review's case: 500 unanswered, 19 days on
        {"attempts_ignored": 10, "days_silent": 0, "attempts_last_week": 1},
        {"attempts_ignored": 5, "attempts_last_week": 5, "days_silent": 0},  # 5 unanswered this week
        {"attempts_ignored": 7, "days_silent": 200, "days_since_breakup": 400},
    ],
)
def test_heavy_pursuit_ends_the_countdown(history):
    p = plan(**history)
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (1, "move_on", None, "heavy_pursuit")
    assert "moving on" in p.stage_name.lower() and p.message_guidance == []
    assert "their silence is their answer" in text(p, "reasons")
    assert "no day for another message, now or later" in text(p, "reasons")
    assert "be kind to yourself" in text(p, "do") and "nothing to be ashamed of" in p.support_intro.lower()
    assert {s["id"] for s in p.support} >= {"counsellor", "helplines"}
    assert not re.search(r"loser|desperate|needy|creepy|obsess|pathetic", user_text(p))  # kind, without shame
    assert "no date to count down to" in text(p, "boundaries")


@pytest.mark.parametrize("wait", [0, 7, 19, 30, 60, 365, 5000])
def test_retaking_the_quiz_after_heavy_pursuit_never_brings_a_date_back(wait):
    """The same history, aged by ``wait`` days as a retake would report it: the past week's contacts fall
    to 0 once the last one is a week old, the unanswered ones stay unanswered (no reply came)."""
    start = {"attempts_ignored": 5, "attempts_last_week": 5, "days_silent": 0, "days_since_breakup": 20}
    aged = dict(start, days_silent=wait, days_since_breakup=20 + wait)
    aged["attempts_last_week"] = 5 if wait < 7 else 0
    for raw in (start, aged):
        assert plan(**raw).earliest_contact is None


def test_one_short_of_heavy_pursuit_still_has_its_wait():
    p = plan(attempts_ignored=THRESHOLD("heavy_pursuit") - 1, days_silent=3)
    assert (p.plan, p.wait_reason) == ("wait", "many_ignored") and p.earliest_contact is not None
    assert p.support == []


def test_safety_concern_gives_no_reconciliation_plan_but_support():
    p = plan(safety_concern="yes", told_no_contact="yes", days_silent=3, last_reply_tone="positive")
    assert (p.stage, p.plan, p.earliest_contact, p.wait_reason) == (0, "safety", None, "none")
    assert p.message_guidance == []
    ids = [s["id"] for s in p.support]
    assert ids == [s.id for s in RULES.support_for("safety")] and "emergency" in ids and "helplines" in ids
    for s in p.support:  # who it is for and how to reach it; region-neutral: no phone number of one country
        assert s["for"] and s["how"] and not re.search(r"\+?\d[\d -]{5,}", s["how"])
        assert s["url"] is None or s["url"].startswith("https://")
    assert "violence" in p.support_intro.lower()
    assert "violence" in text(p, "reasons") and "Halpern-Meekin" in p.sources[0]
    steps = text(p, "do")
    assert not re.search(r"send|message|reach out|text them|earliest", steps)
    assert "their wishes come first" in text(p, "boundaries")  # they also asked to stop


def test_prefer_not_to_say_keeps_the_plan_with_support_listed():
    p = plan(safety_concern="prefer_not_to_say")
    assert (p.stage, p.plan) == (3, "reopen")
    assert [s["id"] for s in p.support] == [s.id for s in RULES.support_for("safety")]
    assert "did not tell us whether there was violence" in p.support_intro
    assert "this plan is not for you" in text(p, "warnings")  # said where the decision is made
    assert plan().support == [] and plan().support_intro is None  # no concern, no pursuit: no support list


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
    assert not UNBLOCK_WORDS.search(user_text(p))


def test_blocked_on_some_apps_only_is_not_the_move_on_case():
    p = plan(anger="furious", wronged_them="yes", blocked="some", days_blocked=10, days_silent=10)
    assert (p.plan, p.earliest_contact) == ("no_contact", None)


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
    for module in (advice_module, words_module):  # the decision and the words read the same file
        monkeypatch.setattr(module, "load_rules", lambda: longer)
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


def test_many_attempts_last_week_warn_of_harassment_when_some_went_unanswered():
    n = THRESHOLD("harassment_last_week")
    p = plan(attempts_last_week=n, attempts_ignored=1, days_silent=0, last_reply_tone="positive", ex_reached_out="yes")
    w = text(p, "warnings")
    assert "harassment" in w and "stop now" in w and f"{n} times" in w
    assert "their wishes come first" in w
    assert p.stage == 1 and p.earliest_contact == later(WAIT("pressing")) and p.contact_flood
    below = plan(attempts_last_week=n - 1, days_silent=0)
    assert "harassment" not in text(below, "warnings")


def test_a_few_answered_messages_this_week_get_no_legal_warning_only_the_pace():
    """Nothing in the answers says three answered messages are unwanted: no "against the law" for them."""
    n = THRESHOLD("harassment_last_week")
    p = plan(attempts_last_week=n, attempts_ignored=0, days_silent=0)
    w = text(p, "warnings")
    assert "harassment" not in w and "let them set the pace" in w and not p.contact_flood
    many = plan(attempts_last_week=THRESHOLD("heavy_pursuit"), attempts_ignored=0, days_silent=0)
    assert "harassment" in text(many, "warnings") and many.contact_flood  # very many: the warning again


def test_emotional_messages_are_named_kindly_not_as_a_warning():
    p = plan(emotional_messages=2)
    assert "2 emotional or late-night messages: that says how much this hurts" in text(p, "do")
    assert p.warnings == [] and plan().warnings == []


def test_every_plan_states_the_no_way_around_boundary():
    for p in (plan(safety_concern="yes"), plan(told_no_contact="yes", days_silent=1)):
        assert any("never try to get around a block" in b.lower() for b in p.boundaries)
    # a plan with a date (no block, no request): the same boundary said of the future, without suspicion
    assert any("if they ever block you or ask you to stop" in b.lower() for b in plan().boundaries)


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
    clean = _frame(
        [BASE, {**BASE, "safety_concern": "yes"}, {**BASE, "days_silent": 2, "attempts_last_week": 1}],
        index=[10, 20, 5],
    )
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
    clean = _frame([BASE, {**BASE, "told_no_contact": "yes", "days_silent": 5, "attempts_last_week": 1}])
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
        attempts_last_week=draw(st.integers(0, 6)),
        emotional_messages=draw(st.integers(0, 3)),
    )
    make_consistent(a)
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
    # no date exactly where no contact is advised at all: safety, moving on, a "no" (a request to stop,
    # any block, heavy pursuit)
    told, blocked = a["told_no_contact"] == "yes", a["blocked"] != "no"
    heavy = a["attempts_ignored"] >= THRESHOLD("heavy_pursuit")
    said_no = told or blocked or heavy
    assert (p.earliest_contact is None) == (p.plan in ("safety", "move_on", "no_contact"))
    assert (p.earliest_contact is None) == (a["safety_concern"] == "yes" or said_no)
    assert (p.stage == 0) == (a["safety_concern"] == "yes") == (p.plan == "safety")
    if said_no and p.plan != "safety":
        assert p.plan in ("move_on", "no_contact") and p.stage == 1 and p.message_guidance == []
        assert (p.plan == "move_on") == (
            heavy
            or (
                p.wait_reason == "blocked"
                and a["anger"] == "furious"
                and a["wronged_them"] == "yes"
                and a["blocked"] == "everywhere"
            )
        )
        assert "no date to count down to" in text(p, "boundaries")
        assert "where they wrote to you" in text(p, "do")  # the same words for their first move, every time
    if blocked:
        assert not UNBLOCK_WORDS.search(user_text(p)), UNBLOCK_WORDS.search(user_text(p))
    if p.earliest_contact is not None:
        assert p.earliest_contact >= as_of
    # support exactly for a safety concern (yes or prefer not to say) and heavy pursuit
    assert bool(p.support) == (a["safety_concern"] != "no" or heavy) == (p.support_intro is not None)
    # never a way around a block or a request to stop in what we tell people to do
    said = text(p, "do", "message_guidance", "reasons")
    for word in CIRCUMVENTION:
        assert word not in said, word
    assert bool(p.message_guidance) == (p.stage == 3)
    if p.plan != "safety" and (a["told_no_contact"] == "yes" or a["blocked"] != "no"):
        assert "their wishes come first" in text(p, "boundaries")
    if a["attempts_last_week"] >= THRESHOLD("harassment_last_week"):
        unwelcome = a["attempts_ignored"] > 0 or a["attempts_last_week"] >= THRESHOLD("heavy_pursuit")
        assert ("harassment" in text(p, "warnings")) == unwelcome
        assert "their wishes come first" in text(p, "boundaries", "warnings")
    assert len(p.reasons) == len(p.sources) >= 1
    assert all(source_parts(s) for s in p.sources)
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
    if ignored >= THRESHOLD("heavy_pursuit"):  # their silence is their answer
        return 1, "move_on", None, "heavy_pursuit"
    if a["anger"] == "furious" and a["wronged_them"] == "yes" and a["blocked"] == "everywhere":
        return 1, "move_on", None, "blocked"
    if told:  # theirs to lift: no date, and no stage past giving space
        return 1, "no_contact", None, "told_to_stop"
    if blocked:  # a block is their answer: no date and no condition for one
        return 1, "no_contact", None, "blocked"
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
            ends.append((last + dt.timedelta(days=rule.value), -rank, name))
    end, _, reason = max(ends)  # the latest end; on a tie, the rule listed first
    earliest = max(end, as_of)
    left = (earliest - as_of).days
    if ongoing:
        stage = 4
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
    p = plan(days_silent=0, days_since_breakup=12, attempts_ignored=4, attempts_last_week=2, anger="angry")
    assert p.wait_reason == "many_ignored"
    reasons = p.reasons
    assert len(reasons) == 2 and "until" in reasons[0]
    assert reasons[1].startswith("Other waits also apply, none of them ending later: ")
    assert "4 attempts in a row went unanswered" in reasons[0]
    assert "they are angry with you" in reasons[1] and "several times in the past week" in reasons[1]
    assert "your last attempts went unanswered" not in reasons[1]  # the same messages, not counted twice
    assert not re.search(r"\d{4}", reasons[1])  # no second date


@settle(60)
@given(st.floats(0.005, 0.995))
def test_a_band_is_the_band_of_the_percentage_shown(p):
    from model.report.render import pct

    shown = int(pct(p).rstrip("%")) / 100
    assert band(p) == band(shown)


def test_plan_words_agree_with_themselves_audit_cases():
    """Cases an audit of thousands of generated reports found contradicting themselves."""
    # the wait after many unanswered messages is over: one message, and silence after it is the answer
    p = plan(attempts_ignored=4, days_silent=25)
    assert p.stage == 3
    assert "give them the space their silence asks for" not in text(p, "warnings")
    assert "if that one goes unanswered too, take it as their answer: there will be no further date" in text(
        p, "warnings"
    )
    # contact this week that was answered is not called unanswered
    p = plan(days_silent=2, attempts_last_week=3, anger="angry")
    assert "got no reply" not in user_text(p)
    # waits ending the same day are not called shorter
    p = plan(days_silent=3, attempts_ignored=4, anger="angry")
    assert "shorter" not in text(p, "reasons")
    # stage 2 is about what to say, never another way to reach them
    assert "different way" not in plan(attempts_ignored=2).stage_name.lower()
    # a block, however old: no date, and nothing about the day it might be lifted
    p = plan(blocked="some", days_blocked=50, days_silent=50)
    assert p.earliest_contact is None and not UNBLOCK_WORDS.search(user_text(p))
    # numbers are written as the rest of the report writes them
    p = plan(days_silent=0, attempts_last_week=10000, emotional_messages=10000, days_since_breakup=36500)
    assert "10,000" in user_text(p) and "10000" not in user_text(p)
    p = plan(days_silent=30, days_since_breakup=60)
    assert "for 30 days: the full 30 days of no contact are complete" in text(p, "reasons")
    # their first move is answered the same way in every report after a "no": briefly, where they wrote
    same = "you can answer briefly and kindly, where they wrote to you, and let them lead"
    for case in (
        {"blocked": "some", "days_blocked": 10, "days_silent": 3, "told_no_contact": "yes"},
        {"told_no_contact": "yes"},
        {"blocked": "everywhere", "days_blocked": 3},
        {"attempts_ignored": 12},
        {"anger": "furious", "wronged_them": "yes", "blocked": "everywhere", "days_blocked": 3},
    ):
        p = plan(ex_reached_out="yes", **case)
        assert same in text(p, "do"), case
        assert ("that is not getting around the block" in text(p, "do")) == ("blocked" in case), case
