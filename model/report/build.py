"""One answer set -> the results report as a versioned, JSON-ready dict (rendering lives in model.report.render).

Why a plain dict: the command line, the example reports and a future web app all render the
same data, and ``model/report/schema.json`` documents it. Every figure comes from the model
(odds, range, explanations), the advice rules (plan, band, base rate) or the quiz definition;
nothing here decides advice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from model.errors import AnswersError
from model.odds.provenance import odds_basis, trained_on_file, updated_with
from model.plan.decide import hides_factors, is_heavy_pursuit, is_pressing
from model.plan.rules import band_meaning, bands, load_rules
from model.plan.words import block_where, make_plans
from model.quiz.definition import QUIZ
from model.quiz.presentation import dated_label
from model.quiz.validation import check_answer_sets, parse_as_of
from model.report import factors

__all__ = ["SCHEMA_VERSION", "WHAT_IF_DAYS", "build_report", "build_reports", "wishes_first"]

#: Bump the minor part for added fields, the major part for changed or removed ones.
SCHEMA_VERSION = "2.2"  # 1.1: beyond_data; 1.2: beyond_data at the 99.5th percentile (data_p995);
# 1.3: plan.wishes_boundary, odds_display_note after a request to stop, earliest_contact_only_if_unblocked;
# 2.0: boundaries first. No date and no what-if after a "no" (a request to stop, any block, heavy pursuit);
# odds_display is full, muted or hidden (was full or deemphasised), odds_machine_note when hidden; plan.plan
# adds no_contact; support (resources) and support_intro at the top level (plan.support was a list of
# strings); earliest_contact_only_if_unblocked removed (a block never has a date now).
# 2.1: model.odds_basis (what the odds rest on, in the words printed next to them) and model.updated_with (the
# real outcomes a model from `exodds update` was updated with; null for a model of the guide alone).
# 2.2: model.range_name (what the odds' range is called: "plausible range" for the guide's model, "sampling
# range" for a model trained on a file, whose range leaves out the model's own error).
WHAT_IF_DAYS = 90
BASE_RATE_CAVEAT = (
    "A self-selected online survey of people who wanted an ex back, asked 9 to 36 months after the "
    "breakup; not a peer-reviewed study, and not the same question as the model's."
)
WHAT_IF_ASSUMPTION = (
    "Each point keeps your answers and adds that many days with no contact at all: the days since your "
    "last contact and since the breakup grow by the same number; your contacts in the past 7 days count "
    "as 0 once your last contact is a week old; nothing else changes (no reply arrives)."
)
WHAT_IF_NOTE = "This is not a countdown: waiting gives no right to an answer."
# Beside the odds after a "no", however high they are: shown plainly (no band, no headline figure),
# since "well above typical" must not read as a reason to get in touch.
NO_ODDS_NOTE = "Whatever these odds say, they are no reason to get in touch: {why}."
BEYOND_ODDS_NOTE = "Some of your answers lie past anything the model learned from, so this is a rough guess at best."
SAFETY_ODDS_NOTE = (
    "This report shows no odds of getting back together. Where there was violence, threats or control, "
    "getting back together is not the goal this report can help with, and a number could read as if it "
    "were. The model never uses your answer about safety, so a number would say nothing about your safety "
    "either."
)
# In the JSON when the odds are not shown in full: what a program rendering the JSON must leave out.
ODDS_MACHINE_NOTE = {
    "hidden": "reversal_odds, odds_low, odds_high, band and the factors are kept for machines only: do not show "
    "them to the person who answered (a safety concern).",
    "muted": "band, band_meaning and the factors are kept for machines only: do not show them beside the odds, "
    "and show the odds only as a plain sentence with odds_display_note (a request to stop, a block, heavy "
    "pursuit, a week of contact, or answers past the model's data).",
}


def odds_display(plan: Any, clean: Mapping[str, Any], beyond: Mapping[str, Any]) -> tuple[str, str | None]:
    """How the odds may be shown, and the note beside them: hidden for a safety concern; muted after a "no"
    (a request to stop, a block, heavy pursuit), after a week of unwelcome contact, and for answers past the
    largest the model saw; else full (the headline figure, its band and the what-if curve)."""
    if plan.plan == "safety":
        return "hidden", SAFETY_ODDS_NOTE
    why = []
    if clean["told_no_contact"] == "yes":
        why.append("they asked you to stop contacting them, and that request stands until they lift it")
    if clean["blocked"] != "no":
        why.append("they have blocked you, and a block is their answer")
    if is_heavy_pursuit(clean["attempts_ignored"]):
        why.append("your messages went unanswered, and their silence is their answer")
    elif plan.contact_flood:
        why.append(f"you reached out {int(clean['attempts_last_week']):,} times this week, and they need room")
    past_max = any(a["answer"] > a["data_max"] for a in beyond.get("answers", []))
    notes = [NO_ODDS_NOTE.format(why=_join(why))] if why else []
    if past_max:
        notes.append(BEYOND_ODDS_NOTE)
    return ("muted", " ".join(notes)) if notes else ("full", None)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def wishes_first(clean: Mapping[str, Any]) -> list[str]:
    """Why the ex's wishes come first, one clause per sign of pressure (empty when there is none).

    Pressure, as the plan counts it: a request to stop, a block, many unanswered attempts (the
    rules' ``many_ignored``) or pressing contact in the past week (``advice.is_pressing``).
    """
    t = load_rules().threshold
    why = []
    if clean["told_no_contact"] == "yes":
        why.append("they asked you to stop contacting them")
    if clean["blocked"] != "no":
        where = block_where(clean["blocked"])
        why.append(f"they blocked you {where}")
        since = clean.get("days_blocked")
        after = since is not None and not pd.isna(since) and int(clean["days_silent"]) < int(since)
        if after and clean["ex_reached_out"] != "yes":  # (their own messages answered are not pressure)
            why.append("you have been in touch with them since the block")
    ignored, week = int(clean["attempts_ignored"]), int(clean["attempts_last_week"])
    if ignored >= t("many_ignored"):
        why.append(f"{ignored:,} of your messages or calls since their last reply went unanswered")
    if is_pressing(week, ignored):
        why.append(f"you reached out {week:,} times in the past 7 days")
    return why


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _wishes_text(why: list[str], dated: bool = True) -> str | None:
    if not why:
        return None
    rest = (
        "is a reason to contact them sooner than the plan says, or in any other way."
        if dated
        else "is a reason to contact them."
    )
    return f"You told us that {_join(why)}. Give them space. Nothing in this report {rest}"


def _outcome_days(card: Mapping[str, Any]) -> int | None:
    """The horizon the model's outcome has: the generator's; for an updated model the outcomes' follow-up
    (``exodds update --horizon-days``), when it was given; unknown for a model learned from a file."""
    from model.truth.generator import OUTCOME_DAYS

    update = updated_with(card)
    if update is not None:
        days = update.get("horizon_days")
        return int(days) if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None
    return OUTCOME_DAYS if card.get("source", "generator") == "generator" else None


def _what_ifs(
    model: Any, frame: pd.DataFrame, days: list[dt.date], earliest: list[dt.date | None]
) -> list[dict[str, Any]]:
    """Per row of ``frame``, odds for 0..WHAT_IF_DAYS more days of no contact (one predict call on 91
    rows a row), with the plan's earliest day marked. Only for a plan that gives a date: after a "no"
    a rising curve is a countdown (and so no row here is blocked)."""
    d = np.arange(WHAT_IF_DAYS + 1, dtype=np.int64)
    n = len(frame)
    silent_max, since_max = QUIZ["days_silent"].max, QUIZ["days_since_breakup"].max
    assert silent_max is not None and since_max is not None  # (whole-number questions, both bounded)
    rows = frame.iloc[np.repeat(np.arange(n, dtype=np.intp), d.size)].reset_index(drop=True)
    silent0 = frame["days_silent"].to_numpy(dtype=np.int64)
    silent = (silent0[:, None] + d).ravel()
    rows["days_silent"] = np.minimum(silent, silent_max)
    since0 = frame["days_since_breakup"].to_numpy(dtype=np.int64)
    rows["days_since_breakup"] = np.minimum((since0[:, None] + d).ravel(), since_max)
    week0 = frame["attempts_last_week"].to_numpy(dtype=np.int64)
    rows["attempts_last_week"] = np.where(silent >= 7, 0, np.repeat(week0, d.size)).astype(np.int64)
    odds = model.predict_clean(rows)
    p, lo, hi = (
        odds[c].to_numpy(dtype=np.float64).reshape(n, d.size) for c in ("reversal_odds", "odds_low", "odds_high")
    )
    out = []
    for k in range(n):
        day, first = days[k], earliest[k]
        assert first is not None  # (the what-if is only for a plan that gives a date)
        dates = np.datetime_as_string(np.datetime64(day, "D") + d).tolist()
        offset = (first - day).days
        mark = offset if 0 <= offset <= WHAT_IF_DAYS else None
        zero_from = int(max(0, 7 - silent0[k])) if week0[k] > 0 else None
        out.append(
            {
                "days": WHAT_IF_DAYS,
                "assumption": WHAT_IF_ASSUMPTION,
                "note": WHAT_IF_NOTE,
                "attempts_last_week_zero_from_day": zero_from,
                "earliest_contact_day": mark,
                "points": _points(dates, p[k].tolist(), lo[k].tolist(), hi[k].tolist()),
            }
        )
    return out


def _points(dates: list[str], p: list[float], lo: list[float], hi: list[float]) -> list[dict[str, Any]]:
    return [
        {
            "day": i,
            "date": dates[i],
            "reversal_odds": round(p[i], 4),
            "odds_low": round(lo[i], 4),
            "odds_high": round(hi[i], 4),
        }
        for i in range(len(dates))
    ]


def _model_info(model: Any) -> dict[str, Any]:
    card = getattr(model, "card", {}) or {}
    rng = card.get("range", {})
    held = card.get("held_out_metrics", {})
    return {
        "version": str(model.version),
        "odds_basis": odds_basis(card),
        "updated_with": updated_with(card),
        "trained_on_file": trained_on_file(card),
        "trained_at": card.get("trained_at"),
        "trained_on": card.get("source"),
        "outcome_days": _outcome_days(card),
        "range_kind": rng.get("kind"),
        "range_name": range_name(card),
        "range_meaning": rng.get("meaning"),
        "range_percentiles": list(rng.get("percentiles", [])) or None,
        "held_out": {k: held[k] for k in ("rows", "auc", "brier", "log_loss", "ece") if k in held},
    }


def range_name(card: Mapping[str, Any]) -> str:
    """What the report calls the odds' range: the card's own name for it, else "sampling range" for a
    model trained on a file before cards named it (its range is the spread over resamples of that file,
    which leaves out the model's own error, so it holds the truth less often than "plausible" says), else
    "plausible range"."""
    rng = card.get("range", {}) or {}
    if rng.get("name"):
        return str(rng["name"])
    return "sampling range" if rng.get("kind") == "bootstrap" and not updated_with(card) else "plausible range"


def _range_words(info: Mapping[str, Any]) -> str:
    kind = info.get("range_kind")
    from model.odds.calibration import PERCENTILES

    pct = info.get("range_percentiles") or list(PERCENTILES)
    if kind == "assumptions":
        return (
            f"the {pct[0]}th to {pct[1]}th percentile of the odds across models trained with the guide's "
            "assumptions varied over their plausible ranges: how much the number depends on those assumptions "
            "(and a little on chance in the data each model saw); where the odds fall outside it, it is "
            "widened to include them"
        )
    if kind == "bootstrap" and info.get("updated_with"):
        return (
            f"the {pct[0]}th to {pct[1]}th percentile across the model's ensemble, each member updated with a "
            "resample of the real outcomes: how much the number depends on which outcomes were collected (and on "
            "what they leave uncertain of the guide's assumptions); where the odds fall outside it, it is widened "
            "to include them"
        )
    if kind == "bootstrap":
        return (
            f"the {pct[0]}th to {pct[1]}th percentile across refits of this model to resamples of its training "
            "data: how much the number depends on the sample. It leaves out the model's own error, so the true "
            "chance is outside it more often than the percentiles say; where the odds fall outside it, it is "
            "widened to include them"
        )
    return info.get("range_meaning") or "how much the odds move between the model's ensemble members"


def _how_to_read(info: Mapping[str, Any], range_words: str, display: str = "full") -> list[str]:
    days = info.get("outcome_days")
    outcome = f"back together within {days} days of answering" if days else "back together"
    wishes = (
        "If they asked you to stop, blocked you or stopped answering, their wishes come first. No number in "
        "this report is a reason to contact them."
    )
    update = info.get("updated_with")
    if info.get("trained_on_file"):
        if display == "hidden":
            return [
                f"exodds turns answers into numbers with {info['odds_basis']}. Where there was violence, threats "
                "or control it shows none.",
                "It knows nothing about you or your ex beyond the answers here.",
                wishes,
            ]
        return [
            f"These odds come from {info['odds_basis']}, not from one breakup guide's assumptions. They are not a "
            "measured chance for you: the people in that file may differ from you, and the model knows only the "
            f"patterns in it. The outcome is being {outcome}.",
            "The model knows nothing about you or your ex beyond the answers here: not why you broke up, "
            "who they are now, or what they want.",
            f"The range is {range_words}. It is not a promise that the true chance lies inside it.",
            factors.SIZE_MEANING_OF.format(data=factors.FILE_DATA),
            wishes,
        ]
    if display == "hidden":
        first = (
            "exodds turns one breakup guide's assumptions into numbers, learned by a model from synthetic "
            "(made-up) answers, not from real couples. Where there was violence, threats or control it shows none."
            if not update
            else f"exodds turns one breakup guide's assumptions into numbers: a model learned them from synthetic "
            f"(made-up) answers, then {_outcomes_clause(update)}. Where there was violence, threats or control it "
            "shows none."
        )
        return [first, "It knows nothing about you or your ex beyond the answers here.", wishes]
    first = (
        "These odds express one breakup guide's assumptions, turned into numbers and learned by a model "
        "from synthetic (made-up) answers. They are not measured from real couples, and nobody has "
        f"checked them against what happened to real people. The outcome is being {outcome}."
        if not update
        else f"These odds express {info['odds_basis']}: a model first learned the guide's assumptions from synthetic "
        f"(made-up) answers, then {_outcomes_clause(update)}. They are still not a measured chance for you: the "
        f"people who reported back may differ from you. The outcome is being {outcome}."
    )
    return [
        first,
        "The model knows nothing about you or your ex beyond the answers here: not why you broke up, "
        "who they are now, or what they want.",
        f"The range is {range_words}. It is not a promise that the true chance lies inside it.",
        factors.SIZE_MEANING,
        wishes,
    ]


DISCLAIMER = (
    "Odds from one breakup guide's assumptions on synthetic data, not measured outcomes; the model knows "
    "only your answers. If they asked you to stop, blocked you or stopped answering, their wishes come first."
)
UPDATED_DISCLAIMER = (
    "Odds from {basis}; not a measured chance for you, and the model knows only your answers. If they asked "
    "you to stop, blocked you or stopped answering, their wishes come first."
)


def _outcomes_clause(update: Mapping[str, Any]) -> str:
    """What the real outcomes did to the model, in words (after "then")."""
    n = f"{update['outcomes']:,} real outcome{'s' if update['outcomes'] != 1 else ''}"
    if update.get("method") == "keep":
        return (
            f"it was checked against {n} reported back by people who took the quiz, which did not "
            "contradict it, so its odds are unchanged"
        )
    return f"{n} reported back by people who took the quiz corrected it where they disagreed"


def _beyond_data(clean: Mapping[str, Any], card: Mapping[str, Any]) -> dict[str, Any]:
    """Answers larger than all but 1 in 200 of the training data (``answer_ranges`` in the model's
    card; its maximum for an older card): there the data are too thin for the model's curves, and
    past the maximum the odds only extend them."""
    ranges = card.get("answer_ranges")
    ranges = ranges if isinstance(ranges, Mapping) else {}
    past = []
    for qid, r in ranges.items():
        if not isinstance(r, Mapping):
            continue
        top = r.get("p995", r.get("max"))
        if isinstance(top, int) and not isinstance(top, bool) and isinstance(clean.get(qid), int) and clean[qid] > top:
            past.append(
                {"question": qid, "answer": int(clean[qid]), "data_max": int(r.get("max", top)), "data_p995": int(top)}
            )
    text = None
    if past:
        own = trained_on_file(card) is None  # (the guide's model learned from synthetic answers)
        answers_word = "synthetic answers" if own else "answers it was trained on"
        listed = _join(
            [
                f"{p['answer']:,} for \u201c{QUIZ[p['question']].text}\u201d (only 1 in 200 {answers_word} "
                f"is above {p['data_p995']:,}; the largest is {p['data_max']:,})"
                for p in past
            ]
        )
        data = "the synthetic data the model learned from" if own else factors.FILE_DATA
        follow = "to follow the guide's assumptions closely" if own else "to be trusted"
        text = (
            f"Some answers lie beyond almost all of {data}: {listed}. There the model has too few examples "
            f"{follow}, and past the largest it only extends its curves, so read the number as a rough guess at best."
        )
    return {"applies": bool(past), "answers": past, "text": text}


def build_report(answers: Mapping[str, Any], as_of: Any = None, model: Any = None) -> dict[str, Any]:
    """The results report for one answer set, as a JSON-ready dict (see model/report/schema.json).

    ``as_of`` is the day the answers were given (default today); ``model`` an ``OddsModel``
    (default: the shipped model). Raises ``AnswersError`` listing every problem with the answers.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"build_report expects a mapping of question id to answer, got {type(answers).__name__}")
    (report,) = build_reports([answers], as_of, model)
    if isinstance(report, AnswersError):
        raise report
    return report


def build_reports(
    answer_sets: list[Mapping[str, Any]], as_of: Any = None, model: Any = None
) -> list[dict[str, Any] | AnswersError]:
    """``build_report`` for many answer sets in one pass: each the report ``build_report`` gives for
    it, or the ``AnswersError`` it raises. Validation, scoring, the plan's rules and the what-if are
    one vectorised call for all of them (a server scoring concurrent requests together); only the
    words are written one report at a time. ``as_of``: one day for all, or a list of each set's day.
    """
    for answers in answer_sets:
        if not isinstance(answers, Mapping):
            raise TypeError(f"build_report expects a mapping of question id to answer, got {type(answers).__name__}")
    given = as_of if isinstance(as_of, list) else [as_of] * len(answer_sets)
    days = [parse_as_of(d) for d in given]
    cleans, problems, frame = check_answer_sets(answer_sets, days)
    out: list[dict[str, Any] | AnswersError] = [AnswersError(p) for p in problems]
    if frame.empty:
        return out
    if model is None:
        from model.odds.artifacts import load_model

        model = load_model()
    valid = list(frame.index)
    valid_days = [days[i] for i in valid]
    odds, contrib = model.score_clean(frame, explain=True)
    p_all = odds["reversal_odds"].to_numpy(dtype=np.float64)
    lo_all, hi_all = odds["odds_low"].to_numpy(dtype=np.float64), odds["odds_high"].to_numpy(dtype=np.float64)
    plans = make_plans(frame, valid_days, odds=[float(x) for x in p_all])
    labels = [str(x) for x in bands(p_all)]
    # the what-if only where the odds are shown in full (a plan with a date and nothing to hold back)
    card = getattr(model, "card", {}) or {}
    beyond = [_beyond_data(cleans[i], card) for i in valid]
    displays = [odds_display(plans[k], cleans[i], beyond[k]) for k, i in enumerate(valid)]
    shown = [k for k, (display, _) in enumerate(displays) if display == "full"]
    what_ifs = (
        dict(
            zip(
                shown,
                _what_ifs(
                    model, frame.iloc[shown], [valid_days[k] for k in shown], [plans[k].earliest_contact for k in shown]
                ),
                strict=True,
            )
        )
        if shown
        else {}
    )
    names = list(contrib.columns)
    contrib_rows = contrib.to_numpy(dtype=np.float64)
    for k, i in enumerate(valid):
        contributions = {name: float(v) for name, v in zip(names, contrib_rows[k], strict=True)}
        out[i] = _report(
            cleans[i],
            valid_days[k],
            model,
            float(p_all[k]),
            float(lo_all[k]),
            float(hi_all[k]),
            labels[k],
            contributions,
            plans[k],
            what_ifs.get(k),
            beyond[k],
            displays[k],
        )
    return out


def _report(
    clean: dict[str, Any],
    day: dt.date,
    model: Any,
    p: float,
    lo: float,
    hi: float,
    label: str,
    contributions: dict[str, float],
    plan: Any,
    what_if: dict[str, Any] | None,
    beyond: dict[str, Any],
    shown: tuple[str, str | None],
) -> dict[str, Any]:
    """One report from its scored, planned row."""
    safety = plan.plan == "safety"
    info = _model_info(model)
    range_words = _range_words(info)
    rules = load_rules()

    raising, lowering = ([], []) if hides_factors(plan.stage) else factors.factor_list(clean, contributions, p)
    why = wishes_first(clean)
    plan_dict = plan.to_dict()
    for key in ("odds", "band", "band_meaning", "support", "support_intro"):  # top-level fields carry these
        plan_dict.pop(key, None)
    display, note = shown

    report = {
        "schema_version": SCHEMA_VERSION,
        "kind": "exodds-report",
        "as_of": day.isoformat(),
        "model": info,
        "answers": clean,
        "answers_shown": [
            {"question": q.id, "text": q.text, "answer": clean[q.id], "label": dated_label(q, clean[q.id], day)}
            for q in QUIZ
            if q.applies(clean)
        ],
        "reversal_odds": round(p, 4),
        "odds_low": round(lo, 4),
        "odds_high": round(hi, 4),
        "band": label,
        "band_meaning": band_meaning(label),
        "range_text": range_words,
        "odds_display": display,
        "odds_display_note": note,
        "beyond_data": beyond,
        "safety_first": safety,
        "stage": plan.stage,
        "stage_name": plan.stage_name,
        "earliest_contact": plan.earliest_contact.isoformat() if plan.earliest_contact else None,
        "no_contact_advised": plan.earliest_contact is None,
        "wishes_first": {
            "applies": bool(why),
            "why": why,
            "text": _wishes_text(why, dated=plan.earliest_contact is not None),
        },
        "factors": {
            "size_unit": factors.SIZE_UNIT,
            "size_meaning": factors.SIZE_MEANING_OF.format(
                data=factors.FILE_DATA if info["trained_on_file"] else factors.GUIDE_DATA
            ),
            "raising": raising,
            "lowering": lowering,
            "contributions": {k: round(v, 4) for k, v in contributions.items()},
        },
        "plan": plan_dict,
        # a curve of odds rising with time is a countdown: only where the plan itself gives a date
        "what_if": what_if,
        "base_rate": {
            "ever_reconnected": rules.base_rate.value,
            "ever_reconnected_source": rules.base_rate.source,
            "stayed_together": rules.stayed_together.value,
            "stayed_together_source": rules.stayed_together.source,
            "caveat": BASE_RATE_CAVEAT,
        },
        "how_to_read": _how_to_read(info, range_words, display),
        "disclaimer": (
            UPDATED_DISCLAIMER.format(basis=info["odds_basis"])
            if info["updated_with"] or info["trained_on_file"]
            else DISCLAIMER
        ),
    }
    if display != "full":
        report["odds_machine_note"] = ODDS_MACHINE_NOTE[display]
    if plan.support:  # only for a safety concern (yes or prefer not to say) and heavy pursuit
        report["support"] = plan.support
        report["support_intro"] = plan.support_intro
    return report
