"""The portal in a real browser: Chromium, driven by Playwright with script turned off,
against `socialcredit serve` in a process of its own on a loopback port, over a small demo
store (`socialcredit demo --people 100`) and the real clock.

The story: a citizen signs in with a pasted token, reads why their score fell, disputes the
entry and signs out; the reviewer finds the dispute in the queue, opens it and removes the
entry its source cannot substantiate; the deadline job (`socialcredit tick`) sends the
outcome; the citizen signs in again and sees the entry removed, the dispute's state and the
outcome in the inbox. A screenshot of every step is kept in `test-artifacts/browser/`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
COMMAND = Path(sys.executable).with_name("socialcredit")
GROUNDS = "I sold that car the month before; the plate was misread"
REASONS = "the traffic police hold no photo of the plate for this fine"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium not installed at /usr/bin/chromium; .ci/run installs it"
)


@dataclass(frozen=True)
class Portal:
    """The server's address, the store it serves and the demo's tokens by who holds them."""

    url: str
    store: Path
    tokens: dict[str, str]


def _socialcredit(*args: str, store: Path | None = None) -> str:
    """Run a command of the project's as the operator would; its standard output."""
    env = {**os.environ, **({"SOCIALCREDIT_DB": str(store)} if store else {})}
    run = subprocess.run(
        [str(COMMAND), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped; see test-artifacts/browser/server.log"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not answer {url}/health within {seconds} s")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    folder = tmp_path_factory.mktemp("browser") / "demo"
    built = json.loads(
        _socialcredit("demo", "--dir", str(folder), "--people", "100", "--no-serve", "--json")
    )
    store = Path(built["store"])
    port = _free_port()
    with (ARTIFACTS / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(COMMAND), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "SOCIALCREDIT_DB": str(store)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url, server)
            yield Portal(url, store, {t["who"]: t["bearer"] for t in built["tokens"]})
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    no_sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=no_sandbox
        )
        yield browser
        browser.close()


class Visit:
    """One visitor's tab, without script (every page works without it), that screenshots
    each step of the story in order."""

    def __init__(self, browser: Browser, portal: Portal) -> None:
        context = browser.new_context(
            base_url=portal.url, java_script_enabled=False, viewport={"width": 1200, "height": 900}
        )
        context.set_default_timeout(10_000)
        self.page: Page = context.new_page()
        self.portal = portal
        self.shots = 0

    def shot(self, name: str, part: Locator | None = None) -> None:
        """The whole page, or one part of it, as the next numbered screenshot."""
        self.shots += 1
        path = ARTIFACTS / f"{self.shots:02d}-{name}.png"
        if part is None:
            self.page.screenshot(path=path, full_page=True)
        else:
            part.screenshot(path=path)

    def sign_in(self, who: str, lands_on: str) -> None:
        self.page.goto("/sign-in")
        self.page.get_by_label("Your token").fill(self.portal.tokens[who])
        self.shot(f"sign-in-{who.replace(' ', '-')}")
        self.page.locator("main").get_by_role("button", name="Sign in").click()
        expect(self.page).to_have_url(f"{self.portal.url}{lands_on}")

    def sign_out(self, who: str) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_text("You are signed out.")).to_be_visible()
        self.shot(f"signed-out-{who}")


def _entry_to_dispute(page: Page) -> tuple[str, str]:
    """The card of the first deduction that can be disputed: its event id and its reason."""
    cards = page.locator("article.entry:not(.disputed)").filter(
        has=page.locator('form[action="/me/disputes"]')
    )
    for card in cards.all():
        if card.locator("h4").inner_text().startswith("-"):
            event_id = card.locator('input[name="event_id"]').get_attribute("value")
            assert event_id
            return event_id, card.locator("p").first.inner_text()
    raise AssertionError("the citizen has no deduction to dispute")


def test_a_citizen_disputes_a_deduction_and_the_reviewer_removes_it(
    portal: Portal, chromium: Browser
) -> None:
    visit = Visit(chromium, portal)
    page = visit.page

    # The citizen reads why the score fell: each deduction with the rule and version behind it.
    visit.sign_in("citizen", "/me")
    event_id, reason = _entry_to_dispute(page)
    assert re.search(r"\(cn-[\w-]+@[\w.]+\): -\d+", reason), reason
    card = page.locator("article.entry").filter(has_text=event_id).first
    card.scroll_into_view_if_needed()
    visit.shot("why-the-score-fell")

    # ... and disputes it through the form under the entry.
    card.get_by_text("Dispute this entry").click()
    card.get_by_label("Why is this entry wrong?").fill(GROUNDS)
    card.get_by_role("button", name="Dispute", exact=True).click()
    expect(page.get_by_text("Your dispute is recorded.")).to_be_visible()
    mine = page.locator("#disputes ~ article").filter(has_text=GROUNDS)
    ref = re.findall(r"X-\d+(?:-\d+)?", mine.locator("h3").inner_text())[0]
    expect(mine).to_contain_text("open")
    visit.shot("disputed")
    visit.sign_out("citizen")

    # The reviewer finds it in the queue, opens it and removes the entry.
    visit.sign_in("reviewer", "/review")
    case = page.locator(f'a[href="/review/dispute/{ref}"]')
    expect(case).to_be_visible()
    visit.shot("review-queue")
    case.click()
    expect(page.locator("main")).to_contain_text(GROUNDS)
    page.get_by_label("Remove the entry: the source cannot substantiate it").check()
    page.get_by_label("Reasons, recorded with the decision").fill(REASONS)
    visit.shot("dispute-case")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(page.locator(f'a[href="/review/dispute/{ref}"]')).to_have_count(0)
    visit.shot("decided")
    visit.sign_out("reviewer")

    # The deadline job sends the outcome, as the operator's scheduler runs it.
    ticked = json.loads(_socialcredit("tick", "--json", store=portal.store))
    assert ref in ticked["disputes"]["outcomes"]

    # The citizen sees the entry removed, the dispute's outcome and the notice of it.
    visit.sign_in("citizen", "/me")
    expect(page.locator(f'input[name="event_id"][value="{event_id}"]')).to_have_count(0)
    expect(page.locator("#entries ~ table")).to_contain_text(f"removed by dispute {ref}")
    mine = page.locator("#disputes ~ article").filter(has_text=GROUNDS)
    expect(mine).to_contain_text("removed: the reviewer found it unsubstantiated")
    expect(mine.locator("dt:has-text('The entry still counts') + dd")).to_have_text("no")
    outcome = page.locator("#notices ~ article").filter(has_text="Outcome of your dispute")
    expect(outcome.filter(has_text=ref)).to_contain_text(REASONS)
    visit.shot("outcome")
    visit.shot("outcome-notice", outcome.filter(has_text=ref))


def test_a_citizen_reads_the_portal_in_chinese(portal: Portal, chromium: Browser) -> None:
    visit = Visit(chromium, portal)
    page = visit.page
    page.goto("/sign-in?lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_label("你的令牌").fill(portal.tokens["citizen"])
    visit.shot("sign-in-zh")
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{portal.url}/me")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # remembered
    visit.shot("portal-zh")
