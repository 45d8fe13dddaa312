"""A real browser takes the quiz: Playwright drives Debian's chromium against `exodds serve`'s app on loopback.

Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) and never downloads a
browser. Outside CI a missing chromium skips these tests; in CI (CI=true) it fails them.

Screenshots: `EXODDS_SCREENSHOTS=reports/screenshots .venv/bin/python -m pytest tests/test_browser.py`
saves the quiz (filled at desktop width, empty at phone width), a form sent back with a problem
(phone) and a report (desktop and phone).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from conftest import AS_OF
from playwright.sync_api import sync_playwright

from model.quiz.definition import QUIZ
from model.report.build import build_report
from model.report.render import pct
from model.web import create_app

CHROMIUM = os.environ.get("EXODDS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = os.environ.get("EXODDS_SCREENSHOTS")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def base_url():
    """The app under uvicorn on a free loopback port, in a thread; stopped after the module."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(as_of=AS_OF), access_log=False, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visit:
    """A page that records every request it makes and every console error (a CSP violation is one)."""

    def __init__(self, browser, base_url: str, viewport=DESKTOP, javascript: bool = True):
        self.context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale="en-GB")
        self.page = self.context.new_page()
        self.base = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        # The form sent back with its problems has status 422, which chromium notes as an error.
        if message.type == "error" and "status of 422" not in message.text:
            self.errors.append(message.text)

    def close(self) -> None:
        assert self.errors == [], self.errors
        external = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert external == [], external
        self.context.close()

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def visit(browser, base_url):
    opened: list[Visit] = []

    def open_(**kwargs) -> Visit:
        v = Visit(browser, base_url, **kwargs)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        v.close()


def fill(page, answers: dict[str, Any]) -> None:
    """Answer as a person would: type numbers into the labelled boxes, click the labelled choices."""
    for q in QUIZ:
        if q.id not in answers:
            continue
        value = answers[q.id]
        if q.is_numeric:
            page.get_by_label(q.text).fill(str(value))
        else:
            label = next(c.label for c in q.choices if c.value == value)
            page.get_by_role("group", name=q.text).get_by_label(label, exact=True).check()


def test_take_the_quiz_and_read_the_odds(visit, base_url, good_answers):
    v = visit()
    page = v.page
    page.goto(base_url + "/")
    assert page.title() == "exodds quiz"
    follow_up = page.locator("#q-days_blocked")
    assert follow_up.is_hidden()  # not asked until they say they are blocked
    page.get_by_role("group", name=QUIZ["blocked"].text).get_by_label("Everywhere", exact=True).check()
    assert follow_up.is_visible() and page.locator("#days_blocked").is_enabled()
    page.locator("#days_blocked").fill("7")  # answered, then the block taken back:
    page.get_by_role("group", name=QUIZ["blocked"].text).get_by_label("No", exact=True).check()
    assert follow_up.is_hidden()  # hidden, and left out when the form is sent (no "given while no")

    fill(page, good_answers)
    v.shot("quiz-desktop")
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    expected = build_report(good_answers, as_of=AS_OF)
    assert page.locator("h1").inner_text() == "Your odds and your next step"
    assert page.locator("#odds .big").inner_text() == pct(expected["reversal_odds"])
    assert expected["band"].lower() in page.locator("#odds").inner_text().lower()
    v.shot("report-desktop")


def test_an_invalid_answer_comes_back_beside_its_question(visit, base_url, good_answers):
    v = visit(viewport=PHONE)
    page = v.page
    page.goto(base_url + "/")
    v.shot("quiz-phone")
    fill(page, dict(good_answers, days_silent=good_answers["days_since_breakup"] + 5))
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    assert page.title().startswith("Check your answers")
    assert page.evaluate("document.activeElement.id") == "problems"  # focus starts at what to check
    error = page.locator("#q-days_silent .error")
    assert error.is_visible()
    assert "more days since last contact than since the breakup" in error.inner_text().lower()
    box = page.locator("#days_silent")
    assert "days_silent-error" in box.get_attribute("aria-describedby").split()
    assert box.input_value() == str(good_answers["days_since_breakup"] + 5)  # the answers are kept
    assert page.locator("#days_since_breakup").input_value() == str(good_answers["days_since_breakup"])
    assert page.get_by_role("group", name=QUIZ["anger"].text).get_by_label("Annoyed", exact=True).is_checked()
    assert page.locator(".error").count() == 1  # only the question with the problem
    page.locator("#problems a").first.click()  # the summary links to the question
    assert page.url.endswith("#q-days_silent")
    v.shot("quiz-invalid-phone")

    page.locator("#days_silent").fill(str(good_answers["days_silent"]))  # fix it and send again
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    assert page.locator("#odds .big").is_visible()
    v.shot("report-phone")


def test_the_quiz_works_without_javascript(visit, base_url, good_answers):
    v = visit(javascript=False)
    page = v.page
    page.goto(base_url + "/")
    assert page.locator("#q-days_blocked").is_visible()  # shown, with a note saying when it applies
    assert "leave it blank otherwise" in page.locator("#days_blocked-note").inner_text()
    fill(page, dict(good_answers, blocked="some", days_blocked=5))
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    expected = build_report(dict(good_answers, blocked="some", days_blocked=5), as_of=AS_OF)
    # blocked: the odds in one plain sentence, no headline figure, and their wishes come first
    assert f"at {pct(expected['reversal_odds'])} (range" in page.locator("#odds .plain-odds").inner_text()
    assert page.locator("#odds .big").count() == 0 and page.locator("#wishes").is_visible()


def test_back_from_the_report_keeps_the_follow_up_and_its_answer(visit, base_url, good_answers):
    """The browser's Back refills the form after the page's script first ran: question 5a is shown
    again with its answer, so sending it again works."""
    v = visit()
    page = v.page
    page.goto(base_url + "/")
    fill(page, good_answers)
    page.get_by_role("group", name=QUIZ["blocked"].text).get_by_label("On some apps or my number", exact=True).check()
    page.locator("#days_blocked").fill("5")
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    assert page.locator("#odds .plain-odds").is_visible()
    page.go_back()
    page.wait_for_load_state()
    follow_up = page.locator("#days_blocked")
    if follow_up.input_value() == "":  # a browser that does not restore the form: nothing to keep
        pytest.skip("this browser did not restore the form on Back")
    assert follow_up.is_visible() and follow_up.is_enabled() and follow_up.input_value() == "5"
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_load_state()
    assert page.locator("#odds .plain-odds").is_visible()
