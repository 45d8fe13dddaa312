"""Build the six form-tool exports of this folder and ``truth.json`` (what each row means).

    .venv/bin/python tests/data/exports/make_exports.py

Each export is what one coach's breakup quiz looks like when it is run on a form tool and exported
the way that tool (or a spreadsheet re-saving its file) writes it; README.md says what each tool's
shape is taken to be and what dirt is planted where. The respondents' intended answers are drawn
first (valid by the quiz's rules), then written in each tool's conventions; ``truth.json`` keeps the
intended answers and the response date of every row that must be scored, and the column of every
row that must be rejected. ``tests/batch/test_exports.py`` checks that this script reproduces the
files byte for byte, and scores each export through the template it proposes, with no edit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: The coach's questions, as headers: quiz column -> the text the form shows.
HEADERS = {
    "breakup_date": "When did you two break up?",
    "days_silent": "How many days has it been since you last contacted your ex (any message, call or visit)?",
    "attempts_ignored": "Since their last reply, how many of your messages or calls went unanswered?",
    "attempts_last_week": "How many times did you reach out to them in the past 7 days?",
    "blocked": "Have they blocked you?",
    "block_date": "If they blocked you: when did they block you?",
    "told_no_contact": "Have they told you to stop contacting them?",
    "anger": "How does your ex feel towards you right now?",
    "wronged_them": "Did the breakup follow something you did that badly hurt them?",
    "apologized": "Have you sincerely apologised to them?",
    "bad_blood": "Was the breakup full of drama and fights?",
    "last_reply_tone": "The last time they replied to you, how were they?",
    "ex_reached_out": "Have they contacted you on their own since the breakup?",
    "emotional_messages": "How many emotional, late-night or drunk messages have you sent them?",
    "safety_concern": "Was there any violence, threats or controlling behaviour in the relationship?",
}
NOTE = "Anything else you would like to tell me?"
BOOLEANS = ("told_no_contact", "wronged_them", "apologized", "bad_blood", "ex_reached_out")

#: Choice labels as each form shows them (quiz value -> label). A label the matcher must not be sure of
#: is planted on purpose: its rows are rejected and named, never guessed.
LABELS = {
    "google": {
        "blocked": {"no": "No", "some": "Yes, on some apps or my number", "everywhere": "Yes, everywhere"},
        "anger": {"none": "Not angry at all", "annoyed": "Annoyed", "angry": "Angry", "furious": "Furious"},
        # the coach's "cold" is worded with a negation and a degree: never matched to "positive"
        "last_reply_tone": {"positive": "Friendly", "neutral": "Neutral", "cold": "Not very friendly",
                            "never_replied": "They never replied"},
        "safety_concern": {"yes": "Yes", "no": "No", "prefer_not_to_say": "I'd rather not say"},
    },
    "typeform": {
        # "every app and my number" is everywhere to a person, but "every" is a degree word no choice says
        "blocked": {"no": "No", "some": "Yes, on some apps or my number",
                    "everywhere": "Yes, on every app and my number"},
        "anger": {"none": "Not angry", "annoyed": "Annoyed", "angry": "Angry", "furious": "Furious"},
        "last_reply_tone": {"positive": "Warm and friendly", "neutral": "Neutral", "cold": "Cold",
                            "never_replied": "No reply yet"},
        "safety_concern": {"yes": "Yes", "no": "No", "prefer_not_to_say": "Prefer not to say"},
    },
    "microsoft": {
        "blocked": {"no": "No", "some": "Yes, on some apps", "everywhere": "Yes, everywhere"},
        "anger": {"none": "Not angry", "annoyed": "Annoyed", "angry": "Angry", "furious": "Furious"},
        "last_reply_tone": {"positive": "Friendly", "neutral": "Neutral", "cold": "Cold",
                            "never_replied": "They never replied"},
        "safety_concern": {"yes": "Yes", "no": "No", "prefer_not_to_say": "Rather not say"},
    },
    "jotform": {
        "blocked": {"no": "No", "some": "On some apps or my number", "everywhere": "Blocked me everywhere"},
        "anger": {"none": "Calm, not angry", "annoyed": "Annoyed", "angry": "Angry", "furious": "Furious"},
        "last_reply_tone": {"positive": "Positive, friendly", "neutral": "Neutral", "cold": "Cold or annoyed",
                            "never_replied": "They never replied"},
        "safety_concern": {"yes": "Yes", "no": "No", "prefer_not_to_say": "Prefer not to say"},
    },
}
#: Labels the template cannot be sure of (value -> why the rows giving it are rejected).
UNSURE = {("google", "last_reply_tone", "cold"), ("typeform", "blocked", "everywhere")}


def person(rng: random.Random, answered: dt.datetime) -> dict[str, Any]:
    """One respondent's intended answers, valid by the quiz's rules, as of the day they answered."""
    since = rng.randint(8, 420)
    silent = rng.randint(0, since)
    week = rng.randint(1, 4) if silent < 7 else 0
    tone = rng.choice(["positive", "neutral", "neutral", "cold", "never_replied"])
    ignored = rng.randint(week, week + 9) if tone == "never_replied" else rng.randint(0, 8)
    blocked = rng.choice(["no", "no", "no", "some", "everywhere"])
    return {
        "answered": answered,
        "days_since_breakup": since,
        "days_silent": silent,
        "attempts_ignored": ignored,
        "attempts_last_week": week,
        "blocked": blocked,
        "days_blocked": rng.randint(0, since) if blocked != "no" else None,
        "told_no_contact": rng.choice(["yes", "no", "no"]),
        "anger": rng.choice(["none", "annoyed", "angry", "furious"]),
        "wronged_them": rng.choice(["yes", "no", "no"]),
        "apologized": rng.choice(["yes", "no"]),
        "bad_blood": rng.choice(["yes", "no"]),
        "last_reply_tone": tone,
        "ex_reached_out": rng.choice(["yes", "no", "no", "no"]),
        "emotional_messages": rng.randint(0, 12),
        "safety_concern": rng.choice(["no", "no", "no", "no", "yes", "prefer_not_to_say"]),
    }


def people(seed: int, n: int, start: dt.datetime) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out, when = [], start
    for _ in range(n):
        when += dt.timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 23), minutes=rng.randint(0, 59),
                             seconds=rng.randint(0, 59))
        out.append(person(rng, when))
    return out


def day(p: dict[str, Any]) -> dt.date:
    return p["answered"].date()


def days_ago(p: dict[str, Any], n: int | None) -> dt.date | None:
    return None if n is None else day(p) - dt.timedelta(days=n)


def cells(p: dict[str, Any], tool: str, date: Callable[[dt.date], str], yes_no: tuple[str, str] = ("Yes", "No"),
          number: Callable[[int], str] = str) -> dict[str, str]:
    """The answers of ``p`` as the form writes them (quiz column -> text)."""
    labels = LABELS[tool]
    out = {
        "breakup_date": date(days_ago(p, p["days_since_breakup"])),
        "days_silent": number(p["days_silent"]),
        "attempts_ignored": number(p["attempts_ignored"]),
        "attempts_last_week": number(p["attempts_last_week"]),
        "blocked": labels["blocked"][p["blocked"]],
        "block_date": date(days_ago(p, p["days_blocked"])) if p["days_blocked"] is not None else "",
        "anger": labels["anger"][p["anger"]],
        "last_reply_tone": labels["last_reply_tone"][p["last_reply_tone"]],
        "emotional_messages": number(p["emotional_messages"]),
        "safety_concern": labels["safety_concern"][p["safety_concern"]],
    }
    for b in BOOLEANS:
        out[b] = yes_no[0] if p[b] == "yes" else yes_no[1]
    return out


def truth_of(p: dict[str, Any], tool: str, record: int, key: str, rejected: list[str] | None = None,
             why: str = "") -> dict[str, Any]:
    """What a row means: its answers and response date (scored), or the columns that reject it."""
    if rejected is None:
        for column, value in LABELS[tool].items():
            if (tool, column, p[column]) in UNSURE:
                rejected, why = [HEADERS[column]], f"{value[p[column]]!r} is not certain"
    if rejected is not None:
        return {"record": record, "key": key, "expect": "rejected", "columns": rejected, "why": why}
    answers = {k: v for k, v in p.items() if k != "answered"}
    return {"record": record, "key": key, "expect": "scored", "as_of": day(p).isoformat(), "answers": answers}


def write(name: str, header: list[str], rows: list[dict[str, str]], *, delimiter: str = ",",
          encoding: str = "utf-8", bom: bool = False, line_end: str = "\n") -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    data = buf.getvalue().encode(encoding)
    (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def questions(row: dict[str, str]) -> dict[str, str]:
    return {HEADERS[k]: v for k, v in row.items() if k in HEADERS}


# --------------------------------------------------------------------------- Google Forms


def _gmt(when: dt.datetime) -> str:
    """Google Forms' download: 2026/11/20 9:14:03 PM GMT+1 (the form owner's zone; summer time +2)."""
    summer = dt.datetime(when.year, 3, 29, 2) <= when < dt.datetime(when.year, 10, 25, 3)
    hour = when.hour % 12 or 12
    return f"{when:%Y/%m/%d} {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'} GMT+{2 if summer else 1}"


def google(truth: dict[str, list]) -> None:
    ps = people(2026_1, 16, dt.datetime(2026, 9, 20, 8, 0))
    header = ["Timestamp", "Email Address", *HEADERS.values(), NOTE]
    rows, facts = [], []
    us = "{d.month}/{d.day}/{d.year}".format
    for i, p in enumerate(ps):
        row = {"Timestamp": _gmt(p["answered"]), "Email Address": f"client{i + 1}@example.org",
               **questions(cells(p, "google", lambda d: us(d=d)))}
        rows.append(row)
        facts.append(truth_of(p, "google", len(rows), row["Email Address"]))
    rows[2][NOTE] = "They texted me first.\nShould I answer?"
    # sent twice, the same answers a minute apart: both scored, named as duplicates
    twin = dict(rows[4], Timestamp=_gmt(ps[4]["answered"] + dt.timedelta(minutes=1)))
    rows.insert(5, twin)
    facts.insert(5, dict(facts[4], record=6))
    # a blocked answer left blank (the form's question was optional by mistake)
    rows[9][HEADERS["blocked"]] = ""
    facts[9] = {**facts[9], "expect": "rejected", "columns": [HEADERS["blocked"]], "why": "missing"}
    facts[9].pop("answers", None)
    # a breakup date after the response (a typo in the year)
    p = ps[12]
    rows[13][HEADERS["breakup_date"]] = us(d=day(p).replace(year=day(p).year + 1))
    facts[13] = truth_of(p, "google", 14, rows[13]["Email Address"], [HEADERS["breakup_date"]], "in the future")
    for k, f in enumerate(facts):
        f["record"] = k + 1
    write("google_forms.csv", header, rows)
    truth["google_forms.csv"] = facts


def google_dutch(truth: dict[str, list]) -> None:
    """The same form's download opened and saved again by Excel set to Dutch: semicolons, a BOM,
    Excel's own date layout (20-11-2026 21:14:03) and numbers typed the Dutch way (1.000 is a thousand)."""
    ps = people(2026_2, 14, dt.datetime(2026, 10, 1, 9, 0))
    header = ["Timestamp", "Email Address", *HEADERS.values(), NOTE]
    nl = "{d.day}-{d.month}-{d.year}".format
    rows, facts = [], []
    for i, p in enumerate(ps):
        row = {"Timestamp": f"{nl(d=p['answered'])} {p['answered']:%H:%M:%S}".replace(" 0", " "),
               "Email Address": f"klant{i + 1}@example.nl", **questions(cells(p, "google", lambda d: nl(d=d)))}
        rows.append(row)
        facts.append(truth_of(p, "google", i + 1, row["Email Address"]))
    # a thousand emotional messages, typed with a thousands dot: 1000, not 1
    ps[3]["emotional_messages"] = 1000
    rows[3][HEADERS["emotional_messages"]] = "1.000"
    facts[3] = truth_of(ps[3], "google", 4, rows[3]["Email Address"])
    # three years of silence, typed 1.095
    p = ps[6]
    p["days_since_breakup"], p["days_silent"], p["attempts_last_week"] = 1400, 1095, 0
    if p["last_reply_tone"] == "never_replied":
        p["attempts_ignored"] = max(p["attempts_ignored"], 1)
    p["days_blocked"] = None if p["blocked"] == "no" else 1200
    rows[6].update(questions(cells(p, "google", lambda d: nl(d=d))))
    rows[6][HEADERS["days_silent"]] = "1.095"
    facts[6] = truth_of(p, "google", 7, rows[6]["Email Address"])
    # a day and a half: a decimal comma, no whole number (and what shows the export's decimal mark)
    rows[10][HEADERS["days_silent"]] = "1,5"
    facts[10] = truth_of(ps[10], "google", 11, rows[10]["Email Address"], [HEADERS["days_silent"]], "1.5 days")
    write("google_forms_dutch_excel.csv", header, rows, delimiter=";", bom=True, line_end="\r\n")
    truth["google_forms_dutch_excel.csv"] = facts


# --------------------------------------------------------------------------- Typeform


def typeform(truth: dict[str, list]) -> None:
    """Typeform's CSV: '#' (the response token), the questions, then its own columns; times in UTC
    written 2026-11-20 20:14:03; a Yes/No question as 1 and 0; a date question as 2026-11-20."""
    ps = people(2026_3, 15, dt.datetime(2026, 10, 12, 7, 0))
    qs = list(HEADERS.values())
    header = ["#", *qs, NOTE, "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)",
              "Network ID", "Tags"]
    rows, facts = [], []
    rng = random.Random(7)
    for i, p in enumerate(ps):
        token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        submit = p["answered"]
        start = submit - dt.timedelta(minutes=rng.randint(2, 9), seconds=rng.randint(0, 59))
        row = {"#": token, **questions(cells(p, "typeform", lambda d: d.isoformat(), ("1", "0"))),
               "Response Type": "completed", "Start Date (UTC)": f"{start:%Y-%m-%d %H:%M:%S}",
               "Stage Date (UTC)": "", "Submit Date (UTC)": f"{submit:%Y-%m-%d %H:%M:%S}",
               "Network ID": f"{rng.randrange(16**10):010x}", "Tags": ""}
        rows.append(row)
        facts.append(truth_of(p, "typeform", i + 1, token))
    # started before midnight, submitted after: the breakup was "today", the submit day (the start
    # day would put it in the future)
    p = ps[5]
    p["answered"] = p["answered"].replace(hour=0, minute=3, second=40)
    p["days_since_breakup"], p["days_silent"], p["attempts_last_week"] = 0, 0, 2
    p["days_blocked"] = None if p["blocked"] == "no" else 0
    if p["last_reply_tone"] == "never_replied":
        p["attempts_ignored"] = 2
    rows[5].update(questions(cells(p, "typeform", lambda d: d.isoformat(), ("1", "0"))))
    rows[5]["Submit Date (UTC)"] = f"{p['answered']:%Y-%m-%d %H:%M:%S}"
    rows[5]["Start Date (UTC)"] = f"{p['answered'] - dt.timedelta(minutes=6):%Y-%m-%d %H:%M:%S}"
    facts[5] = truth_of(p, "typeform", 6, rows[5]["#"])
    # "1,000" messages: a thousand in English, one in Dutch; nothing in this export says which
    rows[8][HEADERS["emotional_messages"]] = "1,000"
    facts[8] = truth_of(ps[8], "typeform", 9, rows[8]["#"], [HEADERS["emotional_messages"]], "ambiguous number")
    write("typeform.csv", header, rows)
    truth["typeform.csv"] = facts


# --------------------------------------------------------------------------- Microsoft Forms


def microsoft(truth: dict[str, list], name: str, seed: int, layout: str, encoding: str, bom: bool) -> None:
    """Microsoft Forms' Excel file saved as CSV by Excel: ID, Start time, Completion time, Email,
    Name (anonymous here), then the questions; times and dates in the saving Excel's layout."""
    ps = people(seed, 14, dt.datetime(2026, 10, 3, 10, 0))
    header = ["ID", "Start time", "Completion time", "Email", "Name", *HEADERS.values()]
    rows, facts = [], []

    def stamp(t: dt.datetime) -> str:
        return f"{layout.format(d=t)} {t.hour}:{t:%M}" if encoding != "utf-8" else f"{layout.format(d=t)} {t:%H:%M:%S}"

    for i, p in enumerate(ps):
        done = p["answered"]
        row = {"ID": str(i + 1), "Start time": stamp(done - dt.timedelta(minutes=4)), "Completion time": stamp(done),
               "Email": "anonymous", "Name": "",
               **questions(cells(p, "microsoft", lambda d: layout.format(d=d)))}
        rows.append(row)
        facts.append(truth_of(p, "microsoft", i + 1, row["ID"]))
    # started 23:58, completed 00:03 the next day, breakup "today": the completion day counts
    p = ps[4]
    p["answered"] = (p["answered"] + dt.timedelta(days=1)).replace(hour=0, minute=3)
    p["days_since_breakup"], p["days_silent"], p["attempts_last_week"] = 0, 0, 1
    p["days_blocked"] = None if p["blocked"] == "no" else 0
    if p["last_reply_tone"] == "never_replied":
        p["attempts_ignored"] = 1
    rows[4].update(questions(cells(p, "microsoft", lambda d: layout.format(d=d))))
    rows[4]["Start time"] = stamp(p["answered"] - dt.timedelta(minutes=5))
    rows[4]["Completion time"] = stamp(p["answered"])
    facts[4] = truth_of(p, "microsoft", 5, "5")
    if encoding != "utf-8":  # the Latin-1 re-save: names with accents, and "ten" typed as a word
        for k, who in ((1, "José Müller"), (7, "Zoë Ångström"), (11, "François")):
            rows[k]["Name"], rows[k]["Email"] = who, f"{who.split()[0].lower()}@example.org"
        rows[8][HEADERS["attempts_last_week"]] = "ten"
        facts[8] = truth_of(ps[8], "microsoft", 9, "9", [HEADERS["attempts_last_week"]], "a word, not a number")
    else:  # a day that does not exist
        rows[9][HEADERS["breakup_date"]] = "31/11/2025"
        facts[9] = truth_of(ps[9], "microsoft", 10, "10", [HEADERS["breakup_date"]], "no 31 November")
    write(name, header, rows, encoding=encoding, bom=bom, line_end="\r\n")
    truth[name] = facts


# --------------------------------------------------------------------------- Jotform


def jotform(truth: dict[str, list]) -> None:
    """Jotform's CSV: Submission Date (Nov 20, 2026), the questions, Submission IP and Submission ID;
    its date fields write MM-DD-YYYY, and the block date was switched to YYYY-MM-DD mid-campaign."""
    ps = people(2026_5, 16, dt.datetime(2026, 10, 20, 12, 0))
    header = ["Submission Date", *HEADERS.values(), "Submission IP", "Submission ID"]
    rows, facts = [], []
    rng = random.Random(11)
    for i, p in enumerate(ps):
        late = i >= 9
        row = {"Submission Date": f"{p['answered']:%b} {p['answered'].day}, {p['answered'].year}",
               **questions(cells(p, "jotform", lambda d: f"{d:%m-%d-%Y}")),
               "Submission IP": f"203.0.113.{rng.randint(1, 254)}", "Submission ID": str(6_100_000_000_000_000_000 + i)}
        if late and p["days_blocked"] is not None:
            row[HEADERS["block_date"]] = days_ago(p, p["days_blocked"]).isoformat()
        rows.append(row)
        facts.append(truth_of(p, "jotform", i + 1, row["Submission ID"]))
    # a block date no calendar has
    k = next(i for i, p in enumerate(ps) if p["days_blocked"] is not None)
    rows[k][HEADERS["block_date"]] = "13-45-2026"
    facts[k] = truth_of(ps[k], "jotform", k + 1, rows[k]["Submission ID"], [HEADERS["block_date"]], "no such date")
    write("jotform.csv", header, rows)
    truth["jotform.csv"] = facts


def main() -> None:
    truth: dict[str, list] = {}
    google(truth)
    google_dutch(truth)
    typeform(truth)
    microsoft(truth, "microsoft_forms_latin1.csv", 2026_4, "{d.month}/{d.day}/{d.year}", "cp1252", False)
    microsoft(truth, "microsoft_forms_uk.csv", 2026_6, "{d:%d}/{d:%m}/{d.year}", "utf-8", True)
    jotform(truth)
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
