# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · What if the guide is wrong about one thing?
#
# Pick one assumption and a new value (the parameters cell below; headless:
# `exodds notebooks 03 --set ASSUMPTION=block_some_harm --set FACTOR=2.0 --out-dir /tmp/whatif`,
# so the committed page in reports/notebooks/ stays the reviewed one). The notebook draws
# synthetic data twice with the same seed, once with the reviewed assumptions and once with the
# change, retrains the model on each (a small sample, so it is quick), and shows how the odds and
# the report move for the example answer sets. At the end, a sensitivity chart that needs no
# training: which assumptions move the true odds the most across their plausible ranges.
#
# The intercept is solved again for every change, so the overall rate stays at the target and the
# change moves odds between people, not the average.

# %% tags=["parameters"]
ASSUMPTION = "ex_reached_out_boost"  # a name from model/truth/assumptions.toml
FACTOR = 1.5  # new value = FACTOR x the reviewed value (here 1.0 -> 1.5: the high end of its range) ...
VALUE = None  # ... unless VALUE is given (a number), which is used as is
ROWS = 20_000  # synthetic rows each model is trained on
SEED = 1  # seed of both synthetic samples (same seed: the same people, unless an answers assumption changes)
MEMBERS = 5  # bootstrap members for each retrained model's range
AS_OF = "2026-11-26"  # the as-of date of the example answer sets
POPULATION_ROWS = 2_000  # generated rows for the population-wide sensitivity

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import explore
from model.quiz.definition import QUIZ
from model.report.build import build_report
from model.training.train import TrainConfig, train_model
from model.truth import generator as synthetic

ODDS = explore.odds_axis_label()
table = explore.assumptions_frame()
if ASSUMPTION not in table.index:
    raise ValueError(f"unknown assumption {ASSUMPTION!r}; valid names: {', '.join(table.index)}")
reviewed = float(table.loc[ASSUMPTION, "value"])
new_value = float(VALUE) if VALUE is not None else reviewed * FACTOR
overrides = {ASSUMPTION: new_value}
synthetic.assumption_values(overrides)  # raises, naming the value, if it is impossible for its unit
row = table.loc[ASSUMPTION]
print(
    f"{ASSUMPTION}: {reviewed:g} -> {new_value:g} {row['unit']} "
    f"(plausible range {row['low']:g} to {row['high']:g}; "
    f"{'inside' if row['low'] <= new_value <= row['high'] else 'OUTSIDE'} it)"
)
print(f"meaning: {row['meaning']}\nsource:  {row['source']}")
if row["unit"] == "log-odds" and np.sign(new_value) * np.sign(reviewed) < 0:
    print(
        "NOTE: this turns the guide's direction around. Where the model keeps the guide's direction as a "
        "constraint (ignored attempts, contact this week, emotional messages, anger, a block, a request to "
        "stop, bad blood: model/basis.py), the retrained model cannot follow the reversal and flattens the "
        "effect to zero; the truth below still shows it."
    )

# %% [markdown]
# ## The truth moves first
#
# Both samples use the same seed. Unless the assumption is about who takes the quiz (group
# `answers`), they hold the very same people, and only their true probabilities differ.

# %%
before = synthetic.generate(ROWS, seed=SEED)
after = synthetic.generate(ROWS, seed=SEED, overrides=overrides)
same_people = before[list(QUIZ.ids)].equals(after[list(QUIZ.ids)])
pd.DataFrame(
    {
        "reviewed assumptions": [before["p_true"].mean(), before["reconciled"].mean()],
        "what if": [after["p_true"].mean(), after["reconciled"].mean()],
    },
    index=["mean true probability", "share reconciled in the sample"],
).round(4)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
edges = np.linspace(0, 1, 41)
axes[0].hist(before["p_true"], bins=edges, histtype="step", lw=2, color="#345", label="reviewed")
axes[0].hist(after["p_true"], bins=edges, histtype="step", lw=2, color="#c33", label=f"what if ({new_value:g})")
axes[0].set(
    title="Spread of true probabilities", xlabel="true probability p_true (0 to 1)", ylabel="synthetic people (count)"
)
axes[0].legend(fontsize=8)
if same_people:
    hb = axes[1].hexbin(
        before["p_true"], after["p_true"], gridsize=40, bins="log", cmap="Blues", extent=(0, 1, 0, 1), mincnt=1
    )
    axes[1].plot([0, 1], [0, 1], color="#c33", lw=1)
    fig.colorbar(hb, ax=axes[1], label="people (count, log scale)")
    axes[1].set(
        title="The same people, before and after",
        xlabel="true probability, reviewed (0 to 1)",
        ylabel="true probability, what if (0 to 1)",
    )
else:
    axes[1].set_axis_off()
fig.suptitle(f"What if {ASSUMPTION} = {new_value:g} (reviewed: {reviewed:g})")
fig.tight_layout()

# %% [markdown]
# Which parts of the true log-odds moved (mean absolute change per term, same people): the term the
# assumption belongs to, and the intercept that keeps the overall rate on target.

# %%
if same_people:
    answers = before[list(QUIZ.ids)]
    moved = (synthetic.logit_terms(answers, overrides) - synthetic.logit_terms(answers)).abs().mean()
    fig, ax = plt.subplots(figsize=(7, 4))
    moved.plot.barh(ax=ax, color=["#c33" if v > 1e-9 else "#bbb" for v in moved])
    ax.set(
        title="Which terms of the true log-odds moved", xlabel="mean absolute change (log-odds)", ylabel="term (name)"
    )
    fig.tight_layout()
else:
    print(
        f"{ASSUMPTION} changes who takes the quiz, not anyone's odds: the two samples hold different "
        "people, so there is no per-person change to show here."
    )

# %% [markdown]
# ## Retrain on each sample
#
# Each model is trained on `ROWS` rows exactly as `exodds train --data` would (calibration chosen on
# held-out slices); its range comes from `MEMBERS` bootstrap resamples, so it shows sampling noise,
# not the assumption ensemble of the shipped model.

# %%
config = TrainConfig(rows=ROWS, seed=SEED, members=MEMBERS, n_jobs=1)
models = {
    "reviewed": train_model(before, config, source="notebook 03: reviewed assumptions"),
    "what if": train_model(after, config, source=f"notebook 03: {ASSUMPTION}={new_value:g}"),
}
pd.DataFrame({k: m.card["held_out_metrics"] for k, m in models.items()}).drop(["held_out"]).T

# %% [markdown]
# ## The example answer sets
#
# For each example (`examples/*.json`): the true probability and the retrained model's odds under
# both, and the report `model.report.build.build_report` gives with each model. Both models here are
# retrained on a small sample, so "model reviewed" is close to, but not the same as, the shipped
# model's odds in reports/examples/. The plan's stage and
# earliest date come from the advice rules and the answers, not from the odds, so only the band
# can move with an assumption.

# %%
examples = explore.example_answers()
clean = explore.answers_frame(examples, as_of=AS_OF)
truth = {"reviewed": synthetic.true_probability(clean), "what if": synthetic.true_probability(clean, overrides)}
reports = {name: {k: build_report(a, AS_OF, model=m) for k, m in models.items()} for name, a in examples.items()}
rows = []
for name, by_model in reports.items():
    r0, r1 = by_model["reviewed"], by_model["what if"]
    i = clean.index.get_loc(name)
    rows.append(
        {
            "example": name,
            "truth reviewed": truth["reviewed"][i],
            "truth what if": truth["what if"][i],
            "model reviewed": r0["reversal_odds"],
            "model what if": r1["reversal_odds"],
            "truth change (points)": 100 * (truth["what if"][i] - truth["reviewed"][i]),
            "model change (points)": 100 * (r1["reversal_odds"] - r0["reversal_odds"]),
            "band reviewed": r0["band"],
            "band what if": r1["band"],
            "stage": r0["stage_name"],
            "stage what if": r1["stage_name"],
            "earliest contact": r0["earliest_contact"],
        }
    )
moves = pd.DataFrame(rows).set_index("example")
moves.round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 0.55 * len(moves) + 1.6))
y = np.arange(len(moves))
for col0, col1, color, dy, label in [
    ("truth reviewed", "truth what if", "#345", -0.12, "truth"),
    ("model reviewed", "model what if", "#e90", 0.12, "retrained model"),
]:
    ax.hlines(y + dy, moves[col0], moves[col1], color=color, lw=2)
    ax.plot(moves[col0], y + dy, "o", color=color, mfc="white", label=f"{label}, reviewed")
    ax.plot(moves[col1], y + dy, "o", color=color, label=f"{label}, what if")
ax.set_yticks(y, moves.index)
ax.invert_yaxis()
ax.set(
    title=f"How the odds move for each example: {ASSUMPTION} {reviewed:g} -> {new_value:g}",
    xlabel=ODDS,
    ylabel="example answer set (file name)",
    xlim=(0, 1),
)
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()

# %% [markdown]
# ### The report's "what if I wait" chart, before and after
#
# The report's own chart: the odds if nothing at all happens for the next days (no contact, a block
# stays, no reply arrives). It is not a countdown. Where there is a safety concern there is no chart;
# where the plan gives no date (after a request to stop, or when it is time to move on) the chart
# marks no day.

# %%
charted = [n for n in reports if reports[n]["reviewed"]["what_if"] and reports[n]["reviewed"]["what_if"]["points"]]
if charted:
    cols = min(3, len(charted))
    rows_n = int(np.ceil(len(charted) / cols))
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.2 * rows_n), sharey=True, squeeze=False)
    for ax, name in zip(axes.flat, charted, strict=False):
        for key, color in [("reviewed", "#345"), ("what if", "#c33")]:
            pts = pd.DataFrame(reports[name][key]["what_if"]["points"])
            ax.plot(pts["day"], pts["reversal_odds"], color=color, label=key)
            ax.fill_between(pts["day"], pts["odds_low"], pts["odds_high"], color=color, alpha=0.12)
        ax.set(title=name, xlabel="days from the as-of date (days)", ylim=(0, 1))
    for ax in axes[:, 0]:
        ax.set_ylabel("probability (0 to 1)")
    for ax in list(axes.flat)[len(charted) :]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Odds if nothing changes for the next days, reviewed against what if")
    fig.tight_layout()

# %% [markdown]
# ## Which assumptions move the odds the most
#
# For every assumption behind the odds (target, effects, shapes), the true probability with it at the
# low end and at the high end of its plausible range, everything else at its reviewed value
# (`model.explore.sensitivity`; no training needed). Left: the change for each example answer set.
# Right: the mean absolute change over `POPULATION_ROWS` generated people, and the largest over the
# examples. The assumption chosen above is marked.

# %%
population = synthetic.generate(POPULATION_ROWS, seed=SEED + 1)[list(QUIZ.ids)]
population.index = [f"person {i}" for i in range(len(population))]
sens = explore.sensitivity(pd.concat([clean.astype(object), population.astype(object)]))  # one pass for both
in_examples = sens["answers"].isin(clean.index)
change = sens[in_examples].pivot(index="assumption", columns="answers", values="change")[list(clean.index)]
summary = pd.DataFrame(
    {
        "population: mean |change|": sens[~in_examples]["change"].abs().groupby(sens["assumption"]).mean(),
        "examples: largest |change|": change.abs().max(axis=1),
    }
).sort_values("population: mean |change|")
change = change.loc[summary.index]

fig, (left, right) = plt.subplots(
    1, 2, figsize=(13, 0.3 * len(summary) + 2), sharey=True, gridspec_kw={"width_ratios": [1.3, 1]}
)
# colours saturate at the largest effect other than the overall rate, which would wash out the rest
others = change.drop(index=[n for n in change.index if table.loc[n, "group"] == "target"])
lim = max(float(np.abs(others.to_numpy()).max()), 1e-3)
im = left.imshow(change.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
for (i, j), v in np.ndenumerate(change.to_numpy()):
    if abs(v) >= 0.01:
        left.text(
            j, i, f"{v:+.2f}", ha="center", va="center", fontsize=7, color="white" if abs(v) > 0.6 * lim else "black"
        )
left.set_xticks(range(change.shape[1]), change.columns, rotation=30, ha="right")
left.set_yticks(range(len(change)), change.index, fontsize=8)
fig.colorbar(
    im,
    ax=[left, right],
    orientation="horizontal",
    location="bottom",
    pad=0.09,
    fraction=0.025,
    shrink=0.5,
    anchor=(0.15, 1.0),
    label="p at high end - p at low end (probability; colours saturate)",
)
left.set(
    title="Change from low to high, per example", xlabel="example answer set (file name)", ylabel="assumption (name)"
)
yy = np.arange(len(summary))
right.barh(yy, summary["population: mean |change|"], color="#7a9cc6", label="population: mean |change|")
right.plot(summary["examples: largest |change|"], yy, "d", color="#345", label="examples: largest |change|")
right.set(title="How much each assumption moves the odds", xlabel="change in probability, low to high (probability)")
right.legend(fontsize=8, loc="center right")
if ASSUMPTION in summary.index:
    k = summary.index.get_loc(ASSUMPTION)
    for ax in (left, right):
        ax.axhspan(k - 0.5, k + 0.5, color="#c33", alpha=0.15, lw=0)
else:
    print(f"{ASSUMPTION} is not in this chart: it sets who takes the quiz, not how the odds follow the answers.")
summary.sort_values("population: mean |change|", ascending=False).head(10).round(4)
