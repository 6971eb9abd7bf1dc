"""The portal's forms, end to end without script: a subject disputes, appeals, applies for
repair and gives consent; a reviewer finds each case in the queue and decides it; every
form needs the session's form token, and without it nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_support import CIVIC, PENDING, TRAFFIC, list_a_defaulter
from tests.test_web_support import Browser, Reading, browsing


@pytest.fixture
def browser(tmp_path: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from browsing(tmp_path, tmp_path_factory)


def _dispute_the_fine(browser: Browser, grounds: str = "I was not driving") -> Any:
    page = Reading(browser.sign_in("subject").text)
    return browser.submit(page.form_to("/me/disputes"), grounds=grounds)


def test_a_subject_disputes_an_entry_and_the_reviewer_finds_it_in_the_queue(
    browser: Browser,
) -> None:
    after = _dispute_the_fine(browser)
    assert after.url.path == "/me"
    mine = Reading(after.text).text
    assert "Your dispute is recorded." in mine
    assert "Disputed" in mine
    assert "I was not driving" in mine
    queue = Reading(browser.sign_in("reviewer").text)
    case = next(link for link in queue.links if link.startswith("/review/dispute/X-"))
    shown = browser.page(case).text
    assert "I was not driving" in shown
    assert TRAFFIC in shown


def test_a_post_without_the_form_token_is_refused_and_records_nothing(browser: Browser) -> None:
    page = Reading(browser.sign_in("subject").text)
    form = page.form_to("/me/disputes")
    values = {k: v for k, v in form.values.items() if k != "csrf"}
    refused = browser.client.post(form.action, data={**values, "grounds": "no token"})
    assert refused.status_code == 403
    assert "invalid_form_token" in refused.text
    forged = browser.client.post(form.action, data={**values, "csrf": "0" * 64, "grounds": "x"})
    assert forged.status_code == 403
    assert "Disputed" not in browser.get("/me").text


def test_a_form_token_of_another_session_is_refused(browser: Browser) -> None:
    page = Reading(browser.sign_in("other_subject").text)
    theirs = page.form_to("/sign-out").values["csrf"]
    page = Reading(browser.sign_in("subject").text)
    form = page.form_to("/me/disputes")
    response = browser.submit(form, csrf=theirs, grounds="replayed")
    assert response.status_code == 403
    assert "invalid_form_token" in response.text


def test_the_sign_in_form_needs_its_token_too(browser: Browser) -> None:
    response = browser.client.post("/sign-in", data={"token": browser.world.tokens["admin"]})
    assert response.status_code == 403
    assert "invalid_form_token" in response.text


def test_an_empty_field_is_refused_with_the_apis_code(browser: Browser) -> None:
    response = _dispute_the_fine(browser, grounds="   ")
    assert response.status_code == 422
    assert "invalid_request" in response.text
    assert "grounds" in response.text


def test_the_subject_adds_information_to_their_dispute(browser: Browser) -> None:
    page = Reading(_dispute_the_fine(browser).text)
    action = next(f.action for f in page.forms if f.action.endswith("/information"))
    after = browser.submit(page.form_to(action), info="a photo of the car")
    assert "Your information is added to the dispute." in after.text


def test_an_appeal_goes_from_the_subjects_form_to_the_reviewers_decision(
    browser: Browser,
) -> None:
    ref = list_a_defaulter(browser.world, noticed=True)
    page = Reading(browser.sign_in("subject").text)
    after = browser.submit(page.form_to(f"/me/listings/{ref}/appeal"), grounds="paid in full")
    assert "Your appeal is recorded." in after.text
    assert "under appeal" in Reading(after.text).text
    queue = Reading(browser.sign_in("reviewer").text)
    assert f"/review/appeal/{ref}" in queue.links
    case = browser.page(f"/review/appeal/{ref}")
    decided = browser.submit(
        case.form_to(f"/review/appeal/{ref}"), outcome="overturned", reasons="paid before listing"
    )
    assert "The decision is recorded." in decided.text
    assert f"/review/appeal/{ref}" not in Reading(decided.text).links
    mine = Reading(browser.sign_in("subject").text).text
    assert "overturned" in mine
    assert "reviewer-wang" in mine  # the reviewer's reading of the case is in the access log


def test_a_repair_goes_from_application_to_acceptance_to_approval(browser: Browser) -> None:
    page = Reading(browser.sign_in("subject").text)
    after = browser.submit(
        page.form_to("/me/repairs"), commitment="drive within the limit", proof="fine paid"
    )
    assert "Your application for credit repair is recorded." in after.text
    queue = Reading(browser.sign_in("reviewer").text)
    case = next(link for link in queue.links if link.startswith("/review/repair/R-"))
    page = browser.page(case)
    accepted = browser.submit(page.form_to(f"{case}/accept"))
    assert "The application is accepted for decision." in accepted.text
    page = Reading(accepted.text)
    decided = browser.submit(page.form_to(f"{case}/decision"), outcome="approved", reasons="ok")
    assert decided.url.path == "/review"
    mine = Reading(browser.sign_in("subject").text).text
    assert "Decision on your credit repair" in mine
    assert "approved" in mine


def test_the_subject_gives_and_withdraws_consent(browser: Browser) -> None:
    page = Reading(browser.sign_in("subject").text)
    given = browser.submit(page.form_to("/me/consent"), rulebook=CIVIC, action="give")
    assert "Your consent is recorded." in given.text
    assert "you consent to this opt-in scheme" in given.text
    page = Reading(given.text)
    withdrawn = browser.submit(page.form_to("/me/consent"), rulebook=CIVIC, action="withdraw")
    assert "Your consent is withdrawn." in withdrawn.text


def test_the_reviewer_approves_a_pending_report_and_it_leaves_the_queue(
    browser: Browser,
) -> None:
    browser.sign_in("reviewer")
    case = f"/review/pending/{PENDING[0]}/{PENDING[1]}"
    page = browser.page(case)
    decided = browser.submit(page.form_to(case), decision="approve", reason="seen by a warden")
    assert decided.url.path == "/review"
    assert case not in Reading(decided.text).links
    assert browser.get(case).status_code == 404
