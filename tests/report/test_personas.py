"""Issue 16: hard personas (tests/data/personas/*.json), each built and rendered in all three formats.

"The report must not speak with more authority than it has; boundaries come before everything else."
Each persona says why it is hard and what the rules expect of its report (``expect``); the checks
here are the rules of the issue, read off the rendered text a person sees (Markdown and HTML) and the
JSON a machine reads. docs/responsibility-checklist.md is the same list for a human reviewer, and
docs/persona-review.md what a careful reading of these reports found. ``exodds examples --personas``
writes the reports to reports/personas/ for reading; the last tests keep those files current.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from conftest import AS_OF, make_consistent, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_report import ARTICLE, CITATION, _article_lines, check_citations

from model.cli import main
from model.errors import AnswersError
from model.odds.artifacts import load_model
from model.plan.decide import plan_frame
from model.plan.rules import load_rules
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.report.build import build_report
from model.report.render import pct, render_html, render_json, render_markdown
from model.report.schema import report_schema

REPO = Path(__file__).resolve().parents[2]
PERSONAS = REPO / "tests" / "data" / "personas"
SHIPPED = REPO / "reports" / "personas"
SCHEMA = report_schema()
RULES = load_rules()
HEAVY = RULES.threshold("heavy_pursuit")

ALL = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(PERSONAS.glob("*.json"))}
REFUSED = sorted(name for name, p in ALL.items() if p["expect"].get("refused"))
VALID = sorted(name for name in ALL if name not in REFUSED)
BLOCKED = [name for name in VALID if ALL[name]["answers"].get("blocked", "no") != "no"]
EXPECT_KEYS = {
    "plan",
    "earliest_contact",
    "odds_display",
    "what_if",
    "support",
    "wishes_first",
    "note",
    "harassment_warning",
    "pace_note",
    "contact_after_block",
    "beyond_data",
    "odds_above",
    "refused",
    "column",
}

# Rule 2: nothing that makes a block a wait, or invites checking whether it still stands.
UNBLOCK_CONDITION = re.compile(
    r"unblock|by then|quiz again|retake|take (?:it|the quiz) again|earliest day|once they have|"
    r"when they have|check (?:again|back)|block (?:is|has been) (?:lifted|gone|removed)|when the block|"
    r"if the block (?:goes|is)|after the block (?:is|goes)",
    re.I,
)
# Ways around a boundary: a sentence naming one must be saying not to.
HINT = re.compile(
    r"\b(?:friends?|mutual|family|relatives?|go-between|borrowed|new accounts?|other accounts?|"
    r"another (?:app|account|number)|other (?:apps?|numbers?)|turn(?:ing)? up|show(?:ing)? up|in person|"
    r"pass(?:ed|ing)? (?:on|along)|drop(?:ping)? by)\b",
    re.I,
)
NEGATED = re.compile(r"\b(?:never|don't|do not|no|not|nothing|getting around|stop)\b", re.I)
# Never written anywhere, whatever the framing: the guide's own ways around a block.
AROUND = re.compile(
    r"mutual friends?|through (?:a |your |their )?friends?|ask (?:a|your|their) friends? to|"
    r"different (?:method|channel)|facebook message|brief voicemail|new account|fake account|"
    r"last-ditch|show up at|turn up at",
    re.I,
)
PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def built(model) -> dict[str, dict[str, Any]]:
    """Every valid persona's report and its three renderings, built once for the module."""
    out = {}
    for name in VALID:
        p = ALL[name]
        report = build_report(p["answers"], p["as_of"], model)
        out[name] = {
            "report": report,
            "md": render_markdown(report),
            "html": render_html(report),
            "json": render_json(report),
        }
    return out


def visible_html(page: str) -> str:
    """The HTML's words as a person sees them: no style sheet, no tags, entities decoded."""
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<head>.*?</head>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]


# --------------------------------------------------------------------------------------------
# The persona set itself
# --------------------------------------------------------------------------------------------


def test_the_persona_set_is_large_and_covers_the_issue():
    assert len(VALID) >= 34 and 3 <= len(REFUSED) <= 4
    answers = [ALL[n]["answers"] for n in VALID]
    heavy = [a for a in answers if a["attempts_ignored"] >= HEAVY]
    assert len(heavy) >= 8
    assert any(a["attempts_ignored"] == HEAVY and a["attempts_last_week"] == HEAVY for a in heavy)
    assert any(a["attempts_ignored"] == HEAVY and a["attempts_last_week"] == 0 for a in heavy)
    assert any(a.get("blocked", "no") != "no" for a in heavy) and any(a["told_no_contact"] == "yes" for a in heavy)
    assert any(a.get("safety_concern") == "prefer_not_to_say" for a in heavy)
    days_blocked = {a.get("days_blocked") for a in answers}
    assert {0, 29, 30, 31, 900} <= days_blocked
    assert {"some", "everywhere"} <= {a.get("blocked") for a in answers}
    assert sum(a.get("safety_concern") == "yes" for a in answers) >= 2
    assert any("breakup_date" in a and "last_contact_date" in a and "block_date" in a for a in answers)
    assert any(a["attempts_ignored"] == 10_000 for a in answers) and any(
        a["days_silent"] == 36_500 for a in answers if "days_silent" in a
    )
    assert any(a["attempts_last_week"] >= 3 and a["attempts_ignored"] < HEAVY for a in answers)  # harassment only
    assert any(a["emotional_messages"] >= 10 and a["attempts_ignored"] < HEAVY for a in answers)
    assert {n for n in VALID if n.startswith("good_")} >= {
        "good_warm_ex_reached_out",
        "good_cold_reply_after_31_days",
        "good_calm_without_apology",
        "good_ongoing_positive_exchange",
    }


@pytest.mark.parametrize("name", sorted(ALL))
def test_a_persona_file_says_who_it_is_why_it_is_hard_and_what_to_expect(name):
    p = ALL[name]
    assert set(p) == {"name", "why_hard", "as_of", "answers", "expect"} and p["name"] == name
    assert len(re.findall(r"[.!?](?:\s|$)", p["why_hard"])) == 1 and p["why_hard"].endswith("."), p["why_hard"]
    assert dt.date.fromisoformat(p["as_of"]) and p["expect"] and set(p["expect"]) <= EXPECT_KEYS
    assert set(p["answers"]) <= set(QUIZ.ids) | set(QUIZ.date_columns)


# --------------------------------------------------------------------------------------------
# Rule 6: contradictions are refused, by the report builder and by `exodds report` (exit 2)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_a_contradiction_is_refused(name, model, capsys, tmp_path):
    p = ALL[name]
    with pytest.raises(AnswersError) as err:
        build_report(p["answers"], p["as_of"], model)
    assert p["expect"]["column"] in {problem.column for problem in err.value.problems}
    answers = tmp_path / "answers.json"  # `exodds report` reads the answers, not the persona around them
    answers.write_text(json.dumps(p["answers"]), encoding="utf-8")
    assert main(["report", str(answers), "--as-of", p["as_of"], "--out", str(tmp_path / "r.md")]) == 2
    assert not (tmp_path / "r.md").exists()
    err_text = capsys.readouterr().err
    assert p["expect"]["column"] in err_text and "no report written" in err_text


# --------------------------------------------------------------------------------------------
# What each persona's report must do
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_the_report_does_what_the_persona_expects(name, built):
    e, r = ALL[name]["expect"], built[name]["report"]
    plan = r["plan"]
    if "plan" in e:
        allowed = e["plan"] if isinstance(e["plan"], list) else [e["plan"]]
        assert plan["plan"] in allowed, plan["plan"]
    if "earliest_contact" in e:
        if e["earliest_contact"] is None:
            assert r["earliest_contact"] is None and r["no_contact_advised"]
        elif e["earliest_contact"] == "date":
            assert r["earliest_contact"] is not None and r["earliest_contact"] >= ALL[name]["as_of"]
        else:
            assert r["earliest_contact"] == e["earliest_contact"]
    if "odds_display" in e:
        assert r["odds_display"] == e["odds_display"]
    if "what_if" in e:
        assert (r["what_if"] is not None) == e["what_if"]
    if "wishes_first" in e:
        assert r["wishes_first"]["applies"] == e["wishes_first"]
    if "note" in e:
        assert e["note"] in r["odds_display_note"] and "no reason to get in touch" in r["odds_display_note"]
    if "harassment_warning" in e:
        said = any("harassment" in w for w in plan["warnings"])
        assert said == e["harassment_warning"]
    if "pace_note" in e:  # a few answered messages: no legal warning, only "let them set the pace"
        assert any("let them set the pace" in w for w in plan["warnings"]) == e["pace_note"]
    if "contact_after_block" in e:
        warning = [w for w in plan["warnings"] if "since they blocked you" in w]
        assert warning and "getting around it" in warning[0]
        theirs = "where they wrote to you, that was theirs to start" in warning[0]
        assert theirs == (e["contact_after_block"] == "they")
    if "beyond_data" in e:
        assert r["beyond_data"]["applies"] == e["beyond_data"]
        assert ("Beyond the data." in built[name]["md"]) == e["beyond_data"]
    if "odds_above" in e:
        assert r["reversal_odds"] > e["odds_above"]


@pytest.mark.parametrize("name", VALID)
def test_the_json_matches_the_schema(name, built):
    report = json.loads(built[name]["json"])
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    assert report == json.loads(json.dumps(built[name]["report"]))


# --------------------------------------------------------------------------------------------
# Rule 1: heavy pursuit ends the countdown, whatever the wait since and however often retaken
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in VALID if ALL[n]["answers"]["attempts_ignored"] >= HEAVY])
def test_heavy_pursuit_is_the_move_on_plan_with_support_and_no_date(name, built):
    r, md = built[name]["report"], built[name]["md"]
    assert r["earliest_contact"] is None and r["what_if"] is None
    if r["safety_first"]:
        return
    assert r["plan"]["plan"] == "move_on" and r["plan"]["wait_reason"] == "heavy_pursuit"
    assert {"counsellor", "befrienders"} <= {s["id"] for s in r["support"]}
    assert "ashamed" in r["support_intro"] and any(x.startswith("Be kind to yourself.") for x in r["plan"]["do"])
    # kind, no shame: none of the guide's words for someone who keeps writing
    assert not re.search(r"needy|desperate|loser|pathetic|obsess|creep|stalker", md, re.I)


def test_retaking_the_quiz_does_not_bring_a_date_back(built):
    """The same nine unanswered attempts, retaken 30 and 90 days later: still no date, still move on."""
    runs = [
        built[n]["report"]
        for n in ("heavy_9_unanswered_today", "heavy_9_retaken_30_days_later", "heavy_9_retaken_90_days_later")
    ]
    assert [r["answers"]["days_silent"] for r in runs] == [2, 32, 92]
    assert all(r["earliest_contact"] is None and r["plan"]["plan"] == "move_on" for r in runs)
    assert all(r["what_if"] is None for r in runs)


def _aged(answers: dict[str, Any], days: int) -> dict[str, Any]:
    """The answers as a retake ``days`` later gives them, with nothing sent and no reply since."""
    top = QUIZ["days_silent"].max
    a = dict(answers)
    a["days_since_breakup"] = min(a["days_since_breakup"] + days, QUIZ["days_since_breakup"].max)
    a["days_silent"] = min(a["days_silent"] + days, top)
    if isinstance(a.get("days_blocked"), int):
        a["days_blocked"] = min(a["days_blocked"] + days, QUIZ["days_blocked"].max)
    if a["days_silent"] >= 7:
        a["attempts_last_week"] = 0
    return a


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=valid_answer_sets(),
    ignored=st.integers(HEAVY, QUIZ["attempts_ignored"].max),
    later=st.lists(st.integers(1, QUIZ["days_silent"].max), min_size=1, max_size=4),
)
def test_heavy_pursuit_never_gets_a_date_however_long_after(answers, ignored, later):
    """Any valid answers with heavy pursuit, retaken any number of days later: no date, ever. The plan
    for every retake at once (plan_frame, as `exodds score` runs it), and the report for the longest wait."""
    answers["attempts_ignored"] = ignored
    make_consistent(answers)
    retakes = [_aged(answers, days) for days in [0, *later]]
    checked = validate_frame(pd.DataFrame(retakes, dtype=object), AS_OF)
    assert checked.n_rejected == 0, checked.problem_list()
    plans = plan_frame(checked.clean, AS_OF)
    assert plans["earliest_contact"].isna().all(), plans
    assert set(plans["plan"]) <= {"move_on", "safety"}
    r = build_report(retakes[-1], AS_OF, load_model())
    assert r["earliest_contact"] is None and r["what_if"] is None and r["odds_display"] in ("muted", "hidden")


# --------------------------------------------------------------------------------------------
# Rule 2: a block stands until they lift it
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BLOCKED)
def test_a_block_has_no_date_and_no_condition_for_one_in_any_format(name, built):
    b = built[name]
    assert b["report"]["earliest_contact"] is None and b["report"]["what_if"] is None
    for fmt in ("md", "html", "json"):
        found = UNBLOCK_CONDITION.search(b[fmt])
        assert not found, (fmt, b[fmt][max(0, found.start() - 120) : found.end() + 120])


def test_answering_them_after_a_block_is_said_the_same_way_in_every_report(built):
    """If they reach out on their own, a brief answer where they wrote is not getting around the block:
    one sentence, word for word, in every blocked report with a plan (the safety layout has none)."""
    said = set()
    for name in BLOCKED:
        b = built[name]
        if b["report"]["safety_first"]:
            continue
        lines = [x for x in b["report"]["plan"]["do"] if "not getting around the block" in x]
        assert len(lines) == 1, name
        said.add(lines[0])
        assert lines[0] in b["md"] and lines[0] in visible_html(b["html"])
    assert len(said) == 1, said
    # the same words without the block's clause after any other "no"
    (line,) = said
    base = line.removesuffix(" That is not getting around the block.")
    for name in VALID:
        r = built[name]["report"]
        if r["earliest_contact"] is None and r["answers"]["blocked"] == "no" and not r["safety_first"]:
            assert base in r["plan"]["do"], name  # every "no" without a block: the same words


# --------------------------------------------------------------------------------------------
# Rules 3 and 4: after a "no" the odds are muted; with a safety concern they are hidden
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in VALID if ALL[n]["expect"].get("odds_display") == "muted"])
def test_after_a_no_the_odds_are_plain_with_no_praise_and_no_curve(name, built):
    b = built[name]
    r, md, page = b["report"], b["md"], b["html"]
    seen = visible_html(page)
    assert 'class="big"' not in page and "<svg" not in page and 'class="band"' not in page
    assert "What if you wait" not in md + seen and "| More days of no contact |" not in md
    assert f"**{r['band']}**" not in md and r["band_meaning"] not in md + seen
    assert "Your odds above" not in md + seen and not re.search(r"Stage \d of 4", md + seen)
    assert r["odds_display_note"] in md and r["odds_display_note"] in seen
    assert f"at {pct(r['reversal_odds'])} (range" in md  # shown plainly, not hidden
    if r["earliest_contact"] is None:  # after a "no": no date at all
        assert "No contact advised." in md and "Earliest day" not in md + seen
    else:  # a week of contact, or answers past the data: a date, but no countdown to it
        assert "(in " not in md.split("## Your next step")[1].split("###")[0]


@pytest.mark.parametrize("name", [n for n in VALID if ALL[n]["answers"].get("safety_concern") == "yes"])
def test_a_safety_concern_hides_the_odds_in_every_text_a_person_reads(name, built):
    b = built[name]
    r = b["report"]
    assert r["odds_display"] == "hidden" and r["safety_first"] and r["stage"] == 0
    assert "for machines only" in r["odds_machine_note"]
    data = json.loads(b["json"])
    assert 0 <= data["reversal_odds"] <= 1 and data["band"]  # the machines keep them
    for text in (b["md"], visible_html(b["html"])):
        found = re.search(r"\d+\s?%|under 1%|over 99%|percent", text)
        assert not found, text[max(0, found.start() - 120) : found.end() + 40]
        assert r["band_meaning"] not in text


# --------------------------------------------------------------------------------------------
# Rule 5: support, for a safety concern and heavy pursuit only
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_support_is_listed_exactly_when_the_rules_say(name, built):
    b, e = built[name], ALL[name]["expect"]
    r = b["report"]
    concern = r["answers"]["safety_concern"] in ("yes", "prefer_not_to_say")
    heavy = r["answers"]["attempts_ignored"] >= HEAVY
    if "support" in e:
        assert bool(e["support"]) == (concern or heavy)
    if not (concern or heavy):
        assert "support" not in r and "support_intro" not in r
        assert "### Support" not in b["md"] and "Where to find support" not in b["md"]
        return
    occasions = ["safety"] * concern + ["heavy_pursuit"] * heavy
    assert [s["id"] for s in r["support"]] == [s.id for s in RULES.support_for(*occasions)]
    if e.get("support"):
        assert [s["id"] for s in r["support"]] == e["support"]
    seen = visible_html(b["html"])
    for s in r["support"]:
        assert s["for"] and s["how"] and not PHONE.search(s["how"]), s  # region-neutral: no one country's number
        assert s["name"] in b["md"] and s["name"] in seen
    assert r["support_intro"] in b["md"] and r["support_intro"] in seen


# --------------------------------------------------------------------------------------------
# Rule 7: every citation quotes its line; and no hint around a boundary anywhere
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not available")
def test_every_citation_quotes_its_line_or_is_marked_ours(built):
    lines = _article_lines()
    checked = 0
    for name in VALID:
        for fmt in ("md", "html"):
            checked += check_citations(built[name][fmt], lines)
    assert checked >= 40


@pytest.mark.parametrize("name", VALID)
def test_no_sentence_points_a_way_around_a_boundary(name, built):
    b = built[name]
    r = b["report"]
    plan = r["plan"]
    ours = [
        *plan["reasons"],
        *plan["do"],
        *plan["dont"],
        *plan["boundaries"],
        *plan["warnings"],
        *plan["message_guidance"],
        *r["how_to_read"],
        r["disclaimer"],
        r["wishes_first"]["text"] or "",
        r["odds_display_note"] or "",
        r.get("support_intro") or "",
        *(f["text"] for f in r["factors"]["raising"] + r["factors"]["lowering"]),
    ]
    # a support service's own description ("reachable by phone, text or in person") is about the service
    md = b["md"]
    for s in r.get("support", []):
        md = md.replace(s["how"], "")
    for text in (*ours, *sentences(CITATION.sub("", md))):
        for sentence in sentences(text):
            if HINT.search(sentence):
                assert NEGATED.search(sentence), sentence
            assert not AROUND.search(sentence), sentence
    for s in r.get("support", []):  # someone they know helps them keep away, never carries a message
        if s["id"] == "trusted_person_distance":
            assert "not to pass anything on" in s["how"]


# --------------------------------------------------------------------------------------------
# Rule 8: good cases are not over-corrected
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in VALID if n.startswith("good_")])
def test_a_good_case_keeps_its_date_and_plan(name, built):
    b = built[name]
    r = b["report"]
    assert r["earliest_contact"] is not None and r["what_if"] is not None and r["odds_display"] == "full"
    assert not r["wishes_first"]["applies"] and "support" not in r and not r["plan"]["warnings"]
    assert "No contact advised" not in b["md"] and 'class="big"' in b["html"]
    if r["answers"]["apologized"] == "no":  # nothing to apologise for: no lecture about it
        assert not re.search(r"apolog", " ".join(r["plan"]["do"] + r["plan"]["reasons"]), re.I)


# --------------------------------------------------------------------------------------------
# reports/personas: what `exodds examples --personas` makes now
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_the_shipped_persona_reports_are_current(name, built):
    for fmt in ("md", "html", "json"):
        shipped = SHIPPED / f"{name}.{fmt}"
        assert shipped.exists() and shipped.read_text(encoding="utf-8") == built[name][fmt], (
            f"run `exodds examples --personas`: {shipped.name} differs"
        )


def test_the_examples_command_writes_persona_reports_and_refusals(tmp_path, capsys, built):
    answers = tmp_path / "personas"
    answers.mkdir()
    picked = ["good_cold_reply_after_31_days", *REFUSED]
    for name in picked:
        shutil.copy(PERSONAS / f"{name}.json", answers)
    out = tmp_path / "out"
    assert main(["examples", "--personas", "--answers-dir", str(answers), "--out-dir", str(out)]) == 0
    capsys.readouterr()
    made = sorted(p.name for p in out.iterdir())
    assert made == sorted([f"{picked[0]}.{fmt}" for fmt in ("html", "json", "md")] + [f"{n}.txt" for n in REFUSED])
    assert (out / f"{picked[0]}.md").read_text(encoding="utf-8") == built[picked[0]]["md"]
    for name in REFUSED:
        text = (out / f"{name}.txt").read_text(encoding="utf-8")
        assert text.startswith(f"error: {name}.json: ") and "no report written" in text
        assert f"  {ALL[name]['expect']['column']} = " in text
        assert (SHIPPED / f"{name}.txt").read_text(encoding="utf-8") == text
    assert not list(SHIPPED.glob("*.txt")) or {p.stem for p in SHIPPED.glob("*.txt")} == set(REFUSED)
