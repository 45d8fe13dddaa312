"""The plan for one answer set in words: reasons with their sources, do and don't, boundaries, support.

Why apart from the decision: ``plan_frame`` decides (stage, plan, earliest day) for any number of
rows; this module only writes what one decided row means, in our words (nothing copied from the
guide), and never decides anything the batch output would not show.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from model.plan.decide import MOVE_ON_NAME, NO_CONTACT_NAME, STAGE_NAMES, Situation, decide, situation
from model.plan.rules import WAIT_REASONS, band, band_meaning, load_rules, source_parts
from model.quiz.definition import QUIZ
from model.quiz.presentation import long_date
from model.quiz.validation import clean_column, parse_as_of, validate_one

__all__ = ["Plan", "block_where", "make_plan", "make_plans", "plan_for"]


# --------------------------------------------------------------------------------------------
# One answer set: the same decision, plus the words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The plan for one answer set. ``sources[i]`` is where ``reasons[i]`` comes from."""

    stage: int
    stage_name: str
    plan: str
    earliest_contact: dt.date | None
    wait_reason: str
    as_of: dt.date
    last_contact: dt.date
    reasons: list[str]
    sources: list[str]
    do: list[str]
    dont: list[str]
    boundaries: list[str]
    warnings: list[str]
    message_guidance: list[str]
    # places to turn to (rules file [[support]]: who each is for and how to reach it), and one line
    # saying why they are listed; empty / None unless there is a safety concern or heavy pursuit
    support: list[dict[str, Any]] = field(default_factory=list)
    support_intro: str | None = None
    # the boundary that says their wishes come first, so a report with its own note on that can
    # leave it out instead of saying it twice
    wishes_boundary: str | None = None
    # many contacts this week, some unanswered (or very many): the date is a floor, not an appointment,
    # and a report shows no countdown beside it
    contact_flood: bool = False
    odds: float | None = None
    band: str | None = None
    band_meaning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, lists as lists (copies: the plan stays as it was)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # (asdict's deep copy costs more than a report)
        for k, v in d.items():
            if isinstance(v, list):  # lists of text copied as lists, of dicts (the support) deeply
                d[k] = copy.deepcopy(v) if any(not isinstance(x, str) for x in v) else list(v)
        for key in ("earliest_contact", "as_of", "last_contact"):
            d[key] = d[key].isoformat() if d[key] is not None else None
        return d


def _day(days: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _span(days: int) -> str:
    """A wait's length in words ("a week", "two weeks", "30 days"), so the text says what the rules say."""
    days = int(days)
    if days % 7 or days > 70:
        return _count(days, "day")
    weeks = days // 7
    return "a week" if weeks == 1 else f"{_NUMBER_WORDS[weeks]} weeks"


_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def block_where(blocked: str) -> str:
    """Where they blocked you, as the plan and the report say it ("everywhere", "on some apps or ...")."""
    return "everywhere" if blocked == "everywhere" else "on some apps or your number"


def _stage_name(plan: str, stage: int) -> str:
    return {"move_on": MOVE_ON_NAME, "no_contact": NO_CONTACT_NAME}.get(plan, STAGE_NAMES[stage])


def make_plan(answers: Mapping[str, Any], as_of: Any = None, odds: float | None = None) -> Plan:
    """The plan for one answer set (as from ``validate_answers``), in words.

    Stage, plan and earliest date come from ``plan_frame`` on a one-row frame, so they always
    match batch scoring; this function only writes the reasons, do/don't and boundaries.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"make_plan expects a mapping of question id to answer, got {type(answers).__name__}")
    day = parse_as_of(as_of.astype("datetime64[D]").item() if isinstance(as_of, np.datetime64) else as_of)
    return plan_for(validate_one(answers, day), day, odds)


def plan_for(clean: pd.DataFrame, day: dt.date, odds: float | None = None) -> Plan:
    """``make_plan`` for a one-row frame of clean answers (``validate_one``)."""
    return make_plans(clean, [day], None if odds is None else [odds])[0]


def make_plans(clean: pd.DataFrame, days: list[dt.date], odds: list[float] | None = None) -> list[Plan]:
    """``make_plan`` for every row of ``validate_frame(...).clean`` (``days``: each row's as-of date):
    one situation and one decision for all rows (``decide``, the very code ``plan_frame`` runs for a
    batch), then the words row by row."""
    when = np.array([np.datetime64(d, "D") for d in days], dtype="datetime64[D]")
    s_all = situation(clean, when)
    decided = decide(s_all, clean.index)
    answers = {q.id: clean_column(clean, q.id) for q in QUIZ}  # (what .iloc gives, without its cost a cell)
    stages, plans, reasons = (decided[c].tolist() for c in ("stage", "plan", "wait_reason"))
    earliest_days = list(decided["earliest_contact"].array)
    out = []
    for i, day in enumerate(days):
        s = s_all.row(i)
        a = {qid: column[i] for qid, column in answers.items()}
        earliest = None if pd.isna(earliest_days[i]) else earliest_days[i].date()
        w = _Writer(
            stage=int(stages[i]),
            plan=str(plans[i]),
            reason=str(reasons[i]),
            earliest=earliest,
            today=day,
            answers=a,
            s=s,
        )
        w.write()
        p = None if odds is None else odds[i]
        label = band(p) if p is not None else None
        out.append(
            Plan(
                stage=w.stage,
                stage_name=_stage_name(w.plan, w.stage),
                plan=w.plan,
                earliest_contact=earliest,
                wait_reason=w.reason,
                as_of=day,
                last_contact=_day(s.last_contact[0]),
                reasons=w.reasons,
                sources=w.sources,
                do=w.do,
                dont=w.dont,
                boundaries=w.boundaries,
                warnings=w.warnings,
                message_guidance=w.guidance,
                support=[r.to_dict() for r in w.support],
                support_intro=w.support_intro,
                wishes_boundary=w.wishes_boundary,
                contact_flood=bool(s.flood[0]),
                odds=None if p is None else float(p),
                band=label,
                band_meaning=band_meaning(label) if label is not None else None,
            )
        )
    return out


_NO_WAY_AROUND = (
    "Never try to get around a block or a request to stop: no messages passed on by friends or "
    "family, no new, borrowed or other accounts, numbers or apps, no turning up where they live, "
    "work or spend time."
)
_IF_EVER = "If they ever block you or ask you to stop, that is their answer: never try to get around it, in any way."
_OWN_LIFE = "Put your energy into your own life: sleep, work or study, people who are good for you, things you enjoy."
_URGE = "When the urge to write hits, write it down somewhere they will never see it."
_SUPPORT_INTRO = {
    "yes": "You told us there was violence, threats or control in the relationship: support is there, whichever "
    "side of it you were on.",
    "prefer_not_to_say": "You did not tell us whether there was violence, threats or control in the relationship "
    "(the question is optional). If anything in it made either of you afraid or controlled, support is there, "
    "whichever side of it you were on.",
    "heavy_pursuit": "Finding it hard to stop reaching out is common after a breakup, and nothing to be ashamed "
    "of; it is easier with someone on your side.",
}


class _Writer:
    """Turns one decided row into plain words. Our wording throughout: nothing copied from the guide."""

    def __init__(
        self,
        *,
        stage: int,
        plan: str,
        reason: str,
        earliest: dt.date | None,
        today: dt.date,
        answers: Mapping[str, Any],
        s: Situation,
    ) -> None:
        self.stage, self.plan, self.reason = stage, plan, reason
        self.earliest, self.today, self.a, self.s = earliest, today, answers, s
        self.rules = load_rules()
        self.reasons: list[str] = []
        self.sources: list[str] = []
        self.do: list[str] = []
        self.dont: list[str] = []
        self.boundaries: list[str] = []
        self.wishes_boundary: str | None = None
        self.warnings: list[str] = []
        self.guidance: list[str] = []
        self.support: list[Any] = []
        self.support_intro: str | None = None

    # helpers ----------------------------------------------------------------------------------
    def because(self, text: str, source: str) -> None:
        self.reasons.append(text)
        self.sources.append(source)

    def due(self, name: str) -> dt.date:
        return _day(self.s.due(name)[0])

    def applies(self, name: str) -> bool:
        return bool(self.s.applies[name][0])

    def flag(self, name: str) -> bool:
        return bool(getattr(self.s, name)[0])

    @property
    def last(self) -> dt.date:
        return _day(self.s.last_contact[0])

    # the plan ---------------------------------------------------------------------------------
    def write(self) -> None:
        if self.plan == "safety":
            self.write_safety()
        elif self.plan == "move_on":
            self.write_move_on()
        elif self.plan == "no_contact":
            self.write_no_contact()
        else:
            self.write_waits()
            self.write_stage()
        self.write_pressure()
        if self.plan != "safety":
            self.write_common()
        self.write_support()

    def write_support(self) -> None:
        concern = self.a["safety_concern"]
        if concern == "prefer_not_to_say" and self.earliest is not None:  # said where the decision is made
            self.warnings.insert(
                0,
                (
                    "If there was violence, threats or control in the relationship, from either side, this plan is "
                    "not for you: look at the support below instead of sending a message."
                ),
            )
        occasions = (["safety"] if concern in ("yes", "prefer_not_to_say") else []) + (
            ["heavy_pursuit"] if self.flag("heavy") else []
        )
        if not occasions:
            return
        self.support = self.rules.support_for(*occasions)
        keys = [concern if o == "safety" else o for o in occasions]
        self.support_intro = " ".join(_SUPPORT_INTRO[k] for k in keys) + " These can help:"

    def write_safety(self) -> None:
        self.because(
            "You told us there was violence, threats or controlling behaviour in the relationship. "
            "Couples who split up and then get back together report more violence and abuse than "
            "others, so we do not give a plan for getting back together, and no date for contact.",
            self.rules.deviations["safety"]["source"],
        )
        self.do += [
            "Put your own safety, and theirs, first.",
            "Talk to someone who can help you think it through, away from the relationship.",
        ]
        self.dont += [
            "Don't reach out to them. If something has to be arranged, such as belongings, children or money, "
            "ask someone you trust or a professional to help you arrange it safely.",
            "Don't keep or use any way of watching what they do: their location, accounts or phone.",
        ]
        self.boundaries.append(_NO_WAY_AROUND)

    def write_said_no(self) -> None:
        """The reasons a request to stop and a block give, on the move-on plan and the no-contact plan alike."""
        a, d = self.a, self.rules.deviations
        if self.flag("told"):
            self.because(
                "They asked you to stop contacting them. That request stands until they lift it themselves: "
                "nothing you do and no time you wait lifts it, so this plan gives no day for a message.",
                d["request_to_stop"]["source"],
            )
        if self.flag("blocked") and not (self.plan == "move_on" and self.flag("hopeless")):
            text = f"They blocked you {block_where(a['blocked'])} on {long_date(_day(self.s.block_day[0]))}."
            if self.s.last_contact[0] > self.s.block_day[0]:
                text += f" You were in touch with them after that, on {long_date(self.last)}."
            if a["ex_reached_out"] == "yes":  # their own messages are theirs: the block speaks to anything more
                text += (
                    " They have also contacted you on their own: leave the pace to them, answer where they write, "
                    "briefly, and start nothing yourself. About anything more, a block is a clear answer, so this "
                    "plan gives no day for a message."
                )
            else:
                text += " A block is a clear answer, so this plan gives no day for a message."
            self.because(text, d["block_stands"]["source"])

    def they_write_first(self) -> str:
        """What to do if they get in touch: the same words in every report after a "no"."""
        around = " That is not getting around the block." if self.flag("blocked") else ""
        return (
            "If they get in touch with you on their own, you can answer briefly and kindly, where they wrote "
            f"to you, and let them lead.{around}"
        )

    def write_no_contact(self) -> None:
        self.write_said_no()
        self.do += [
            "Go quiet: no messages, calls, likes, comments or visits.",
            self.they_write_first(),
            _OWN_LIFE,
            _URGE,
        ]

    def write_move_on(self) -> None:
        a = self.a
        if self.flag("hopeless"):
            self.because(
                "They are furious with you, the breakup followed something you did that badly hurt them, "
                "and they have blocked you everywhere. Taken together, that is a clear answer.",
                self.rules.plans["move_on"]["source"],
            )
            self.because(
                "They have blocked you, so there is no contact of any kind and no date for a next message. "
                "If they ever want to talk, that will be their choice to make.",
                self.rules.deviations["apology_while_blocked"]["source"],
            )
        if self.flag("heavy"):
            n, week = int(a["attempts_ignored"]), int(a["attempts_last_week"])
            recent = min(n, week)
            this_week = f", {recent:,} of them in the past 7 days" if recent else ""
            self.because(
                f"{n:,} of your messages or calls since their last reply went unanswered{this_week}. Their "
                "silence is their answer, so this plan gives no day for another message, now or later: waiting "
                "longer does not change that answer.",
                self.rules.deviations["heavy_pursuit"]["source"],
            )
        self.write_said_no()
        if self.flag("heavy"):
            self.do += [
                "Be kind to yourself. The pull to write again and again is common after a breakup, and it "
                "eases with time and support.",
                "Mute or archive the conversation and take them off your favourites, so that a message cannot "
                "go out on impulse.",
                "When the urge comes, write it down somewhere they will never see it, or call someone you "
                "trust instead.",
            ]
            self.dont.append(
                "Don't send another message, call or voicemail, and don't look for another way to reach them."
            )
        if self.flag("hopeless"):
            if a["apologized"] == "yes":
                self.do.append("You have already apologised. There is nothing you need to add.")
            else:
                self.do.append(
                    "If you regret what happened, say it to someone you trust or write it down for yourself. "
                    "Even an apology is contact, so don't send one."
                )
        self.do += [
            self.they_write_first(),
            "Let this chapter close, and give yourself time to grieve it.",
            _OWN_LIFE,
            "If it feels heavy, talk to someone you trust or to a counsellor.",
        ]

    def write_waits(self) -> None:
        """The binding wait first, then every other wait that is still running."""
        r = self.rules
        shorter: list[str] = []
        for name in [self.reason] + [k for k in r.waits if k != self.reason]:
            if name == "none" or not self.applies(name):
                continue
            if name != self.reason:
                if self.due(name) > self.today:  # a wait that is already over explains nothing
                    shorter.append(name)
                continue
            self.because(self.wait_text(name, self.a), r.waits[name].source)
        # the others end before the binding one: named once, without dates that would compete with it
        if "many_ignored" in (self.reason, *shorter) and "ignored" in shorter:
            shorter.remove("ignored")  # the same unanswered messages, counted twice
        if len(shorter) > 1 and "recent_contact" in shorter:
            shorter.remove("recent_contact")  # the week after any contact says nothing the others don't
        if shorter:
            self.because(
                "Other waits also apply, none of them ending later: "
                + "; ".join(self.wait_reason(n) for n in shorter)
                + ".",
                "; ".join(dict.fromkeys(p.text for n in shorter for p in source_parts(r.waits[n].source))),
            )

    def wait_reason(self, name: str) -> str:
        """A wait's reason in a few words; for ``cold``, only the half of it that applies."""
        if name == "cold":
            return "their last reply was cold" if self.a["last_reply_tone"] == "cold" else "they seem annoyed"
        return WAIT_REASONS[name].format(span=_span(self.rules.wait(name)))

    def wait_text(self, name: str, a: Mapping[str, Any]) -> str:
        due = self.due(name)
        when = (
            f"until {long_date(due)}"
            if due > self.today
            else "that ends today"
            if due == self.today
            else f"that was over on {long_date(due)}"
        )
        n_ign, n_week = int(a["attempts_ignored"]), int(a["attempts_last_week"])
        w = self.rules.wait(name)
        match name:
            case "many_ignored":
                return f"{n_ign:,} attempts in a row went unanswered. That calls for a longer pause: {when}."
            case "angry":
                return f"They are {a['anger']} with you. Anger needs more time to cool: {when}."
            case "pressing":
                unanswered = (
                    f", and {_count(n_ign, 'attempt')} {'is' if n_ign == 1 else 'are'} unanswered" if n_ign else ""
                )
                return (
                    f"You reached out {n_week:,} times in the past week{unanswered}. "
                    f"Give them {_span(w)} from your last attempt: {when}."
                )
            case "ignored":
                return f"{n_ign:,} attempts since their last reply went unanswered. Leave {_span(w)}: {when}."
            case "cold":
                what = "Their last reply was cold" if a["last_reply_tone"] == "cold" else "They seem annoyed"
                return f"{what}. Give it {_span(w)}: {when}."
            case "no_contact_30":
                silent = int(a["days_silent"])
                done = (
                    f"You have not been in touch for {w} days: the full {w} days of no contact are complete."
                    if silent == w
                    else f"You have not been in touch for {silent:,} days, past a full {w} days of no contact."
                )
                return (
                    f"{done} The guide's view is that after that, one short message is less likely to feel like "
                    "pressure; how it lands is up to them."
                )
            case "after_positive_reply":
                return f"Their last reply was warm. Keep about {_span(w)} between contacts: {when}."
            case "recent_contact":
                return f"Leave about {_span(w)} after any contact before the next message: {when}."
            case "rebuild_spacing":
                return (
                    f"You are talking again and it is going well. Leave {_span(w)} between your messages "
                    f"({when}), and only write again once they have answered your last one."
                )
        raise ValueError(f"no words for the wait {name!r}")

    def write_stage(self) -> None:
        until = long_date(self.earliest) if self.earliest else ""
        if self.stage in (1, 2):
            self.do += [
                f"Go quiet until {until}: no messages, calls, likes, comments or visits.",
                "Spend the time on your own life: sleep, work or study, people who are good for you, things you enjoy.",
                _URGE,
            ]
        if self.stage == 2:
            self.do.append(
                "Use these last days to think about what you might say that is different from what went "
                "unanswered before: a new subject and a lighter tone, not a repeat and not a new "
                "way to reach them."
            )
        if self.stage == 3:
            self.do += [
                f"From {long_date(self.earliest)}, you may send one short message. Then put the phone "
                "down and get on with your day.",
                "If they answer warmly, keep your reply brief and leave about "
                f"{_span(self.rules.wait('after_positive_reply'))} before "
                "reaching out again.",
                (
                    "If no reply comes, that is their answer: don't send a second."
                    if self.s.pressure[0]
                    else "If no reply comes, don't chase it. If you ever try again, leave at least "
                    f"{_span(self.rules.wait('recent_contact'))} "
                    "and say something new; if that goes unanswered too, take it as their answer."
                ),
            ]
            self.dont += [
                "Don't call: a call puts them on the spot.",
                "Don't ask about the relationship, getting back together or meeting up in this message.",
            ]
            self.guidance += [
                "Be honest about why you are writing. No made-up errand, question or favour to ask as an "
                "excuse to get in touch: if you simply want to say hello, say that.",
                "Keep it light and kind: no recap of the breakup, no blame, no apology tour.",
                "Make it easy to answer, and fine to leave unanswered: no guilt, no demands, no deadline.",
                "Keep it to one or two sentences.",
                "Send it as a text or message, not a call.",
                'Skip empty openers such as "hey, what\'s up" or "how are things": they give nothing to reply to.',
                "Write it in your own words, with a clear head: not late at night and not after drinking.",
            ]
        if self.stage == 4:
            self.do += [
                f"Send your next message no earlier than {long_date(self.earliest)}, and only once they "
                "have replied to your last.",
                "Keep it light and warm, and let them set the pace.",
                "If they turn distant or stop replying, step back for about "
                f"{_span(self.rules.wait('recent_contact'))}.",
            ]
            self.dont += [
                "Don't send a second message before they reply to the first.",
                "No heavy talks about the relationship and no pressure to meet.",
            ]

    def write_pressure(self) -> None:
        s, a = self.s, self.a
        what = {
            (True, False): "asked you to stop",
            (False, True): "blocked you",
            (True, True): "asked you to stop and blocked you",
        }.get((self.flag("told"), self.flag("blocked")))
        if self.plan in ("safety", "move_on", "no_contact"):
            if what:
                self.wishes_boundary = f"They {what}. Their wishes come first."
            elif self.flag("heavy"):
                self.wishes_boundary = "Their wishes come first: their silence is their answer."
            elif s.pressure[0]:  # (the safety plan after much contact this week)
                self.wishes_boundary = "Their wishes come first: give them room, even when they do answer."
            if self.wishes_boundary:
                self.boundaries.append(self.wishes_boundary)
            if self.plan != "safety" and (what or self.flag("heavy")):
                why = (
                    "the request is theirs to lift, and time alone does not lift it"
                    if self.flag("told")
                    else "the block is their answer"
                    if self.flag("blocked")
                    else "waiting does not turn silence into a yes"
                )
                self.boundaries.append(f"There is no wait to sit out and no date to count down to: {why}.")
            if self.plan != "safety" and self.flag("blocked"):
                self.boundaries.append(
                    "Don't start contact of any kind, on any app, number or account."
                    + (
                        " Blocked everywhere: they have closed every channel on purpose, and that is their answer."
                        if self.flag("blocked_everywhere")
                        else ""
                    )
                )
        elif s.pressure[0] and int(a["attempts_ignored"]) >= self.rules.threshold("many_ignored"):
            self.warnings.append(  # one short of heavy pursuit: say now what the next unanswered one means
                f"Their wishes come first. {int(a['attempts_ignored']):,} messages in a row went unanswered. One "
                "more message at most, "
                + (f"from {long_date(self.earliest)}" if self.earliest else "when the wait is over")
                + ". If that one goes unanswered too, take it as their answer: there will be no further date."
            )
        elif s.pressure[0] and int(a["attempts_ignored"]) > 0 and self.stage == 3:
            self.warnings.append(  # the wait is over: one message, and silence after it is the answer
                "Their wishes come first. Unanswered messages are an answer too: if the one message you "
                "may send goes unanswered as well, take that as their answer."
            )
        elif s.pressure[0] and int(a["attempts_ignored"]) > 0:
            self.warnings.append(
                "Their wishes come first. Unanswered messages are an answer too: give them the space their "
                "silence asks for."
            )
        elif s.pressure[0]:
            self.warnings.append("Their wishes come first: give them room, even when they do answer.")
        if self.flag("blocked") and s.last_contact[0] > s.block_day[0] and self.plan != "safety":
            if a["ex_reached_out"] == "yes":
                self.warnings.append(
                    "You have been in touch with them since they blocked you. If that was a brief answer where "
                    "they wrote to you, that was theirs to start. Reaching them any other way after a block, "
                    "through another app, number, account or person, is getting around it: leave every other "
                    "way of reaching them alone."
                )
            else:
                self.warnings.append(
                    "You have been in touch with them since they blocked you. Reaching them after a block, "
                    "through another app, number, account or person, is getting around it: stop, and leave "
                    "every way of reaching them alone. Any contact is theirs to start."
                )
        if s.harassment[0]:
            n = int(a["attempts_last_week"])
            if self.flag("flood"):
                self.warnings.append(
                    f"You reached out {n:,} times in the past week. Repeated contact that someone does not want "
                    "can become harassment, and in many places that is against the law. Stop now."
                )
            else:  # a few messages, every one answered: nothing says they are unwanted
                self.warnings.append(
                    f"You reached out {n:,} times this week. Even when they answer, let them set the pace: the "
                    "next message can wait until the date below, or come from them."
                )

    def write_common(self) -> None:
        checking = "Don't check their profiles or ask others how they are doing"
        checking += " to decide when to write." if self.earliest is not None else "."
        if self.flag("blocked"):
            checking += " Checking whether you are still blocked keeps the wound open and changes nothing."
        self.dont += ["Don't send emotional, late-night or drunk messages.", checking]
        if self.earliest is None:
            self.boundaries.append(_NO_WAY_AROUND)
        else:  # no block or request to speak of: the same boundary, said of the future, without suspicion
            self.boundaries.append(_IF_EVER)
        n = int(self.a["emotional_messages"])
        if n > 0:  # said without a "warning" and without a tally held against them
            self.do.append(
                f"You have sent {_count(n, 'emotional or late-night message')}: that says how much this hurts. "
                "When the urge comes, write it down somewhere they will never see it."
            )
