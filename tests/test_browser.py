"""The chat in a real browser: Debian's Chromium driven by Playwright against the live app."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
QUESTION = "Hvilken kommune samarbejder med en virksomhed om biodiversitet?"
PAYLOAD = '<img src=x onerror="window.__xss=1">'
LAST_BOT = "(() => { const m = document.querySelectorAll('#chat [data-testid=\"bot\"]'); return m.length ? m[m.length - 1].innerText : ''; })()"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (bash setup.sh --test)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (bash setup.sh --test does, as root)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_app):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_app)
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.evaluate("window.__xss = 0")
    page.errors = errors
    yield page
    page.close()


def ask(page, text: str, expect: str) -> float:
    """Type ``text``, submit it, wait until the last answer contains ``expect``; seconds it took."""
    before = page.locator('#chat [data-testid="bot"]').count()
    page.fill("#question textarea", text)
    started = time.perf_counter()
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat [data-testid=\"bot\"]').length > {before} && {LAST_BOT}.includes({json.dumps(expect)})",
        timeout=30_000)
    return time.perf_counter() - started


def test_question_gets_answer_with_sources_and_contact(page):
    seconds = ask(page, QUESTION, "bejo@frederikshavn.dk")
    answer = page.evaluate(LAST_BOT)
    assert "Frederikshavn" in answer and "Bente Bundgård Jokumsen" in answer
    cards = page.locator("#cards")
    cards.locator('a[href="mailto:bejo@frederikshavn.dk"]').first.wait_for(timeout=10_000)
    assert "Frederikshavn" in cards.inner_text() and cards.locator("mark").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_answer.png"), full_page=True)

    # the follow-up keeps the conversation's case
    follow = ask(page, "Hvem kan jeg kontakte om det?", "bejo@frederikshavn.dk")
    (ARTIFACTS / "browser_timing.json").write_text(json.dumps(
        {"question": QUESTION, "submit_to_answer_seconds": round(seconds, 3),
         "follow_up_submit_to_answer_seconds": round(follow, 3)}, indent=2))
    print(f"\nbrowser: submit → rendered answer {seconds:.2f} s (follow-up {follow:.2f} s)")
    assert not page.errors


def test_html_in_a_question_is_shown_as_text_and_never_runs(page):
    ask(page, PAYLOAD, "HTML")
    user = page.locator('#chat [data-testid="user"]').last.inner_text()
    assert PAYLOAD in user  # the literal text is visible
    page.wait_for_timeout(500)  # give a broken image the time to fire onerror
    assert page.evaluate("window.__xss") == 0
    assert page.locator('img[src="x"]').count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_xss.png"), full_page=True)
    assert not page.errors
