"""A listing (`L-...`), a dispute (`X-...`) and a repair application (`R-...`) read by their
ref: the subject concerned sees their own, a reviewer or an admin any (logged for the
subject), and any other subject is refused alike whether the ref exists or not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.api_support import (
    World,
    apply_for_a_repair,
    list_a_defaulter,
    open_a_dispute,
    shared_template,
    world_from,
)
from tests.scenario import ADULT

# Per kind: where it is read, how to make ADULT's, the field holding its ref, what the
# access log calls the read, a ref that names nothing, and text that is no ref at all.
KINDS: dict[str, tuple[str, Callable[[World], str], str, str, str, int]] = {
    "listing": ("/listings", list_a_defaulter, "ref", "listing", "L-999-x", 400),
    "dispute": ("/disputes", open_a_dispute, "ref", "dispute", "X-999", 400),
    "repair": ("/repairs", apply_for_a_repair, "application", "repair", "R-000000000000", 404),
}


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_subject_reads_their_own_by_its_ref(world: World, kind: str) -> None:
    path, make, field, _, _, _ = KINDS[kind]
    ref = make(world)
    response = world.get(f"{path}/{ref}", "subject")
    assert response.status_code == 200, response.text
    assert (response.json()[field], response.json()["subject"]) == (ref, ADULT)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_reviewer_reads_any_and_the_read_is_logged_for_the_subject(
    world: World, kind: str
) -> None:
    path, make, _, what, _, _ = KINDS[kind]
    assert world.get(f"{path}/{make(world)}", "reviewer").status_code == 200
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", what) in [(r["who"], r["what"]) for r in reads]


@pytest.mark.parametrize("kind", list(KINDS))
def test_another_subject_is_refused_alike_whether_the_ref_exists_or_not(
    world: World, kind: str
) -> None:
    path, make, _, _, unknown, _ = KINDS[kind]
    known = world.get(f"{path}/{make(world)}", "other_subject")
    missing = world.get(f"{path}/{unknown}", "other_subject")
    garbage = world.get(f"{path}/not-a-ref", "other_subject")
    assert known.status_code == missing.status_code == garbage.status_code == 403
    assert known.json() == missing.json() == garbage.json()
    assert ADULT not in known.text


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_admin_is_told_when_a_ref_names_nothing(world: World, kind: str) -> None:
    path, _, _, _, unknown, garbage_status = KINDS[kind]
    missing = world.get(f"{path}/{unknown}", "admin")
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["code"] == "not_found"
    assert world.get(f"{path}/not-a-ref", "admin").status_code == garbage_status


@pytest.mark.parametrize(
    "path", ["/listings/L-99999999999999999999-x", "/disputes/X-99999999999999999999"]
)
def test_a_ref_past_any_log_position_is_no_ref_not_a_fault(world: World, path: str) -> None:
    response = world.get(path, "admin")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "rejected"
