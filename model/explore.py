"""Small helpers the notebooks share, so they call the package and plot instead of copying its code.

Effect curves (one answer varied, everything else held), the sensitivity of the
true odds to each assumption, the example answer sets, and a check that every
figure says what it shows (title, labelled axes, units). Nothing here decides
odds or advice: it only calls ``model.truth.generator``, the model and the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from model.errors import AnswersError
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.truth.assumptions import SAMPLED_GROUPS, load_assumptions
from model.truth.generator import true_probability

__all__ = [
    "answers_frame",
    "assert_figures_checked",
    "assumptions_frame",
    "effect_curve",
    "example_answers",
    "figure_problems",
    "install_figure_check",
    "odds_axis_label",
    "repo_root",
    "sensitivity",
    "typical_answers",
]

ODDS_COLUMNS = ("reversal_odds", "odds_low", "odds_high")


def repo_root(start: str | Path | None = None) -> Path:
    """The repository folder (the first parent holding ``pyproject.toml``), from ``start`` or the cwd.

    Notebooks open from ``notebooks/`` in Jupyter but run from the root in
    tests; both find ``data/`` and ``examples/`` through this.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "model").is_dir():
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / "pyproject.toml").is_file():
        return package_parent
    raise FileNotFoundError(f"no exodds repository (pyproject.toml beside model/) at or above {here}")


# ------------------------------------------------------------------------------------------------
# Answers
# ------------------------------------------------------------------------------------------------


def assumptions_frame() -> pd.DataFrame:
    """Every assumption of the generator as a table: group, term, unit, value, range, source, meaning."""
    rows = [
        {
            "name": a.name,
            "group": a.group,
            "term": a.term,
            "unit": a.unit,
            "value": a.value,
            "low": a.low,
            "high": a.high,
            "source": a.source,
            "meaning": a.meaning,
        }
        for a in load_assumptions().values()
    ]
    return pd.DataFrame(rows).set_index("name")


def typical_answers(rows: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """The synthetic population's typical answer set: the median of each number, the commonest choice.

    The anchor that effect curves hold fixed while one answer moves. It is
    derived from the generator, so it follows the assumptions file; answers
    asked only in some cases (``days_blocked``) are left blank when they do not apply.
    """
    from model.truth.generator import generate

    data = generate(rows, seed=seed)
    typical: dict[str, Any] = {}
    for q in QUIZ:
        col = data[q.id]
        typical[q.id] = int(col.median()) if q.is_numeric else str(col.mode().iloc[0])
    for q in QUIZ:
        if q.ask_if and not q.applies(typical):
            typical[q.id] = None
    return typical


def example_answers(directory: str | Path | None = None, *, fallback_rows: int = 4) -> dict[str, dict[str, Any]]:
    """The example answer sets by name: ``examples/*.json`` of the repository (or ``directory``).

    Without example files, ``fallback_rows`` rows of the synthetic generator
    (seed 0) stand in, named ``synthetic_1``, ``synthetic_2``, ...
    """
    folder = Path(directory) if directory is not None else repo_root() / "examples"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    out: dict[str, dict[str, Any]] = {}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected one JSON object of answers")
        out[path.stem] = data
    if out:
        return out
    from model.truth.generator import generate

    sample = generate(fallback_rows, seed=0)[list(QUIZ.ids)].astype(object)
    sample = sample.where(sample.notna(), None)
    return {
        f"synthetic_{i + 1}": {str(k): v for k, v in row.to_dict().items()}
        for i, (_, row) in enumerate(sample.iterrows())
    }


def _clean(raw: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    result = validate_frame(raw, as_of, extra="ignore")
    if result.n_rejected:
        raise AnswersError(result.problem_list())
    return result.clean


def answers_frame(answers: Mapping[str, Mapping[str, Any]], as_of: Any = None) -> pd.DataFrame:
    """Named raw answer sets -> clean answers (``validate_frame``), indexed by name; raises on any problem."""
    raw = pd.DataFrame.from_records([dict(a) for a in answers.values()], index=list(answers)).astype(object)
    return _clean(raw.where(raw.notna(), None), as_of)


# ------------------------------------------------------------------------------------------------
# Effect curves and sensitivity
# ------------------------------------------------------------------------------------------------


def effect_curve(
    base: Mapping[str, Any],
    vary: str,
    values: Iterable[Any],
    *,
    follow: Sequence[str] = (),
    model: Any = None,
    overrides: Mapping[str, float] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """True probability (and the model's odds) as one answer moves and every other answer stays at ``base``.

    ``follow`` names answers set to the same value as ``vary`` on each row
    (e.g. ``days_blocked`` following ``days_silent``: the block came with the
    last contact). Moving ``days_silent`` moves the contact of the past 7 days
    with it (``_contact_follows_silence``). Every row is validated; a combination the quiz rejects
    raises ``AnswersError`` naming it rather than being dropped. Returns one
    row per value: the value, ``p_true`` (the generator's truth under
    ``overrides``) and, with a ``model``, ``reversal_odds``, ``odds_low``, ``odds_high``.
    """
    if vary not in QUIZ.ids:
        raise ValueError(f"unknown question {vary!r}; expected one of {', '.join(QUIZ.ids)}")
    values = list(values)
    raw = pd.DataFrame({k: pd.Series([v] * len(values), dtype=object) for k, v in base.items()})
    for col in (vary, *follow):
        raw[col] = pd.Series(values, dtype=object)
    if "days_silent" in (vary, *follow) and "attempts_last_week" not in (vary, *follow):
        raw = _contact_follows_silence(raw)
    clean = _clean(raw, as_of)
    out = pd.DataFrame({vary: values})
    out["p_true"] = true_probability(clean, overrides)
    if model is not None:
        pred = model.predict_clean(clean)
        for col in ODDS_COLUMNS:
            out[col] = pred[col].to_numpy()
    return out


def _contact_follows_silence(raw: pd.DataFrame) -> pd.DataFrame:
    """Contact in the past 7 days that agrees with each row's silence, as validation requires: at least one
    while the last contact is less than a week old, none after (the report's what-if ages answers alike).
    Rows whose answers are not numbers are left as they are, for validation to name."""
    silent = pd.to_numeric(raw["days_silent"], errors="coerce")
    week = pd.to_numeric(raw["attempts_last_week"], errors="coerce")
    ok = silent.notna() & week.notna()
    raw = raw.copy()
    new_week = week.where(silent >= 7, week.clip(lower=1)).where(silent < 7, 0)
    raw.loc[ok, "attempts_last_week"] = new_week[ok].astype(int).astype(object)
    if "last_reply_tone" in raw and "attempts_ignored" in raw:  # never replied: this week's went unanswered too
        ignored = pd.to_numeric(raw["attempts_ignored"], errors="coerce")
        fix = ok & ignored.notna() & (raw["last_reply_tone"] == "never_replied") & (ignored < new_week)
        raw.loc[fix, "attempts_ignored"] = new_week[fix].astype(int).astype(object)
    return raw


def sensitivity(
    clean: pd.DataFrame,
    *,
    names: Sequence[str] | None = None,
    groups: Sequence[str] = SAMPLED_GROUPS,
) -> pd.DataFrame:
    """How far each assumption moves the true probability of each answer set, from its low to its high end.

    One row per (assumption, answer set): ``p_low``, ``p_value`` and
    ``p_high`` are the true probabilities with that one assumption at the
    low end of its plausible range, its reviewed value and its high end
    (everything else at its value; the intercept is solved again each time, as
    in the generator), and ``change = p_high - p_low``. No training is needed.
    Defaults to the assumptions the model's range is drawn from (target,
    effects, shapes); pass ``groups=("answers",)`` for who takes the quiz.
    """
    table = load_assumptions()
    chosen = list(names) if names is not None else [n for n, a in table.items() if a.group in groups]
    p_value = true_probability(clean)
    parts = []
    for name in chosen:
        a = table[name]
        parts.append(
            pd.DataFrame(
                {
                    "assumption": name,
                    "group": a.group,
                    "unit": a.unit,
                    "answers": clean.index,
                    "low": a.low,
                    "value": a.value,
                    "high": a.high,
                    "p_low": true_probability(clean, {name: a.low}),
                    "p_value": p_value,
                    "p_high": true_probability(clean, {name: a.high}),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["change"] = out["p_high"] - out["p_low"]
    return out


# ------------------------------------------------------------------------------------------------
# Figures: every one has a title, labelled axes and units
# ------------------------------------------------------------------------------------------------

_UNIT = re.compile(r"\([^()]+\)\s*$")


def figure_problems(fig: Any) -> list[str]:
    """What a figure lacks: a title (its own or the figure's) and x/y labels ending in a (unit).

    A y label may sit on a sibling the axes shares its y axis with (side by
    side panels label the first only), and likewise for x. Colour bars are
    checked for a label with a unit too.
    """
    problems: list[str] = []
    suptitle = fig._suptitle.get_text().strip() if getattr(fig, "_suptitle", None) else ""
    for i, ax in enumerate(fig.axes):
        name = f"figure {fig.number} axes {i + 1}"
        if not ax.axison:
            continue
        if ax.get_label() == "<colorbar>":
            label = ax.get_ylabel() or ax.get_xlabel()
            if not _UNIT.search(label):
                problems.append(f"{name} (colour bar): label {label!r} does not end in a (unit)")
            continue
        if not (ax.get_title().strip() or suptitle):
            problems.append(f"{name}: no title")
        for axis, getter, shared in (
            ("x", "get_xlabel", ax.get_shared_x_axes()),
            ("y", "get_ylabel", ax.get_shared_y_axes()),
        ):
            labels = [getattr(s, getter)().strip() for s in shared.get_siblings(ax)]
            labels = [lab for lab in labels if lab] or [getattr(ax, getter)().strip()]
            if not labels[0]:
                problems.append(f"{name}: no {axis} label")
            elif not all(_UNIT.search(lab) for lab in labels):
                problems.append(f"{name}: {axis} label {labels[0]!r} does not end in a (unit)")
    return problems


_CHECK: dict[str, Any] = {"seen": set(), "count": 0, "problems": []}


def _check_open_figures() -> None:
    import matplotlib.pyplot as plt

    for num in plt.get_fignums():
        fig = plt.figure(num)
        if id(fig) in _CHECK["seen"]:
            continue
        _CHECK["seen"].add(id(fig))
        _CHECK["count"] += 1
        _CHECK["problems"].extend(figure_problems(fig))


def install_figure_check() -> None:
    """Check every figure a notebook cell leaves open, before the inline backend shows and closes it.

    Run first in a kernel (the notebook runner injects it); then
    ``assert_figures_checked`` at the end fails the run if any figure lacks a
    title, an axis label or a unit.
    """
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        raise RuntimeError("install_figure_check runs inside an IPython kernel")
    _CHECK.update(seen=set(), count=0, problems=[])
    ip.events.register("post_execute", _check_open_figures)


def assert_figures_checked(minimum: int = 1) -> int:
    """Raise if a checked figure lacked a title, label or unit, or fewer than ``minimum`` were seen."""
    _check_open_figures()
    if _CHECK["problems"]:
        raise AssertionError("figures without a title, labelled axes or units:\n  " + "\n  ".join(_CHECK["problems"]))
    if _CHECK["count"] < minimum:
        raise AssertionError(f"expected at least {minimum} figure(s), saw {_CHECK['count']}")
    return int(_CHECK["count"])


def odds_axis_label() -> str:
    """The y label every odds plot uses, with its unit."""
    return "probability of getting back together (0 to 1)"
