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


# ---- the Cases tab -----------------------------------------------------------------------------
ROWS = ("Array.from(document.querySelectorAll('#case-table .virtual-row'))"
        ".sort((a, b) => +a.dataset.index - +b.dataset.index)"
        ".map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.innerText.trim()))")


def open_cases(page) -> list[list[str]]:
    page.get_by_role("tab", name="Cases").click()
    page.wait_for_function(f"{ROWS}.length >= 6", timeout=10_000)
    return page.evaluate(ROWS)


def choose(page, dropdown: str, option: str) -> None:
    page.click(f"{dropdown} input")
    page.get_by_role("option", name=option).click()


def test_cases_tab_filters_by_goal_shows_a_chosen_case_and_exports_csv(page):
    everything = open_cases(page)
    assert {row[0] for row in everything} >= {"Frederikshavn", "Norddjurs", "Herning", "Gladsaxe", "Aarhus"}
    choose(page, "#case-goal", "3 – Sundhed og trivsel")
    page.wait_for_function(f"{ROWS}.length < {len(everything)}", timeout=10_000)
    rows = page.evaluate(ROWS)
    assert rows and all("3" in row[2].split(", ") for row in rows)  # only cases on goal 3, at least one
    assert [row[0] for row in rows] == ["Gladsaxe"]
    page.locator("#case-table .virtual-row[data-index='0'] [role=gridcell]").nth(1).click()
    panel = page.locator("#case-panel")
    panel.locator(".va-passage").first.wait_for(timeout=10_000)
    assert "Gladsaxe" in panel.inner_text() and panel.locator(".va-passage").count() > 1
    assert panel.locator('a[href="mailto:linevi@gladsaxe.dk"]').count() == 1
    with page.expect_download(timeout=10_000) as download:
        page.click("#case-csv")
    exported = Path(download.value.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert len(exported) == 2 and exported[0].startswith("id,municipality,") and ",Gladsaxe," in exported[1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_cases.png"), full_page=True)
    assert not page.errors


def test_cases_table_sorts_by_a_column_and_a_click_still_finds_its_case(page):
    rows = open_cases(page)
    header = page.locator("#case-table th[data-heading='0']")
    header.hover()
    header.locator("button[aria-label='Open cell menu']").click(force=True)
    page.locator("[role=menuitem]", has_text="Sort descending").first.click()
    municipal = sorted((row[0] for row in rows if not row[0].startswith("(")), reverse=True)
    page.wait_for_function(f"{ROWS}[0][0] === {json.dumps(municipal[0])}", timeout=10_000)
    shown = [row[0] for row in page.evaluate(ROWS) if not row[0].startswith("(")]
    assert shown == municipal
    page.locator("#case-table .virtual-row[data-index='0'] [role=gridcell]").nth(1).click()
    page.wait_for_function(f"document.querySelector('#case-panel .va-municipality')?.innerText === {json.dumps(municipal[0])}",
                           timeout=10_000)
    assert not page.errors


# ---- votes -------------------------------------------------------------------------------------
def test_a_thumbs_up_on_an_answer_is_recorded_with_its_question(page, live_feedback):
    before = live_feedback.read_text(encoding="utf-8").splitlines() if live_feedback.exists() else []
    ask(page, QUESTION, "bejo@frederikshavn.dk")
    assert page.locator("#answer-csv").is_visible()
    page.locator("#chat button[aria-label='Like']").last.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = live_feedback.read_text(encoding="utf-8").splitlines() if live_feedback.exists() else []
        if len(lines) > len(before):
            break
        time.sleep(0.1)
    records = [json.loads(line) for line in lines[len(before):]]
    assert len(records) == 1
    record = records[0]
    assert record["vote"] == "up" and record["question"] == QUESTION and record["history"] == []
    assert record["cases"][0]["municipality"] == "Frederikshavn" and "127.0.0.1" not in lines[-1]
    assert not page.errors
