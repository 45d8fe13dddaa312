"""The exploration notebooks run headless with small parameters, and the helpers they call do what they say.

Each notebook is built from its jupytext ``.py`` and executed by nbclient in a
kernel on this interpreter (``model.cli.notebooks.run_notebook``); a failing
cell, a figure without a title, labelled axes or units, or a notebook with no
figure at all fails the test.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient.exceptions import CellExecutionError

from model import explore
from model.cli import main
from model.cli.notebooks import inject_parameters, notebook_paths, parameter_values, read_notebook, run_notebook
from model.errors import AnswersError
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.truth import assumptions
from model.truth import generator as synthetic

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = notebook_paths(ROOT / "notebooks")

#: Small parameters per notebook: the same code paths as the exported run, on less data.
SMALL: dict[str, dict[str, object]] = {
    "01_assumptions": {"MAX_SILENT_DAYS": 60, "MAX_COUNT": 8},
    "02_calibration_and_truth": {"HELD_OUT_ROWS": 3_000},
    "03_what_if": {
        "ASSUMPTION": "told_no_contact_early_harm",
        "VALUE": 0.5,
        "ROWS": 3_000,
        "MEMBERS": 2,
        "POPULATION_ROWS": 300,
    },
    "04_batch_look": {"LIMIT": 2_000},
    "05_update": {
        "FOLLOW_UP_ROWS": 600,
        "HELD_OUT_ROWS": 1_000,
        "BOOTSTRAP": 20,
        "SIZES": [300, 600],
        "SEEDS_PER_SIZE": 2,
    },
}


def _outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


# ------------------------------------------------------------------------------------------------
# The notebooks themselves
# ------------------------------------------------------------------------------------------------


def test_the_five_notebooks_are_here_with_parameters_and_an_html_export():
    assert [p.stem for p in NOTEBOOKS] == list(SMALL)
    for path in NOTEBOOKS:
        params = parameter_values(read_notebook(path))
        assert params, f"{path.name}: no cell tagged 'parameters'"
        assert set(SMALL[path.stem]) <= set(params), f"{path.name}: test parameters it does not have"
        html = ROOT / "reports" / "notebooks" / f"{path.stem}.html"
        assert html.is_file(), f"{html} is missing: run `exodds notebooks`"
        assert html.read_text(encoding="utf-8").count("data:image/png;base64,") >= 3, f"{html}: no figures"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_headless(path):
    nb = run_notebook(path, SMALL[path.stem], cwd=ROOT)  # raises CellExecutionError on any failing cell
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and all(k in injected[0].source for k in SMALL[path.stem])


def _tiny(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    return nb


@pytest.mark.slow
def test_kernel_is_this_interpreter_and_parameters_override_defaults(tmp_path):
    nb = run_notebook(
        _tiny("N = 1\nWORD = 'a'", "import sys\nprint(sys.executable, N * 2, WORD)"),
        {"N": 21, "WORD": "b"},
        cwd=tmp_path,
        check_figures=False,
    )
    text = "".join(o.get("text", "") for o in _outputs(nb))
    assert text.split() == [sys.executable, "42", "b"]


@pytest.mark.slow
def test_a_figure_without_title_labels_or_units_fails_the_run(tmp_path):
    nb = _tiny(
        "X = 1",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\n"
        "ax.set(title='t', xlabel='days (days)', ylabel='odds')",
    )
    with pytest.raises(CellExecutionError, match=r"y label 'odds' does not end in a \(unit\)"):
        run_notebook(nb, cwd=tmp_path)


def test_parameters_are_injected_after_the_parameters_cell_and_typos_are_refused():
    nb = _tiny("A = 1\nB: float = 2.5", "print(A)")
    assert parameter_values(nb) == {"A": 1, "B": 2.5}
    out = inject_parameters(nb, {"B": 3.0})
    assert [c.source for c in out.cells] == ["A = 1\nB: float = 2.5", "# Parameters (injected)\nB = 3.0", "print(A)"]
    assert len(nb.cells) == 2  # the input is left alone
    with pytest.raises(ValueError, match=r"unknown notebook parameter\(s\) C; this notebook's parameters: A, B"):
        inject_parameters(nb, {"C": 1})


def test_cli_refuses_unknown_parameters_and_bad_set_syntax(capsys):
    assert main(["notebooks", "--dir", str(ROOT / "notebooks"), "--no-html", "--set", "NOPE=1"]) == 2
    assert "NOPE" in capsys.readouterr().err
    assert main(["notebooks", "--dir", str(ROOT / "notebooks"), "--no-html", "--set", "FACTOR"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["notebooks", "--dir", str(ROOT / "notebooks"), "99_none"]) == 2


# ------------------------------------------------------------------------------------------------
# model.explore
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def typical():
    return explore.typical_answers(rows=5_000)


def test_typical_answers_are_one_valid_answer_set(typical):
    assert list(typical) == list(QUIZ.ids)
    result = validate_frame(pd.DataFrame([typical], dtype=object))
    assert result.n_rejected == 0, result.problem_list()


def test_effect_curve_moves_only_the_named_answer_and_matches_the_truth(typical):
    base = {**typical, "days_since_breakup": 90, "attempts_last_week": 0}
    values = [0, 10, 30, 60, 90]
    curve = explore.effect_curve(base, "days_silent", values)
    # a last contact less than a week old is a contact in the past 7 days: the one answer that moves along
    rows = pd.DataFrame([{**base, "days_silent": v, "attempts_last_week": int(v < 7)} for v in values], dtype=object)
    expected = synthetic.true_probability(validate_frame(rows).clean)
    np.testing.assert_allclose(curve["p_true"], expected)
    assert curve["days_silent"].tolist() == values
    # the guide's shape: silence helps until the No Contact period is done
    assert curve["p_true"].iloc[0] < curve["p_true"].iloc[2]


def test_effect_curve_follow_sets_linked_answers_and_overrides_reach_the_truth(typical):
    base = {**typical, "days_since_breakup": 90, "attempts_last_week": 0, "blocked": "some"}
    plain = explore.effect_curve(base, "days_silent", [20, 40], follow=("days_blocked",))
    harsher = explore.effect_curve(
        base, "days_silent", [20, 40], follow=("days_blocked",), overrides={"block_some_harm": 2.0}
    )
    assert (harsher["p_true"] < plain["p_true"]).all()


def test_effect_curve_refuses_contradictions_and_unknown_questions(typical):
    with pytest.raises(AnswersError, match="days_silent"):
        explore.effect_curve({**typical, "days_since_breakup": 10}, "days_silent", [5, 50])
    with pytest.raises(ValueError, match="unknown question 'mood'"):
        explore.effect_curve(typical, "mood", [1])


def test_sensitivity_reports_low_value_and_high_for_each_answer_set(typical):
    clean = validate_frame(
        pd.DataFrame([typical, {**typical, "ex_reached_out": "yes"}], index=["a", "b"], dtype=object)
    ).clean
    out = explore.sensitivity(clean, names=["overall_reconciliation_rate", "ex_reached_out_boost"])
    assert len(out) == 4 and set(out["answers"]) == {"a", "b"}
    np.testing.assert_allclose(out["change"], out["p_high"] - out["p_low"])
    np.testing.assert_allclose(out.loc[out["answers"] == "a", "p_value"], synthetic.true_probability(clean)[0])
    rate = out[out["assumption"] == "overall_reconciliation_rate"]
    assert (rate["change"] > 0).all()  # a higher overall rate lifts everyone
    boost = out[out["assumption"] == "ex_reached_out_boost"].set_index("answers")["change"]
    assert boost["b"] > 0 > boost["a"]  # a bigger boost helps those it applies to; the rest pay via the intercept


def test_sensitivity_defaults_to_the_assumptions_behind_the_odds(typical):
    clean = validate_frame(pd.DataFrame([typical], dtype=object)).clean
    names = set(explore.sensitivity(clean)["assumption"])
    table = assumptions.load_assumptions()
    assert names == {n for n, a in table.items() if a.group in assumptions.SAMPLED_GROUPS}


def test_example_answers_fall_back_to_generated_rows(tmp_path):
    got = explore.example_answers(tmp_path, fallback_rows=3)
    assert list(got) == ["synthetic_1", "synthetic_2", "synthetic_3"]
    assert explore.answers_frame(got).shape[0] == 3
    (tmp_path / "mine.json").write_text('{"days_since_breakup": 5}', encoding="utf-8")
    assert explore.example_answers(tmp_path) == {"mine": {"days_since_breakup": 5}}
    with pytest.raises(AnswersError):
        explore.answers_frame(explore.example_answers(tmp_path))


def test_assumptions_frame_lists_every_assumption_with_its_source():
    frame = explore.assumptions_frame()
    assert list(frame.index) == list(assumptions.load_assumptions())
    assert frame["source"].str.len().min() > 0
    assert ((frame["low"] <= frame["value"]) & (frame["value"] <= frame["high"])).all()


def test_figure_problems_names_what_is_missing():
    fig, ax = plt.subplots()
    assert explore.figure_problems(fig) == [
        f"figure {fig.number} axes 1: no title",
        f"figure {fig.number} axes 1: no x label",
        f"figure {fig.number} axes 1: no y label",
    ]
    ax.set(title="t", xlabel="days (days)", ylabel="odds (0 to 1)")
    assert explore.figure_problems(fig) == []
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, sharey=True)
    im = axes[1].imshow(np.eye(2))
    for a in axes:
        a.set(title="t", xlabel="x (count)")
    axes[0].set_ylabel("y (count)")  # the shared sibling's label covers the right panel
    cbar = fig.colorbar(im, ax=axes[1])
    assert explore.figure_problems(fig) == [
        f"figure {fig.number} axes 3 (colour bar): label '' does not end in a (unit)"
    ]
    cbar.set_label("rows (count)")
    assert explore.figure_problems(fig) == []
    plt.close(fig)


def test_repo_root_is_found_from_a_subfolder():
    assert explore.repo_root(ROOT / "notebooks") == ROOT


def test_export_is_one_self_contained_page_with_the_title_escaped(tmp_path):
    from model.cli.notebooks import export_html

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Odds <b>moved</b>"), nbformat.v4.new_code_cell("x = 1")]
    )
    page = export_html(nb, tmp_path / "n.html", title="what <if>").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.count("<head>") == 1
    # nothing loads from outside
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'" in html.unescape(page)
    assert "<title>exodds notebook: what &lt;if&gt;</title>" in page
    assert "<b>moved</b>" in page and ".highlight" in page  # the notebook's own HTML, and code colours


def test_a_failing_notebook_is_one_plain_error_line_without_kernel_noise(tmp_path):
    """A bad --set value: one line naming the error (no colour codes, no kernel warnings), exit 1;
    --traceback shows the rest."""
    import subprocess

    cmd = [sys.executable, "-m", "model", "notebooks", "03", "--set", "ASSUMPTION=nonexistent_thing", "--no-html"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 1
    assert "failed: ValueError: unknown assumption 'nonexistent_thing'" in proc.stderr
    assert "\x1b[" not in proc.stderr and "IPKernelApp" not in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*cmd, "--traceback"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]
    )
    assert proc.returncode == 1 and "\x1b[" not in proc.stderr and "nonexistent_thing" in proc.stderr
    assert "---" in proc.stderr or "Traceback" in proc.stderr  # the cell and its traceback
