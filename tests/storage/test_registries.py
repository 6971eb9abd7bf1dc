"""Sources, subjects and case actions: append-only registries that read back as written."""

from __future__ import annotations

import polars as pl
import pytest

from socialcredit.errors import RecordRejectedError
from socialcredit.storage import Source, Store
from tests.storage.conftest import Backend
from tests.storage.rows import LATER, RECORDED

COURT = Source("court.wendeng", "Wendeng People's Court", "high", ("judicial",), "ab" * 32)
REPORTER = Source("reporter.0042", "Community reporter 42", "low", ("civic.volunteer_hours",))


def test_a_registered_source_reads_back(store: Store) -> None:
    assert store.register_source(COURT, registered_at=RECORDED) == "new"
    assert store.register_source(REPORTER, registered_at=RECORDED) == "new"
    assert store.sources() == [COURT, REPORTER]
    assert store.source("court.wendeng") == COURT
    assert store.source("nobody") is None


def test_a_changed_source_is_a_new_version_and_the_old_one_is_kept(
    store: Store, backend: Backend
) -> None:
    store.register_source(REPORTER, registered_at=RECORDED)
    trusted = Source(REPORTER.id, REPORTER.name, "high", (*REPORTER.allowed, "civic"))
    assert store.register_source(trusted, registered_at=LATER) == "updated"
    assert store.register_source(trusted, registered_at=LATER) == "exists"
    assert store.source(REPORTER.id) == trusted
    history = backend.raw("SELECT version, trust FROM source_versions ORDER BY version")
    assert [tuple(row) for row in history] == [(1, "low"), (2, "high")]


def test_subjects_register_once(store: Store) -> None:
    people = pl.DataFrame({"id": ["p1", "p2", "p1"], "kind": ["person", "person", "person"]})
    assert store.register_subjects(people, registered_at=RECORDED) == 2
    more = pl.DataFrame({"id": ["p2", "o1"], "kind": ["person", "organisation"]})
    assert store.register_subjects(more, registered_at=LATER) == 1
    listed = store.subjects()
    assert listed.select("id", "kind").rows() == [
        ("o1", "organisation"),
        ("p1", "person"),
        ("p2", "person"),
    ]
    assert store.subjects(["p2"]).item(0, "registered_at") == "2025-01-01T08:00:00.000000+00:00"


def test_a_subject_cannot_change_kind(store: Store) -> None:
    store.register_subjects(
        pl.DataFrame({"id": ["p1"], "kind": ["person"]}), registered_at=RECORDED
    )
    changed = pl.DataFrame({"id": ["p9", "p1"], "kind": ["person", "organisation"]})
    with pytest.raises(RecordRejectedError, match="p1 is registered as person"):
        store.register_subjects(changed, registered_at=LATER)
    assert store.subjects().get_column("id").to_list() == ["p1"]


def test_an_unknown_kind_is_refused(store: Store) -> None:
    with pytest.raises(RecordRejectedError):
        store.register_subjects(
            pl.DataFrame({"id": ["x"], "kind": ["pet"]}), registered_at=RECORDED
        )


def test_case_actions_read_back_in_order(store: Store) -> None:
    actions = pl.DataFrame(
        {
            "kind": ["notice_served", "appeal_filed", "notice_served"],
            "subject": ["p1", "p1", "p2"],
            "ref": ["listing-1", "listing-1", None],
            "data": ['{"days":10}', "{}", "{}"],
            "at": [RECORDED, LATER, LATER],
        }
    )
    assert store.append_case_actions(actions) == 3
    mine = store.case_actions_for(["p1"])
    assert mine.select("seq", "kind", "ref", "data").rows() == [
        (1, "notice_served", "listing-1", '{"days":10}'),
        (2, "appeal_filed", "listing-1", "{}"),
    ]
    assert mine.get_column("at").to_list() == [
        "2025-01-01T08:00:00.000000+00:00",
        "2025-01-02T08:00:00.000000+00:00",
    ]


def test_case_actions_appended_after_a_seq_are_read_alone(store: Store) -> None:
    actions = pl.DataFrame(
        {
            "kind": ["notice_served", "appeal_filed", "notice_served", "appeal_filed"],
            "subject": ["p1", "p1", "p2", "p3"],
            "at": [RECORDED, LATER, LATER, LATER],
        }
    )
    store.append_case_actions(actions)
    later = store.case_actions_for(after=2)
    assert later.select("seq", "subject").rows() == [(3, "p2"), (4, "p3")]
    appeals = store.case_actions_for(kinds=["appeal_filed"], after=1)
    assert appeals.select("seq", "subject").rows() == [(2, "p1"), (4, "p3")]
