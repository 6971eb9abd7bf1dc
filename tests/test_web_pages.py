"""The portal's pages: each role signs in through the form and gets its own pages and no
other's, with the API's permissions; a subject sees only their own record; a relying party
sees decisions, never scores; every page is accessible (a language, a skip link, a label on
every control) and served with its assets from the package; errors are pages with the API's
stable codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_support import OTHER_ADULT, PENDING, list_a_defaulter, open_a_dispute
from tests.scenario import ADULT
from tests.test_web_support import Browser, Reading, browsing

HOMES = {
    "subject": ("/me", "My record"),
    "reviewer": ("/review", "Review queue"),
    "admin": ("/operator", "Operator dashboard"),
    "relying_party": ("/check", "Check eligibility"),
    "source": ("/", "An open, auditable credit ledger"),
}
ROLE_PAGES = {"/me": {"subject"}, "/review": {"reviewer", "admin"}, "/operator": {"admin"}}
ROLE_PAGES["/check"] = {"relying_party"}


@pytest.fixture
def browser(tmp_path: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from browsing(tmp_path, tmp_path_factory)


@pytest.mark.parametrize("caller", list(HOMES))
def test_each_role_signs_in_by_the_form_and_lands_on_its_page(
    browser: Browser, caller: str
) -> None:
    landed = browser.sign_in(caller)
    path, heading = HOMES[caller]
    assert landed.status_code == 200
    assert landed.url.path == path
    assert heading in Reading(landed.text).text


@pytest.mark.parametrize("caller", ["subject", "reviewer", "admin", "relying_party", "source"])
@pytest.mark.parametrize("path", list(ROLE_PAGES))
def test_a_role_page_is_refused_to_every_other_role_as_the_api_refuses_it(
    browser: Browser, caller: str, path: str
) -> None:
    browser.sign_in(caller)
    response = browser.get(path)
    if caller in ROLE_PAGES[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "forbidden_role" in response.text
        assert "text/html" in response.headers["content-type"]


def test_a_page_needing_a_session_sends_the_visitor_to_sign_in(browser: Browser) -> None:
    response = browser.get("/me", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fme"
    landed = browser.sign_in("subject")
    assert landed.url.path == "/me"


def test_the_session_cookie_is_http_only_and_same_site_strict(browser: Browser) -> None:
    form = browser.page("/sign-in").form_to("/sign-in")
    response = browser.client.post(
        "/sign-in",
        data={**form.values, "token": browser.world.tokens["subject"]},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "sc_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


@pytest.mark.parametrize("token", ["revoked", "forged", "malformed"])
def test_a_token_the_api_refuses_signs_nobody_in(browser: Browser, token: str) -> None:
    form = browser.page("/sign-in").form_to("/sign-in")
    response = browser.submit(form, token=browser.world.tokens[token])
    assert response.status_code == 401
    assert "invalid_token" in response.text
    assert browser.get("/me", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session(browser: Browser) -> None:
    page = Reading(browser.sign_in("subject").text)
    response = browser.submit(page.form_to("/sign-out"))
    assert response.url.path == "/"
    assert "You are signed out." in response.text
    assert browser.get("/me", follow_redirects=False).status_code == 303


def test_the_subject_sees_their_score_entries_and_chart(browser: Browser) -> None:
    page = Reading(browser.sign_in("subject").text)
    assert "980" in page.text  # 1000 less the 800 CNY fine's 20 points
    assert "traffic.fine (cn-371003-wendeng@2020.1): -20" in page.text
    assert "Mar 1, 2027" in page.text  # the fine's expiry
    assert "score-chart-title" in page.ids
    assert "pending: awaiting corroboration" in page.text


def test_a_subject_never_sees_another_subjects_data(browser: Browser) -> None:
    open_a_dispute(browser.world)  # ADULT's
    ref = list_a_defaulter(browser.world, noticed=True)
    landed = browser.sign_in("other_subject")
    assert OTHER_ADULT in landed.text
    assert ADULT not in landed.text
    for path in ("/review", f"/review/appeal/{ref}", "/operator", "/check"):
        response = browser.get(path)
        assert response.status_code == 403, path
        assert ADULT not in response.text


def test_a_subject_cannot_appeal_another_subjects_listing_through_a_form(
    browser: Browser,
) -> None:
    ref = list_a_defaulter(browser.world, noticed=True)  # ADULT's
    page = Reading(browser.sign_in("other_subject").text)
    token = page.form_to("/sign-out").values["csrf"]
    response = browser.client.post(
        f"/me/listings/{ref}/appeal", data={"csrf": token, "grounds": "not me"}
    )
    assert response.status_code == 403
    assert "not_own_record" in response.text
    assert ADULT not in response.text


def test_a_relying_party_sees_the_decision_and_never_a_score(browser: Browser) -> None:
    page = Reading(browser.sign_in("relying_party").text)
    answer = browser.submit(page.form_to("/check"), subject=ADULT, purpose="air_travel")
    assert answer.status_code == 200
    shown = Reading(answer.text).text
    assert "Allow" in shown
    assert "Decision id" in shown
    assert "980" not in shown
    assert "traffic.fine" not in shown
    assert "Score" not in shown
    assert "Grade" not in shown


def test_a_relying_party_asking_outside_its_purposes_is_refused_and_it_is_recorded(
    browser: Browser,
) -> None:
    page = Reading(browser.sign_in("relying_party").text)
    refused = browser.submit(page.form_to("/check"), subject=ADULT, purpose="bank_loan")
    assert refused.status_code == 403
    assert "purpose_not_registered" in refused.text
    browser.sign_in("subject")
    mine = Reading(browser.get("/me").text).text
    assert "refused: not registered for the purpose" in mine


def test_the_reviewer_queue_lists_the_pending_report(browser: Browser) -> None:
    page = Reading(browser.sign_in("reviewer").text)
    assert f"{PENDING[0]}/{PENDING[1]}" in page.text
    assert f"/review/pending/{PENDING[0]}/{PENDING[1]}" in page.links


def test_the_operator_sees_the_head_hash_and_the_grades(browser: Browser) -> None:
    page = Reading(browser.sign_in("admin").text)
    assert "grades-cn-371003-wendeng-title" in page.ids
    text = page.text
    assert "position 3" in text
    head = browser.world.client.get("/health").json()["head_seq"]
    assert head == 3


def test_the_methodology_shows_rules_lists_and_consequences(browser: Browser) -> None:
    text = browser.page("/methodology/cn-371003-wendeng").text
    assert "amount_cny up to 500: -10" in text
    assert "Doubled when repeated while an earlier one is valid." in text
    assert "List of dishonest judgment defaulters" in text
    assert "Appeal window 10 days" in text
    assert "air travel" in text


def test_the_methodology_shows_what_changed_between_versions(browser: Browser) -> None:
    from pathlib import Path

    from socialcredit.services.schemes import publish
    from socialcredit.storage import open_store
    from tests.api_support import NOW

    data = Path(__file__).parent / "data" / "mixed"
    with open_store(browser.world.store) as store:
        for version in ("2021.1", "2022.1"):
            publish(store, str(data / f"{version}.toml"), published_at=NOW)
    text = browser.page("/methodology/test-mixed").text
    assert "test-mixed@2021.1 was followed by test-mixed@2022.1." in text
    assert "Changed rule fine" in text


def test_an_unknown_rulebook_is_a_not_found_page(browser: Browser) -> None:
    response = browser.get("/methodology/nowhere")
    assert response.status_code == 404
    assert "not_found" in response.text
    assert Reading(response.text).html_lang == "en"


PUBLIC = ["/", "/methodology", "/methodology/cn-national", "/sign-in", "/sign-out"]
SIGNED_IN = {
    "subject": ["/me"],
    "reviewer": ["/review", f"/review/pending/{PENDING[0]}/{PENDING[1]}"],
    "admin": ["/operator"],
    "relying_party": ["/check"],
}


def _pages(browser: Browser) -> list[tuple[str, Reading]]:
    pages = [(path, browser.page(path)) for path in PUBLIC]
    ref = list_a_defaulter(browser.world, noticed=True)
    dispute = open_a_dispute(browser.world, subject=OTHER_ADULT, event_id="tj-2")
    cases = {"reviewer": [f"/review/appeal/{ref}", f"/review/dispute/{dispute}"]}
    for caller, paths in SIGNED_IN.items():
        browser.sign_in(caller)
        pages += [(path, browser.page(path)) for path in [*paths, *cases.get(caller, [])]]
    browser.sign_in("subject")
    pages.append(("error", browser.page(f"/review/appeal/{ref}", status=403)))
    return pages


def test_every_page_has_a_language_a_skip_link_and_a_label_for_every_control(
    browser: Browser,
) -> None:
    for path, page in _pages(browser):
        assert page.html_lang == "en", path
        assert "#main" in page.links, path
        assert "main" in page.ids, path
        assert not page.unlabelled(), (path, page.unlabelled())
        assert len(page.ids) == len(set(page.ids)), (path, sorted(page.ids))
        for form in page.forms:
            if form.method == "post":
                assert form.values.get("csrf"), (path, form.action)


def test_every_asset_a_page_uses_is_served_from_the_package(browser: Browser) -> None:
    from importlib.resources import files

    response = browser.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    shipped = files("socialcredit.web").joinpath("static", "style.css").read_bytes()
    assert response.content == shipped
    home = browser.get("/")
    policy = home.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    page = home.text
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "<script" not in page
    assert browser.get("/static/nothing.css").status_code == 404
    assert browser.get("/static/..%2Fpages.py").status_code == 404


def test_the_portal_adds_nothing_to_the_api_schema(browser: Browser) -> None:
    paths = browser.get("/openapi.json").json()["paths"]
    assert not {"/", "/me", "/review", "/check", "/operator", "/sign-in"} & set(paths)


def test_every_page_is_documented() -> None:
    from pathlib import Path

    from fastapi.routing import APIRoute

    from socialcredit.web.routes import AREAS

    doc = (Path(__file__).parents[1] / "docs" / "portal.md").read_text(encoding="utf-8")
    pages = {
        route.path.replace(":path", "")
        for area in AREAS
        for route in area.router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    } - {"/static/{name}"}
    assert len(pages) >= 12
    missing = sorted(p for p in pages if f"`{p}`" not in doc)
    assert not missing, f"docs/portal.md does not name the pages {missing}"
