"""The evaluation page (``exodds evaluate``): metrics.json, figures and a self-contained index.html.

Two pages: on synthetic data, the model beside two peers and the truth (``write_report``); on real
outcomes, what clinical prediction work reports for a validation, one model or two side by side
(``write_real_report``). Why with the reports: they are pages a person reads, rendered from the same
templates and the same HTML environment as the results report; ``model.training.evaluate`` and
``model.training.realmetrics`` only compute the numbers.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from model.io import atomic_path, atomic_write
from model.report.render import static_page

__all__ = ["curve_figure", "png", "reliability_figure", "truth_figure", "write_real_report", "write_report"]


def png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def reliability_figure(tables: dict[str, dict[str, np.ndarray]]) -> Any:
    """Observed rate against predicted probability per bin, one line a model (``reliability_table`` each)."""
    import matplotlib.pyplot as plt  # no backend forced: headless runs get Agg anyway, notebooks keep inline plots

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfectly calibrated")
    for name, t in tables.items():
        used = t["count"] > 0
        ax.plot(t["mean_predicted"][used], t["observed"][used], marker="o", ms=3, label=name)
    ax.set(
        xlabel="predicted probability of reconciling (0 to 1)",
        ylabel="observed rate in held-out data (0 to 1)",
        title="Reliability (15 equal-width bins)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left", fontsize=8)
    return fig


def truth_figure(truth: np.ndarray, predictions: dict[str, np.ndarray]) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(predictions), figsize=(4 * len(predictions), 4), sharey=True)
    for ax, (name, p) in zip(np.atleast_1d(axes), predictions.items(), strict=True):
        ax.hexbin(truth, p, gridsize=40, bins="log", cmap="Blues", extent=(0, 1, 0, 1))
        ax.plot([0, 1], [0, 1], color="#c33", lw=1)
        ax.set(title=name, xlabel="true probability, p_true (0 to 1)", xlim=(0, 1), ylim=(0, 1))
    np.atleast_1d(axes)[0].set_ylabel("predicted probability (0 to 1)")
    fig.suptitle("Predictions against the generator's truth")
    return fig


def write_report(result: dict[str, Any], out_dir: str | Path) -> Path:
    """metrics.json, reliability.png, truth.png (when known) and index.html, each written atomically."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    with atomic_write(out / "metrics.json", "w", encoding="utf-8") as fh:
        json.dump(public, fh, indent=2)
        fh.write("\n")
    figures = {"reliability.png": reliability_figure(result["_reliability"])}
    if result["_truth"] is not None:
        figures["truth.png"] = truth_figure(result["_truth"], result["_predictions"])
    images = {}
    for name, fig in figures.items():
        data = png(fig)
        plt.close(fig)
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(data)
        images[name] = base64.b64encode(data).decode()
    html = static_page("evaluation.html.j2").render(
        setup=public["setup"],
        model=public["model"],
        metrics=public["metrics"],
        images=images,
        columns=[
            c
            for c in (
                "brier",
                "log_loss",
                "ece",
                "ece_of_truth",
                "calibration_gap_to_truth",
                "auc",
                "mae_p_true",
                "brier_gap_to_truth",
                "fit_seconds",
            )
            if any(c in m for m in public["metrics"].values())
        ],
        alts={
            "reliability.png": "Reliability diagram: observed rate against predicted probability for each model",
            "truth.png": "Predicted against true probability for each model",
        },
    )
    with atomic_write(out / "index.html", "w", encoding="utf-8") as fh:
        fh.write(html)
    return out


def curve_figure(metrics: dict[str, Any], predictions: dict[str, np.ndarray] | None = None) -> Any:
    """The smoothed calibration curve of each model with its 95% bootstrap band (``realmetrics``'s
    ``calibration_curve``), one panel a model, and under each the spread of its predictions."""
    import matplotlib.pyplot as plt

    models = metrics["models"]
    k = len(models)
    fig, axes = plt.subplots(
        2, k, figsize=(5 * k, 6.2), squeeze=False, sharex=True, gridspec_kw={"height_ratios": [4, 1]}
    )
    for j, (name, m) in enumerate(models.items()):
        c = m["calibration_curve"]
        ax = axes[0, j]
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfectly calibrated")
        ax.fill_between(c["predicted"], c["low"], c["high"], color="#7a9cc6", alpha=0.35, lw=0, label="95% band")
        ax.plot(c["predicted"], c["observed"], color="#234", lw=2, label="smoothed observed rate")
        slope = m["calibration_slope"]
        citl = m["calibration_in_the_large"]
        ax.set(
            title=f"{name}: slope {slope['slope']:.2f}, O/E {citl['observed_expected']:.2f}",
            ylabel="observed rate of reconciling (0 to 1)",
            xlim=(0, 1),
            ylim=(0, 1),
        )
        ax.legend(loc="upper left", fontsize=8)
        low = axes[1, j]
        if predictions is not None and name in predictions:
            low.hist(predictions[name], bins=np.linspace(0, 1, 41), color="#7a9cc6")
        low.set(title="predictions", xlabel="predicted probability of reconciling (0 to 1)", ylabel="rows (count)")
    fig.suptitle(f"Calibration on {metrics['outcomes']:,} outcomes ({metrics['events']:,} events)")
    fig.tight_layout()
    return fig


def write_real_report(result: dict[str, Any], out_dir: str | Path) -> Path:
    """metrics.json, calibration.png (smoothed curves with bands), reliability.png (binned) and
    index.html for an evaluation on real outcomes, each written atomically. ``result``: ``setup``,
    ``models`` (name -> version and what its odds rest on), ``metrics`` (``evaluate_real``), ``warnings``,
    and ``_predictions`` (name -> predictions, for the figures only)."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    with atomic_write(out / "metrics.json", "w", encoding="utf-8") as fh:
        json.dump(public, fh, indent=2, allow_nan=False)
        fh.write("\n")
    metrics = public["metrics"]
    tables = {}
    for name, m in metrics["models"].items():
        rows = m["binned_ece"]["table"]
        tables[name] = {
            "count": np.array([r["rows"] for r in rows], dtype=float),
            "mean_predicted": np.array([r["mean_predicted"] for r in rows]),
            "observed": np.array([r["observed"] for r in rows]),
        }
    figures = {
        "calibration.png": curve_figure(metrics, result.get("_predictions")),
        "reliability.png": reliability_figure(tables),
    }
    figures["reliability.png"].axes[0].set_ylabel("observed rate in the outcomes (0 to 1)")
    images = {}
    for name, fig in figures.items():
        data = png(fig)
        plt.close(fig)
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(data)
        images[name] = base64.b64encode(data).decode()
    html = static_page("evaluation_real.html.j2").render(
        setup=public["setup"],
        models=public["models"],
        metrics=metrics,
        warnings=public.get("warnings", []),
        images=images,
        alts={
            "calibration.png": "Smoothed calibration curve of each model with its 95% bootstrap band",
            "reliability.png": "Reliability diagram: observed rate against predicted probability in 15 bins",
        },
    )
    with atomic_write(out / "index.html", "w", encoding="utf-8") as fh:
        fh.write(html)
    return out
