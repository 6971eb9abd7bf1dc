"""The notice outbox: notices are case actions, found by their ref; every attempt to
deliver one on a channel is appended and read back per notice."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from socialcredit.errors import RecordRejectedError
from socialcredit.storage import Store
from socialcredit.storage.frames import DELIVERY_SCHEMA
from tests.storage.rows import ADULT, LATER, RECORDED

OTHER = "371003198001011234"


@pytest.fixture
def noticed(store: Store) -> Store:
    """A store holding two notices to one subject, an appeal, and a notice to another."""
    store.append_case_actions(
        pl.DataFrame(
            {
                "kind": ["notice_served", "appeal_filed", "adverse_action", "notice_served"],
                "subject": [ADULT, ADULT, ADULT, OTHER],
                "ref": ["listing-1", "listing-1", "decision-d-9", "listing-2"],
                "data": ['{"days":10}', "{}", '{"decision":"d-9"}', "{}"],
                "at": [RECORDED, LATER, LATER, LATER],
            }
        )
    )
    return store


def deliveries(*rows: dict[str, Any]) -> pl.DataFrame:
    """A batch of delivery attempts from short rows; unspecified fields get ordinary values."""
    defaults: dict[str, Any] = {
        "notice": "listing-1",
        "channel": "inbox",
        "status": "sent",
        "detail": None,
        "at": RECORDED,
    }
    return pl.DataFrame([{**defaults, **row} for row in rows])


def test_case_actions_are_found_by_ref(noticed: Store) -> None:
    found = noticed.case_actions_for(refs=["listing-1", "listing-2"])
    assert found.select("seq", "kind", "subject", "ref").rows() == [
        (1, "notice_served", ADULT, "listing-1"),
        (2, "appeal_filed", ADULT, "listing-1"),
        (4, "notice_served", OTHER, "listing-2"),
    ]
    assert noticed.case_actions_for([ADULT], refs=["listing-2"]).is_empty()
    assert noticed.case_actions_for([OTHER]).get_column("ref").to_list() == ["listing-2"]
    assert noticed.case_actions_for().height == 4


def test_every_delivery_attempt_of_a_notice_reads_back_in_order(noticed: Store) -> None:
    batch = deliveries(
        {},
        {"channel": "email", "status": "failed", "detail": "550 mailbox unavailable"},
        {"notice": "decision-d-9"},
    )
    assert noticed.append_deliveries(batch) == 3
    assert noticed.append_deliveries(deliveries({"channel": "email", "at": LATER})) == 1
    found = noticed.deliveries_for(["listing-1"])
    assert found.rows() == [
        (1, "listing-1", "inbox", "sent", None, RECORDED),
        (2, "listing-1", "email", "failed", "550 mailbox unavailable", RECORDED),
        (4, "listing-1", "email", "sent", None, LATER),
    ]
    assert found.schema == DELIVERY_SCHEMA
    assert noticed.deliveries_for(["decision-d-9"]).height == 1
    assert noticed.deliveries_for(["listing-2"]).is_empty()


def test_the_detail_may_be_left_out(noticed: Store) -> None:
    noticed.append_deliveries(deliveries({}).drop("detail"))
    assert noticed.deliveries_for(["listing-1"]).item(0, "detail") is None


def test_a_delivery_of_a_notice_never_issued_keeps_nothing_of_its_batch(noticed: Store) -> None:
    with pytest.raises(RecordRejectedError, match="'listing-404'"):
        noticed.append_deliveries(deliveries({}, {"notice": "listing-404"}))
    assert noticed.deliveries_for(["listing-1", "listing-404"]).is_empty()


@pytest.mark.parametrize(
    "row", [{"channel": "sms"}, {"status": "queued"}], ids=["channel", "status"]
)
def test_only_known_channels_and_statuses_are_recorded(noticed: Store, row: dict[str, str]) -> None:
    with pytest.raises(RecordRejectedError):
        noticed.append_deliveries(deliveries(row))
    assert noticed.deliveries_for(["listing-1"]).is_empty()


def test_case_actions_are_found_by_kind(noticed: Store) -> None:
    kinds = noticed.case_actions_for().get_column("kind").to_list()
    wanted = kinds[0]
    found = noticed.case_actions_for(kinds=[wanted])
    assert found.get_column("kind").to_list() == [k for k in kinds if k == wanted]
    assert noticed.case_actions_for(kinds=[]).is_empty()
    assert noticed.case_actions_for(kinds=["no.such.kind"]).is_empty()
