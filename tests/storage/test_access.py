"""The access log: every read of personal data, appended in one transaction, and the
subject's own view of it, "who asked about me"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest

from socialcredit.errors import RecordRejectedError
from socialcredit.storage import Store
from socialcredit.storage.frames import ACCESS_SCHEMA
from tests.storage.rows import ADULT, LATER, RECORDED

OTHER = "371003198001011234"


def reads(*rows: dict[str, Any]) -> pl.DataFrame:
    """A batch of reads from short rows; unspecified fields get ordinary values."""
    defaults: dict[str, Any] = {
        "who": "rail.12306",
        "role": "party",
        "subject": ADULT,
        "what": "decision",
        "purpose": "rail.ticket",
        "at": RECORDED,
    }
    return pl.DataFrame([{**defaults, **row} for row in rows])


def test_a_subject_sees_who_asked_about_them_in_order(store: Store) -> None:
    batch = reads(
        {},
        {"subject": OTHER},
        {"who": "clerk-7", "role": "reviewer", "what": "entries", "purpose": "appeal-12"},
        {"who": ADULT, "role": "subject", "what": "explain", "purpose": None, "at": LATER},
    )
    assert store.append_access(batch) == 4
    mine = store.access_for(ADULT)
    assert mine.drop("seq").rows() == [
        ("rail.12306", "party", ADULT, "decision", "rail.ticket", RECORDED),
        ("clerk-7", "reviewer", ADULT, "entries", "appeal-12", RECORDED),
        (ADULT, "subject", ADULT, "explain", None, LATER),
    ]
    assert mine.get_column("seq").is_sorted()
    assert store.access_for(OTHER).height == 1
    assert store.access_for("nobody").is_empty()


def test_reads_come_back_in_the_same_dtypes_from_every_backend(store: Store) -> None:
    assert store.access_for(ADULT).schema == ACCESS_SCHEMA
    store.append_access(reads({}))
    assert store.access_for(ADULT).schema == ACCESS_SCHEMA


def test_the_log_keeps_the_order_reads_were_logged_in(store: Store) -> None:
    store.append_access(reads({"what": "score", "at": LATER}))
    store.append_access(reads({"what": "decision", "at": RECORDED - timedelta(days=1)}))
    assert store.access_for(ADULT).get_column("what").to_list() == ["score", "decision"]


def test_the_purpose_may_be_left_out(store: Store) -> None:
    store.append_access(reads({"who": ADULT, "role": "subject", "what": "score"}).drop("purpose"))
    assert store.access_for(ADULT).item(0, "purpose") is None


def test_a_batch_with_an_incomplete_read_keeps_nothing(store: Store) -> None:
    with pytest.raises(RecordRejectedError):
        store.append_access(reads({}, {"who": None}))
    assert store.access_for(ADULT).is_empty()


def test_a_read_without_a_time_is_refused_by_name(store: Store) -> None:
    with pytest.raises(ValueError, match="at"):
        store.append_access(reads({}).drop("at"))
