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
# # 05 · Updating the guide's odds with real outcomes
#
# The shipped model only knows the guide's assumptions. When people who took the quiz later say
# whether they got back together, `exodds update` uses those outcomes to correct it, as far as they
# allow and no further. This notebook walks through one follow-up, step by step:
#
# 1. **simulate a follow-up** from a world where the guide is wrong in ways we choose;
# 2. **update** the model with it (`exodds update`), and read the decision: keep the model, re-estimate
#    its intercept, recalibrate it, or revise each question's weight, chosen by the closed testing
#    procedure of Vergouwe et al. (2017);
# 3. **compare** the model before and after on other people from the same world (`exodds evaluate
#    --data`), with the figures clinical prediction work asks for, and, since we simulated it, against
#    the truth itself.
#
# The follow-up is simulated: who answers is drawn as the generator draws them, but whether they got
# back together follows a world we wrote. With real outcomes there is no truth column, only the
# outcomes, and everything below except the comparison with `p_true` works the same.

# %% tags=["parameters"]
FOLLOW_UP_ROWS = 2_000  # people who reported back: the outcomes the update learns from
HELD_OUT_ROWS = 5_000  # other people of the same world: the comparison (never seen by the update)
SEED = 2027
# The world of the follow-up, as changes to the guide's own assumptions (model/truth/assumptions.toml):
# fewer couples get back together, a block hurts more, a warm last reply helps less. Our choice for
# this walk-through, not a finding.
WORLD = {
    "overall_reconciliation_rate": 0.18,
    "block_some_harm": 1.2,
    "block_everywhere_extra_harm": 1.2,
    "reply_positive_boost": 0.4,
}
BOOTSTRAP = 200  # resamples behind the intervals of smooth ECE and the calibration curve's band
SIZES = [250, 500, 1_000, 2_000]  # follow-up sizes compared at the end
SEEDS_PER_SIZE = 10

# %%
import contextlib
import io
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import explore
from model.cli import main
from model.odds.artifacts import load_model
from model.odds.provenance import odds_basis
from model.quiz.validation import validate_frame
from model.report.build import build_report
from model.report.evaluation import curve_figure
from model.training import realmetrics, update
from model.training.recalibrate import basis_of
from model.truth import assumptions, generator

ODDS = explore.odds_axis_label()
work = Path(tempfile.mkdtemp(prefix="exodds-update-"))
shipped = load_model()
table = assumptions.load_assumptions()
pd.DataFrame(
    [
        {
            "assumption": k,
            "the guide's value": table[k].value,
            "this world": v,
            "source of the guide's value": table[k].source,
        }
        for k, v in WORLD.items()
    ]
).set_index("assumption")


# %% [markdown]
# ## 1 · Simulate a follow-up
#
# Each person answered the quiz on some day in the first half of 2027 (`answered_on`) and, months
# later, said whether they got back together (`reconciled`). The file looks like what a coach would
# collect: the quiz answers as given at the time, the day, and the outcome. Three rows are broken on
# purpose (an outcome of "maybe", an unknown choice, a missing date), as real files are.


# %%
def follow_up(rows: int, seed: int) -> pd.DataFrame:
    """People answering the quiz (the generator's population), their outcome drawn from WORLD's truth."""
    answers = generator.generate(rows, seed=seed).drop(columns=["reconciled", "p_true"])
    p_true = generator.true_probability(answers, WORLD)
    reconciled = (np.random.default_rng([seed, 1]).random(rows) < p_true).astype(int)
    return answers.assign(reconciled=reconciled, p_true=p_true)


people = follow_up(FOLLOW_UP_ROWS, SEED)
days = np.random.default_rng(SEED).integers(0, 180, FOLLOW_UP_ROWS)
export = (
    people.drop(columns=["p_true"])
    .assign(answered_on=(np.datetime64("2027-01-04") + days.astype("timedelta64[D]")).astype(str))
    .astype(str)
)
export.loc[2, "reconciled"], export.loc[5, "anger"], export.loc[7, "answered_on"] = "maybe", "livid", ""
outcomes_file = work / "follow-up.csv"
export.to_csv(outcomes_file, index=False)
print(
    f"{len(export):,} rows, {people['reconciled'].mean():.1%} reconciled "
    f"(the guide's base rate: {table['overall_reconciliation_rate'].value:.0%})"
)
export.head(4)

# %% [markdown]
# ## 2 · Update
#
# The same command an analyst would type:
#
# ```sh
# exodds update --outcomes follow-up.csv --as-of-column answered_on --horizon-days 180 --out updated/
# ```
#
# It reads the file exactly as `exodds score` reads an export (rejected rows go to an errors file,
# with where and why), says what that many outcomes and events support (Riley et al. 2021), fits the
# four candidate updates, runs the likelihood ratio tests from the most to the least extensive one, and
# writes a model directory that `report`, `score`, `serve` and `evaluate` take with `--model`.

# %%
updated_dir = work / "updated"
out = io.StringIO()
with contextlib.chdir(work), contextlib.redirect_stdout(out):  # (in the folder of the file, as one would type it)
    code = main(
        [
            "update",
            "--outcomes",
            "follow-up.csv",
            "--as-of-column",
            "answered_on",
            "--horizon-days",
            "180",
            "--out",
            "updated",
        ]
    )
print(out.getvalue())
print(f"exit status {code} (3: written, but some rows were rejected)")
print((work / "follow-up.errors.csv").read_text())

# %% [markdown]
# The card records where the model came from: the model it updated, the outcomes (their file's
# SHA-256, how many, their dates), the method chosen and every test.

# %%
updated = load_model(updated_dir)
card = updated.card
print(json.dumps({k: card[k] for k in ("source", "updated_from", "outcomes")}, indent=1))
pd.DataFrame(card["update"]["tests"]).set_index("compared").round(4)

# %% [markdown]
# When the revision wins, each question keeps the shape the guide gave it and gets its own weight,
# relative to the shipped one (1: unchanged), shrunk towards a common value so that a few outcomes
# cannot swing one question far. The world above made a block hurt more and a warm reply help less.
# A multiplier scales all of a question's answers together: a warm reply is one of four answers to
# `last_reply_tone`, so a smaller boost for it moves that question's multiplier only a little. And a
# multiplier estimated from a few hundred events is noisy (the grey bars, unshrunk): read the large
# moves, not the small ones.

# %%
detail = card["update"]["candidates"]["revision"]
mult = pd.DataFrame({"shrunk (applied)": detail["multipliers"], "maximum likelihood": detail["ml_multipliers"]})
fig, ax = plt.subplots(figsize=(8, 4.2))
ypos = np.arange(len(mult))
ax.barh(ypos - 0.2, mult["maximum likelihood"], height=0.4, color="#bbb", label="maximum likelihood (tests)")
ax.barh(ypos + 0.2, mult["shrunk (applied)"], height=0.4, color="#345", label="shrunk (applied if chosen)")
ax.axvline(1.0, color="#c33", ls=":", lw=1, label="the shipped weight")
ax.set_yticks(ypos, mult.index)
ax.invert_yaxis()
ax.set(
    title=f"Each question's weight in the revision (chosen: {card['update']['method']})",
    xlabel="weight relative to the shipped model (ratio)",
    ylabel="question (quiz id)",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 3 · Compare, on other people of the same world
#
# `exodds evaluate --data later.csv --model updated/` scores a file of outcomes with the model as it
# is (nothing is retrained) and, for an updated model, with the model it came from, side by side. The
# figures: calibration in the large (are the odds too high or low overall?), the calibration slope
# (too spread out or too bunched?), a smoothed calibration curve with its band, smooth ECE with an
# interval and the value even a perfectly calibrated model would show here, binned ECE with its bins,
# the Brier score split into its parts, and AUC with DeLong's interval.

# %%
later = follow_up(HELD_OUT_ROWS, SEED + 1)
later_clean = validate_frame(later.drop(columns=["reconciled", "p_true"]), extra="ignore").clean
predictions = {
    "before update": shipped.predict_clean(later_clean)["reversal_odds"].to_numpy(),
    "after update": updated.predict_clean(later_clean)["reversal_odds"].to_numpy(),
}
result = realmetrics.evaluate_real(later["reconciled"].to_numpy(), predictions, n_boot=BOOTSTRAP)
print(realmetrics.format_table(result))

# %%
fig = curve_figure(result, predictions)

# %% [markdown]
# Because the follow-up is simulated, we also know each person's true probability, which real outcomes
# never give: how far is each model from it?

# %%
truth = later["p_true"].to_numpy()
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
for ax, (name, p) in zip(axes, predictions.items(), strict=True):
    ax.hexbin(truth, p, gridsize=40, bins="log", cmap="Blues", extent=(0, 1, 0, 1), mincnt=1)
    ax.plot([0, 1], [0, 1], color="#c33", lw=1)
    ax.set(
        title=f"{name}: mean |difference| {np.mean(np.abs(p - truth)):.3f}",
        xlabel="true probability in this world (0 to 1)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
axes[0].set_ylabel(ODDS)
fig.tight_layout()

# %% [markdown]
# And what a person taking the quiz reads: every report made with the updated model says, next to the
# odds, that they are the guide's assumptions updated with real outcomes, and when those were collected.

# %%
answers = json.loads((explore.repo_root() / "examples" / "good.json").read_text())
for name, m in (("before", shipped), ("after", updated)):
    r = build_report(answers, as_of="2027-07-01", model=m)
    comma = "," if r["model"]["updated_with"] else ""
    print(
        f"{name}: {r['reversal_odds']:.0%} (range {r['odds_low']:.0%} to {r['odds_high']:.0%}), "
        f"as {r['model']['odds_basis']}{comma} see them"
    )

# %% [markdown]
# ## How many outcomes does it take?
#
# The same world, follow-ups of several sizes, several seeds each (only the decision and the fitted
# model: no range). With few outcomes the tests seldom reject, and the model is kept or given a new
# intercept; with more, they detect that the questions weigh differently. The shipped model's
# distance from the truth is the dotted line.

# %%
test_X = basis_of(later_clean)
rows = []
for n in SIZES:
    for s in range(SEEDS_PER_SIZE):
        f = follow_up(n, 10_000 + 100 * n + s)
        clean = validate_frame(f.drop(columns=["reconciled", "p_true"]), extra="ignore").clean
        y = f["reconciled"].to_numpy(float)
        cands = update.fit_candidates(shipped, basis_of(clean), y, seed=s)
        method, _, _ = update.closed_test(cands)
        c = cands[method]
        p = 1 / (1 + np.exp(-(c.intercept + test_X @ c.coef)))
        rows.append({"outcomes": n, "events": int(y.sum()), "chosen": method, "mae": np.mean(np.abs(p - truth))})
sizes = pd.DataFrame(rows)
shipped_mae = float(np.mean(np.abs(predictions["before update"] - truth)))
fig, ax = plt.subplots(figsize=(7, 4))
summary = sizes.groupby("outcomes")["mae"].agg(["mean", "min", "max"])
ax.fill_between(
    summary.index,
    summary["min"],
    summary["max"],
    color="#7a9cc6",
    alpha=0.4,
    lw=0,
    label="closed test: range over seeds",
)
ax.plot(summary.index, summary["mean"], "o-", color="#345", label="closed test: mean")
ax.axhline(shipped_mae, color="#c33", ls=":", label="shipped model")
ax.set_xscale("log")
ax.set(
    title="Distance to the truth after an update, by follow-up size",
    xlabel="outcomes in the follow-up (count, log scale)",
    ylabel="mean |predicted − true| (probability)",
)
ax.legend(fontsize=8)
fig.tight_layout()
pd.crosstab(sizes["outcomes"], sizes["chosen"]).reindex(columns=list(update.METHODS), fill_value=0)

# %% [markdown]
# ## What it cannot do
#
# - **It only re-weighs what the guide already names.** The revision scales each question's shape; a
#   shape the guide's model lacks (an effect that fades differently, an interaction it never had)
#   stays missing. The benchmarks (`benchmarks/bench_update.py`) include worlds built that way.
# - **The people who report back may not be the people who take the quiz.** If those who got back
#   together are likelier to answer, the update learns their rate, not everyone's.
# - **A follow-up of a few hundred says little.** Fewer than 100 events give wide intervals (the
#   printout says how wide), and the tests then rarely find a difference even where there is one.
# - **The odds are still not a measured chance for one person.** Reports say what the odds rest on,
#   next to them, in the words below.

# %%
print(odds_basis(card))
