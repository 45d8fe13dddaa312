"""Time one results report, built and rendered, in a warm process (the budget is 300 ms).

    .venv/bin/python benchmarks/bench_report.py [--runs 20] [--answers examples/cold.json]

The model is loaded and every path run once before timing (a warm process, as in a web app or
the quiz after its questions). For each format: the median and the slowest of ``--runs`` runs of
``build_report`` + ``render_*``; ``build_report`` alone and each renderer alone are listed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.odds.artifacts import load_model  # noqa: E402
from model.report.build import build_report  # noqa: E402
from model.report.render import render_html, render_json, render_markdown  # noqa: E402

AS_OF = "2026-11-26"
BUDGET_MS = 300.0


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--answers", default=str(ROOT / "examples" / "cold.json"))
    args = parser.parse_args()
    answers = json.loads(Path(args.answers).read_text(encoding="utf-8"))

    t = time.perf_counter()
    model = load_model()
    load_ms = (time.perf_counter() - t) * 1000
    report = build_report(answers, AS_OF, model)
    for render in (render_html, render_json, render_markdown):  # warm: templates compiled, caches filled
        render(report)

    rows = [("build_report only", timed(lambda: build_report(answers, AS_OF, model), args.runs))]
    for name, render in (("html", render_html), ("json", render_json), ("md", render_markdown)):
        both = timed(lambda r=render: r(build_report(answers, AS_OF, model)), args.runs)
        rows.append((f"build + render {name}", both))
    for name, render in (("html", render_html), ("json", render_json), ("md", render_markdown)):
        rows.append((f"render {name} only", timed(lambda r=render: r(report), args.runs)))

    print(f"answers: {args.answers}; model {model.version} (first load {load_ms:.0f} ms); {args.runs} runs each")
    print(f"{'':<24}{'median ms':>10}{'max ms':>10}")
    worst = 0.0
    for label, times in rows:
        med = statistics.median(times)
        if label.startswith("build + render"):
            worst = max(worst, med)
        print(f"{label:<24}{med:>10.1f}{max(times):>10.1f}")
    ok = worst <= BUDGET_MS
    print(f"slowest format, median: {worst:.1f} ms ({'within' if ok else 'OVER'} the {BUDGET_MS:.0f} ms budget)")
    print(f"html size: {len(render_html(report).encode()) / 1024:.0f} KiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
