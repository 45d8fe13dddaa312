"""Render a report dict (``model.report.build.build_report``) as self-contained HTML, Markdown or JSON.

Why separate from the builder: a web app can store or fetch the JSON and render it later with
the same functions. HTML comes from a jinja2 template with autoescaping on, so every string
from the answers or a file is escaped; the what-if chart is a hand-built inline SVG (no
matplotlib import, no external request), with a title, a description and labelled axes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import PurePath
from typing import Any

import jinja2
from markupsafe import Markup

from model.errors import UsageError
from model.io import names_a_file_type
from model.plan.decide import DATED_PLANS
from model.plan.rules import source_parts
from model.quiz.presentation import long_date
from model.report import FORMATS

__all__ = [
    "COMPACT",
    "CSP",
    "FORMATS",
    "WIDE",
    "chart_description",
    "cite",
    "csp",
    "environment",
    "format_for_path",
    "long_date",
    "pct",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "static_page",
    "what_if_svg",
]


def csp(script_hashes: Iterable[str] = (), *, form_action: str = "'none'", frame_ancestors: bool = False) -> str:
    """The one Content-Security-Policy every page exodds writes or serves: nothing external, inline styles
    and embedded images only, scripts only by hash. A report or a page saved to disk sends no form; the
    web quiz's form posts to itself (``form_action="'self'"``), and its HTTP header (not a ``<meta>``,
    which may not carry it) forbids framing (``frame_ancestors``)."""
    scripts = " ".join(f"'{h}'" for h in script_hashes) or "'none'"
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {scripts}; "
        f"form-action {form_action}; base-uri 'none'"
    )
    return policy + "; frame-ancestors 'none'" if frame_ancestors else policy


CSP = csp()  # a report, the evaluation page and an exported notebook
_EXTENSIONS = {".md": "md", ".markdown": "md", ".txt": "md", ".json": "json", ".html": "html", ".htm": "html"}


# --------------------------------------------------------------------------------------------
# Small formatters (also jinja filters)
# --------------------------------------------------------------------------------------------


def pct(p: float | None) -> str:
    """A probability as a whole percentage; 'under 1%' and 'over 99%' at the ends."""
    if p is None:
        return "not shown"
    if p < 0.005:
        return "under 1%"
    if p > 0.995:
        return "over 99%"
    return f"{round(100 * p)}%"


def pct_range(lo: float, hi: float) -> str:
    """'5% to 9%'; with a low end under 1%, 'up to 2%' ('under 1% to 2%' reads badly)."""
    a, b = pct(lo), pct(hi)
    if a == b:
        return a
    return f"up to {b}" if a == "under 1%" else f"{a} to {b}"


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def short_date(value: str | dt.date) -> str:
    d = _date(value)
    return f"{d.day} {d:%b}"


def days_between(start: str, end: str | None) -> int | None:
    if end is None:
        return None
    return (_date(end) - _date(start)).days


def cap(text: Any) -> str:
    """Upper-case the first letter only ('they blocked you' -> 'They blocked you')."""
    s = str(text)
    return s[:1].upper() + s[1:]


def cite(source: str) -> str:
    """A rule's source as a report prints it: each line of the guide with the words that stand on it, so a
    reader can check it, and our own steps marked as ours (the rules file's grammar: ``rules.source_parts``)."""
    try:
        parts = source_parts(source)
    except ValueError:  # (the rules file is checked when read: only a hand-made report gets here)
        return source
    return "; ".join(f'the guide, line {p.line}: "{p.quote}"' if p.kind == "guide" else p.text for p in parts)


def format_for_path(path: str | None, default: str = "md") -> str:
    """The format an output file name asks for ('report.html' -> 'html'), else ``default``."""
    if not path:
        return default
    m = re.search(r"\.[A-Za-z]+$", str(path))
    return _EXTENSIONS.get(m.group(0).lower(), default) if m else default


def unknown_extension(path: str) -> str | None:
    """The extension of a report name that names another kind of file ('.pdf', '.docx'), or None
    (a known one, none at all, or a dotted name such as 'report.2026-11')."""
    suffix = PurePath(str(path)).suffix
    return suffix if names_a_file_type(suffix) and suffix.lower() not in _EXTENSIONS else None


# --------------------------------------------------------------------------------------------
# The what-if chart
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartLayout:
    """Size, margins and wording of one variant of the what-if chart."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_step: int  # days between x ticks
    base_label: str  # after the percentage
    mark_label: str  # before the date
    title: str  # the visible title; {n} is the number of days


WIDE = ChartLayout(
    640,
    330,
    58,
    30,
    44,
    64,
    15,
    "people who ever got back together (survey)",
    "earliest next message",
    "Odds over the next {n} days without contact",
)
COMPACT = ChartLayout(
    360, 300, 52, 22, 40, 62, 30, "ever back together (survey)", "earliest message", "Odds over the next {n} days"
)


def _y_top(values: Sequence[float]) -> float:
    top = max(values)
    for edge in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        if top <= edge - 0.02 or edge == 1.0:
            return edge
    return 1.0


def chart_description(report: Mapping[str, Any]) -> str:
    """The what-if chart in words: the SVG's <desc>, for screen readers and text formats."""
    w = report["what_if"]
    pts = w["points"]
    n = len(pts) - 1
    first, last = pts[0], pts[-1]
    base = float(report["base_rate"]["ever_reconnected"])
    mark = w.get("earliest_contact_day")
    range_name = report.get("model", {}).get("range_name") or "plausible range"
    desc = (
        f"Line chart. Horizontal axis: days of further no contact, 0 to {n}, counted from "
        f"{long_date(report['as_of'])}. Vertical axis: odds in percent. The odds go from "
        f"{pct(first['reversal_odds'])} today to {pct(last['reversal_odds'])} after {n} more days; the shaded "
        f"band is the {range_name}, {pct_range(first['odds_low'], first['odds_high'])} today and "
        f"{pct_range(last['odds_low'], last['odds_high'])} at day {n}. A dashed line marks the "
        f"{pct(base)} of people in a reader survey who got back together at some point."
    )
    if mark is not None:
        when = long_date(pts[mark]["date"])
        desc += f" A vertical line marks the earliest day for a next message, day {mark} ({when})."
    else:
        desc += " The plan gives no date for contact, so none is marked."
    return desc


def what_if_svg(report: Mapping[str, Any], layout: ChartLayout = WIDE, id_prefix: str = "whatif") -> str:
    """The what-if chart as inline SVG markup (every text escaped; safe to embed); '' when there is none."""
    w = report.get("what_if")
    if not w:
        return ""
    L = layout
    pts = w["points"]
    n = len(pts) - 1
    base = float(report["base_rate"]["ever_reconnected"])
    y_top = _y_top([p["odds_high"] for p in pts] + [base])
    pw, ph = L.width - L.left - L.right, L.height - L.top - L.bottom
    bottom = L.top + ph

    def x(day: float) -> float:
        return L.left + pw * day / n

    def y(p: float) -> float:
        return L.top + ph * (1 - p / y_top)

    step = 0.05 if y_top <= 0.3 else 0.1 if y_top <= 0.6 else 0.2
    e = escape
    first = pts[0]
    mark = w.get("earliest_contact_day")
    title = f"Odds over the next {n} days without contact"
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg class="chart" viewBox="0 0 {L.width} {L.height}" width="{L.width}" height="{L.height}" '
        f'role="img" aria-labelledby="{e(title_id)} {e(desc_id)}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{e(title_id)}">{e(title)}</title><desc id="{e(desc_id)}">{e(chart_description(report))}</desc>',
        f'<text x="{L.left}" y="22" class="c-title">{e(L.title.format(n=n))}</text>',
    ]
    k = 0
    while k * step <= y_top + 1e-9:  # grid and y ticks
        yy = y(k * step)
        parts.append(f'<line x1="{L.left}" x2="{L.width - L.right}" y1="{yy:.1f}" y2="{yy:.1f}" class="c-grid"/>')
        parts.append(
            f'<text x="{L.left - 7}" y="{yy + 4:.1f}" class="c-tick" text-anchor="end">{round(k * step * 100)}%</text>'
        )
        k += 1
    for day in range(0, n + 1, L.x_step):  # x ticks, with the date below
        xx = x(day)
        parts.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{bottom}" y2="{bottom + 5}" class="c-axis"/>')
        parts.append(f'<text x="{xx:.1f}" y="{bottom + 18}" class="c-tick" text-anchor="middle">{day}</text>')
        parts.append(
            f'<text x="{xx:.1f}" y="{bottom + 31}" class="c-tick c-date" text-anchor="middle">'
            f"{e(short_date(pts[day]['date']))}</text>"
        )
    parts.append(
        f'<text x="{L.left + pw / 2:.1f}" y="{L.height - 8}" class="c-label" text-anchor="middle">'
        f"Days of further no contact (from {e(short_date(report['as_of']))})</text>"
    )
    parts.append(
        f'<text transform="translate(12 {L.top + ph / 2:.1f}) rotate(-90)" class="c-label" '
        'text-anchor="middle">Odds (%)</text>'
    )
    upper = " ".join(f"{x(p['day']):.1f},{y(p['odds_high']):.1f}" for p in pts)
    lower = " ".join(f"{x(p['day']):.1f},{y(p['odds_low']):.1f}" for p in reversed(pts))
    parts.append(f'<polygon points="{upper} {lower}" class="c-band"/>')
    line = " ".join(f"{x(p['day']):.1f},{y(p['reversal_odds']):.1f}" for p in pts)
    parts.append(f'<polyline points="{line}" class="c-line"/>')
    yb = y(base)
    parts.append(f'<line x1="{L.left}" x2="{L.width - L.right}" y1="{yb:.1f}" y2="{yb:.1f}" class="c-base"/>')
    parts.append(
        f'<text x="{L.width - L.right - 4}" y="{yb - 6:.1f}" class="c-note" text-anchor="end">'
        f"{e(pct(base))}: {e(L.base_label)}</text>"
    )
    parts.append(f'<line x1="{L.left}" x2="{L.left}" y1="{L.top}" y2="{bottom}" class="c-axis"/>')
    parts.append(f'<line x1="{L.left}" x2="{L.width - L.right}" y1="{bottom}" y2="{bottom}" class="c-axis"/>')
    rising = pts[min(7, n)]["reversal_odds"] >= first["reversal_odds"]
    y0 = y(first["reversal_odds"])
    parts.append(f'<circle cx="{x(0):.1f}" cy="{y0:.1f}" r="4" class="c-dot"/>')
    ty0 = y0 + 18 if rising else y0 - 9
    if L.top + 12 <= ty0 <= bottom - 4:  # no room next to the axis: the dot and the caption suffice
        today = f"today {pct(first['reversal_odds'])}"
        parts.append(f'<text x="{x(0) + 8:.1f}" y="{ty0:.1f}" class="c-note">{e(today)}</text>')
    if mark is not None:
        xm = x(mark)
        anchor = "start" if mark < n * 0.6 else "end"
        dx = 5 if anchor == "start" else -5
        day_text = "today" if mark == 0 else short_date(pts[mark]["date"])
        label = f"{L.mark_label}: {day_text}"
        high_up = pts[mark]["odds_high"] > 0.6 * y_top  # the curve is near the top: label at the bottom
        ty = bottom - 8 if high_up else L.top + 12
        parts.append(f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{L.top}" y2="{bottom}" class="c-mark"/>')
        parts.append(
            f'<text x="{xm + dx:.1f}" y="{ty}" class="c-note c-marktext" text-anchor="{anchor}">{e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def what_if_table(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A few rows of the what-if curve for text formats: days 0, 7, 14, 30, 60, 90 and the earliest day."""
    w = report.get("what_if")
    if not w:
        return []
    days = {0, 7, 14, 30, 60, w["days"]}
    if w.get("earliest_contact_day") is not None:
        days.add(int(w["earliest_contact_day"]))
    return [p for p in w["points"] if p["day"] in days]


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


def _md_escape(value: Any) -> Any:
    """Markdown output: keep raw HTML from ever passing through a Markdown-to-HTML step.

    A macro's output (marked ``| safe``) was escaped inside the macro already: escaping it again
    would show the backslashes.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>").replace("&", "\\&")
    return value


def _cell(value: Any) -> str:
    return str(value).replace("\n", " ").replace("|", "\\|")


def _filters(env: jinja2.Environment) -> None:
    env.filters.update(
        pct=pct,
        long_date=long_date,
        short_date=short_date,
        cap=cap,
        cite=cite,
        cell=_cell,
    )
    env.globals.update(pct_range=pct_range, days_between=days_between)


class _StaticPage:
    """A page template rendered with the one CSP (``CSP``) in its head."""

    def __init__(self, template: jinja2.Template) -> None:
        self.template = template

    def render(self, **context: Any) -> str:
        return self.template.render(csp=CSP, **context)


@cache
def static_page(name: str) -> _StaticPage:
    """A self-contained page (evaluation, exported notebook) from ``model/report/templates``: one head, one
    Content-Security-Policy (``CSP``) that lets in nothing but inline styles and embedded images."""
    return _StaticPage(environment("html").get_template(name))


@cache
def environment(kind: str = "html") -> jinja2.Environment:
    """The jinja environment of every template exodds renders, one per kind of output: "html" (autoescaped:
    reports, pages, the web form) or "md" (Markdown, escaped for a Markdown reader)."""
    loader = jinja2.PackageLoader("model.report", "templates")
    if kind == "html":
        env = jinja2.Environment(
            loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        )
    else:
        env = jinja2.Environment(
            loader=loader,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            finalize=_md_escape,
        )
    _filters(env)
    return env


def _context(report: Mapping[str, Any]) -> dict[str, Any]:
    plan = report["plan"]
    return {
        "r": report,
        "plan": plan,
        "safety": bool(report.get("safety_first")),
        # "Stage 1 of 4" would read as the first step of a path; after a "no" there is none
        "staged": plan.get("plan") in DATED_PLANS and report.get("odds_display") == "full",
        # after a "no" (or a week of contact): no factor list and no comparison that ranks the odds
        "plain": report.get("odds_display") != "full",
        "never_share": round((1 - float(report["base_rate"]["ever_reconnected"])) * 10),
        "wait_days": days_between(report["as_of"], report.get("earliest_contact")),
        "rows": what_if_table(report),
    }


def render_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page: inline CSS and SVG, a CSP that forbids every external load."""
    ctx = _context(report)
    # two variants of the chart (CSS shows one): a phone-sized one keeps its text readable
    ctx["chart"] = Markup(what_if_svg(report, WIDE, "whatif"))  # built from escaped parts
    ctx["chart_compact"] = Markup(what_if_svg(report, COMPACT, "whatif-phone"))
    ctx["csp"] = CSP
    return environment("html").get_template("report.html.j2").render(ctx)


def render_markdown(report: Mapping[str, Any]) -> str:
    """Markdown for the terminal (and any Markdown viewer)."""
    return environment("md").get_template("report.md.j2").render(_context(report))


def render_json(report: Mapping[str, Any]) -> str:
    """The report as pretty JSON (UTF-8 text, trailing newline)."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render(report: Mapping[str, Any], fmt: str) -> str:
    """``fmt`` is one of ``FORMATS``."""
    if fmt == "html":
        return render_html(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "md":
        return render_markdown(report)
    raise UsageError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")
