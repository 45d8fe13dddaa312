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
# # 02 · Calibration and truth
#
# How well does the shipped model recover the generator's assumptions? `model.training.evaluate.evaluate`
# fits two peers on the model's own training rows (plain logistic regression on the raw
# variables, and gradient boosting, which knows nothing of the guide) and scores all three on the
# same fresh held-out rows. Because the rows are synthetic, each carries its true probability
# `p_true`, so besides the usual scores we can measure the distance to the truth itself.
#
# These figures say how well the models learn the guide's assumptions, not how well anyone
# predicts real breakups.

# %% tags=["parameters"]
HELD_OUT_ROWS = 20_000  # fresh held-out rows drawn by the generator (seed: the model's seed + 1)
BINS = 15  # reliability-diagram bins (equal width)
PEERS = ("logistic_raw", "boosting")  # None: every installed peer (EBM too, with the extra `peers`: minutes)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.odds.artifacts import load_model
from model.training.evaluate import evaluate
from model.training.metrics import reliability_table
from model.training.train import clean_training_data
from model.truth import generator as synthetic

ODDS = "predicted probability (0 to 1)"
model = load_model()
result = evaluate(model=model, held_out_rows=HELD_OUT_ROWS, peer_names=PEERS)
pred, y, truth = result["_predictions"], result["_y"], result["_truth"]
names = list(pred)
colors = dict(zip(names, ["#345", "#e90", "#2a7", "#a3c"][: len(names)], strict=True))
result["setup"]

# %% [markdown]
# ## Scores on the held-out rows
#
# Lower is better for all but AUC. `mae_p_true` is the mean distance to the true probability;
# `brier_gap_to_truth` the Brier score above the one the truth itself gets (about zero is as good
# as it gets; on a small sample it can dip below zero by chance).

# %%
pd.DataFrame(result["metrics"]).T.drop(columns="rows").round(4)

# %% [markdown]
# ## Reliability diagrams
#
# Among rows given about p, about a share p should reconcile. Bars underneath: how many held-out
# rows fall in each bin.

# %%
fig, axes = plt.subplots(2, 1, figsize=(6.5, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
ax, hist = axes
ax.plot([0, 1], [0, 1], color="#999", ls=":", lw=1, label="perfectly calibrated")
width = 1 / BINS / (len(names) + 1)
for k, name in enumerate(names):
    t = reliability_table(y, pred[name], bins=BINS)
    used = t["count"] > 0
    ax.plot(t["mean_predicted"][used], t["observed"][used], "o-", ms=4, color=colors[name], label=name)
    hist.bar(t["lower"] + (k + 0.5) * width, t["count"], width=width, color=colors[name], align="edge")
t = reliability_table(y, truth, bins=BINS)
used = t["count"] > 0
ax.plot(t["mean_predicted"][used], t["observed"][used], "x", color="#c33", label="the truth (p_true)")
ax.set(
    title=f"Reliability on {len(y):,} held-out rows ({BINS} equal-width bins)",
    ylabel="observed rate of getting back together (0 to 1)",
    xlim=(0, 1),
    ylim=(0, 1),
)
ax.legend(fontsize=8)
hist.set(title="Held-out rows per bin", xlabel=ODDS, ylabel="rows (count)")
fig.tight_layout()

# %% [markdown]
# ## The models against the truth
#
# Each panel puts one model's prediction against the generator's true probability for the same
# row; a perfect model lies on the red diagonal. Colour: how many rows (log scale).

# %%
fig, axes = plt.subplots(1, len(names), figsize=(4.3 * len(names), 4.2), sharey=True)
for ax, name in zip(axes, names, strict=True):
    hb = ax.hexbin(truth, pred[name], gridsize=40, bins="log", cmap="Blues", extent=(0, 1, 0, 1), mincnt=1)
    ax.plot([0, 1], [0, 1], color="#c33", lw=1)
    ax.set(title=f"{name}", xlabel="true probability p_true (0 to 1)", xlim=(0, 1), ylim=(0, 1))
axes[0].set_ylabel(ODDS)
fig.colorbar(hb, ax=axes, label="held-out rows (count, log scale)")
_ = fig.suptitle("Predictions against the generator's truth (synthetic)")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
edges = np.linspace(-0.2, 0.2, 81)
for name in names:
    ax.hist(pred[name] - truth, bins=edges, histtype="step", lw=1.8, color=colors[name], label=name)
ax.axvline(0, color="#999", lw=1)
ax.set(
    title="Prediction minus truth, per held-out row",
    xlabel="p - p_true (probability difference)",
    ylabel="held-out rows (count)",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Where in answer space the model is least right
#
# The held-out rows are drawn again from the same seed (the same rows evaluate scored), so the
# error can be split by the answers. Each cell: the mean |p - p_true| of the rows with those
# answers, and how many rows that is.

# %%
held = synthetic.generate(HELD_OUT_ROWS, seed=result["setup"]["held_out_seed"])
clean, _, held_truth = clean_training_data(held)
assert np.allclose(held_truth, truth), "the regenerated held-out rows differ from the evaluated ones"
errors = pd.DataFrame({name: np.abs(p - truth) for name, p in pred.items()}, index=clean.index)
signed = pd.Series(pred["model"] - truth, index=clean.index)

# %%
grid = errors["model"].groupby([clean["blocked"], clean["told_no_contact"]], observed=False).agg(["mean", "size"])
mean = grid["mean"].unstack()
size = grid["size"].unstack()
fig, ax = plt.subplots(figsize=(6, 3.8))
im = ax.imshow(mean.to_numpy(), cmap="Oranges", vmin=0)
ax.set_xticks(range(mean.shape[1]), mean.columns)
ax.set_yticks(range(mean.shape[0]), mean.index)
for (i, j), v in np.ndenumerate(mean.to_numpy()):
    ax.text(j, i, f"{v:.3f}\n({size.iat[i, j]:,} rows)", ha="center", va="center", fontsize=8)
fig.colorbar(im, ax=ax, label="mean |p - p_true| (probability)")
ax.set(
    title="Model error by block and request to stop",
    xlabel="asked to stop contacting them (answer)",
    ylabel="blocked (answer)",
)
fig.tight_layout()


# %%
def by(column: pd.Series, label: str, title: str) -> pd.DataFrame:
    """Mean |p - p_true| per group for every model, drawn as grouped bars with the row count."""
    table = errors.groupby(column, observed=True).mean()
    count = column.value_counts().reindex(table.index)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    table.plot.bar(ax=ax, color=[colors[n] for n in table.columns], rot=0)
    ax.set_xticks(range(len(table)), [f"{g}\n({n:,} rows)" for g, n in count.items()], fontsize=8)
    ax.set(title=title, xlabel=label, ylabel="mean |p - p_true| (probability)")
    fig.tight_layout()
    return table.assign(rows=count).round(4)


ignored_bins = pd.cut(
    clean["attempts_ignored"], [-1, 0, 2, 4, 8, 15, np.inf], labels=["0", "1-2", "3-4", "5-8", "9-15", "16+"]
)
by(ignored_bins, "attempts the ex ignored (count, grouped)", "Error by ignored attempts")

# %%
silent_bins = pd.cut(
    clean["days_silent"], [-1, 6, 13, 29, 59, 119, np.inf], labels=["0-6", "7-13", "14-29", "30-59", "60-119", "120+"]
)
by(silent_bins, "days since the last contact (days, grouped)", "Error by days of silence")

# %%
by(clean["anger"], "the ex's anger (quiz answer)", "Error by anger")

# %% [markdown]
# ### Bias, not just error
#
# Mean p - p_true: above zero the model is too hopeful for these answers, below too bleak.

# %%
bias = signed.groupby([clean["blocked"], clean["anger"]], observed=False).mean().unstack()
fig, ax = plt.subplots(figsize=(6.5, 3.6))
lim = max(float(np.nanmax(np.abs(bias.to_numpy()))), 1e-3)
im = ax.imshow(bias.to_numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
ax.set_xticks(range(bias.shape[1]), bias.columns)
ax.set_yticks(range(bias.shape[0]), bias.index)
for (i, j), v in np.ndenumerate(bias.to_numpy()):
    ax.text(j, i, "–" if np.isnan(v) else f"{v:+.3f}", ha="center", va="center", fontsize=8)
fig.colorbar(im, ax=ax, label="mean p - p_true (probability)")
ax.set(title="Model bias by block and anger", xlabel="the ex's anger (answer)", ylabel="blocked (answer)")
fig.tight_layout()

# %% [markdown]
# ### The rows the model gets most wrong

# %%
worst = errors["model"].nlargest(10).index
clean.loc[worst].assign(
    p_true=pd.Series(truth, index=clean.index)[worst], model=pd.Series(pred["model"], index=clean.index)[worst]
).round(3)
