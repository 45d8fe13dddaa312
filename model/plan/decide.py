"""The guide's plan as rules, decided for every row at once: stage, plan, earliest next contact.

Why vectorised and apart from the words: ``plan_frame`` decides for a million rows with numpy
alone, and ``model.plan.words`` writes the words for one decided row, so one answer set and a
batch can never disagree. Every number comes from ``advice_rules.toml``. We go further than the
guide where it would pressure the ex (see ``[deviations]`` there).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from model.plan.rules import WAIT_REASONS, load_rules
from model.quiz.definition import QUIZ
from model.quiz.validation import as_of_days

__all__ = [
    "DATED_PLANS",
    "MOVE_ON_NAME",
    "NO_CONTACT_NAME",
    "PLANS",
    "SAFETY_FIRST",
    "STAGE_NAMES",
    "Situation",
    "decide",
    "hides_factors",
    "is_heavy_pursuit",
    "is_pressing",
    "plan_frame",
    "situation",
]

#: safety: no reconciliation plan; move_on: the guide's hopeless case or heavy pursuit; no_contact:
#: a request to stop or a block that stands; then the dated plans.
PLANS: tuple[str, ...] = ("safety", "move_on", "no_contact", "wait", "reopen", "rebuild")
DATED_PLANS: tuple[str, ...] = ("wait", "reopen", "rebuild")
STAGE_NAMES: dict[int, str] = {
    0: "No reconciliation plan: safety first",
    1: "Back off and give them space",
    2: "Think about what to say differently",
    3: "Send one short message, then wait",
    4: "Rebuild slowly",
}
#: The answer that puts safety first (stage 0): no reconciliation plan, and no factors listed
#: (``hides_factors``). The SQL export (``model.export.sql``) reads it from here too.
SAFETY_FIRST: tuple[str, tuple[str, ...]] = ("safety_concern", ("yes",))
MOVE_ON_NAME = "Step back and start moving on"
NO_CONTACT_NAME = "Give them space: no contact"
_REASON_CODES: tuple[str, ...] = tuple(WAIT_REASONS)  # wait_reason codes, in the order batch output codes them

# --------------------------------------------------------------------------------------------
# The vectorised core
# --------------------------------------------------------------------------------------------


def _codes(clean: pd.DataFrame, qid: str) -> np.ndarray:
    """Choice codes in quiz order; accepts validate_frame's categoricals or plain values."""
    values = list(QUIZ[qid].values)
    col = clean[qid]
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == values:
        codes = np.asarray(col.cat.codes)
    else:
        codes = pd.Index(values).get_indexer(pd.Index(col.astype(object)))  # -1 where not a choice
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(
            f"plan_frame: {qid} = {col.iloc[i]!r} in row {clean.index[i]!r}: "
            f"expected one of {', '.join(values)}"
            " (pass validate_frame(...).clean)"
        )
    return codes


def _numbers(clean: pd.DataFrame, qid: str, optional: bool = False) -> np.ndarray:
    col = clean[qid]
    if not optional and col.isna().any():
        i = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise ValueError(f"plan_frame: {qid} is blank in row {clean.index[i]!r}: pass validate_frame(...).clean")
    return col.to_numpy(dtype=np.int32, na_value=0)


def _as_of_days(as_of: Any, n: int) -> np.ndarray:
    """As-of date(s) as int days since 1970 (``as_of_days`` from validation, as integers)."""
    return as_of_days(as_of, n).astype(np.int32)


@dataclass
class Situation:
    """Per-row facts shared by plan_frame and make_plan; days are int days since 1970."""

    as_of: np.ndarray
    ignored: np.ndarray  # attempts unanswered since their last reply
    last_contact: np.ndarray
    block_day: np.ndarray  # meaningless where not blocked
    safety: np.ndarray
    hopeless: np.ndarray  # the guide's own move-on case: furious, wronged, blocked everywhere
    heavy: np.ndarray  # heavy pursuit: thresholds.heavy_pursuit unanswered since their last reply
    blocked: np.ndarray
    blocked_everywhere: np.ndarray
    told: np.ndarray
    ongoing: np.ndarray
    harassment: np.ndarray
    flood: np.ndarray  # harassment that is not a few answered messages: some unanswered, or very many
    pressure: np.ndarray
    applies: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def move_on(self) -> np.ndarray:
        out: np.ndarray = ~self.safety & (self.hopeless | self.heavy)
        return out

    def row(self, i: int) -> Situation:
        """Row ``i`` alone, as a one-row situation (what the words read)."""
        one = slice(i, i + 1)
        arrays = {f.name: getattr(self, f.name)[one] for f in fields(self) if f.name != "applies"}
        return Situation(**arrays, applies={k: v[one] for k, v in self.applies.items()})

    @property
    def said_no(self) -> np.ndarray:
        """A "no" that no wait lifts: heavy pursuit, a request to stop, a block that stands. No date,
        no countdown, whatever the days since."""
        out: np.ndarray = self.heavy | self.told | self.blocked
        return out

    def due(self, name: str) -> np.ndarray:
        """The day the wait ``name`` ends (the last contact + its days), for every row."""
        return self.last_contact + load_rules().wait(name)


def situation(clean: pd.DataFrame, as_of: Any) -> Situation:
    """Which rules apply to each row, and the day each one ends. Pure numpy, no row loop."""
    missing = [q.id for q in QUIZ if q.id not in clean.columns]
    if missing:
        raise ValueError(f"plan_frame: missing column(s) {', '.join(missing)}: pass validate_frame(...).clean")
    rules = load_rules()
    t = rules.threshold
    n = len(clean)
    today = _as_of_days(as_of, n)
    silent = _numbers(clean, "days_silent")
    ignored = _numbers(clean, "attempts_ignored")
    last_week = _numbers(clean, "attempts_last_week")
    days_blocked = _numbers(clean, "days_blocked", optional=True)

    codes = {q.id: _codes(clean, q.id) for q in QUIZ if not q.is_numeric}

    def is_(qid: str, *values: str) -> np.ndarray:
        first, *rest = (QUIZ[qid].values.index(v) for v in values)
        mask: np.ndarray = codes[qid] == first  # plain comparisons beat np.isin and fancy indexing here
        for k in rest:
            mask |= codes[qid] == k
        return mask

    blocked = ~is_("blocked", "no")
    blocked_everywhere = is_("blocked", "everywhere")
    told = is_("told_no_contact", "yes")
    angry = is_("anger", "angry", "furious")
    furious = is_("anger", "furious")
    annoyed = is_("anger", "annoyed")
    calm = is_("anger", "none")
    wronged = is_("wronged_them", "yes")
    positive = is_("last_reply_tone", "positive")
    cold = is_("last_reply_tone", "cold")
    reached_out = is_("ex_reached_out", "yes")
    safety = is_(SAFETY_FIRST[0], *SAFETY_FIRST[1])

    harassment = last_week >= t("harassment_last_week")
    many_ignored = ignored >= t("many_ignored")
    pressing = is_pressing(last_week, ignored)
    recent = (silent <= t("rebuild_recent_days")) | (reached_out & (silent < rules.wait("no_contact_30")))
    ongoing = positive & (ignored == 0) & recent & calm & ~told & ~blocked & ~harassment

    applies = {
        "many_ignored": many_ignored,
        "angry": angry,
        "pressing": pressing,
        "ignored": ignored >= t("ignored_min"),
        "cold": cold | annoyed,
        "no_contact_30": silent >= rules.wait("no_contact_30"),
        "after_positive_reply": positive & ~ongoing,
        "recent_contact": ~ongoing,
        "rebuild_spacing": ongoing,
    }
    last_contact = today - silent
    block_day = today - days_blocked
    return Situation(
        as_of=today,
        ignored=ignored,
        last_contact=last_contact,
        block_day=block_day,
        safety=safety,
        hopeless=furious & wronged & blocked_everywhere,
        heavy=is_heavy_pursuit(ignored),
        blocked=blocked,
        blocked_everywhere=blocked_everywhere,
        told=told,
        ongoing=ongoing,
        harassment=harassment,
        flood=harassment & ((ignored > 0) | (last_week >= t("heavy_pursuit"))),
        pressure=told | blocked | many_ignored | pressing,
        applies=applies,
    )


def hides_factors(stage: Any) -> Any:
    """Safety first (stage 0): a report lists no factors, and batch output names no top factor."""
    return np.asarray(stage) == 0


def is_heavy_pursuit(attempts_ignored: Any) -> np.ndarray:
    """So many attempts unanswered since their last reply that their silence is the answer: the
    move-on plan, no date ever (``thresholds.heavy_pursuit`` says why the count alone decides)."""
    return np.asarray(attempts_ignored) >= load_rules().threshold("heavy_pursuit")


def is_pressing(attempts_last_week: Any, attempts_ignored: Any) -> np.ndarray:
    """Several attempts in the past week while earlier ones went unanswered, or so many that they
    become harassment: the pressing wait applies, and it is pressure on the ex (a report says their
    wishes come first). One definition, for the plan and the report alike."""
    t = load_rules().threshold
    week, ignored = np.asarray(attempts_last_week), np.asarray(attempts_ignored)
    return ((week >= t("pressing_last_week")) & (ignored >= t("ignored_min"))) | (week >= t("harassment_last_week"))


def plan_frame(clean: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Stage, plan, earliest next contact and binding rule for every row of ``validate_frame(...).clean``.

    ``as_of`` is one date for all rows or one per row, in row order (default today). The earliest day is the
    latest end among the waits that apply, never before as-of; NaT where the plan advises no
    contact at all (safety, move on, a request to stop). Vectorised: a loop over the ~10 rules, never over rows.
    """
    if not isinstance(clean, pd.DataFrame):
        raise TypeError(f"plan_frame expects a pandas DataFrame, got {type(clean).__name__}")
    return decide(situation(clean, as_of), clean.index)


def decide(s: Situation, index: pd.Index) -> pd.DataFrame:
    """``plan_frame`` for a situation already worked out (``make_plan`` needs it for the words too)."""
    rules = load_rules()
    n = len(index)
    # The binding wait is the one ending last; every wait counts from the last contact, so the one
    # with the most days binds, and on a tie the rule listed first in the file wins. One small integer
    # carries both: key = days * K + (K - 1 - rank), so a plain maximum picks the rule without branches.
    order = list(rules.waits)
    k = len(order) + 1
    rank_code = np.full(k, _REASON_CODES.index("none"), dtype=np.int8)  # key % k -> reason code
    best = np.zeros(n, dtype=np.int16)  # 0: no rule (every row has at least recent_contact/rebuild)
    for rank, name in enumerate(order):
        rank_code[k - 1 - rank] = _REASON_CODES.index(name)
        key = np.int16(rules.wait(name) * k + (k - 1 - rank))
        best = np.maximum(best, s.applies[name] * key)
    days, tie = np.divmod(best, np.int16(k))
    reason = rank_code[tie.astype(np.intp)]
    earliest = np.maximum(s.last_contact + days, s.as_of)
    remaining = earliest - s.as_of

    # After a "no" (or for safety, or the guide's hopeless case) there is no date and nothing to count down.
    no_date = s.safety | s.move_on | s.said_no
    ignored_before = s.ignored > 0
    reopen = (remaining > 0) & (remaining <= rules.threshold("reopen_window")) & ignored_before
    # Stages by arithmetic: 3 (send one), 1 while waiting, 2 near the end of a wait after ignored
    # attempts, 4 for an ongoing exchange; 1 whenever there is no date; 0 for safety.
    stage = np.where(remaining > 0, 1 + reopen.astype(np.int8), 3).astype(np.int8)
    stage = np.where(s.ongoing, 4, stage).astype(np.int8)
    stage = np.where(no_date, 1, stage).astype(np.int8)
    stage *= ~s.safety
    dated_plan = np.array([PLANS.index(p) for p in ("safety", "wait", "reopen", "reopen", "rebuild")], dtype=np.int8)
    plan = np.select(
        [s.safety, s.move_on, s.said_no],
        [np.int8(PLANS.index("safety")), np.int8(PLANS.index("move_on")), np.int8(PLANS.index("no_contact"))],
        dated_plan[stage],
    ).astype(np.int8)
    code = _REASON_CODES.index
    reason = np.select(
        [s.safety, s.heavy, s.hopeless, s.told, s.blocked],
        [code("none"), code("heavy_pursuit"), code("blocked"), code("told_to_stop"), code("blocked")],
        reason,
    ).astype(np.int8)
    # pandas has no day unit: build datetime64[s] at midnight directly, which it keeps without a copy
    seconds = np.where(no_date, np.iinfo(np.int64).min, earliest.astype(np.int64) * 86_400)
    earliest_days = seconds.view("datetime64[s]")

    return pd.DataFrame(
        {
            "stage": stage,
            "plan": pd.Categorical.from_codes(plan.astype(np.int8), categories=pd.Index(PLANS)),
            "earliest_contact": earliest_days,
            "wait_reason": pd.Categorical.from_codes(reason, categories=pd.Index(_REASON_CODES)),
        },
        index=index,
    )
