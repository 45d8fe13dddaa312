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
# # 04 · A batch look at the committed synthetic sample
#
# An analyst's first look at a scored file: the committed sample `data/synthetic/sample.csv`
# (10,000 synthetic respondents) is read as a form export would be (every value as text) and
# scored by `model.batch.pipeline.score_frame`, the same core `exodds score` streams files through:
# validation, odds with their range, the plain-words band, the plan's stage and earliest next
# contact, and the answers that raise and lower each person's odds the most.
#
# The rows are synthetic: the spread below is what the guide's assumptions imply for the
# generator's population, not a survey of real people.

# %% tags=["parameters"]
DATA = "data/synthetic/sample.csv"  # relative to the repository root
AS_OF = "2026-11-26"  # the day the answers count from (earliest-contact dates are relative to it)
LIMIT = None  # score only the first LIMIT rows (None: all)

# %%
import textwrap
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import explore
from model.batch.core import score_frame
from model.plan.decide import STAGE_NAMES
from model.plan.rules import load_rules

ODDS = explore.odds_axis_label()
rules = load_rules()
BAND_TICKS = [textwrap.fill(b, 12) for b in rules.band_labels]
raw = pd.read_csv(explore.repo_root() / DATA, dtype=str, keep_default_na=False)  # every cell as text, as an export
if LIMIT is not None:
    raw = raw.head(LIMIT)
result = score_frame(raw, as_of=AS_OF)
scored = result.scored
print(
    f"{result.n_rows:,} rows read, {result.n_scored:,} scored, {result.n_rejected:,} rejected; "
    f"model {scored['model_version'].iloc[0]}"
)
result.problems.head(10)

# %%
scored.head(8)

# %% [markdown]
# ## The spread of the odds
#
# Shaded: the bands the report puts into words, relative to the base rate of about 3 in 10 who get
# back together at some point (`model/plan/advice_rules.toml`). The dotted line is that base rate.

# %%
# (a band starts where the whole percentage shown reaches its edge: half a point below the edge)
edges = [0.0, *(rules.band_edges - 0.005).tolist(), 1.0]
fig, ax = plt.subplots(figsize=(9, 4.2))
shades = plt.cm.Greys(np.linspace(0.08, 0.3, len(rules.band_labels)))
for (lo, hi), label, shade in zip(pairwise(edges), rules.band_labels, shades, strict=True):
    ax.axvspan(lo, hi, color=shade, lw=0)
    ax.text((lo + hi) / 2, 1.0, label, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
ax.hist(scored["reversal_odds"], bins=np.linspace(0, 1, 51), color="#345")
ax.axvline(rules.base_rate.value, color="#c33", ls=":", label=f"base rate ({rules.base_rate.value:g})")
ax.set(xlabel=ODDS, ylabel="respondents (count)", xlim=(0, 1))
ax.set_title("Spread of the odds, with the report's bands", pad=18)
ax.legend(fontsize=8)
fig.tight_layout()
scored["reversal_odds"].describe(percentiles=[0.1, 0.25, 0.5, 0.75, 0.9]).round(3).to_frame()

# %% [markdown]
# ## How wide is the range?
#
# The range (10th to 90th percentile across models trained with the assumptions drawn from their
# plausible ranges) is widest in the middle, where the guide's uncertain claims matter most.

# %%
width = scored["odds_high"] - scored["odds_low"]
fig, ax = plt.subplots(figsize=(7, 4))
hb = ax.hexbin(scored["reversal_odds"], width, gridsize=40, bins="log", cmap="Blues", mincnt=1)
fig.colorbar(hb, ax=ax, label="respondents (count, log scale)")
ax.set(title="Width of the range against the odds", xlabel=ODDS, ylabel="odds_high - odds_low (probability)")
fig.tight_layout()

# %% [markdown]
# ## Bands and stages

# %%
band_counts = scored["band"].value_counts().reindex(rules.band_labels, fill_value=0)
stage_counts = scored["stage"].value_counts().reindex(sorted(STAGE_NAMES), fill_value=0)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
axes[0].bar(range(len(band_counts)), band_counts, color="#7a9cc6")
axes[0].set_xticks(range(len(band_counts)), BAND_TICKS)
axes[0].set(title="Respondents per band", xlabel="band (label)", ylabel="respondents (count)")
axes[1].barh([f"{s}: {STAGE_NAMES[s]}" for s in stage_counts.index], stage_counts, color="#2a7")
axes[1].invert_yaxis()
axes[1].set(title="Respondents per stage of the plan", xlabel="respondents (count)", ylabel="stage (number: name)")
fig.tight_layout()

# %% [markdown]
# Bands against stages: the plan follows the answers (waits, blocks, requests to stop), not the
# odds, so every band holds several stages.

# %%
cross = pd.crosstab(scored["stage"], scored["band"]).reindex(columns=rules.band_labels, fill_value=0)
fig, ax = plt.subplots(figsize=(9, 4))
im = ax.imshow(cross.to_numpy(), cmap="Blues", aspect="auto")
ax.set_xticks(range(cross.shape[1]), BAND_TICKS)
ax.set_yticks(range(cross.shape[0]), [f"{s}: {STAGE_NAMES[s]}" for s in cross.index])
for (i, j), v in np.ndenumerate(cross.to_numpy()):
    ax.text(
        j,
        i,
        f"{v:,}",
        ha="center",
        va="center",
        fontsize=8,
        color="white" if v > cross.to_numpy().max() * 0.6 else "black",
    )
fig.colorbar(im, ax=ax, label="respondents (count)")
ax.set(title="Stage of the plan by band", xlabel="band (label)", ylabel="stage (number: name)")
fig.tight_layout()

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
stages = sorted(scored["stage"].unique())
ax.boxplot(
    [scored.loc[scored["stage"] == s, "reversal_odds"] for s in stages],
    orientation="horizontal",
    tick_labels=[f"{s}: {STAGE_NAMES[s]}" for s in stages],
    showfliers=False,
)
ax.invert_yaxis()
ax.set(
    title="Odds within each stage (boxes: quartiles; whiskers: 1.5 IQR)",
    xlabel=ODDS,
    ylabel="stage (number: name)",
    xlim=(0, 1),
)
fig.tight_layout()

# %% [markdown]
# ## When the plan says the next contact could be
#
# Days from the as-of date to the earliest next contact the plan allows. Where the plan advises no
# contact at all there is no date: after a request to stop (most of those rows: the request is
# theirs to lift), for safety first, and when it is time to step back and move on (furious, wronged
# and blocked everywhere, counted under stage 1 here, named "Step back and start moving on" in a
# report).

# %%
earliest = pd.to_datetime(scored["earliest_contact"])
days = (earliest - pd.Timestamp(AS_OF)).dt.days
fig, ax = plt.subplots(figsize=(8, 3.8))
ax.hist(days.dropna(), bins=np.arange(0, days.max() + 2 if days.notna().any() else 2), color="#7a9cc6")
ax.set(
    title=f"Days until the earliest next contact ({days.isna().sum():,} with no contact advised)",
    xlabel="days from the as-of date (days)",
    ylabel="respondents (count)",
)
fig.tight_layout()

# %% [markdown]
# ## What moves people's odds
#
# For each respondent, the answer that raises their odds the most and the one that lowers them the
# most, against an average respondent (`top_factor_up`, `top_factor_down`).


# %%
def tally(column: pd.Series) -> pd.Series:
    """Respondents per question named, '(none)' where no answer stands out; questions never named left out."""
    counts = column.astype("string").fillna("").replace("", "(none)").value_counts()
    return counts[counts > 0]


up, down = tally(scored["top_factor_up"]), tally(scored["top_factor_down"])
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].barh(up.index[::-1], up.to_numpy()[::-1], color="#2a7")
axes[0].set(title="Answer raising the odds the most", xlabel="respondents (count)", ylabel="question (quiz id)")
axes[1].barh(down.index[::-1], down.to_numpy()[::-1], color="#c33")
axes[1].set(title="Answer lowering the odds the most", xlabel="respondents (count)", ylabel="question (quiz id)")
fig.tight_layout()

# %% [markdown]
# ## A sanity check the sample allows
#
# The sample carries the generator's own columns (`p_true`, and `reconciled` drawn from it), which
# scoring ignores. Per band: the mean odds, the mean true probability and the share who reconciled.

# %%
extra = raw.loc[scored.index, ["p_true", "reconciled"]].apply(pd.to_numeric)
check = (
    scored.assign(p_true=extra["p_true"], reconciled=extra["reconciled"])
    .groupby("band", observed=True)
    .agg(
        respondents=("reversal_odds", "size"),
        mean_odds=("reversal_odds", "mean"),
        mean_p_true=("p_true", "mean"),
        reconciled=("reconciled", "mean"),
    )
    .reindex(rules.band_labels)
)
check.round(3)
