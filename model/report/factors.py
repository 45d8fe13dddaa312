"""Turn the model's per-question contributions into plain words with a size a person grasps.

Why a module of its own: the words depend on the answer *and* on the direction of its effect
(an explanation is relative to the average synthetic respondent, so a long silence can raise the
odds when most people's is shorter); keeping that logic here keeps the report builder small.
Questions where the guide only says that more hurts (ignored attempts, a block, anger, a request to
stop, bad blood, emotional messages) are measured from their harmless answer instead
(``model.training.train.explanation_reference``): such an answer only ever lowers the odds.

Size unit: percentage points. For a question with contribution ``c`` (log-odds, from
``OddsModel.explain``), ``points = 100 * (p - expit(logit(p) - c))``: the odds with this answer
minus the odds if this one answer counted like the average answer in the guide's synthetic data (or,
for a "more hurts" question, like its harmless answer), every other answer unchanged. The multiplier
on the odds (``exp(c)``) is kept alongside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from model.numeric import expit, logit
from model.odds.explain import MIN_LOG_ODDS
from model.plan.words import block_where
from model.quiz.definition import QUIZ

__all__ = [
    "FILE_DATA",
    "GUIDE_DATA",
    "MIN_LOG_ODDS",
    "SIZE_MEANING",
    "SIZE_MEANING_OF",
    "SIZE_UNIT",
    "TOP_N",
    "describe",
    "duration",
    "factor_list",
    "points",
    "size_words",
]

SIZE_UNIT = "percentage_points"
SIZE_MEANING_OF = (
    "Factor sizes are in percentage points: your odds with this answer minus your odds if this one answer counted like "
    "an average answer in {data}, with every other answer unchanged. For what the "
    "guide says only ever hurts (unanswered messages, contact this week, a block, anger, a request to "
    "stop, drama, emotional messages), the comparison is with none of it, so those answers can only "
    "lower the odds."
)
#: What the model learned from, as the factors' meaning names it.
GUIDE_DATA = "the guide's synthetic data"
FILE_DATA = "the data the model was trained on"
SIZE_MEANING = SIZE_MEANING_OF.format(data=GUIDE_DATA)
TOP_N = 3  # factors shown on each side


def points(p: float, contribution: float) -> float:
    """Percentage points this answer adds to (or takes from) the odds ``p`` (see module docstring)."""
    size: float = 100.0 * (p - expit(logit(p) - contribution))
    return size


def size_words(pts: float, multiplier: float | None = None) -> str:
    """'raises the odds by 6 points', 'lowers the odds by less than 1 point'.

    When the odds are so low (or high) that a strong answer moves them by under a point, the
    ``multiplier`` (odds with the answer / odds at the average answer) says what points cannot.
    """
    verb = "raises" if pts > 0 else "lowers"
    size = abs(pts)
    if size < 0.5:
        amount = "less than 1 point"
    else:
        n = round(size)
        amount = f"{n} point" + ("" if n == 1 else "s")
    text = f"{verb} the odds by {amount}"
    if multiplier is not None and size < 1:
        # the odds are already so low that points hide a strong answer: lead with the ratio
        if multiplier >= 1.5:
            return f"{verb} the odds about {multiplier:.0f}-fold (from a low start, so by {amount})"
        if 0 < multiplier <= 2 / 3:
            return f"{verb} the odds about {1 / multiplier:.0f}-fold (from a low start, so by {amount})"
    return text


def duration(days: int) -> str:
    """'today', '1 day', '40 days (about 6 weeks)', '400 days (about 13 months)'."""
    days = int(days)
    if days == 0:
        return "0 days"
    base = f"{days:,} day" + ("" if days == 1 else "s")
    if days < 14:
        return base
    if days < 60:
        about = f"about {round(days / 7)} weeks"
    elif days < 730:
        about = f"about {round(days / 30.44)} months"
    else:
        about = f"about {round(days / 365.25)} years"
    return f"{base} ({about})"


def _n(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


# Each phrase gets the clean answers and the sign of the contribution (+1 raises, -1 lowers).
Phrase = Callable[[Mapping[str, Any], int], str]


def _breakup(a: Mapping[str, Any], sign: int) -> str:
    d = int(a["days_since_breakup"])
    return "you broke up today" if d == 0 else f"you broke up {duration(d)} ago"


def _silent(a: Mapping[str, Any], sign: int) -> str:
    d = int(a["days_silent"])
    if d == 0:
        return "you were last in touch with them today"
    return f"{duration(d)} since you last contacted them"


def _ignored(a: Mapping[str, Any], sign: int) -> str:
    n = int(a["attempts_ignored"])
    if n == 0:
        return "they answered your latest message"
    only = "only " if sign > 0 else ""
    return f"{only}{_n(n, 'message or call', 'messages or calls')} since their last reply went unanswered"


def _last_week(a: Mapping[str, Any], sign: int) -> str:
    n = int(a["attempts_last_week"])
    if n == 0:
        return "you did not reach out to them in the past 7 days"
    only = "only " if sign > 0 else ""
    return f"you reached out to them {only}{_n(n, 'time', 'times')} in the past 7 days"


def _blocked(a: Mapping[str, Any], sign: int) -> str:
    where = a["blocked"]
    if where == "no":
        return "they have not blocked you"
    d = a.get("days_blocked")
    when = "" if d is None else (" today" if int(d) == 0 else f" {duration(int(d))} ago")
    return f"they blocked you {block_where(where)}{when}"


def _told(a: Mapping[str, Any], sign: int) -> str:
    if a["told_no_contact"] == "yes":
        return "they asked you to stop contacting them"
    return "they have not asked you to stop contacting them"


def _anger(a: Mapping[str, Any], sign: int) -> str:
    mood = a["anger"]
    if mood == "none":
        return "they are not angry with you"
    if mood == "annoyed":
        return "they are annoyed, but not angry, with you" if sign > 0 else "they seem annoyed with you"
    extra = ""
    if mood == "furious" and a.get("wronged_them") == "yes":
        extra = ", after something you did badly hurt them"
    return f"they are {mood} with you{extra}"


def _wronged(a: Mapping[str, Any], sign: int) -> str:
    if a["wronged_them"] == "yes":
        return "the breakup followed something you did that badly hurt them"
    return "the breakup did not follow something you did to hurt them"


def _apologized(a: Mapping[str, Any], sign: int) -> str:
    return "you have sincerely apologised" if a["apologized"] == "yes" else "you have not apologised"


def _bad_blood(a: Mapping[str, Any], sign: int) -> str:
    if a["bad_blood"] == "yes":
        blocked = a.get("blocked") not in (None, "no")
        return "the breakup was full of drama and fights" + (", and they blocked you" if blocked else "")
    return "the breakup was without much drama"


def _tone(a: Mapping[str, Any], sign: int) -> str:
    return {
        "positive": "their last reply to you was friendly",
        "neutral": "their last reply to you was neutral",
        "cold": "their last reply to you was cold",
        "never_replied": "they have not replied to you since the breakup",
    }[a["last_reply_tone"]]


def _reached_out(a: Mapping[str, Any], sign: int) -> str:
    if a["ex_reached_out"] == "yes":
        return "they have contacted you on their own since the breakup"
    return "they have not contacted you on their own since the breakup"


def _emotional(a: Mapping[str, Any], sign: int) -> str:
    n = int(a["emotional_messages"])
    if n == 0:
        return "you have not sent any emotional, late-night or drunk messages"
    only = "only " if sign > 0 else ""
    what = _n(n, "emotional, late-night or drunk message", "emotional, late-night or drunk messages")
    return f"you have sent {only}{what}"


PHRASES: dict[str, Phrase] = {
    "days_since_breakup": _breakup,
    "days_silent": _silent,
    "attempts_ignored": _ignored,
    "attempts_last_week": _last_week,
    "blocked": _blocked,
    "told_no_contact": _told,
    "anger": _anger,
    "wronged_them": _wronged,
    "apologized": _apologized,
    "bad_blood": _bad_blood,
    "last_reply_tone": _tone,
    "ex_reached_out": _reached_out,
    "emotional_messages": _emotional,
}


def describe(qid: str, answers: Mapping[str, Any], contribution: float = 0.0) -> str:
    """One answer as a short clause; falls back to the quiz's own words for a question we don't know."""
    sign = 1 if contribution > 0 else -1
    phrase = PHRASES.get(qid)
    if phrase is not None:
        return phrase(answers, sign)
    q = QUIZ[qid]
    value = answers.get(qid)
    if value is None:
        return f"{q.text} (not asked)"
    label = next((c.label for c in q.choices if c.value == value), str(value))
    return f"{q.text} {label}"


def factor_list(
    answers: Mapping[str, Any], contributions: Mapping[str, float], p: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The top ``TOP_N`` answers raising and lowering the odds ``p``, largest effect first.

    ``contributions`` maps question id to log-odds (``explain``'s row); ``intercept``,
    ``calibration`` and anything not a quiz question are ignored.
    """
    items = [(qid, float(c)) for qid, c in contributions.items() if qid in QUIZ.ids and abs(float(c)) >= MIN_LOG_ODDS]
    up = sorted((t for t in items if t[1] > 0), key=lambda t: -t[1])[:TOP_N]
    down = sorted((t for t in items if t[1] < 0), key=lambda t: t[1])[:TOP_N]

    def entry(qid: str, c: float) -> dict[str, Any]:
        pts = points(p, c)
        return {
            "question": qid,
            "answer": answers.get(qid),
            "text": describe(qid, answers, c),
            "log_odds": round(c, 4),
            "odds_multiplier": round(math.exp(c), 4),
            "points": round(pts, 2),
            "size_text": size_words(pts, math.exp(c)),
        }

    return [entry(*t) for t in up], [entry(*t) for t in down]
