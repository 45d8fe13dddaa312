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
# # 01 · The assumptions behind the odds
#
# exodds has no measured outcomes. Its model learns from synthetic quiz answers drawn by
# `model/truth/generator.py`, whose every number is a named assumption in `model/truth/assumptions.toml`:
# a value, a plausible range and a source (a line of the guide, `base-rates.md`, or "our
# assumption"). This notebook lists them all and draws what they imply: the **true probability**
# the generator assumes (`p_true`) as one answer moves with everything else held, next to what the
# **shipped model** predicts for the same answers, with its range (the 10th to 90th percentile
# across models trained with the assumptions drawn from their plausible ranges).
#
# Read every curve as "what the guide's claims imply", not as how real breakups end.

# %% tags=["parameters"]
AS_OF = "2026-11-26"  # the as-of date for answers given as dates (the example answer sets)
MAX_SILENT_DAYS = 180  # longest silence drawn on the curves (days)
MAX_COUNT = 20  # most ignored attempts / emotional messages drawn on the curves

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import explore
from model.odds.artifacts import load_model
from model.quiz.definition import QUIZ
from model.truth.assumptions import stale_assumptions_warning
from model.truth.generator import logit_terms

pd.set_option("display.max_colwidth", 200)
pd.set_option("display.max_rows", 200)
ODDS = explore.odds_axis_label()
model = load_model()
table = explore.assumptions_frame()
print(f"{len(table)} assumptions; model {model.version}, range: {model.card['range']['meaning']}")
if stale_assumptions_warning(model):  # the curves below would compare the new truth with the old model
    print(f"WARNING: {stale_assumptions_warning(model)}")

# %% [markdown]
# ## Every assumption, its value, plausible range and source
#
# The first table holds the assumptions that set anyone's odds (the overall rate, the effects and
# the shapes of the curves). Harms and boosts are magnitudes on the log-odds scale: a harm is
# subtracted, a boost added.

# %%
odds_table = table[table["group"] != "answers"]
odds_table[["group", "term", "unit", "value", "low", "high", "source", "meaning"]]

# %% [markdown]
# The `answers` group decides **who** is in the synthetic data (how common blocks, anger or
# requests to stop are, and how the answers go together). It moves no one's odds directly; it
# matters for what the model sees and for the intercept, which is solved so that the population's
# mean true probability equals the overall rate.

# %%
table.loc[table["group"] == "answers", ["unit", "value", "low", "high", "source", "meaning"]]

# %%
kind = np.select(
    [
        table["source"].str.startswith("line"),
        table["source"].str.contains("base-rates"),
        table["source"].str.startswith("our assumption"),
    ],
    ["the guide (a line of the article)", "published base rates", "our assumption"],
    default="other",
)
counts = pd.crosstab(table["group"], pd.Series(kind, index=table.index, name="source kind")).reindex(
    ["target", "effects", "shapes", "answers"]
)
fig, ax = plt.subplots(figsize=(8, 3.2))
counts.plot.barh(stacked=True, ax=ax, color=["#7a9cc6", "#e0b060", "#c66", "#999"][: counts.shape[1]])
ax.set(title="Where the assumptions come from", xlabel="assumptions (count)", ylabel="group (name)")
ax.legend(title="source", fontsize=8)
counts

# %% [markdown]
# ### Plausible ranges of the effects
#
# The dot is the reviewed value; the bar its plausible range, from which the model's range is
# drawn. Only the overall rate leans on published figures; no study measures any effect below.

# %%
effects = odds_table[odds_table["unit"] == "log-odds"].sort_values("value")
fig, ax = plt.subplots(figsize=(8, 0.28 * len(effects) + 1))
y = np.arange(len(effects))
ax.hlines(y, effects["low"], effects["high"], color="#7a9cc6", lw=5, label="plausible range")
ax.plot(effects["value"], y, "o", color="#234", label="reviewed value")
ax.set_yticks(y, effects.index, fontsize=8)
ax.set(
    title="Effect sizes: reviewed value and plausible range",
    xlabel="effect size (log-odds)",
    ylabel="assumption (name)",
)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Effect curves
#
# Each curve moves one answer and holds every other answer at the synthetic population's
# typical answer set (the median of each number, the commonest choice):

# %%
typical = explore.typical_answers()
pd.Series(typical, name="typical answer").to_frame()


# %%
def draw(ax, curve, x, color, label="", *, band=True):
    """Truth (solid) and the model (dashed, with its range shaded) for one effect curve."""
    prefix = f"{label}: " if label else ""
    ax.plot(curve[x], curve["p_true"], color=color, lw=2, label=f"{prefix}truth (generator)")
    ax.plot(curve[x], curve["reversal_odds"], color=color, lw=1.5, ls="--", label=f"{prefix}model")
    if band:
        ax.fill_between(
            curve[x],
            curve["odds_low"],
            curve["odds_high"],
            color=color,
            alpha=0.15,
            label=f"{prefix}model range (10th to 90th percentile)",
        )


# %% [markdown]
# ### Ignored attempts
#
# The guide (line 14, line 48): a couple of unanswered messages are nothing; beyond 2 or 3 in a row
# each further one hurts, by less each time.

# %%
counts_axis = np.arange(MAX_COUNT + 1)
curve = explore.effect_curve(typical, "attempts_ignored", counts_axis, model=model, as_of=AS_OF)
fig, ax = plt.subplots(figsize=(7, 4))
draw(ax, curve, "attempts_ignored", "#345")
ax.axvline(
    table.loc["ignored_attempts_threshold", "value"],
    color="#999",
    ls=":",
    label="threshold (ignored_attempts_threshold)",
)
ax.set(title="Odds against ignored attempts", xlabel="attempts the ex ignored (count)", ylabel=ODDS, ylim=(0, None))
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ### Days of silence, with and without a block
#
# Silence helps until a full No Contact period is complete (line 54), then flattens; very long
# silence slowly hurts (our assumption). A block hurts, most when fresh and more when everywhere
# (line 118). Here the block came with the last contact, so days blocked = days silent, and the
# breakup is held at `MAX_SILENT_DAYS` ago.

# %%
silent_axis = np.arange(0, MAX_SILENT_DAYS + 1, 3)
base = {**typical, "days_since_breakup": MAX_SILENT_DAYS, "attempts_last_week": 0}
fig, ax = plt.subplots(figsize=(8, 4.5))
for blocked, color in zip(QUIZ["blocked"].values, ["#2a7", "#e90", "#c33"], strict=True):
    follow = ("days_blocked",) if blocked != "no" else ()
    b = {**base, "blocked": blocked, "days_blocked": None}
    c = explore.effect_curve(b, "days_silent", silent_axis, follow=follow, model=model, as_of=AS_OF)
    draw(ax, c, "days_silent", color, f"blocked: {blocked}", band=False)
ax.axvline(table.loc["no_contact_days", "value"], color="#999", ls=":", label="No Contact period (no_contact_days)")
ax.set(
    title="Odds against days of silence, with and without a block",
    xlabel="days since the last contact (days)",
    ylabel=ODDS,
    ylim=(0, None),
)
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()

# %% [markdown]
# ### Days since a request to stop
#
# In the guide, reaching out soon after the ex asked for no contact hurts strongly (line 122), and
# the request weighs a little even once respected (line 120). The x axis is days since the last
# contact, which for a respected request is the time since it was made. This curve is the guide's
# claim about the odds only: our plan never gives a date after a request to stop (the request is
# theirs to lift), however far the curve climbs.

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
for told, color in zip(["no", "yes"], ["#2a7", "#c33"], strict=True):
    c = explore.effect_curve({**base, "told_no_contact": told}, "days_silent", silent_axis, model=model, as_of=AS_OF)
    draw(ax, c, "days_silent", color, f"asked to stop: {told}")
ax.axvline(
    table.loc["told_no_contact_respect_days", "value"],
    color="#999",
    ls=":",
    label="where its early harm halves, in the guide (told_no_contact_respect_days)",
)
ax.set(
    title="Odds against days since a request to stop",
    xlabel="days since the last contact (days)",
    ylabel=ODDS,
    ylim=(0, None),
)
ax.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ### Anger, reply tone, emotional messages
#
# Anger lowers the odds step by step (lines 14, 52, 132). A warm last reply raises them, a cold one
# or none lowers them. Each emotional message sent lowers them, by less each time.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
panels = {"anger": "Odds by the ex's anger", "last_reply_tone": "Odds by the tone of their last reply"}
for ax, (qid, title) in zip(axes, panels.items(), strict=True):
    c = explore.effect_curve(typical, qid, QUIZ[qid].values, model=model, as_of=AS_OF)
    xs = np.arange(len(c))
    ax.plot(xs, c["p_true"], "o-", color="#345", lw=2, label="truth")
    spread = [c["reversal_odds"] - c["odds_low"], c["odds_high"] - c["reversal_odds"]]
    ax.errorbar(
        xs + 0.08, c["reversal_odds"], yerr=spread, fmt="s--", color="#e90", capsize=3, label="model (with range)"
    )
    ax.set_xticks(xs, c[qid])
    ax.set(title=title, xlabel=f"{qid.replace('_', ' ')} (quiz answer)")
axes[0].set(ylabel=ODDS, ylim=(0, None))
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
curve = explore.effect_curve(typical, "emotional_messages", counts_axis, model=model, as_of=AS_OF)
fig, ax = plt.subplots(figsize=(7, 4))
draw(ax, curve, "emotional_messages", "#345")
ax.set(
    title="Odds against emotional messages sent", xlabel="emotional messages sent (count)", ylabel=ODDS, ylim=(0, None)
)
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ### Time since the breakup
#
# A small assumption of ours: the longer ago the breakup, the lower the odds (the silence stays at
# the typical value).

# %%
since_axis = np.arange(typical["days_silent"], 731, 7)
curve = explore.effect_curve(typical, "days_since_breakup", since_axis, model=model, as_of=AS_OF)
fig, ax = plt.subplots(figsize=(7, 4))
draw(ax, curve, "days_since_breakup", "#345")
ax.set(title="Odds against time since the breakup", xlabel="days since the breakup (days)", ylabel=ODDS, ylim=(0, None))
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ### Every yes/no answer: the change from "no" to "yes"
#
# For each yes/no question, the change in probability when only that answer turns from "no" to
# "yes" (for "apologized", the typical person is not one who wronged the ex, so it matters little
# here). `safety_concern` never enters the true odds.

# %%
rows = []
for q in QUIZ:
    if set(q.values) >= {"yes", "no"}:
        c = explore.effect_curve(typical, q.id, ["no", "yes"], model=model, as_of=AS_OF).set_index(q.id)
        rows.append(
            {
                "question": q.id,
                "truth": c.loc["yes", "p_true"] - c.loc["no", "p_true"],
                "model": c.loc["yes", "reversal_odds"] - c.loc["no", "reversal_odds"],
            }
        )
flags = pd.DataFrame(rows).set_index("question")
fig, ax = plt.subplots(figsize=(7, 3.8))
flags.plot.barh(ax=ax, color=["#345", "#e90"])
ax.axvline(0, color="#999", lw=1)
ax.set(
    title='Change in odds when one answer turns from "no" to "yes"',
    xlabel="change in probability (difference, -1 to 1)",
    ylabel="question (quiz id)",
)
flags.round(3)

# %% [markdown]
# ## Where each example's true odds come from
#
# The true log-odds is a sum of named terms (`model.truth.generator.logit_terms`). For the example answer
# sets (`examples/*.json`), each cell is one term's contribution; red lowers the odds, blue raises
# them. The intercept is left out (it is the same for everyone).

# %%
examples = explore.answers_frame(explore.example_answers(), as_of=AS_OF)
terms = logit_terms(examples).drop(columns="intercept")
fig, ax = plt.subplots(figsize=(11, 0.5 * len(terms) + 2.2))
lim = float(np.abs(terms.to_numpy()).max())
im = ax.imshow(terms.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
ax.set_xticks(np.arange(len(terms.columns)), terms.columns, rotation=60, ha="right", fontsize=8)
ax.set_yticks(np.arange(len(terms)), terms.index)
for (i, j), v in np.ndenumerate(terms.to_numpy()):
    if abs(v) >= 0.05:
        ax.text(
            j, i, f"{v:+.1f}", ha="center", va="center", fontsize=7, color="white" if abs(v) > 0.6 * lim else "black"
        )
fig.colorbar(im, ax=ax, label="contribution (log-odds)")
_ = ax.set(
    title="Terms of the true log-odds for each example answer set (synthetic truth)",
    xlabel="term (name)",
    ylabel="example answer set (file name)",
)
